//! # cognito-signout-responder
//!
//! An AWS Lambda function that answers "this account is compromised" alerts by calling
//! Amazon Cognito's `AdminUserGlobalSignOut`, which signs the user out of every device and
//! revokes every refresh token Cognito issued to them. Alerts arrive as SQS batches,
//! EventBridge events or direct invocations. An alert that cannot be acted on goes to a
//! dead-letter queue chosen by its error class, with the reason attached; one that may
//! succeed later is left to its event source to deliver again. Nothing is dropped, and one
//! bad alert never holds up its batch-mates. `../shared/CONTRACT.md` (and the README) is
//! the external contract this crate implements.
//!
//! # Layout
//!
//! Read top to bottom: from what arrives, through the decisions, to the calls.
//!
//! - [`payload`]: the three invocation payloads, told apart by shape, as [`payload::Record`]s.
//! - [`alert`]: finding the user and the pool in one alert document (shapes A to D).
//! - [`identity`]: [`identity::UserPoolId`] and [`identity::Username`], parsed once by the
//!   API's rules; a pool id knows its region.
//! - [`error_class`]: the contract's error classes, the vocabulary of routing.
//! - [`failure`]: [`failure::Failure`], every reason an alert is not signed out, with its class
//!   and code.
//! - [`decision`]: the pure decisions: admit a record (allow-list included), judge a failure
//!   (retry, dead-letter, `MAX_RECEIVE_COUNT`, `USER_NOT_FOUND`).
//! - [`responder`]: [`responder::Responder`] settles a batch: deduplication, concurrency, rate
//!   cap, FIFO groups, the deadline; one [`responder::Settlement`] per record.
//! - [`rate`]: the `MAX_REQUESTS_PER_SECOND` token bucket.
//! - [`timeouts`]: the remote calls' time limits and the deadline rule built on them.
//! - [`sign_out`]: the Cognito port and the classification of its errors.
//! - [`cognito`]: the Cognito adapter: one SDK client per region, built lazily.
//! - [`dead_letter`]: the dead-letter message, its routing by class, and its port.
//! - [`sqs`]: the SQS adapter for dead letters.
//! - [`invocation`]: one Lambda invocation end to end: logs and the return value.
//! - [`logging`]: the runtime's log set-up, with the wire-level crates kept above TRACE.
//! - [`metrics`]: the CloudWatch Embedded Metric Format document of an invocation.
//! - [`config`]: the environment, read once at start-up.
//!
//! [`aws_responder`] builds the responder on the real adapters; `main.rs` only wires things
//! together: logging, configuration, SDK clients, the runtime.

pub mod alert;
pub mod cognito;
pub mod config;
pub mod dead_letter;
pub mod decision;
pub mod error_class;
pub mod failure;
pub mod identity;
pub mod invocation;
pub mod logging;
pub mod metrics;
pub mod payload;
pub mod rate;
pub mod responder;
pub mod sign_out;
pub mod sqs;
pub mod timeouts;

use aws_config::SdkConfig;

/// The responder the function runs: Cognito and SQS through the AWS SDK.
pub type AwsResponder = responder::Responder<cognito::CognitoSignOut, sqs::SqsDeadLetters>;

/// Builds the [`AwsResponder`] from the start-up SDK configuration, the function's
/// configuration and the remote calls' time limits.
pub fn aws_responder(
    sdk: &SdkConfig,
    config: &config::Config,
    timeouts: timeouts::Timeouts,
) -> AwsResponder {
    responder::Responder::new(
        cognito::CognitoSignOut::new(sdk, &timeouts),
        sqs::SqsDeadLetters::new(sdk, &timeouts, config.dead_letter_routes.clone()),
        config,
        timeouts,
    )
}
