//! The responder's binary under the shared Lambda Runtime API emulator.

pub use test_support::runtime_api::{Answer, Run};

/// Runs the responder's binary against the emulator (see
/// [`test_support::runtime_api::run_binary`]).
pub async fn run_function(
    env: &[(String, String)],
    events: &[(String, String)],
    timeout_ms: u64,
) -> Run {
    test_support::runtime_api::run_binary(
        env!("CARGO_BIN_EXE_cognito-signout-responder"),
        "cognito-signout-responder",
        env,
        events,
        timeout_ms,
    )
    .await
}

/// Another binary of the workspace, built beside the responder's by `cargo test --workspace`
/// (as `scripts/test` runs it).
pub fn sibling_binary(name: &str) -> String {
    let responder = std::path::Path::new(env!("CARGO_BIN_EXE_cognito-signout-responder"));
    let path = responder.with_file_name(name);
    assert!(
        path.exists(),
        "{} is not built: run the tests with `cargo test --workspace` (scripts/test does)",
        path.display()
    );
    path.to_string_lossy().into_owned()
}
