//! The transmitter's layout, checked with the rules every crate of the workspace shares
//! (`test_support::architecture`): no import cycle, imports inward, a pure core.

use std::path::Path;

use test_support::architecture::assert_plan;

/// The layers of `src/`, lowest first: so far the pure core alone.
const LAYERS: [(&str, usize); 1] = [("core", 0)];

#[test]
fn imports_point_inward_with_no_cycle_and_the_core_is_pure() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    assert_plan(&src, &LAYERS, 0, 2);
}
