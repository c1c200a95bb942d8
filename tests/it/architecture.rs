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

/// The crates below the core: the core imports only the workspace's vocabulary, and that
/// crate's manifest names no SDK, runtime or HTTP crate, so no AWS crate is in the core's
/// dependency graph, not only out of its source.
#[test]
fn the_vocabulary_the_core_uses_has_no_sdk_runtime_or_http_crate_below_it() {
    let names = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/cognito-names/Cargo.toml");
    let manifest = std::fs::read_to_string(&names).expect("the vocabulary's manifest");
    let dependencies: Vec<&str> = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("a [dependencies] table")
        .lines()
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim()))
        .filter(|name| !name.starts_with('#') && !name.is_empty())
        .collect();
    assert_eq!(dependencies, ["regex", "thiserror"], "{manifest}");
    // What the core imports from outside the crate: the vocabulary and plain-data crates.
    let core = src().join("core");
    for file in test_support::architecture::sources(&core) {
        let text = std::fs::read_to_string(&file).expect("a source file");
        // The file's own child modules (`mod sqs;`) are its own code.
        let children: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("mod "))
            .map(|l| l.trim_end_matches(';').trim())
            .collect();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("use "))
        {
            let root = line["use ".len()..].split("::").next().unwrap_or_default();
            assert!(
                children.contains(&root)
                    || root.starts_with(char::is_uppercase) // an enum's own variants
                    || [
                        "crate",
                        "super",
                        "std",
                        "cognito_names",
                        "serde",
                        "serde_json",
                        "base64",
                        "flate2",
                        "regex",
                        "thiserror",
                        "md5"
                    ]
                    .contains(&root),
                "{}: {line}",
                file.display()
            );
        }
    }
}
