//! The receiver's layout, checked on its source tree with the rules every crate of the
//! workspace shares (`test_support::architecture`): no import cycle; imports point inward,
//! from the invocation down to the pure core; the core names no SDK, runtime or HTTP crate.

use std::path::Path;

use test_support::architecture::{assert_plan, graph};

/// The layers of `src/`, lowest first: the pure core; the HTTPS client the adapters share;
/// the ports, each folder owning its adapters; the configuration (which reads the secrets it
/// names through their port); the runner; the edges that turn receipts into HTTP answers,
/// poll requests and metrics; the invocation.
const LAYERS: [(&str, usize); 14] = [
    ("core", 0),
    ("transmitter", 1),
    ("keys", 2),
    ("users", 2),
    ("alerts", 2),
    ("replays", 2),
    ("secrets", 2),
    ("config", 3),
    ("receiver", 4),
    ("push", 5),
    ("poll", 5),
    ("poller", 5),
    ("metrics", 5),
    ("function", 6),
];

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn imports_point_inward_with_no_cycle_and_the_core_is_pure() {
    assert_plan(&src(), &LAYERS, 0, 20);
}

#[test]
fn the_check_reads_the_whole_tree() {
    let graph = graph(&src());
    for module in [
        "core::set",
        "core::events",
        "keys::https",
        "replays::dynamodb",
        "function",
    ] {
        assert!(
            graph.contains_key(module),
            "{module} read: {:?}",
            graph.keys()
        );
    }
    assert!(graph["receiver"].iter().any(|d| d.starts_with("core::")));
}
