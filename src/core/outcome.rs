//! How an alert ended: an [`Outcome`] that carries exactly the data of its ending, beside the
//! alert's identity, in a [`Settlement`]. Logs, metrics and return values read it as it is;
//! there is no combination of fields to re-check, because none that cannot happen can be
//! built.

use std::time::Duration;

use crate::core::action::{Action, Actions};
use crate::core::error_class::ErrorClass;
use crate::core::failure::Failure;
use crate::core::identity::Target;
use crate::core::letter::DeadLetterError;
use crate::core::payload::{Record, Source};
use crate::core::threat::IgnoreReason;

/// Where an alert ended, with what that ending needs to be told. Each variant carries the
/// user the alert named where it has one: always for a sign-out, when valid otherwise.
#[derive(Debug)]
pub enum Outcome {
    /// The user was signed out. `ignored` holds the failure the policy chose to count as a
    /// sign-out (`USER_NOT_FOUND=ignore`: a user who does not exist has no session).
    SignedOut {
        /// The user and pool signed out.
        target: Target,
        /// The failure counted as signed out, if any.
        ignored: Option<Failure>,
        /// No call was made: the user's whole sequence was recorded after the alert was
        /// raised, with every action it asks (code `AlreadySignedOut`, docs/alerts-and-dead-letters.md#already-signed-out-alert-storms-cost-one-call-per-user).
        already: bool,
    },
    /// The alert is stored in the dead-letter queue of its failure's class.
    DeadLettered {
        /// Why.
        failure: Failure,
        /// The names, when the alert held valid ones.
        target: Option<Target>,
    },
    /// The alert is left to its event source to deliver again.
    Retry {
        /// Why the alert was not settled now.
        failure: Failure,
        /// The names, when the alert held valid ones.
        target: Option<Target>,
        /// Set when the alert was to be dead-lettered but the send failed: the reason it
        /// is retried rather than stored.
        dead_letter_error: Option<DeadLetterError>,
    },
    /// Not an alert: a threat-protection record the rule does not act on, or a CloudWatch
    /// Logs control message. Counted and acknowledged; neither signed out nor dead-lettered
    /// (a pool's log carries every sign-in).
    Ignored {
        /// Why it is not an alert.
        reason: IgnoreReason,
        /// The names, when valid (for the log).
        target: Option<Target>,
    },
}

/// The kind of an [`Outcome`], without its data: what summaries and metrics count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutcomeKind {
    /// See [`Outcome::SignedOut`].
    SignedOut,
    /// See [`Outcome::DeadLettered`].
    DeadLettered,
    /// See [`Outcome::Retry`].
    Retry,
    /// See [`Outcome::Ignored`].
    Ignored,
}

impl OutcomeKind {
    /// Every kind, in the order metrics list them.
    pub const ALL: [OutcomeKind; 4] = [
        OutcomeKind::SignedOut,
        OutcomeKind::DeadLettered,
        OutcomeKind::Retry,
        OutcomeKind::Ignored,
    ];

    /// The outcome as logs and summaries spell it (the contract's names).
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::SignedOut => "signed-out",
            OutcomeKind::DeadLettered => "dead-lettered",
            OutcomeKind::Retry => "retry",
            OutcomeKind::Ignored => "ignored",
        }
    }

    /// The name of the metric that counts this outcome.
    pub fn metric_name(self) -> &'static str {
        match self {
            OutcomeKind::SignedOut => "SignedOut",
            OutcomeKind::DeadLettered => "DeadLettered",
            OutcomeKind::Retry => "Retried",
            OutcomeKind::Ignored => "Ignored",
        }
    }
}

impl Outcome {
    /// The kind of this outcome.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::SignedOut { .. } => OutcomeKind::SignedOut,
            Outcome::DeadLettered { .. } => OutcomeKind::DeadLettered,
            Outcome::Retry { .. } => OutcomeKind::Retry,
            Outcome::Ignored { .. } => OutcomeKind::Ignored,
        }
    }

    /// The failure behind this outcome: the reason of a dead letter or a retry, or the
    /// failure a sign-out ignored.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Outcome::SignedOut { ignored, .. } => ignored.as_ref(),
            Outcome::DeadLettered { failure, .. } | Outcome::Retry { failure, .. } => Some(failure),
            Outcome::Ignored { .. } => None,
        }
    }

    /// The user and pool the alert named, when valid (always, for a sign-out).
    pub fn target(&self) -> Option<&Target> {
        match self {
            Outcome::SignedOut { target, .. } => Some(target),
            Outcome::DeadLettered { target, .. }
            | Outcome::Retry { target, .. }
            | Outcome::Ignored { target, .. } => target.as_ref(),
        }
    }
}

/// One alert's ending: which alert, and its outcome (which names the user).
#[derive(Debug)]
pub struct Settlement {
    message_id: String,
    receive_count: Option<u32>,
    outcome: Outcome,
    taken: Actions,
}

impl Settlement {
    /// `record`'s user was signed out (or `ignored` counts as signed out).
    pub fn signed_out(record: &Record, target: Target, ignored: Option<Failure>) -> Self {
        Self::new(
            record,
            Outcome::SignedOut {
                target,
                ignored,
                already: false,
            },
        )
    }

    /// `record`'s user was signed out after the alert was raised, with every action it asks:
    /// settled with no call.
    pub fn already_signed_out(record: &Record, target: Target) -> Self {
        Self::new(
            record,
            Outcome::SignedOut {
                target,
                ignored: None,
                already: true,
            },
        )
    }

    /// `record` is stored in the dead-letter queue of `failure`'s class.
    pub fn dead_lettered(record: &Record, target: Option<Target>, failure: Failure) -> Self {
        Self::new(record, Outcome::DeadLettered { failure, target })
    }

