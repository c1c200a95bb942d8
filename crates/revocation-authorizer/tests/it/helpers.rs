//! Shared test equipment: the local AWS (moto), the HTTP stub, the Lambda Runtime API
//! emulator, and builders of the two API Gateway events and of the function's environment.

#![allow(dead_code)]

pub use test_support::{http_stub, moto};

/// The authorizer's binary under the workspace's one Lambda Runtime API emulator.
pub mod runtime_api {
    pub use test_support::runtime_api::{Answer, Run};

    /// Runs the authorizer's binary against the emulator.
    pub async fn run_function(
        env: &[(String, String)],
        events: &[(String, String)],
        timeout_ms: u64,
    ) -> Run {
        test_support::runtime_api::run_binary(
            env!("CARGO_BIN_EXE_revocation-authorizer"),
            "revocation-authorizer",
            env,
            events,
            timeout_ms,
        )
        .await
    }
}

pub use test_support::api_gateway::*;
