//! [`Responder`]: settles every record of an invocation, calling Cognito and the dead-letter
//! queues through their ports.
//!
//! The order of work: admit every record (pure), share one call among the records that name
//! the same user, then settle the records with at most `MAX_CONCURRENCY` Cognito calls in
//! flight and no call starting faster than `MAX_REQUESTS_PER_SECOND` or later than the
//! deadline allows. Records of one FIFO message group are settled in order, and once one is
//! to be retried the rest of its group is retried unprocessed. Each record ends in exactly
//! one [`Settlement`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use tokio::sync::{OnceCell, Semaphore};
use tokio::time::Instant;

use crate::alert::Target;
use crate::config::Config;
use crate::dead_letter::{DeadLetter, DeadLetterError, DeadLetters};
use crate::decision::{Policy, Verdict};
use crate::failure::Failure;
use crate::payload::{Batch, Record, Source};
use crate::rate::RateLimiter;
use crate::sign_out::{SignOut, SignOutError};
use crate::timeouts::Timeouts;

/// Where an alert ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The user was signed out (or, with `USER_NOT_FOUND=ignore`, does not exist).
    SignedOut,
    /// The alert is in the dead-letter queue of its class.
    DeadLettered,
    /// The alert is left to its event source to deliver again.
    Retry,
}

impl Outcome {
    /// The outcome as logs and summaries spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::SignedOut => "signed-out",
            Outcome::DeadLettered => "dead-lettered",
            Outcome::Retry => "retry",
        }
    }
}

/// How one record ended, and why.
#[derive(Debug)]
pub struct Settlement {
    /// The record's message id.
    pub message_id: String,
    /// Its outcome.
    pub outcome: Outcome,
    /// Why it was not plainly signed out; its class is the record's error class.
    pub failure: Option<Failure>,
    /// The user and pool, when the alert named valid ones.
    pub target: Option<Target>,
    /// Set when the dead-letter send failed and the record is retried instead.
    pub dead_letter_error: Option<DeadLetterError>,
    /// The record's receive count.
    pub receive_count: Option<u32>,
    /// Decided under `DRY_RUN`: nothing was called.
    pub dry_run: bool,
}

/// Everything an invocation settled, for the return value, logs and metrics.
#[derive(Debug)]
pub struct Report {
    /// The payload kind.
    pub source: Source,
    /// One settlement per record, in the order of the records.
    pub settlements: Vec<Settlement>,
    /// How long each Cognito call took.
    pub call_latencies: Vec<Duration>,
}

/// The result of one shared Cognito call.
#[derive(Debug, Clone)]
enum CallError {
    Api(Arc<SignOutError>),
    /// Not started: too little time left.
    DeadlineReached,
    /// Started, and abandoned at the cutoff.
    CutOff,
}

type CallResult = Result<(), CallError>;

/// One call shared by every record of a batch that names the same user.
type SharedCall = Arc<OnceCell<CallResult>>;

/// A record waiting to be settled: its index, and its target with its shared call, or why it
/// was not admitted.
type Pending = (usize, Result<(Target, SharedCall), Failure>);

/// Settles invocations. Built once per instance, at cold start.
#[derive(Debug)]
pub struct Responder<S, D> {
    signer: S,
    dead_letters: D,
    policy: Policy,
    dry_run: bool,
    calls: Semaphore,
    sends: Semaphore,
    limiter: Option<RateLimiter>,
    timeouts: Timeouts,
}

impl<S: SignOut, D: DeadLetters> Responder<S, D> {
    /// A responder that signs out through `signer` and dead-letters through `dead_letters`.
    pub fn new(signer: S, dead_letters: D, config: &Config, timeouts: Timeouts) -> Self {
        Self {
            signer,
            dead_letters,
            policy: Policy {
                decoder: config.decoder.clone(),
                allowed_pools: config.allowed_pools.clone(),
                user_not_found: config.user_not_found,
                max_receive_count: config.max_receive_count,
            },
            dry_run: config.dry_run,
            calls: Semaphore::new(config.max_concurrency),
            sends: Semaphore::new(config.max_concurrency),
            limiter: config.max_requests_per_second.map(RateLimiter::new),
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

    /// Settles every record of `batch` before `deadline`.
    pub async fn settle(&self, batch: &Batch, deadline: Instant) -> Report {
        let latencies = Mutex::new(Vec::new());
        let fifo = matches!(batch.source, Source::Sqs { fifo: true });
        let mut calls: HashMap<Target, SharedCall> = HashMap::new();
        let mut groups: Vec<Vec<Pending>> = Vec::new();
        let mut group_of: HashMap<&str, usize> = HashMap::new();
        for (index, record) in batch.records.iter().enumerate() {
            let admitted = self.policy.admit(record).map(|target| {
                let call = calls.entry(target.clone()).or_default().clone();
                (target, call)
            });
            let group = match record.group_id.as_deref() {
                Some(id) if fifo => *group_of.entry(id).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                }),
                _ => {
                    groups.push(Vec::new());
                    groups.len() - 1
                }
            };
            groups[group].push((index, admitted));
        }

        let settled = join_all(groups.into_iter().map(|group| {
            let latencies = &latencies;
            async move {
                let mut out = Vec::with_capacity(group.len());
                let mut blocked_by = None;
                for (index, admitted) in group {
                    let record = &batch.records[index];
                    let settlement = match blocked_by {
                        Some(class) => retry(record, None, Failure::GroupBlocked(class)),
                        None => self.settle_one(record, admitted, deadline, latencies).await,
                    };
                    if fifo && settlement.outcome == Outcome::Retry {
                        blocked_by = settlement.failure.as_ref().map(Failure::class);
                    }
                    out.push((index, settlement));
                }
                out
            }
        }))
        .await;

        let mut settlements: Vec<(usize, Settlement)> = settled.into_iter().flatten().collect();
        settlements.sort_by_key(|(index, _)| *index);
        Report {
            source: batch.source,
            settlements: settlements.into_iter().map(|(_, s)| s).collect(),
            call_latencies: latencies.into_inner().unwrap_or_else(|p| p.into_inner()),
        }
    }