    /// `record` is left to its event source: `failure` says why, `dead_letter_error` whether
    /// it was meant for a dead-letter queue that could not take it.
    pub fn retry(
        record: &Record,
        target: Option<Target>,
        failure: Failure,
        dead_letter_error: Option<DeadLetterError>,
    ) -> Self {
        let outcome = Outcome::Retry {
            failure,
            target,
            dead_letter_error,
        };
        Self::new(record, outcome)
    }

    /// `record` is not an alert, for `reason`; `target` holds its names when valid.
    pub fn ignored(record: &Record, target: Option<Target>, reason: IgnoreReason) -> Self {
        Self::new(record, Outcome::Ignored { reason, target })
    }

    fn new(record: &Record, outcome: Outcome) -> Self {
        Self {
            message_id: record.message_id.clone(),
            receive_count: record.receive_count,
            outcome,
            taken: Actions::NONE,
        }
    }

    /// The same settlement, naming the actions taken on its user for it (or, under
    /// `DRY_RUN`, that would have been).
    pub fn with_taken(mut self, taken: Actions) -> Self {
        self.taken = taken;
        self
    }

    /// The actions taken on the user for this alert, in the order they ran (none when no
    /// call was made).
    pub fn taken(&self) -> Actions {
        self.taken
    }

    /// The record's message id (SQS `messageId`, EventBridge `id`, or the request id).
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// The record's SQS receive count.
    pub fn receive_count(&self) -> Option<u32> {
        self.receive_count
    }

    /// How it ended.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// The user and pool, when the alert named valid ones (always, for a sign-out).
    pub fn target(&self) -> Option<&Target> {
        self.outcome.target()
    }

    /// The outcome's kind.
    pub fn kind(&self) -> OutcomeKind {
        self.outcome.kind()
    }

    /// Why the alert's dead letter was not stored, for an alert retried because of it.
    pub fn dead_letter_error(&self) -> Option<&DeadLetterError> {
        match &self.outcome {
            Outcome::Retry {
                dead_letter_error, ..
            } => dead_letter_error.as_ref(),
            _ => None,
        }
    }

    /// The code logs and summaries give the outcome: the failure's (as in a dead letter's
    /// `ErrorCode`), or `AlreadySignedOut`.
    pub fn code(&self) -> Option<String> {
        match &self.outcome {
            Outcome::SignedOut { already: true, .. } => Some(ALREADY_SIGNED_OUT.to_owned()),
            outcome => outcome.failure().map(Failure::code),
        }
    }

    /// Whether the alert was settled with no call, its user already signed out.
    pub fn is_already_signed_out(&self) -> bool {
        matches!(self.outcome, Outcome::SignedOut { already: true, .. })
    }

    /// The error class of the outcome's failure, if it has one.
    pub fn class(&self) -> Option<ErrorClass> {
        self.outcome.failure().map(Failure::class)
    }
}

/// The code of an alert settled with no call, its user already signed out.
pub const ALREADY_SIGNED_OUT: &str = "AlreadySignedOut";

/// What one user's shared call did: the actions taken, each failed action's failure, and a
/// failure of what follows the sign-out (the cutoff, the event). Records that share the call
/// each read it for the actions they asked ([`Taken::failure_for`]).
#[derive(Debug, Clone, Default)]
pub struct Taken {
    /// The actions that succeeded (or held already: a reset skipped for a user in
    /// `RESET_REQUIRED`).
    pub actions: Actions,
    /// Each action that failed, in the order they ran.
    pub failed: Vec<(Action, Failure)>,
    /// The bookkeeping after the sign-out failed: every caller is retried.
    pub after: Option<Failure>,
}

impl Taken {
    /// The failure a record asking `asked` ends with, if any: the worst of its actions' (a
    /// failure that is retried over one that is dead-lettered, then the order the actions ran
    /// in), then the bookkeeping's.
    pub fn failure_for(&self, asked: Actions) -> Option<Failure> {
        let mine = || {
            self.failed
                .iter()
                .filter(|(action, _)| asked.contains(*action))
                .map(|(_, failure)| failure)
        };
        mine()
            .find(|f| f.class().is_retryable())
            .or_else(|| mine().next())
            .or(self.after.as_ref())
            .cloned()
    }
}

/// Everything an invocation settled, for the return value, logs and metrics.
#[derive(Debug)]
pub struct Report {
    /// The payload kind.
    pub source: Source,
    /// Decided under `DRY_RUN`: nothing was called, nothing was sent.
    pub dry_run: bool,
    /// One settlement per record, in the order of the records.
    pub settlements: Vec<Settlement>,
    /// How long each Cognito call took.
    pub call_latencies: Vec<Duration>,
    /// How many `SendMessageBatch` requests the dead letters took.
    pub dead_letter_requests: usize,
    /// Cutoffs recorded after a sign-out.
    pub cutoffs_recorded: usize,
    /// Cutoffs that could not be recorded (their records are retried).
    pub cutoff_failures: usize,
    /// Signed-out events published.
    pub events_published: usize,
    /// Signed-out events that could not be published (their records are retried).
    pub event_failures: usize,
    /// Passwords reset (`AdminResetUserPassword` calls that succeeded).
    pub passwords_reset: usize,
    /// Users disabled (`AdminDisableUser` calls that succeeded).
    pub users_disabled: usize,
    /// Alerts settled with no call, their user already signed out.
    pub already_signed_out: usize,
}

impl Report {
    /// How many settlements are of `kind`.
    pub fn count(&self, kind: OutcomeKind) -> usize {
        self.settlements.iter().filter(|s| s.kind() == kind).count()
    }
}
