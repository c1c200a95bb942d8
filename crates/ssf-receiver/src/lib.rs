//! # ssf-receiver
//!
//! A Lambda function behind a function URL (or an HTTP API: the payload format 2.0 event)
//! that receives Security Event Tokens (SETs, RFC 8417) from an OpenID Shared Signals
//! Framework 1.0 transmitter by push delivery (RFC 8935) or poll delivery (RFC 8936, on an
//! EventBridge schedule), and turns each into alerts on the signout responder's queue (docs/ssf-receiver.md). The responder does the
//! rest.
//!
//! # Layout
//!
//! Pure core (no I/O), read top to bottom from the bytes to the alerts:
//!
//! - [`set`]: a SET from its text to a [`VerifiedSet`](set::VerifiedSet): size, compact JWS,
//!   header, signature, claims; every [`Refusal`](set::Refusal) with its RFC 8935 `err`.
//! - [`events`]: event type URIs to a [`Plan`](events::Plan) of requests, and
//!   [`merge`](events::merge): one alert per user and SET.
//! - [`subject`]: RFC 9493 subjects and the [`Lookup`](subject::Lookup) that finds their
//!   users.
//! - [`action`]: the responder's action names.
//! - [`authorization`]: the push's `Authorization`, compared in constant time.
//! - [`push`]: the payload format 2.0 request read, the answer written.
//! - [`poll`]: the poll request, its answer read, and each SET's verdict (`ack`, `setErrs`,
//!   or kept for delivery again).
//! - [`metrics`]: the Embedded Metric Format line of a SET.
//! - [`config`]: the environment, read once at start-up.
//!
//! Ports, each in its folder with its adapters and an in-memory one for tests:
//!
//! - [`keys`]: the transmitter's JWKS ([`KeySource`](keys::KeySource); HTTPS with
//!   discovery) and the cache with its refetch limit.
//! - [`users`]: `ListUsers` by `sub`, `email` or `username` ([`Users`](users::Users)).
//! - [`alerts`]: the [`Alert`](alerts::Alert) and its queue
//!   ([`AlertQueue`](alerts::AlertQueue); SQS, each alert confirmed).
//! - [`replays`](mod@replays): `jti`s accepted before ([`replays::Replays`];
//!   DynamoDB, or off).
//! - [`secrets`]: credentials kept in Secrets Manager ([`Secrets`](secrets::Secrets)), read
//!   at start-up and again, at most once a minute, when they stop working
//!   ([`secrets::Rotating`]).
//!
//! And what runs them: [`transmitter`] (the bounded HTTPS client and the URL rule),
//! [`poller`] (the poll endpoint on that client),
//! [`receiver`] (one SET, in order, to a [`Receipt`](receiver::Receipt)) and [`function`]
//! (one invocation: push or poll, log lines, metrics, answer). [`aws_function`] builds the function on
//! the real adapters; `main.rs` only wires things together.

#![warn(missing_docs)]

pub mod action;
pub mod alerts;
pub mod authorization;
pub mod config;
pub mod events;
pub mod function;
pub mod keys;
pub mod metrics;
pub mod poll;
pub mod poller;
pub mod push;
pub mod receiver;
pub mod replays;
pub mod secrets;
pub mod set;
pub mod subject;
pub mod transmitter;
pub mod users;

use std::sync::Arc;

use aws_config::SdkConfig;
use lambda_edge::{Binary, MetricsSink};

use crate::alerts::SqsAlertQueue;
use crate::config::Config;
use crate::keys::{HttpsKeySource, JwksLocation};
use crate::poller::PollEndpoint;
use crate::receiver::{Receiver, Settings};
use crate::replays::{DynamoDbReplays, Replays};
use crate::secrets::{Rotating, SecretArn, SecretSource, SecretsManager, REREAD_INTERVAL};
use crate::set::Expected;
use crate::subject::Directory;
use crate::transmitter::HttpsClient;
use crate::users::CognitoUsers;

/// This function, as start-up names it.
pub const RECEIVER: Binary = Binary {
    name: "ssf-receiver",
    region_for: "the region of the alert queue and the replay table",
};

/// The function on the real adapters, with replay detection on or off.
pub type AwsFunction<R> = function::Function<HttpsKeySource, CognitoUsers, SqsAlertQueue, R>;

/// What the configuration asks of the receiver, apart from its adapters.
pub fn settings(config: &Config) -> Settings {
    Settings {
        expected: Expected {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
        },
        directory: Directory {
            issuer: config.issuer.clone(),
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
/// When a credential's secret is named but its value was not read ([`secrets::resolve`]
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
        HttpsKeySource::new(client.clone(), jwks_location(config)),
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
/// secret `arn` at start-up ([`secrets::resolve`]), read again through `secrets` when it stops
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
            panic!("{variable} was not read: secrets::resolve runs before aws_function")
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
    use crate::authorization::Authorization;
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

#[cfg(test)]
mod architecture {
    /// The pure core and the ports never name an SDK crate: only the adapters do (their
    /// errors reach the core as plain data).
    #[test]
    fn only_adapters_name_an_sdk_crate() {
        let core = [
            ("action.rs", include_str!("action.rs")),
            ("authorization.rs", include_str!("authorization.rs")),
            ("events.rs", include_str!("events.rs")),
            ("function.rs", include_str!("function.rs")),
            ("metrics.rs", include_str!("metrics.rs")),
            ("poll.rs", include_str!("poll.rs")),
            ("poller.rs", include_str!("poller.rs")),
            ("push.rs", include_str!("push.rs")),
            ("receiver.rs", include_str!("receiver.rs")),
            ("set.rs", include_str!("set.rs")),
            ("subject.rs", include_str!("subject.rs")),
            ("alerts/mod.rs", include_str!("alerts/mod.rs")),
            ("keys/mod.rs", include_str!("keys/mod.rs")),
            ("replays/mod.rs", include_str!("replays/mod.rs")),
            ("secrets/mod.rs", include_str!("secrets/mod.rs")),
            ("secrets/rotating.rs", include_str!("secrets/rotating.rs")),
            ("users/mod.rs", include_str!("users/mod.rs")),
        ];
        for (file, text) in core {
            assert!(!text.contains("aws_sdk_"), "{file} names an SDK crate");
            assert!(!text.contains("aws_config"), "{file} names aws_config");
        }
    }
}
