//! The layout rules every crate of the workspace is held to, read from its source tree: the
//! modules a file imports through `crate::` (code only: comments and tests are no imports),
//! the import graph they make, its cycles, the imports that climb from a lower layer to a
//! higher one, and the crates a layer must never name. One function per rule, so that the
//! four binaries and the libraries state only their own layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, in a stable order.
pub fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the source folder is readable")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The module path of a source file: `src/core/plan.rs` is `core::plan`, `src/responder/mod.rs`
/// is `responder`, `src/lib.rs` is the empty path.
pub fn module_of(src: &Path, file: &Path) -> String {
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

/// `text` without its tests and its comment lines.
fn code_of(text: &str) -> String {
    text.split("#[cfg(test)]")
        .next()
        .unwrap_or(text)
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules of `modules` that `text`'s code refers to through `crate::` (or, for a child
/// module, `super::`), each resolved to the longest known module path.
pub fn imports(text: &str, module: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = code_of(text);
    let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
    let mut found = BTreeSet::new();
    for (prefix, base) in [("crate::", ""), ("super::", parent)] {
        for (at, _) in code.match_indices(prefix) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[at + prefix.len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut segments: Vec<&str> = if base.is_empty() {
                Vec::new()
            } else {
                base.split("::").collect()
            };
            segments.extend(path.split("::").filter(|s| !s.is_empty()));
            for len in (1..=segments.len()).rev() {
                let candidate = segments[..len].join("::");
                if modules.contains(&candidate) {
                    found.insert(candidate);
                    break;
                }
            }
        }
    }
    found
}

/// The import graph of the crate whose sources are in `src`: each module (`main` and the crate
/// root left out) and the modules it imports, its own children and itself left out.
pub fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files = sources(src);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(src, f))
        .filter(|m| !m.is_empty() && m != "main")
        .collect();
    files
        .iter()
        .map(|f| (module_of(src, f), f))
        .filter(|(m, _)| modules.contains(m))
        .map(|(m, f)| {
            let text = std::fs::read_to_string(f).expect("readable source");
            let mut deps = imports(&text, &m, &modules);
            deps.remove(&m);
            deps.retain(|d| !d.starts_with(&format!("{m}::")));
            (m, deps)
        })
        .collect()
}

/// A loop of imports, if the graph has one, as the modules along it.
pub fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
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
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// The layer of `module` in `layers` (`(top-level module, layer)`, lowest first): its first
/// path segment's.
pub fn layer_of(module: &str, layers: &[(&str, usize)]) -> Option<usize> {
    let top = module.split("::").next().unwrap_or(module);
    layers
        .iter()
        .find(|(name, _)| *name == top)
        .map(|(_, l)| *l)
}

