//! The revocation library's layout, checked with the rules every crate of the workspace
//! shares (`test_support::architecture`): no import cycle; imports point inward, from the
//! check down to the names; the names and the JWS reader name no SDK, runtime or HTTP crate.

use std::path::Path;

use test_support::architecture::assert_plan;

/// The layers of `src/`, lowest first.
const LAYERS: [(&str, usize); 10] = [
    ("identity", 0),
    ("jws", 0),
    ("http", 1),
    ("sdk_error", 1),
    ("store", 1),
    ("jwks", 2),
    ("refusal", 3),
    ("token", 4),
    ("verifier", 5),
    ("check", 6),
];

#[test]
fn imports_point_inward_with_no_cycle_and_the_names_are_pure() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    assert_plan(&src, &LAYERS, 0, 10);
}
