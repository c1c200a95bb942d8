//! # ssf-receiver
//!
//! A Lambda function behind a function URL (or an HTTP API: the payload format 2.0 event)
//! that receives Security Event Tokens (SETs, RFC 8417) from an OpenID Shared Signals
//! Framework 1.0 transmitter by push delivery (RFC 8935) or poll delivery (RFC 8936, on an
//! EventBridge schedule), and turns each into alerts on the signout responder's queue
//! (docs/ssf-receiver.md). The responder does the rest.
//!
//! # Layout
//!
//! The workspace's one plan (docs/architecture.md), lowest layer first; every module is
//! private, and this file re-exports what `main.rs`, the tests and the benchmark use:
//!
//! - `core/`, pure (no I/O, no runtime, no SDK): `set` (a SET from its text to a
//!   [`VerifiedSet`]: size, compact JWS, header, signature, claims; every [`SetRefusal`] with
//!   its RFC 8935 `err`), `events` (event type URIs to requests, and one [`Alert`] per user
//!   and SET), `subject` (RFC 9493 subject identifiers and the lookup that finds their
//!   users), `authorization` (the push's `Authorization`, compared in constant time),
//!   `alert`. The action names ([`Action`](cognito_names::Action)) are the workspace's
//!   vocabulary (`cognito-names`).
//! - `transmitter`: the bounded HTTPS client and the URL rule the adapters share.
//! - The ports, each a folder with its port, its memory (or void) adapter and one file per
//!   real adapter: `keys` (the transmitter's JWKS: [`TransmitterKeySource`], HTTPS with
//!   discovery, the cache and its refetch limit), `users` (`ListUsers` by `sub`, `email` or
//!   `username`: [`Users`]), `alerts` (the queue: [`AlertQueue`], SQS, each alert
//!   confirmed), `replays` (`jti`s accepted before: [`Replays`], DynamoDB, or off),
//!   `secrets` (credentials in Secrets Manager: [`Secrets`], and [`Rotating`], read again at
//!   most once a minute when they stop working).
//! - `config`: the environment, read once at start-up, and the secrets it names.
//! - `receiver`: the runner: one SET, in order, to a [`Receipt`].
//! - The edges: `push` (the payload format 2.0 request read, the answer written), `poll`
//!   (the poll request, its answer read, each SET's verdict), `poller` (the poll endpoint),
//!   `metrics` (the Embedded Metric Format line of a SET).
//! - `function`: one invocation: push or poll, log lines, metrics, answer. [`aws_function`]
//!   builds it on the real adapters; `main.rs` only wires things together.

#![warn(missing_docs)]

mod alerts;
mod config;
mod core;
mod function;
mod keys;
mod metrics;
mod poll;
mod poller;
mod push;
mod receiver;
mod replays;
mod secrets;
mod transmitter;
mod users;

pub use crate::alerts::{Alert, AlertQueue, MemoryAlertQueue, SqsAlertQueue};
pub use crate::config::{resolve, Config};
pub use crate::core::authorization::{Authorization, Credential};
pub use crate::core::set::{Expected, SetRefusal, VerifiedSet, MAX_SET_BYTES};
pub use crate::core::subject::Directory;
pub use crate::function::{Function, InvocationError};
pub use crate::keys::{
    HttpsTransmitterKeySource, JwksLocation, StaticKeySource, TransmitterKeySource,
    REFETCH_INTERVAL, RETRY_AFTER_FAILURE,
};
pub use crate::poller::PollEndpoint;
pub use crate::receiver::{unix_now, Receipt, Receiver, ReceiverFailure, ReceiverSettings};
pub use crate::replays::{DynamoDbReplays, MemoryReplays, NoReplays, ReplayKey, Replays};
pub use crate::secrets::{MemorySecrets, Rotating, SecretArn, Secrets, SecretsManager};
pub use crate::transmitter::{FetchError, HttpsClient};
pub use crate::users::{CognitoUsers, MemoryUser, MemoryUsers, Users};

use std::sync::Arc;

use aws_config::SdkConfig;
use lambda_edge::{Binary, MetricsSink};

use crate::secrets::{SecretSource, REREAD_INTERVAL};

/// This function, as start-up names it.
pub const RECEIVER: Binary = Binary {
    name: "ssf-receiver",
    region_for: "the region of the alert queue and the replay table",
};

/// The function on the real adapters, with replay detection on or off.
pub type AwsFunction<R> =
    function::Function<HttpsTransmitterKeySource, CognitoUsers, SqsAlertQueue, R>;

/// What the configuration asks of the receiver, apart from its adapters.
pub fn settings(config: &Config) -> ReceiverSettings {
    ReceiverSettings {
        expected: Expected {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
        },
        directory: Directory {
            issuer: config.subject_issuer.clone(),
            pools: config.pools.clone(),
            identity_provider: config.identity_provider.clone(),
        },
        compromise_actions: config.compromise_actions.clone(),
    }
}

