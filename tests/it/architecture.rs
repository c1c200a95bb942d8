//! The responder's layout, checked on its source tree with the rules every crate of the
//! workspace shares (`test_support::architecture`): no import cycle; imports point inward,
//! from the invocation down to the pure core; the core names no SDK, runtime or HTTP crate.

use std::path::Path;

use test_support::architecture::{assert_plan, graph};

/// The layers of `src/`, lowest first: the pure core; the SDK error helper the adapters
/// share; the ports, each folder owning its adapters and their configuration types; the
/// configuration, which reads the environment into the core's and the adapters' types, and
/// the metrics; the runner; the invocation.
const LAYERS: [(&str, usize); 10] = [
    ("core", 0),
    ("aws_error", 1),
    ("sign_out", 2),
    ("dead_letters", 2),
    ("revocation", 2),
    ("config", 3),
    ("metrics", 3),
    ("responder", 4),
    ("invocation", 5),
    ("logging", 5),
];

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn imports_point_inward_with_no_cycle_and_the_core_is_pure() {
    assert_plan(&src(), &LAYERS, 0, 30);
}

#[test]
fn the_check_reads_the_whole_tree() {
    let graph = graph(&src());
    assert!(graph.len() > 30, "{:?}", graph.keys());
    for module in [
        "core::payload",
        "responder::recall",
        "sign_out::accounts",
        "sign_out::memory",
        "dead_letters::memory",
        "revocation::memory",
        "config::values",
    ] {
        assert!(graph.contains_key(module), "{module} read");
    }
    // The runner imports the core: the graph holds real edges.
    assert!(graph["responder"].iter().any(|d| d.starts_with("core::")));
}
