//! The revocation port and its adapters: what follows a sign-out when revocation is on.
//!
//! [`Revocations`] records a user's cutoff and publishes signed-out events, and says once, in
//! its [`Scope`], which of the two it does: "off" is an adapter ([`void::NoRevocations`], or
//! an AWS adapter built with neither a table nor a bus), decided at start-up, never a flag the
//! runner re-checks. [`aws::AwsRevocations`] is the real adapter (the revocation library's
//! DynamoDB store, and EventBridge `PutEvents`), and owns the conversion of the core's
//! [`SignedOut`] into the cutoff item and the event; tests use in-memory fakes.

pub mod aws;
pub mod memory;
pub mod void;

use std::future::Future;

use cognito_names::Subject;

use crate::core::already::Recorded;
use crate::core::identity::Target;
use crate::core::revocation::{RevocationError, SignedOut};

/// What a revocation adapter writes after a sign-out, fixed when it is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Nothing: no cutoff, no event, so no `sub` lookup either.
    #[default]
    Off,
    /// A cutoff per user (`REVOCATION_TABLE`).
    Cutoffs,
    /// An event per user (`EVENT_BUS_NAME`).
    Events,
    /// Both.
    CutoffsAndEvents,
}

impl Scope {
    /// The scope of a deployment with (or without) a table and a bus.
    pub fn of(table: bool, bus: bool) -> Self {
        match (table, bus) {
            (false, false) => Scope::Off,
            (true, false) => Scope::Cutoffs,
            (false, true) => Scope::Events,
            (true, true) => Scope::CutoffsAndEvents,
        }
    }

    /// Whether cutoffs are recorded.
    pub fn cutoffs(self) -> bool {
        matches!(self, Scope::Cutoffs | Scope::CutoffsAndEvents)
    }

    /// Whether events are published.
    pub fn events(self) -> bool {
        matches!(self, Scope::Events | Scope::CutoffsAndEvents)
    }
}

/// Records cutoffs and publishes signed-out events.
pub trait Revocations: Send + Sync {
    /// What this adapter writes; the runner does only that (and no lookup when [`Scope::Off`]).
    fn scope(&self) -> Scope;

    /// Records `user`'s cutoff, only ever raising a stored one; `Ok` also when a later cutoff
    /// was already there.
    fn record(&self, user: &SignedOut) -> impl Future<Output = Result<(), RevocationError>> + Send;

    /// The user's sequence as the cutoff table records it (a strongly consistent read), `None`
    /// when it holds none; asked only when the scope records cutoffs.
    fn recorded(
        &self,
        target: &Target,
        sub: &Subject,
    ) -> impl Future<Output = Result<Option<Recorded>, RevocationError>> + Send;

    /// Publishes one `Cognito User Signed Out` event per user in `users` (at most
    /// `MAX_EVENTS_PER_REQUEST`) in one request; one result per
    /// user, in order.
    fn publish(
        &self,
        users: &[SignedOut],
    ) -> impl Future<Output = Vec<Result<(), RevocationError>>> + Send;
}
