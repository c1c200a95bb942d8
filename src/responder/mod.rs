//! [`Responder`]: executes a batch's [`Plan`], calling Cognito and the dead-letter queues
//! through their ports, and settles every record in exactly one [`Outcome`].
//!
//! The plan (pure, [`crate::core::plan`]) has already refused what cannot be acted on, shared
//! one call among the records that name the same user, grouped FIFO records, and, under
//! `DRY_RUN`, replaced every call and letter by what would happen. Here the groups run
//! concurrently: every outbound call waits for its permit and is cut off in time
//! ([`permit`]); a Cognito call also takes a slot of the rate cap ([`rate`]); letters go out
//! in batches ([`mailroom`]); what follows a sign-out is the revocation step ([`revoke`]),
//! never delaying the sign-out itself. In an ordered group, once one record is to be retried
//! the rest are retried unprocessed.

pub mod gather;
pub mod mailroom;
pub mod permit;
pub mod rate;
pub mod recall;
pub mod revoke;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures_util::stream::{self, StreamExt};
use tokio::sync::{OnceCell, Semaphore};
use tokio::time::Instant;

use cognito_names::{Subject, UnixSeconds};

use crate::core::action::{Action, Actions};
use crate::core::already::{is_already_handled, Recorded};
use crate::core::decision::{Request, Verdict};
use crate::core::failure::Failure;
use crate::core::identity::Target;
use crate::core::letter::DeadLetter;
use crate::core::outcome::{Outcome, Report, Settlement, Taken};
use crate::core::payload::{Batch, Record};
use crate::core::plan::{plan, Call, Group, Mode, Step};
use crate::core::settings::Settings;
use crate::core::timeouts::Timeouts;
use crate::dead_letters::DeadLetters;
use crate::revocation::{Revocations, Scope};
use crate::sign_out::{SignOut, UserRecord};
use mailroom::Mailroom;
use permit::{in_time, Late};
use rate::RateLimiter;
use recall::Recall;
use revoke::Revoke;

/// Settles invocations. Built once per instance, at cold start.
#[derive(Debug)]
pub struct Responder<S, D, R> {
    signer: S,
    dead_letters: D,
    revocations: R,
    settings: Settings,
    calls: Semaphore,
    lookups: Semaphore,
    /// The cutoff table's reads before a sign-out: DynamoDB's, so not under the bound of
    /// Cognito's lookups (`AdminGetUser`), which they would halve in a storm of lines that
    /// name a `sub`.
    table_reads: Semaphore,
    sends: Semaphore,
    limiter: Option<RateLimiter>,
    timeouts: Timeouts,
    memory: Recall,
}

