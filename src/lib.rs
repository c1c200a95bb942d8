//! # cognito-signout-responder
//!
//! An AWS Lambda function that answers "this account is compromised" alerts by calling
//! Amazon Cognito's `AdminUserGlobalSignOut`, which signs the user out of every device and
//! revokes every refresh token Cognito issued to them. Alerts arrive as SQS batches,
//! EventBridge events or direct invocations. An alert that cannot be acted on goes to a
//! dead-letter queue chosen by its error class, with the reason attached; one that may
//! succeed later is left to its event source to deliver again. Nothing is dropped, and one
//! bad alert never holds up its batch-mates. The README and the pages under `docs/` are
//! the external contract this crate implements (`docs/alert-sources.md` for what it reads,
//! `docs/alerts-and-dead-letters.md` for what becomes of each alert).
//!
//! # Layout
//!
//! Follow one alert from the entry point:
//!
//! - `main.rs` reads the [`Config`] once, builds the AWS adapters once ([`aws_responder`])
//!   and hands each invocation to [`invocation::handle`].
//! - [`invocation`]: one Lambda invocation end to end: payload in, [`Report`] settled, one log
//!   line per alert, one metrics document, the return value the event source expects.
//! - `core/` is the pure centre: no I/O, no async, and no SDK, runtime or HTTP crate (the
//!   architecture test forbids them):
//!   - `payload`: the invocation payloads (SQS, EventBridge, direct, CloudWatch Logs,
//!     Security Hub findings), told apart by shape, as [`Record`]s with their [`Provenance`]
//!     (when the alert was raised; whether Cognito itself wrote it);
//!   - `document`: the one way to read names from JSON (strict names, repeated keys refused,
//!     unused members skipped unread, one pool however many name it);
//!   - `alert`: finding the user, the pool and the actions asked in one alert document
//!     (shapes A to D, findings);
//!   - `threat`: the threat-protection rule (act on a takeover at or above
//!     `THREAT_MIN_RISK_LEVEL` or on compromised credentials, ignore the rest);
//!   - `identity`: [`UserPoolId`], [`Username`] and [`Target`], the workspace's one
//!     vocabulary (`crates/cognito-names`);
//!   - `action`: the containment actions ([`Action`], [`Actions`]) and what an alert asks;
//!   - `decision`: admitting a record ([`Policy`], the allow-lists of pools and actions) and
//!     judging a call's result (retry, dead-letter, `MAX_RECEIVE_COUNT`, `USER_NOT_FOUND`);
//!   - `plan`: a batch laid out before anything is called: refused records, shared calls
//!     (each [`Call`] owning its callers and actions), FIFO groups, dry run;
//!   - `already`: the "already signed out" rule ([`Recorded`]);
//!   - `letter`: the [`DeadLetter`] message, its queue, and its fallback form;
//!   - `outcome`: how each alert ended ([`Outcome`], [`Settlement`], [`Taken`], [`Report`]);
//!   - `response`: the return value, from the [`Report`] alone;
//!   - `revocation`: the cutoff and the signed-out event that follow a sign-out;
//!   - `failure`, `error_class`, `call_error`: what went wrong, its contract class, and a
//!     failed remote call as plain data ([`CallError`]);
//!   - `text`: values someone else chose, made safe and bounded;
//!   - `timeouts`: the deadline arithmetic, on the core's own `Moment`.
//! - `responder/` executes a plan: [`Responder`] runs the groups concurrently; every outbound
//!   call waits for its permit and is cut off in time (`permit`), user-update calls take a
//!   slot of the rate cap (`rate`); dead letters are batched (`mailroom`); what follows a
//!   sign-out is the revocation step (`revoke`); the instance remembers whom it signed out
//!   (`recall`).
//! - The ports, each beside its AWS adapter, which owns its SDK's conversions and errors:
//!   - `sign_out/`: the [`SignOut`] port (the three actions and the user read) and `cognito`
//!     ([`CognitoSignOut`], one SDK client per region; `accounts`: credentials in other
//!     accounts through `sts:AssumeRole`);
//!   - `dead_letters/`: the [`DeadLetters`] port and `sqs` ([`SqsDeadLetters`],
//!     `SendMessageBatch`);
//!   - `revocation/`: the [`Revocations`] port, its [`Scope`] decided when the adapter is
//!     built, `aws` ([`AwsRevocations`]: cutoffs in DynamoDB through the
//!     `cognito-revocation` library, events through EventBridge) and `void` (off).
//!   - `aws_error`: an SDK error made into a [`CallError`], for every adapter.
//! - The edges: [`config`] (the environment, each value parsing itself), [`metrics`]
//!   (CloudWatch Embedded Metric Format), [`logging`] (the runtime's log set-up, wire-level
//!   crates capped). All three are built on the `lambda-edge` crate, which every binary of
//!   the workspace shares: the environment reader, the EMF sink, the start-up sequence.