/// Every import that climbs from a lower layer to a higher one (`a -> b` as text), and every
/// top-level module `layers` does not place (a new module must be given a layer).
pub fn upward_imports(
    graph: &BTreeMap<String, BTreeSet<String>>,
    layers: &[(&str, usize)],
) -> Vec<String> {
    let mut problems = Vec::new();
    for (module, deps) in graph {
        let Some(from) = layer_of(module, layers) else {
            problems.push(format!("{module} has no layer"));
            continue;
        };
        for dep in deps {
            match layer_of(dep, layers) {
                Some(to) if to > from => problems.push(format!("{module} -> {dep}")),
                Some(_) => {}
                None => problems.push(format!("{dep} has no layer")),
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

/// The crates of `forbidden` (path prefixes such as `aws_sdk_`, `tokio`) that `text`'s code
/// names, each as the identifier found.
pub fn named_crates(text: &str, forbidden: &[&str]) -> Vec<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    for name in forbidden {
        for (at, _) in code.match_indices(name) {
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

/// The SDK, its runtime, the async runtime and HTTP: what a crate's pure centre never names.
pub const IO_CRATES: [&str; 6] = [
    "aws_sdk_",
    "aws_smithy",
    "aws_config",
    "tokio",
    "hyper",
    "lambda_runtime",
];

/// The whole check for one crate: no cycle, no upward import, every module placed, and no
/// module of a layer at or below `pure_up_to` naming an [`IO_CRATES`] crate. Returns the
/// problems found (none when the crate holds to its plan).
pub fn check(src: &Path, layers: &[(&str, usize)], pure_up_to: usize) -> Vec<String> {
    let graph = graph(src);
    let mut problems = Vec::new();
    if graph.is_empty() {
        problems.push(format!("no module read under {}", src.display()));
    }
    if let Some(found) = cycle(&graph) {
        problems.push(format!("import cycle: {}", found.join(" -> ")));
    }
    problems.extend(upward_imports(&graph, layers));
    for file in sources(src) {
        let module = module_of(src, &file);
        if layer_of(&module, layers).is_some_and(|l| l <= pure_up_to) {
            let text = std::fs::read_to_string(&file).expect("readable source");
            for name in named_crates(&text, &IO_CRATES) {
                problems.push(format!("{module} names {name}"));
            }
        }
    }
    problems
}

/// [`check`], as a test states it: panics with every problem found, and when the tree read
/// holds fewer than `at_least` modules (a check that read nothing would pass).
pub fn assert_plan(src: &Path, layers: &[(&str, usize)], pure_up_to: usize, at_least: usize) {
    let problems = check(src, layers, pure_up_to);
    assert!(problems.is_empty(), "{problems:#?}");
    let read = graph(src).len();
    assert!(
        read >= at_least,
        "{read} modules read under {}",
        src.display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_src(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(name)
            .join("src")
    }

    /// The libraries under the binaries hold to the same plan: the vocabulary is flat and
    /// pure; the edge's values stand below what starts a binary; the test equipment's
    /// stub stands below what is built on it.
    #[test]
    fn the_shared_libraries_hold_to_the_plan() {
        assert_plan(
            &crate_src("cognito-names"),
            &[("action", 0), ("subject", 0), ("cutoff", 0), ("queue", 0)],
            0,
            4,
        );
        assert_plan(
            &crate_src("lambda-edge"),
            &[
                ("values", 0),
                ("env", 0),
                ("emf", 0),
                ("deadline", 1),
                ("sdk", 1),
                ("logging", 1),
                ("start", 2),
            ],
            0,
            7,
        );
        assert_plan(
            &crate_src("test-support"),
            &[
                ("api_gateway", 0),
                ("threat_log", 0),
                ("http_stub", 1),
                ("architecture", 1),
                ("moto", 1),
                ("bench", 2),
                ("fake_aws", 2),
                ("runtime_api", 2),
            ],
            0,
            8,
        );
    }

    #[test]
    fn imports_through_crate_and_super_resolve_to_known_modules() {
        let modules: BTreeSet<String> = ["core", "core::plan", "core::letter", "responder"]
            .map(str::to_owned)
            .into();
        let found = imports(
            "use crate::core::plan::Plan;\nuse super::letter::X;\n// use crate::responder;",
            "core::plan",
            &modules,
        );
        assert_eq!(
            found,
            ["core::letter", "core::plan"].map(str::to_owned).into()
        );
    }

    #[test]
    fn an_upward_import_and_a_cycle_are_found() {
        let mut graph = BTreeMap::new();
        graph.insert("core".to_owned(), BTreeSet::from(["runner".to_owned()]));
        graph.insert("runner".to_owned(), BTreeSet::from(["core".to_owned()]));
        assert_eq!(
            upward_imports(&graph, &[("core", 0), ("runner", 1)]),
            ["core -> runner"]
        );
        assert!(cycle(&graph).is_some());
    }

    #[test]
    fn a_crate_is_named_only_as_a_whole_path_segment() {
        assert_eq!(
            named_crates("use aws_sdk_sqs::X;", &IO_CRATES),
            ["aws_sdk_sqs"]
        );
        assert!(named_crates("// tokio\nlet my_tokio = 1;", &IO_CRATES).is_empty());
    }
}
