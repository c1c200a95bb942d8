//! # revocation-authorizer
//!
//! An API Gateway Lambda authorizer (HTTP APIs: payload format 2.0 with simple responses;
//! REST APIs: `TOKEN` authorizers answered with an IAM policy) that accepts a Cognito token
//! only when it is genuine and its user has not been signed out since it was authenticated
//! (docs/revocation.md#the-authorizer-revocation-authorizer). The check itself is the `cognito-revocation`
//! library; this crate is the Lambda around it.
//!
//! # Layout
//!
//! Private modules, lowest layer first (docs/architecture.md):
//!
//! - `request`: the request shapes (HTTP API, REST `TOKEN` and `REQUEST`, WebSocket
//!   `$connect`, AppSync) and the bearer token in each (pure).
//! - `answer`: the simple response, the IAM policy and AppSync's answer, built from a
//!   decision (pure).
//! - `config`: the environment, read once at start-up ([`Config`], [`FrontDoors`]).
//! - `metrics`: the Embedded Metric Format line of a decision ([`MetricsSink`]).
//! - `authorizer`: one authorization: request, check, log line, metrics line, answer
//!   ([`Authorizer`]).
//! - [`logging`]: the runtime's log set-up, with the wire-level crates capped at DEBUG
//!   whatever the operator sets (from the `lambda-edge` crate, the edge every binary of the
//!   workspace shares).
//!
//! [`aws_authorizer`] builds the authorizer on the real adapters; `main.rs` only wires
//! things together.

#![warn(missing_docs)]

mod answer;
mod authorizer;
mod config;
mod metrics;
mod request;

pub use crate::authorizer::Authorizer;
pub use crate::config::{Config, FrontDoors};
pub use crate::metrics::MetricsSink;
/// The log set-up, shared with the responder.
pub use lambda_edge::logging;

use std::time::Duration;

use aws_config::SdkConfig;
use cognito_revocation::{
    DynamoDbCutoffStore, HttpsKeySource, JwksEndpoint, RevocationCheck, Verifier,
};
use lambda_edge::Binary;

/// This function, as start-up names it: the prefix of its refusals, its function name in a
/// local run, and why it needs a region.
pub const AUTHORIZER: Binary = Binary {
    name: "revocation-authorizer",
    region_for: "the region of the cutoff table",
};

/// The authorizer the function runs: keys over HTTPS, cutoffs in DynamoDB.
pub type AwsAuthorizer = Authorizer<HttpsKeySource, DynamoDbCutoffStore>;

/// Time limits of the cutoff lookup. An authorizer answers within API Gateway's limit and
/// a caller waits for it, so a slow table must fail fast (and count as a lookup error)
/// rather than hold the request: one attempt may take 1 s, all attempts (the SDK's
/// standard retries on throttling and 5xx) together 2 s.
pub const LOOKUP_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);
/// See [`LOOKUP_ATTEMPT_TIMEOUT`].
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// Builds the authorizer from the start-up SDK configuration and the function's
/// configuration. Nothing here touches the network: the key sets are fetched on first use.
pub fn aws_authorizer(sdk: &SdkConfig, config: &Config, metrics: MetricsSink) -> AwsAuthorizer {
    let timeouts = lambda_edge::sdk_timeouts(
        LOOKUP_ATTEMPT_TIMEOUT,
        LOOKUP_ATTEMPT_TIMEOUT,
        LOOKUP_TIMEOUT,
    );
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(sdk)
            .timeout_config(timeouts)
            .build(),
    );
    let check = RevocationCheck::new(
        Verifier::new(
            config.policy.clone(),
            HttpsKeySource::new(JwksEndpoint::from_env()),
        ),
        DynamoDbCutoffStore::new(dynamodb, &config.table),
        config.cache,
        config.on_lookup_error,
    );
    Authorizer::new(check, metrics).with_doors(config.doors.clone())
}
