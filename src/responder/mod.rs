//! [`Responder`]: executes a batch's [`Plan`], calling Cognito and the dead-letter queues
//! through their ports, and settles every record in exactly one [`Outcome`].
//!
//! The plan (pure, [`crate::core::plan`]) has already refused what cannot be acted on, shared
//! one call among the records that name the same user, and grouped FIFO records. Here the
//! groups run concurrently: a call starts only with a permit (at most `MAX_CONCURRENCY` in
//! flight), a slot of the rate cap and enough time left ([`permit`], [`rate`]); letters go
//! out in batches ([`mailroom`]). In an ordered group, once one record is to be retried the
//! rest are retried unprocessed.
//!
//! With revocation on, a user's shared call goes on after the sign-out: `AdminGetUser` for
//! the `sub` (under the same concurrency cap, but not the rate cap: it belongs to another
//! Cognito quota category and is made at most once per signed-out user, so it never runs
//! faster than the sign-outs), the cutoff, and the signed-out event, gathered with the other
//! users' into `PutEvents` requests. The sign-out is never delayed by any of it; a failure
//! after it makes the records that named the user retries.

pub mod gather;
pub mod mailroom;
pub mod permit;
pub mod rate;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures_util::future::join_all;
use tokio::sync::{OnceCell, Semaphore};
use tokio::time::Instant;

use crate::core::decision::{Policy, Verdict};
use crate::core::failure::Failure;
use crate::core::identity::Target;
use crate::core::letter::{DeadLetter, DeadLetterRoutes};
use crate::core::outcome::{Outcome, Report, Settlement};
use crate::core::payload::{Batch, Record};
use crate::core::plan::{plan, Group, Step};
use crate::core::revocation::{
    RevocationError, RevocationPolicy, SignedOut, MAX_EVENTS_BYTES, MAX_EVENTS_PER_REQUEST,
};
use crate::core::timeouts::Timeouts;
use crate::dead_letters::DeadLetters;
use crate::revocation::Revocations;
use crate::sign_out::SignOut;
use gather::Gather;
use mailroom::Mailroom;
use permit::permit_before;
use rate::RateLimiter;

/// What the responder needs from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The decisions' settings.
    pub policy: Policy,
    /// Where each class's letters go.
    pub routes: DeadLetterRoutes,
    /// `MAX_CONCURRENCY`: Cognito calls (and dead-letter requests) in flight at once.
    pub max_concurrency: usize,
    /// `MAX_REQUESTS_PER_SECOND`; `None` for no cap.
    pub max_requests_per_second: Option<f64>,
    /// `DRY_RUN`: decide, call nothing, send nothing.
    pub dry_run: bool,
    /// What follows a sign-out; `None` when neither `REVOCATION_TABLE` nor `EVENT_BUS_NAME`
    /// is set.
    pub revocation: Option<RevocationPolicy>,
}

/// Settles invocations. Built once per instance, at cold start.
#[derive(Debug)]
pub struct Responder<S, D, R> {
    signer: S,
    dead_letters: D,
    revocations: R,
    settings: Settings,
    calls: Semaphore,
    sends: Semaphore,
    limiter: Option<RateLimiter>,
    timeouts: Timeouts,
}

/// The shared result of one Cognito call: `Err` holds the failure every record naming the
/// user shares.
type CallResult = Result<(), Failure>;

/// One invocation's state: the plan's shared calls and who shares them, the mailroom, the
/// events being gathered, the latencies and counts.
struct Run<'a, D> {
    batch: &'a Batch,
    deadline: Instant,
    /// The time limits fitted to this invocation's remaining time.
    timeouts: Timeouts,
    calls: Vec<OnceCell<CallResult>>,
    callers: Vec<Vec<String>>,
    mailroom: Mailroom<'a, D>,
    events: Gather<(), SignedOut, RevocationError>,
    latencies: Mutex<Vec<Duration>>,
    counts: RevocationCounts,
}

/// What the revocation steps did in one invocation.
#[derive(Debug, Default)]
struct RevocationCounts {
    cutoffs_recorded: AtomicUsize,
    cutoff_failures: AtomicUsize,
    events_published: AtomicUsize,
    event_failures: AtomicUsize,
}

impl<S: SignOut, D: DeadLetters, R: Revocations> Responder<S, D, R> {
    /// A responder that signs out through `signer`, dead-letters through `dead_letters` and
    /// records cutoffs and events through `revocations`.
    pub fn new(
        signer: S,
        dead_letters: D,
        revocations: R,
        settings: Settings,
        timeouts: Timeouts,
    ) -> Self {
        Self {
            signer,
            dead_letters,
            revocations,
            calls: Semaphore::new(settings.max_concurrency),
            sends: Semaphore::new(settings.max_concurrency),
            limiter: settings.max_requests_per_second.map(RateLimiter::new),
            settings,
            timeouts,
        }
    }