/// Where the JWKS is: `SSF_JWKS_URI`, else discovered from `SSF_ISSUER`.
pub fn jwks_location(config: &Config) -> JwksLocation {
    match &config.jwks_uri {
        Some(url) => JwksLocation::Configured(url.clone()),
        None => JwksLocation::Discovered {
            issuer: config.issuer.clone(),
            issuer_url: config.issuer_url.clone(),
        },
    }
}

/// Builds the function on the real adapters with `replays`. Nothing here touches the network.
///
/// # Panics
///
/// When a credential's secret is named but its value was not read ([`resolve`]
/// runs first): the function stops at start-up rather than take pushes unchecked.
pub fn aws_function<R: Replays>(
    sdk: &SdkConfig,
    config: &Config,
    replays: R,
    metrics: MetricsSink,
) -> AwsFunction<R> {
    let client = Arc::new(HttpsClient::new());
    let receiver = Receiver::new(
        settings(config),
        HttpsTransmitterKeySource::new(client.clone(), jwks_location(config)),
        CognitoUsers::new(sdk),
        SqsAlertQueue::new(sdk, &config.alert_queue_url),
        replays,
    );
    let secrets: Arc<dyn SecretSource> = Arc::new(SecretsManager::new(sdk));
    let mut function = function::Function::new(receiver, None, metrics);
    if let Some(push) = credential(
        &config.authorization,
        &config.authorization_secret,
        "SSF_AUTHORIZATION_SECRET_ARN",
        &secrets,
    ) {
        function = function.authorized_by(push);
    }
    let Some(url) = &config.poll_url else {
        return function;
    };
    let mut endpoint = PollEndpoint::new(client, url.clone(), None);
    if let Some(poll) = credential(
        &config.poll_authorization,
        &config.poll_authorization_secret,
        "SSF_POLL_AUTHORIZATION_SECRET_ARN",
        &secrets,
    ) {
        endpoint = endpoint.authorized_by(poll);
    }
    function.polling(endpoint)
}

/// A credential as configured: a plain variable's value (fixed), or the value read from the
/// secret `arn` at start-up ([`resolve`]), read again through `secrets` when it stops
/// working; `None` when there is none. A secret named (`variable`) but never read panics.
fn credential<T: Clone + std::str::FromStr + PartialEq>(
    value: &Option<T>,
    arn: &Option<SecretArn>,
    variable: &'static str,
    secrets: &Arc<dyn SecretSource>,
) -> Option<Rotating<T>> {
    match (value, arn) {
        (Some(value), Some(arn)) => Some(Rotating::from_secret(
            value.clone(),
            arn.clone(),
            variable,
            secrets.clone(),
            REREAD_INTERVAL,
        )),
        (Some(value), None) => Some(Rotating::fixed(value.clone())),
        (None, Some(_)) => {
            panic!("{variable} was not read: config::resolve runs before aws_function")
        }
        (None, None) => None,
    }
}

/// The replay adapter the configuration asks for: the table, or "off" ("off" is an adapter,
/// decided here once).
pub fn replays(sdk: &SdkConfig, config: &Config) -> Option<DynamoDbReplays> {
    config
        .table
        .as_deref()
        .map(|table| DynamoDbReplays::new(sdk, table))
}

#[cfg(test)]
mod wiring {
    use super::*;
    use crate::core::authorization::Authorization;
    use crate::secrets::MemorySecrets;

    const ARN: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ssf-push-AbCdEf";

    fn secrets() -> Arc<dyn SecretSource> {
        Arc::new(MemorySecrets::new())
    }

    fn value() -> Option<Authorization> {
        Some("Bearer configured".parse().unwrap())
    }

    #[test]
    fn a_configured_credential_is_always_checked_and_no_credential_is_none() {
        let arn: Option<SecretArn> = Some(ARN.parse().unwrap());
        for arn in [None, arn] {
            let credential = credential(&value(), &arn, "SSF_AUTHORIZATION_SECRET_ARN", &secrets())
                .expect("a credential to check pushes against");
            assert!(credential.current().admits(Some("Bearer configured")));
            assert!(!credential.current().admits(None));
        }
        assert!(credential::<Authorization>(&None, &None, "X", &secrets()).is_none());
    }

    #[test]
    #[should_panic(expected = "SSF_AUTHORIZATION_SECRET_ARN was not read")]
    fn a_secret_never_read_stops_the_start_rather_than_leave_pushes_unchecked() {
        let arn: Option<SecretArn> = Some(ARN.parse().unwrap());
        let _ =
            credential::<Authorization>(&None, &arn, "SSF_AUTHORIZATION_SECRET_ARN", &secrets());
    }
}
