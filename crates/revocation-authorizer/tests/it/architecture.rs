//! The authorizer's layout, checked with the rules every crate of the workspace shares
//! (`test_support::architecture`): no import cycle; imports point inward; the request and
//! answer shapes name no SDK, runtime or HTTP crate.

use std::path::Path;

use test_support::architecture::assert_plan;

/// The layers of `src/`, lowest first: the request read and the answer written (pure); the
/// configuration and the metrics line; the authorizer that runs the check.
const LAYERS: [(&str, usize); 5] = [
    ("request", 0),
    ("answer", 1),
    ("config", 2),
    ("metrics", 2),
    ("authorizer", 3),
];

#[test]
fn imports_point_inward_with_no_cycle_and_the_shapes_are_pure() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    assert_plan(&src, &LAYERS, 1, 5);
}
