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

/// Another binary of the workspace, built beside the responder's.
pub fn sibling_binary(name: &str) -> String {
    test_support::runtime_api::sibling_binary(env!("CARGO_BIN_EXE_cognito-signout-responder"), name)
}