#![warn(missing_docs)]

mod aws_error;
mod core;
mod dead_letters;
mod responder;
mod revocation;
mod sign_out;

pub mod config;
pub mod invocation;
/// The log set-up, shared with the authorizer (`crates/lambda-edge`).
pub use lambda_edge::logging;
pub mod metrics;

pub use crate::config::{Config, ConfigError};
pub use crate::core::action::{Action, Actions, Asked, UnknownAction};
pub use crate::core::alert::{parse_strict, AlertDecoder, JsonPointer};
pub use crate::core::already::{is_already_handled, Recorded};
pub use crate::core::call_error::CallError;
pub use crate::core::decision::{
    ActionPolicy, Admission, AllowedPools, Policy, Request, UserNotFoundPolicy, Verdict,
};
pub use crate::core::error_class::ErrorClass;
pub use crate::core::failure::Failure;
pub use crate::core::identity::{NameError, Target, UserPoolId, Username};
pub use crate::core::letter::{
    BodyEncoding, DeadLetter, DeadLetterError, DeadLetterRoutes, MAX_BATCH_ENTRIES,
    MAX_MESSAGE_BYTES,
};
pub use crate::core::outcome::{Outcome, OutcomeKind, Report, Settlement, Taken};
pub use crate::core::payload::{Batch, Origin, Provenance, Record, Source};
pub use crate::core::plan::{plan, Call, Group, Mode, Plan, Step};
pub use crate::core::revocation::{RevocationError, SignedOut};
pub use crate::core::settings::Settings;
pub use crate::core::threat::{IgnoreReason, RiskLevel};
pub use crate::core::timeouts::Timeouts;
pub use crate::dead_letters::memory::MemoryDeadLetters;
pub use crate::dead_letters::sqs::SqsDeadLetters;
pub use crate::dead_letters::DeadLetters;
pub use crate::responder::Responder;
pub use crate::revocation::aws::{AwsRevocations, RevocationTargets};
pub use crate::revocation::memory::MemoryRevocations;
pub use crate::revocation::void::NoRevocations;
pub use crate::revocation::{Revocations, Scope};
pub use crate::sign_out::cognito::{
    disable_error, lookup_error, reset_error, sign_out_error, CognitoSignOut,
};
pub use crate::sign_out::memory::{MemorySignOut, ScriptedAnswer};
pub use crate::sign_out::{SignOut, UserRecord};
pub use cognito_names::QueueUrl;

use aws_config::SdkConfig;
use lambda_edge::Binary;

/// This function, as start-up names it: the prefix of its refusals, its function name in a
/// local run, and why it needs a region.
pub const RESPONDER: Binary = Binary {
    name: "cognito-signout-responder",
    region_for: "the region of the dead-letter queues",
};

/// The responder the function runs: Cognito, SQS, DynamoDB and EventBridge through the AWS
/// SDK.
pub type AwsResponder = Responder<CognitoSignOut, SqsDeadLetters, AwsRevocations>;

/// Builds the [`AwsResponder`] from the start-up SDK configuration, the function's
/// configuration and the remote calls' time limits.
pub fn aws_responder(sdk: &SdkConfig, config: &Config, timeouts: Timeouts) -> AwsResponder {
    Responder::new(
        CognitoSignOut::new(sdk, &timeouts).with_cross_account(sdk, config.cross_account.clone()),
        SqsDeadLetters::new(sdk, &timeouts),
        AwsRevocations::new(sdk, &timeouts, config.revocation_targets.clone()),
        config.responder.clone(),
        timeouts,
    )
}
