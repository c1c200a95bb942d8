//! The revocation step: what follows one user's sign-out when the revocation port's
//! [`Scope`] is not off. The user's `sub` (given, or `AdminGetUser` under the lookups' own
//! bound and no rate cap: another Cognito quota category), then the signed-out event,
//! gathered with the other users' into `PutEvents` requests, then the cutoff, **last**: a
//! stored cutoff means every step before it succeeded, which is what lets a later alert be
//! skipped on the strength of the table (docs/revocation.md, docs/alerts-and-dead-letters.md#already-signed-out-alert-storms-cost-one-call-per-user). Every call waits for its turn and is cut off in time ([`in_time`]). A failure
//! makes the records that named the user retries; the whole sequence is idempotent.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use cognito_names::Subject;

use crate::core::action::Actions;
use crate::core::failure::Failure;
use crate::core::plan::Call;
use crate::core::revocation::{
    RevocationError, SignedOut, MAX_EVENTS_BYTES, MAX_EVENTS_PER_REQUEST,
};
use crate::core::timeouts::Timeouts;
use crate::responder::gather::Gather;
use crate::responder::permit::in_time;
use crate::revocation::{Revocations, Scope};
use crate::sign_out::SignOut;

/// What the revocation step did in one invocation.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RevocationCounts {
    /// Cutoffs recorded.
    pub cutoffs_recorded: usize,
    /// Cutoffs that could not be recorded.
    pub cutoff_failures: usize,
    /// Events published.
    pub events_published: usize,
    /// Events that could not be published.
    pub event_failures: usize,
}

/// One invocation's revocation step.
pub struct Revoke<'a, S, R> {
    signer: &'a S,
    revocations: &'a R,
    scope: Scope,
    lookups: &'a Semaphore,
    timeouts: Timeouts,
    deadline: Instant,
    events: Gather<(), SignedOut, RevocationError>,
    cutoffs_recorded: AtomicUsize,
    cutoff_failures: AtomicUsize,
    events_published: AtomicUsize,
    event_failures: AtomicUsize,
}

impl<'a, S: SignOut, R: Revocations> Revoke<'a, S, R> {
    /// The step for one invocation: lookups through `signer` (at most as many at once as
    /// `lookups` has permits), cutoffs and events through `revocations`, all in time for
    /// `deadline`.
    pub fn new(
        signer: &'a S,
        revocations: &'a R,
        lookups: &'a Semaphore,
        timeouts: Timeouts,
        deadline: Instant,
    ) -> Self {
        Self {
            signer,
            revocations,
            scope: revocations.scope(),
            lookups,
            timeouts,
            deadline,
            events: Gather::new(MAX_EVENTS_PER_REQUEST, MAX_EVENTS_BYTES),
            cutoffs_recorded: AtomicUsize::new(0),
            cutoff_failures: AtomicUsize::new(0),
            events_published: AtomicUsize::new(0),
            event_failures: AtomicUsize::new(0),
        }
    }

    /// What the step did so far.
    pub fn counts(&self) -> RevocationCounts {
        RevocationCounts {
            cutoffs_recorded: self.cutoffs_recorded.load(Ordering::Relaxed),
            cutoff_failures: self.cutoff_failures.load(Ordering::Relaxed),
            events_published: self.events_published.load(Ordering::Relaxed),
            event_failures: self.event_failures.load(Ordering::Relaxed),
        }
    }

    /// After `call`'s last action (the sign-out) returned at `signed_out_at`, having taken
    /// `actions`: the `sub` (read now, unless a read before the actions gave it as `known`),
    /// the cutoff, the event; nothing at all when the scope is off.
    pub async fn after_sign_out(
        &self,
        call: &Call,
        actions: Actions,
        known: Option<Subject>,
        signed_out_at: SystemTime,
    ) -> Result<(), Failure> {
        if self.scope == Scope::Off {
            return Ok(());
        }
        let cut_off = || Failure::Revocation(std::sync::Arc::new(RevocationError::CutOff));
        let latest = self
            .timeouts
            .latest_call_start(self.deadline)
            .ok_or_else(cut_off)?;
        let cutoff_at = self.timeouts.call_cutoff(self.deadline);
        let sub = match known {
            Some(sub) => sub,
            None => {
                in_time(
                    self.lookups,
                    None,
                    latest,
                    cutoff_at,
                    self.signer.lookup(&call.target),
                )
                .await
                .map_err(|_| cut_off())?
                .map_err(Failure::from)?
                .sub
            }
        };
        let user = SignedOut {
            target: call.target.clone(),
            sub,
            signed_out_at,
            alert_message_ids: call.callers.clone(),
            actions,
        };
        if self.scope.events() {
            let size = user.event_detail().len() + 256;
            let published = self
                .events
                .post(
                    (),
                    user.clone(),
                    size,
                    latest,
                    |(), users| self.publish(users),
                    || RevocationError::Other("no result for the event".to_owned()),
                )
                .await;
            let counter = match published {
                Ok(()) => &self.events_published,
                Err(_) => &self.event_failures,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            published.map_err(|err| Failure::Revocation(std::sync::Arc::new(err)))?;
        }
        if self.scope.cutoffs() {
            let recorded =
                match tokio::time::timeout_at(cutoff_at, self.revocations.record(&user)).await {
                    Ok(result) => result,
                    Err(_) => Err(RevocationError::CutOff),
                };
            let counter = match recorded {
                Ok(()) => &self.cutoffs_recorded,
                Err(_) => &self.cutoff_failures,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            recorded.map_err(|err| Failure::Revocation(std::sync::Arc::new(err)))?;
        }
        Ok(())
    }

    /// One `PutEvents` request, cut off with the Cognito calls.
    async fn publish(&self, users: Vec<SignedOut>) -> Vec<Result<(), RevocationError>> {
        let cutoff_at = self.timeouts.call_cutoff(self.deadline);
        match tokio::time::timeout_at(cutoff_at, self.revocations.publish(&users)).await {
            Ok(results) => results,
            Err(_) => users.iter().map(|_| Err(RevocationError::CutOff)).collect(),
        }
    }
}
