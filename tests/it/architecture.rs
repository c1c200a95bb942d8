//! The layout's rules, checked on the source itself: no module imports another that imports it
//! back (directly or around a loop); the pure core imports nothing outside `core/` and names no
//! SDK, no runtime and no HTTP crate; no port folder reaches into the runner or the invocation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The module path of a source file: `src/core/plan.rs` is `core::plan`, `src/responder/mod.rs`
/// is `responder`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

/// The modules a file's code (tests excluded) refers to through `crate::`, resolved to the
/// longest known module path.
fn imports(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    // Code only: tests and comments (doc links) are no imports.
    let code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap_or(text)
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let code = code.as_str();
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        for len in (1..=segments.len()).rev() {
            let candidate = segments[..len].join("::");
            if modules.contains(&candidate) {
                found.insert(candidate);
                break;
            }
        }
    }
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = sources(&src);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(&src, f))
        .filter(|m| !m.is_empty() && m != "main")
        .collect();
    files
        .iter()
        .map(|f| (module_of(&src, f), f))
        .filter(|(m, _)| modules.contains(m))
        .map(|(m, f)| {
            let text = std::fs::read_to_string(f).expect("readable source");
            let mut deps = imports(&text, &modules);
            deps.remove(&m);
            // A parent module naming its children (`pub mod x;`) is not an import.
            deps.retain(|d| !d.starts_with(&format!("{m}::")));
            (m, deps)
        })
        .collect()
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = graph();
    // Depth-first search for a back edge, reporting the loop it closes.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
    assert!(graph.len() > 15, "the graph was read: {graph:?}");
}

#[test]
fn the_core_imports_nothing_outside_the_core() {
    for (module, deps) in graph() {
        if module == "core" || module.starts_with("core::") {
            let outside: Vec<_> = deps
                .iter()
                .filter(|d| !(d.as_str() == "core" || d.starts_with("core::")))
                .collect();
            assert!(outside.is_empty(), "{module} imports {outside:?}");
        }
    }
}

/// Crates the core must never name: the AWS SDK and its runtime, the async runtime, HTTP.
const FORBIDDEN_IN_THE_CORE: [&str; 4] = ["aws_sdk_", "aws_smithy", "tokio", "hyper"];

/// The crates `text` names in code (comments left out), of those the core must not name.
fn forbidden_crates(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    for name in FORBIDDEN_IN_THE_CORE {
        for (at, _) in code.match_indices(name) {
            // A whole path segment: not the tail of another identifier.
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let ident: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push(ident);
        }
    }
    found
}

#[test]
fn the_core_names_no_sdk_no_runtime_and_no_http_crate() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("core");
    let files = sources(&core);
    assert!(files.len() > 10, "the core was read: {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        let found = forbidden_crates(&text);
        assert!(
            found.is_empty(),
            "{} names {found:?}: the core receives plain values; the adapter in the port \
             folder converts the SDK's",
            file.display()
        );
    }
}

#[test]
fn the_forbidden_crate_check_sees_an_sdk_import() {
    assert_eq!(
        forbidden_crates("use aws_sdk_sqs::error::SdkError;"),
        ["aws_sdk_sqs"]
    );
    assert_eq!(
        forbidden_crates("let t = tokio::time::Instant::now();"),
        ["tokio"]
    );
    assert!(forbidden_crates("// tokio, in a comment\nlet my_tokio_x = 1;").is_empty());
}

/// The port folders: every folder under `src/` but the core and the runner, found by listing
/// the tree, so that a new port is held to the rule without anyone adding it here.
fn port_folders() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut ports: Vec<String> = std::fs::read_dir(&src)
        .expect("src is readable")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "core" && name != "responder")
        .collect();
    ports.sort();
    ports
}

#[test]
fn ports_and_adapters_never_reach_into_the_responder_or_the_invocation() {
    let ports = port_folders();
    for port in ["dead_letters", "revocation", "sign_out"] {
        assert!(ports.iter().any(|p| p == port), "{port} listed: {ports:?}");
    }
    for (module, deps) in graph() {
        if ports
            .iter()
            .any(|port| module == *port || module.starts_with(&format!("{port}::")))
        {
            for dep in deps {
                assert!(
                    !(dep.starts_with("responder") || dep.starts_with("invocation")),
                    "{module} imports {dep}"
                );
            }
        }
    }
}