    async fn settle_one(
        &self,
        record: &Record,
        admitted: Result<(Target, SharedCall), Failure>,
        deadline: Instant,
        latencies: &Mutex<Vec<Duration>>,
    ) -> Settlement {
        let (target, call) = match admitted {
            Ok(admitted) => admitted,
            Err(failure) => {
                // A forbidden pool's names are valid: its dead letter and log line carry them.
                let target = failure.target().cloned();
                return self.dead_letter(record, target, failure, deadline).await;
            }
        };
        if self.dry_run {
            return Settlement {
                dry_run: true,
                ..signed_out(record, target, None)
            };
        }
        let result = call
            .get_or_init(|| self.call(&target, deadline, latencies))
            .await
            .clone();
        let failure = match result {
            Ok(()) => return signed_out(record, target, None),
            Err(CallError::Api(err)) => Failure::SignOut(err),
            Err(CallError::DeadlineReached) => Failure::DeadlineReached,
            Err(CallError::CutOff) => Failure::CallCutOff,
        };
        match self.policy.judge(failure, record.receive_count) {
            Verdict::SignedOut(failure) => signed_out(record, target, Some(failure)),
            Verdict::Retry(failure) => retry(record, Some(target), failure),
            Verdict::DeadLetter(failure) => {
                self.dead_letter(record, Some(target), failure, deadline)
                    .await
            }
        }
    }

    /// One Cognito call, if the deadline, the concurrency cap and the rate cap allow it.
    async fn call(
        &self,
        target: &Target,
        deadline: Instant,
        latencies: &Mutex<Vec<Duration>>,
    ) -> CallResult {
        let latest = self
            .timeouts
            .latest_call_start(deadline)
            .ok_or(CallError::DeadlineReached)?;
        if Instant::now() > latest {
            return Err(CallError::DeadlineReached);
        }
        let _permit = self
            .calls
            .acquire()
            .await
            .map_err(|_| CallError::DeadlineReached)?;
        if Instant::now() > latest {
            return Err(CallError::DeadlineReached);
        }
        if let Some(limiter) = &self.limiter {
            if !limiter.acquire_by(latest).await {
                return Err(CallError::DeadlineReached);
            }
        }
        let started = Instant::now();
        let cutoff = self.timeouts.call_cutoff(deadline);
        let result = tokio::time::timeout_at(cutoff, self.signer.sign_out(target)).await;
        latencies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(started.elapsed());
        match result {
            Ok(done) => done.map_err(|err| CallError::Api(Arc::new(err))),
            Err(_) => Err(CallError::CutOff),
        }
    }

    async fn dead_letter(
        &self,
        record: &Record,
        target: Option<Target>,
        failure: Failure,
        deadline: Instant,
    ) -> Settlement {
        let settlement = |outcome, dead_letter_error, target, failure| Settlement {
            message_id: record.message_id.clone(),
            outcome,
            failure: Some(failure),
            target,
            dead_letter_error,
            receive_count: record.receive_count,
            dry_run: self.dry_run,
        };
        if self.dry_run {
            return settlement(Outcome::DeadLettered, None, target, failure);
        }
        let letter = DeadLetter::new(
            record,
            &failure,
            target.as_ref().map(|t| t.pool.as_str()),
            target.as_ref().map(|t| t.user.as_str()),
        );
        let in_time = |now: Instant| {
            self.timeouts
                .latest_dead_letter_start(deadline)
                .is_some_and(|latest| now <= latest)
        };
        if !in_time(Instant::now()) {
            return retry(record, target, failure);
        }
        let Ok(_permit) = self.sends.acquire().await else {
            return retry(record, target, failure);
        };
        if !in_time(Instant::now()) {
            return retry(record, target, failure);
        }
        let cutoff = self.timeouts.dead_letter_cutoff(deadline);
        match tokio::time::timeout_at(cutoff, self.dead_letters.send(&letter)).await {
            Ok(Ok(())) => settlement(Outcome::DeadLettered, None, target, failure),
            Ok(Err(err)) => settlement(Outcome::Retry, Some(err), target, failure),
            Err(_) => settlement(
                Outcome::Retry,
                Some(DeadLetterError::CutOff),
                target,
                failure,
            ),
        }
    }
}

fn signed_out(record: &Record, target: Target, failure: Option<Failure>) -> Settlement {
    Settlement {
        message_id: record.message_id.clone(),
        outcome: Outcome::SignedOut,
        failure,
        target: Some(target),
        dead_letter_error: None,
        receive_count: record.receive_count,
        dry_run: false,
    }
}

fn retry(record: &Record, target: Option<Target>, failure: Failure) -> Settlement {
    Settlement {
        message_id: record.message_id.clone(),
        outcome: Outcome::Retry,
        failure: Some(failure),
        target,
        dead_letter_error: None,
        receive_count: record.receive_count,
        dry_run: false,
    }
}