    /// The sign-out port, for callers that want to inspect it (tests, benchmarks).
    pub fn signer(&self) -> &S {
        &self.signer
    }

    /// The dead-letter port.
    pub fn dead_letters(&self) -> &D {
        &self.dead_letters
    }

    /// The revocation port.
    pub fn revocations(&self) -> &R {
        &self.revocations
    }

    /// Settles every record of `batch` before `deadline`.
    pub async fn settle(&self, batch: &Batch, deadline: Instant) -> Report {
        let plan = plan(batch, &self.settings.policy);
        let timeouts = self
            .timeouts
            .within(deadline.saturating_duration_since(Instant::now()));
        let run = Run {
            batch,
            deadline,
            timeouts,
            calls: plan.calls.iter().map(|_| OnceCell::new()).collect(),
            callers: plan.callers,
            events: Gather::new(MAX_EVENTS_PER_REQUEST, MAX_EVENTS_BYTES),
            counts: RevocationCounts::default(),
            mailroom: Mailroom::new(
                &self.dead_letters,
                &self.settings.routes,
                &self.sends,
                timeouts,
                deadline,
            ),
            latencies: Mutex::new(Vec::new()),
        };
        let settled = join_all(plan.groups.into_iter().map(|g| self.settle_group(&run, g))).await;
        let mut settlements: Vec<(usize, Settlement)> = settled.into_iter().flatten().collect();
        settlements.sort_by_key(|(index, _)| *index);
        Report {
            source: batch.source,
            dry_run: self.settings.dry_run,
            settlements: settlements.into_iter().map(|(_, s)| s).collect(),
            dead_letter_requests: run.mailroom.requests(),
            cutoffs_recorded: run.counts.cutoffs_recorded.load(Ordering::Relaxed),
            cutoff_failures: run.counts.cutoff_failures.load(Ordering::Relaxed),
            events_published: run.counts.events_published.load(Ordering::Relaxed),
            event_failures: run.counts.event_failures.load(Ordering::Relaxed),
            call_latencies: run
                .latencies
                .into_inner()
                .unwrap_or_else(|p| p.into_inner()),
        }
    }

    async fn settle_group(&self, run: &Run<'_, D>, group: Group) -> Vec<(usize, Settlement)> {
        let mut out = Vec::with_capacity(group.steps.len());
        let mut blocked_by = None;
        for step in group.steps {
            let index = step.record();
            let record = &run.batch.records[index];
            let settlement = match blocked_by {
                Some(class) => Settlement::retry(record, None, Failure::GroupBlocked(class), None),
                None => self.settle_step(run, record, step).await,
            };
            if group.ordered {
                if let Outcome::Retry { failure, .. } = &settlement.outcome {
                    blocked_by = Some(failure.class());
                }
            }
            out.push((index, settlement));
        }
        out
    }

    async fn settle_step(&self, run: &Run<'_, D>, record: &Record, step: Step) -> Settlement {
        let (target, call) = match step {
            // A forbidden pool's names are valid: its dead letter and log line carry them.
            Step::Refuse { failure, .. } => {
                let target = failure.target().cloned();
                return self.dead_letter(run, record, target, failure).await;
            }
            Step::Call { target, call, .. } => (target, call),
            Step::Ignore { reason, target, .. } => {
                return Settlement::ignored(record, target, reason)
            }
        };
        if self.settings.dry_run {
            return Settlement::signed_out(record, target, None);
        }
        let result = run.calls[call]
            .get_or_init(|| self.sign_out_and_revoke(run, &target, call))
            .await;
        let failure = match result {
            Ok(()) => return Settlement::signed_out(record, target, None),
            Err(failure) => failure.clone(),
        };
        match self.settings.policy.judge(failure, record.receive_count) {
            Verdict::SignedOut(failure) => Settlement::signed_out(record, target, Some(failure)),
            Verdict::Retry(failure) => Settlement::retry(record, Some(target), failure, None),
            Verdict::DeadLetter(failure) => {
                self.dead_letter(run, record, Some(target), failure).await
            }
        }
    }

    /// The shared call for one user: the sign-out, then, with revocation on, the cutoff and
    /// the event.
    async fn sign_out_and_revoke(
        &self,
        run: &Run<'_, D>,
        target: &Target,
        call: usize,
    ) -> CallResult {
        self.call(run, target).await?;
        let signed_out_at = SystemTime::now();
        match self.settings.revocation {
            Some(policy) if !self.settings.dry_run => {
                self.revoke(run, target, call, signed_out_at, policy).await
            }
            _ => Ok(()),
        }
    }