/// One invocation's state: the plan's shared calls (each with its result once made), the
/// mailroom, the revocation step, the latencies.
struct Run<'a, S, D, R> {
    batch: &'a Batch,
    deadline: Instant,
    /// The time limits fitted to this invocation's remaining time.
    timeouts: Timeouts,
    calls: Vec<(Call, OnceCell<Taken>, OnceCell<Option<Recorded>>)>,
    mailroom: Mailroom<'a, D>,
    revoke: Revoke<'a, S, R>,
    latencies: Mutex<Vec<Duration>>,
    passwords_reset: AtomicUsize,
    users_disabled: AtomicUsize,
    already_signed_out: AtomicUsize,
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
            lookups: Semaphore::new(settings.max_concurrency),
            table_reads: Semaphore::new(settings.max_concurrency),
            sends: Semaphore::new(settings.max_concurrency),
            limiter: settings.max_requests_per_second.map(RateLimiter::new),
            memory: Recall::default(),
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

    /// How many users the instance remembers as signed out (bounded by
    /// `MEMORY_USERS`, 10,000).
    pub fn remembered_users(&self) -> usize {
        self.memory.len()
    }

    /// Settles every record of `batch` before `deadline`.
    pub async fn settle(&self, batch: &Batch, deadline: Instant) -> Report {
        let plan = plan(batch, &self.settings.policy, self.settings.mode);
        let timeouts = self
            .timeouts
            .within(deadline.saturating_duration_since(Instant::now()));
        let run = Run {
            batch,
            deadline,
            timeouts,
            calls: plan
                .calls
                .into_iter()
                .map(|call| (call, OnceCell::new(), OnceCell::new()))
                .collect(),
            mailroom: Mailroom::new(
                &self.dead_letters,
                &self.settings.routes,
                &self.sends,
                timeouts,
                deadline,
            ),
            revoke: Revoke::new(
                &self.signer,
                &self.revocations,
                &self.lookups,
                timeouts,
                deadline,
            ),
            latencies: Mutex::new(Vec::new()),
            passwords_reset: AtomicUsize::new(0),
            users_disabled: AtomicUsize::new(0),
            already_signed_out: AtomicUsize::new(0),
        };
        // Every group may wait for a permit, but only so many can use one: the rest are not
        // started yet, rather than each holding a settled-in-waiting future (tens of KB) for
        // a payload of ten thousand alerts.
        let in_flight = groups_in_flight(self.settings.max_concurrency);
        let settled: Vec<Vec<(usize, Settlement)>> = stream::iter(plan.groups)
            .map(|g| self.settle_group(&run, g))
            .buffer_unordered(in_flight)
            .collect()
            .await;
        let mut settlements: Vec<(usize, Settlement)> = settled.into_iter().flatten().collect();
        settlements.sort_by_key(|(index, _)| *index);
        let counts = run.revoke.counts();
        Report {
            source: batch.source,
            dry_run: self.settings.mode == Mode::DryRun,
            settlements: settlements.into_iter().map(|(_, s)| s).collect(),
            dead_letter_requests: run.mailroom.requests(),
            cutoffs_recorded: counts.cutoffs_recorded,
            cutoff_failures: counts.cutoff_failures,
            events_published: counts.events_published,
            event_failures: counts.event_failures,
            passwords_reset: run.passwords_reset.load(Ordering::Relaxed),
            users_disabled: run.users_disabled.load(Ordering::Relaxed),
            already_signed_out: run.already_signed_out.load(Ordering::Relaxed),
            call_latencies: run
                .latencies
                .into_inner()
                .unwrap_or_else(|p| p.into_inner()),
        }
    }

    async fn settle_group(&self, run: &Run<'_, S, D, R>, group: Group) -> Vec<(usize, Settlement)> {
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
                if let Outcome::Retry { failure, .. } = settlement.outcome() {
                    blocked_by = Some(failure.class());
                }
            }
            out.push((index, settlement));
        }
        out
    }

    async fn settle_step(&self, run: &Run<'_, S, D, R>, record: &Record, step: Step) -> Settlement {
        let (call, request) = match step {
            // A forbidden pool's names are valid: its dead letter and log line carry them.
            Step::Refuse { failure, .. } => {
                let target = failure.target().cloned();
                return self.dead_letter(run, record, target, failure, None).await;
            }
            Step::WouldRefuse { failure, .. } => {
                let target = failure.target().cloned();
                return Settlement::dead_lettered(record, target, failure);
            }
            Step::WouldSignOut {
                target, request, ..
            } => {
                let settlement = match request.refused {
                    None => Settlement::signed_out(record, target, None),
                    Some(refused) => Settlement::dead_lettered(record, Some(target), refused),
                };
                return settlement.with_taken(request.take);
            }
            Step::Ignore { reason, target, .. } => {
                return Settlement::ignored(record, target, reason)
            }
            Step::Call { call, request, .. } => (call, request),
        };
        let (call, result, recorded) = &run.calls[call];
        let target = call.target.clone();
        if let Some(done) = self.recorded(run, call, recorded).await {
            if is_already_handled(request.raised_at_ms, request.asked, &done) {
                run.already_signed_out.fetch_add(1, Ordering::Relaxed);
                return Settlement::already_signed_out(record, target);
            }
        }
        let taken = result.get_or_init(|| self.contain(run, call)).await;
        let mine = taken.actions.and(request.take);
        let settlement = match taken.failure_for(request.take) {
            None => match request.refused.clone() {
                None => Settlement::signed_out(record, target, None),
                // Signed out as every alert naming a user of an allowed pool is; then
                // dead-lettered for what it asked and may not have.
                Some(refused) => {
                    self.dead_letter(run, record, Some(target), refused, Some((&request, mine)))
                        .await
                }
            },
            Some(failure) => match self.settings.policy.judge(failure, record.receive_count) {
                Verdict::SignedOut(failure) => {
                    Settlement::signed_out(record, target, Some(failure))
                }
                Verdict::Retry(failure) => Settlement::retry(record, Some(target), failure, None),
                Verdict::DeadLetter(failure) => {
                    self.dead_letter(run, record, Some(target), failure, Some((&request, mine)))
                        .await
                }
            },
        };
        settlement.with_taken(mine)
    }

    /// What is recorded of `call`'s user: the instance's memory, and, when a line named the
    /// user's `sub` and cutoffs are kept, the cutoff table (one strongly consistent read per
    /// user and invocation, before the sign-out: the price of not spending a quota-bound
    /// write; a failed read skips nothing; an item written for another username is not this
    /// user's).
    async fn recorded(
        &self,
        run: &Run<'_, S, D, R>,
        call: &Call,
        read: &OnceCell<Option<Recorded>>,
    ) -> Option<Recorded> {
        let remembered = self.memory.recall(&call.target);
        let sub = match (&call.cognito_sub, self.revocations.scope().cutoffs()) {
            (Some(sub), true) => sub,
            _ => return remembered,
        };
        let stored = read
            .get_or_init(|| async {
                let latest = run.timeouts.latest_call_start(run.deadline)?;
                let cutoff = run.timeouts.call_cutoff(run.deadline);
                let found = in_time(
                    &self.table_reads,
                    None,
                    latest,
                    cutoff,
                    self.revocations.recorded(&call.target, sub),
                )
                .await;
                match found {
                    Ok(Ok(found)) => found,
                    Ok(Err(err)) => {
                        tracing::warn!(
                            user_pool_id = call.target.pool.as_str(),
                            username = call.target.user.as_str(),
                            error = %err,
                            "the cutoff table could not be read: nothing is skipped"
                        );
                        None
                    }
                    Err(_) => None,
                }
            })
            .await;
        match (remembered, *stored) {
            (Some(a), Some(b)) => Some(a.merge(b)),
            (a, b) => a.or(b),
        }
    }

    /// The shared call for one user: the lock actions asked (a reset, skipped for a user
    /// already in `RESET_REQUIRED`, then a disable), the sign-out, then the revocation step
    /// with the moment the sign-out, the last action, returned. A lock action that fails does
    /// not stop the sign-out; a failed sign-out stops what follows it. The `sub` the
    /// revocation step needs is read (`AdminGetUser`) while the actions run (it does not
    /// depend on them), unless the reset's status read gives it. A user whose whole
    /// sequence succeeded is remembered.
    async fn contain(&self, run: &Run<'_, S, D, R>, call: &Call) -> Taken {
        let target = &call.target;
        let resetting = call.actions.contains(Action::ResetPassword);
        // The `sub` a cutoff is written under is always Cognito's answer for the username
        // signed out: a line's `userSub` may choose which item to read first, never what is
        // written or remembered (a forged one would cut another user's tokens).
        let read_alongside = self.revocations.scope() != Scope::Off && !resetting;
        let alongside = async {
            if read_alongside {
                Some(self.lookup(run, target).await)
            } else {
                None
            }
        };
        let ((mut taken, from_reset), looked) =
            futures_util::future::join(self.take_actions(run, call), alongside).await;
        if !taken.actions.contains(Action::SignOut) {
            return taken;
        }
        let signed_out_at = SystemTime::now();
        let known = match (from_reset, looked) {
            (Some(sub), _) => Some(sub),
            (None, Some(Ok(user))) => Some(user.sub),
            (None, Some(Err(failure))) => {
                taken.after = Some(failure);
                return taken;
            }
            (None, None) => None,
        };
        if let Err(failure) = run
            .revoke
            .after_sign_out(call, taken.actions, known, signed_out_at)
            .await
        {
            taken.after = Some(failure);
        }
        if taken.failed.is_empty() && taken.after.is_none() {
            self.memory.remember(
                target,
                Recorded {
                    revoked_before: UnixSeconds::ceil(signed_out_at),
                    actions: taken.actions,
                },
            );
        }
        taken
    }

    /// The user-update calls, in order: the reset (after a status read, which also gives
    /// the `sub`), the disable, the sign-out. Returns what was taken and the `sub` read.
    async fn take_actions(&self, run: &Run<'_, S, D, R>, call: &Call) -> (Taken, Option<Subject>) {
        let target = &call.target;
        let mut taken = Taken::default();
        let mut known = None;
        if call.actions.contains(Action::ResetPassword) {
            match self.lookup(run, target).await {
                Ok(user) if user.reset_required => {
                    // Locked already: a second reset would only send a second code.
                    taken.actions = taken.actions.with(Action::ResetPassword);
                    known = Some(user.sub);
                }
                Ok(user) => {
                    known = Some(user.sub);
                    self.act(run, &mut taken, Action::ResetPassword, target)
                        .await;
                }
                Err(failure) => taken.failed.push((Action::ResetPassword, failure)),
            }
        }
        if call.actions.contains(Action::Disable) {
            self.act(run, &mut taken, Action::Disable, target).await;
        }
        self.act(run, &mut taken, Action::SignOut, target).await;
        (taken, known)
    }

    /// Takes `action` on `target`, recording the outcome in `taken`; whether it succeeded.
    async fn act(
        &self,
        run: &Run<'_, S, D, R>,
        taken: &mut Taken,
        action: Action,
        target: &Target,
    ) -> bool {
        match self.call(run, action, target).await {
            Ok(()) => {
                taken.actions = taken.actions.with(action);
                match action {
                    Action::ResetPassword => &run.passwords_reset,
                    Action::Disable => &run.users_disabled,
                    Action::SignOut => return true,
                }
                .fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(failure) => {
                taken.failed.push((action, failure));
                false
            }
        }
    }

    /// One user-update call (`action`), if the deadline, the concurrency cap and the rate cap
    /// allow it: the three actions share Cognito's user-update quota, so all three take a slot.
    async fn call(
        &self,
        run: &Run<'_, S, D, R>,
        action: Action,
        target: &Target,
    ) -> Result<(), Failure> {
        let latest = run
            .timeouts
            .latest_call_start(run.deadline)
            .ok_or(Failure::DeadlineReached)?;
        let cutoff = run.timeouts.call_cutoff(run.deadline);
        let started = std::sync::OnceLock::new();
        let result = in_time(&self.calls, self.limiter.as_ref(), latest, cutoff, async {
            let _ = started.set(Instant::now());
            match action {
                Action::SignOut => self.signer.sign_out(target).await,
                Action::ResetPassword => self.signer.reset_password(target).await,
                Action::Disable => self.signer.disable(target).await,
            }
        })
        .await;
        if let Some(started) = started.get() {
            run.latencies
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(started.elapsed());
        }
        match result {
            Ok(done) => done.map_err(|err| Failure::SignOut(Arc::new(err))),
            Err(Late::NotStarted) => Err(Failure::DeadlineReached),
            Err(Late::CutOff) => Err(Failure::CallCutOff),
        }
    }

    /// One read of the user (`AdminGetUser`), under the lookups' own bound and no rate cap
    /// (another Cognito quota category).
    async fn lookup(&self, run: &Run<'_, S, D, R>, target: &Target) -> Result<UserRecord, Failure> {
        let latest = run
            .timeouts
            .latest_call_start(run.deadline)
            .ok_or(Failure::DeadlineReached)?;
        let cutoff = run.timeouts.call_cutoff(run.deadline);
        match in_time(
            &self.lookups,
            None,
            latest,
            cutoff,
            self.signer.lookup(target),
        )
        .await
        {
            Ok(done) => done.map_err(|err| Failure::SignOut(Arc::new(err))),
            Err(Late::NotStarted) => Err(Failure::DeadlineReached),
            Err(Late::CutOff) => Err(Failure::CallCutOff),
        }
    }

    /// Dead-letters `record` for `failure`; a letter that is not stored leaves the record
    /// for redelivery.
    async fn dead_letter(
        &self,
        run: &Run<'_, S, D, R>,
        record: &Record,
        target: Option<Target>,
        failure: Failure,
        actions: Option<(&Request, Actions)>,
    ) -> Settlement {
        let mut letter = DeadLetter::new(record, &failure, target.as_ref());
        if let Some((request, taken)) = actions {
            letter = letter.with_actions(request.asked, taken);
        }
        match run.mailroom.post(letter).await {
            Ok(()) => Settlement::dead_lettered(record, target, failure),
            Err(err) => Settlement::retry(record, target, failure, Some(err)),
        }
    }
}

/// How many groups of records are settled at once, at least: enough to keep every call,
/// lookup and dead-letter permit busy while others wait for theirs.
pub const MIN_GROUPS_IN_FLIGHT: usize = 256;

/// How many groups of records one invocation settles at once with `max_concurrency` permits
/// of each kind: four per permit, at least [`MIN_GROUPS_IN_FLIGHT`]. More would only hold
/// memory (a group's future carries every step it may take) without starting a call sooner.
pub fn groups_in_flight(max_concurrency: usize) -> usize {
    max_concurrency.saturating_mul(4).max(MIN_GROUPS_IN_FLIGHT)
}
