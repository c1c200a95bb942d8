//! # ssf-transmitter
//!
//! The OpenID Shared Signals Framework 1.0 transmitter of the workspace
//! (docs/ssf-transmitter.md): apps that keep sessions of their own subscribe to a stream and
//! hear, as signed Security Event Tokens, of every action the responder takes: CAEP
//! `session-revoked` and `credential-change`, RISC `account-disabled`. One Lambda function,
//! invoked three ways: HTTP (its function URL: the configuration, the JWKS, stream
//! management, verification and poll), the responder's `Cognito User Signed Out` events
//! (EventBridge), and its own delivery queue's retries (SQS).
//!
//! # Layout
//!
//! The workspace's one plan (docs/architecture.md), lowest layer first; every module is
//! private, and this file re-exports what `main.rs`, the tests and the benchmark use:
//!
//! - `core/`, pure: `endpoint` (a receiver's endpoint: `https`, global unicast only),
//!   `set` (the SETs: one event per SET, `iss_sub` subjects, the derived `jti`), `stream`
//!   (a stream and the requests that shape it, every member bounded), `api` (routes, the
//!   configuration document, subject and poll requests), `retry` (the backoff and its
//!   window), `jwk` (a KMS public key as a JWK with its RFC 7638 `kid`).
//! - `push`: one push, to the checked address, bounded in time and size, no redirect.
//! - The ports, each a folder with its port, its memory adapter and its AWS adapter:
//!   `signer` ([`Signer`]: KMS; and [`Pace`], the `Sign` cap), `streams` ([`Streams`]:
//!   DynamoDB), `deliveries` ([`DeliveryQueue`]: SQS).
//! - `config`: the environment, read once at start-up.
//! - `transmitter`: the runner: a SET from its cause to its receiver.
//! - The edges: `requests` (the HTTP endpoints: authorisation, routes, answers), `metrics`.
//! - `function`: one invocation, by shape.

#![warn(missing_docs)]

mod config;
mod core;
mod deliveries;
mod function;
mod metrics;
mod push;
mod requests;
mod signer;
mod streams;
mod transmitter;

pub use crate::config::{Config, Issuer};
pub use crate::core::api::{Endpoints, PollRequest, Route, MAX_POLL_EVENTS};
pub use crate::core::endpoint::{
    is_global_unicast, EndpointRefusal, ReceiverEndpoint, MAX_ENDPOINT_BYTES,
};
pub use crate::core::jwk::{jwks, PublicJwk};
pub use crate::core::retry::{next_step, NextStep, Retry};
pub use crate::core::set::{
    jti, signing_input, PendingSet, SignedOutUser, ACCOUNT_DISABLED, CREDENTIAL_CHANGE,
    MAX_SIGNING_INPUT, SESSION_REVOKED, STREAM_UPDATED, VERIFICATION,
};
pub use crate::core::stream::{Delivery, Requested, Status, Stream, POLL, PUSH};
pub use crate::deliveries::{DeadLetter, DeliveryQueue, MemoryDeliveryQueue, SqsDeliveryQueue};
pub use crate::function::{Function, InvocationError, SIGNED_OUT};
pub use crate::push::{PushAnswer, PushClient, PUSH_TIMEOUT};
pub use crate::requests::{Answer, Api, Request, MAX_BODY_BYTES};
pub use crate::signer::{KmsSigner, MemorySigner, Pace, SignError, Signer};
pub use crate::streams::{
    DynamoDbStreams, Kept, MemoryStreams, Streams, Waited, Waiting, MAX_EXCLUDED_SUBJECTS,
};
pub use crate::transmitter::{Report, Transmitter, TransmitterFailure, TransmitterSettings};

use cognito_names::UnixSeconds;
use cognito_revocation::{AcceptedTokenUse, HttpsKeySource, JwksEndpoint, TokenPolicy, Verifier};
use lambda_edge::{Binary, MetricsSink};

/// This function, as start-up names it.
pub const TRANSMITTER: Binary = Binary {
    name: "ssf-transmitter",
    region_for: "the region of the signing key, the streams table and the queues",
};

/// The function on the real adapters.
pub type AwsFunction = Function<HttpsKeySource, KmsSigner, DynamoDbStreams, SqsDeliveryQueue>;

/// Now, in Unix seconds.
pub fn unix_now() -> UnixSeconds {
    UnixSeconds::new(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}

/// What the configuration asks of the runner, for the transmitter at `issuer`.
pub fn settings(config: &Config, issuer: &Issuer) -> TransmitterSettings {
    TransmitterSettings {
        endpoints: Endpoints::new(&issuer.0),
        allow_loopback: config.allow_loopback,
        push_retry_seconds: config.push_retry_seconds,
        poll_retention_seconds: config.poll_retention_seconds,
        max_streams_per_client: config.max_streams_per_client,
    }
}

/// The HTTP endpoints, verifying tokens of the configured pool with `keys`.
pub fn api<K: cognito_revocation::KeySource>(config: &Config, keys: K) -> Api<K> {
    // One pool: `any_client` refuses only an empty list.
    let policy = TokenPolicy::any_client([config.auth_pool.clone()], AcceptedTokenUse::Access)
        .unwrap_or_else(|_| unreachable!("one pool is listed"));
    Api::new(
        Verifier::new(policy, keys),
        config.manage_scope(),
        config.read_scope(),
    )
}

/// Builds the function on the real adapters. Nothing here touches the network.
pub fn aws_function(
    sdk: &aws_config::SdkConfig,
    config: &Config,
    issuer: &Issuer,
    metrics: MetricsSink,
) -> AwsFunction {
    let signer = KmsSigner::new(aws_sdk_kms::Client::new(sdk), config.signing_keys.clone());
    let streams = DynamoDbStreams::new(aws_sdk_dynamodb::Client::new(sdk), config.table.clone());
    let queue = SqsDeliveryQueue::new(
        aws_sdk_sqs::Client::new(sdk),
        config.delivery_queue_url.clone(),
        config.dead_letter_queue_url.clone(),
    );
    Function {
        transmitter: Transmitter::new(
            settings(config, issuer),
            signer,
            streams,
            queue,
            config.signs_per_second,
        ),
        api: api(config, HttpsKeySource::new(JwksEndpoint::from_env())),
        metrics,
    }
}

/// The function's own URL (`lambda:GetFunctionUrlConfig` on itself), as its issuer: a
/// function's environment cannot name its own URL.
pub async fn own_url(sdk: &aws_config::SdkConfig, function_name: &str) -> Result<Issuer, String> {
    let answer = aws_sdk_lambda::Client::new(sdk)
        .get_function_url_config()
        .function_name(function_name)
        .send()
        .await
        .map_err(|e| cognito_revocation::sdk_error::describe(&e))?;
    answer
        .function_url()
        .parse()
        .map_err(|e: &str| format!("the function URL {e}"))
}