    /// After a sign-out: the user's `sub`, the cutoff, the event.
    async fn revoke(
        &self,
        run: &Run<'_, D>,
        target: &Target,
        call: usize,
        signed_out_at: SystemTime,
        policy: RevocationPolicy,
    ) -> CallResult {
        let cut_off = || Failure::Revocation(Arc::new(RevocationError::CutOff));
        let latest = run
            .timeouts
            .latest_call_start(run.deadline)
            .ok_or_else(cut_off)?;
        let cutoff_at = run.timeouts.call_cutoff(run.deadline);
        let sub = {
            let _permit = permit_before(&self.calls, latest)
                .await
                .ok_or_else(cut_off)?;
            tokio::time::timeout_at(cutoff_at, self.signer.subject(target))
                .await
                .map_err(|_| cut_off())?
                .map_err(|err| Failure::SignOut(Arc::new(err)))?
        };
        let user = SignedOut {
            target: target.clone(),
            sub,
            signed_out_at,
            alert_message_ids: run.callers.get(call).cloned().unwrap_or_default(),
        };
        if policy.cutoffs {
            let cutoff = user
                .cutoff(policy.retention)
                .ok_or_else(|| Failure::Revocation(Arc::new(RevocationError::UnusableSub)))?;
            let recorded =
                match tokio::time::timeout_at(cutoff_at, self.revocations.record(&cutoff)).await {
                    Ok(result) => result,
                    Err(_) => Err(RevocationError::CutOff),
                };
            let counter = match recorded {
                Ok(()) => &run.counts.cutoffs_recorded,
                Err(_) => &run.counts.cutoff_failures,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            recorded.map_err(|err| Failure::Revocation(Arc::new(err)))?;
            tracing::info!(
                user_pool_id = target.pool.as_str(),
                username = target.user.as_str(),
                sub = %crate::core::text::loggable(&user.sub, 256),
                revoked_before = cutoff.revoked_before().get(),
                expires_at = cutoff.expires_at().get(),
                "cutoff recorded"
            );
        }
        if policy.events {
            let size = user.event_detail().len() + 256;
            let published = run
                .events
                .post(
                    (),
                    user,
                    size,
                    latest,
                    |(), users| self.publish(run, users),
                    || RevocationError::Other("no result for the event".to_owned()),
                )
                .await;
            let counter = match published {
                Ok(()) => &run.counts.events_published,
                Err(_) => &run.counts.event_failures,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            published.map_err(|err| Failure::Revocation(Arc::new(err)))?;
        }
        Ok(())
    }

    /// One `PutEvents` request, cut off with the Cognito calls.
    async fn publish(
        &self,
        run: &Run<'_, D>,
        users: Vec<SignedOut>,
    ) -> Vec<Result<(), RevocationError>> {
        let cutoff_at = run.timeouts.call_cutoff(run.deadline);
        match tokio::time::timeout_at(cutoff_at, self.revocations.publish(&users)).await {
            Ok(results) => results,
            Err(_) => users.iter().map(|_| Err(RevocationError::CutOff)).collect(),
        }
    }

    /// One Cognito call, if the deadline, the concurrency cap and the rate cap allow it.
    async fn call(&self, run: &Run<'_, D>, target: &Target) -> CallResult {
        let latest = run
            .timeouts
            .latest_call_start(run.deadline)
            .ok_or(Failure::DeadlineReached)?;
        let _permit = permit_before(&self.calls, latest)
            .await
            .ok_or(Failure::DeadlineReached)?;
        if let Some(limiter) = &self.limiter {
            if !limiter.acquire_by(latest).await {
                return Err(Failure::DeadlineReached);
            }
        }
        let started = Instant::now();
        let cutoff = run.timeouts.call_cutoff(run.deadline);
        let result = tokio::time::timeout_at(cutoff, self.signer.sign_out(target)).await;
        run.latencies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(started.elapsed());
        match result {
            Ok(done) => done.map_err(|err| Failure::SignOut(Arc::new(err))),
            Err(_) => Err(Failure::CallCutOff),
        }
    }

    /// Dead-letters `record` for `failure`; a letter that is not stored leaves the record
    /// for redelivery.
    async fn dead_letter(
        &self,
        run: &Run<'_, D>,
        record: &Record,
        target: Option<Target>,
        failure: Failure,
    ) -> Settlement {
        if self.settings.dry_run {
            return Settlement::dead_lettered(record, target, failure);
        }
        let letter = DeadLetter::new(record, &failure, target.as_ref());
        match run.mailroom.post(letter).await {
            Ok(()) => Settlement::dead_lettered(record, target, failure),
            Err(err) => Settlement::retry(record, target, failure, Some(err)),
        }
    }
}
