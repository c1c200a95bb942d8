//! The transmitter's layout, checked with the rules every crate of the workspace shares
//! (`test_support::architecture`): no import cycle; imports point inward, from the invocation
//! down to the pure core; the core names no SDK, runtime or HTTP crate.

use std::path::Path;

use test_support::architecture::{assert_plan, graph};

/// The layers of `src/`, lowest first: the pure core; the push client; the ports; the
/// configuration; the runner; the edges; the invocation.
const LAYERS: [(&str, usize); 10] = [
    ("core", 0),
    ("push", 1),
    ("signer", 2),
    ("streams", 2),
    ("deliveries", 2),
    ("config", 3),
    ("transmitter", 4),
    ("requests", 5),
    ("metrics", 5),
    ("function", 6),
];

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn imports_point_inward_with_no_cycle_and_the_core_is_pure() {
    assert_plan(&src(), &LAYERS, 0, 15);
}

#[test]
fn the_check_reads_the_whole_tree() {
    let graph = graph(&src());
    for module in [
        "core::set",
        "core::stream",
        "signer::kms",
        "streams::dynamodb",
        "deliveries::sqs",
        "function",
    ] {
        assert!(
            graph.contains_key(module),
            "{module} read: {:?}",
            graph.keys()
        );
    }
    assert!(graph["transmitter"].iter().any(|d| d.starts_with("core::")));
}
