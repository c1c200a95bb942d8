//! [`MemorySignOut`]: an in-memory Cognito for tests and for trying the responder without AWS.
//! It answers each user as scripted (by default `Ok`), after an optional delay in tokio time,
//! records every call and the most ever in flight, keeps the users it reset or disabled, and
//! reports failures as plain [`CallError`]s of the class asked, with Cognito's codes.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use cognito_names::Subject;
use tokio::time::Instant;

use super::{SignOut, UserRecord};
use crate::core::action::Action;
use crate::core::call_error::CallError;
use crate::core::error_class::ErrorClass;
use crate::core::identity::Target;

/// A failure of `operation` of `class`, as Cognito reports it: its code, and the code as the
/// message (a timeout for `transport`).
fn cognito_error(operation: &'static str, class: ErrorClass) -> CallError {
    let code = match class {
        ErrorClass::Invalid => "InvalidParameterException",
        ErrorClass::UserNotFound => "UserNotFoundException",
        ErrorClass::PoolNotFound => "ResourceNotFoundException",
        ErrorClass::NotAuthorized => "NotAuthorizedException",
        ErrorClass::Throttled => "TooManyRequestsException",
        ErrorClass::Internal => "InternalErrorException",
        ErrorClass::Transport => "Timeout",
        _ => "BrandNewException",
    };
    let message = if class == ErrorClass::Transport {
        "request has timed out: attempt timed out"
    } else {
        code
    };
    CallError::new(operation, class, code, message)
}

/// What the in-memory Cognito answers for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptedAnswer {
    /// The call succeeds.
    Ok,
    /// The call fails with an error of this class, as Cognito reports it.
    Fail(ErrorClass),
}

/// An in-memory Cognito: answers per username (default `Ok`), after an optional delay in
/// tokio time, and records every call and the most calls ever in flight at once.
#[derive(Debug, Default)]
pub struct MemorySignOut {
    answers: Mutex<HashMap<String, ScriptedAnswer>>,
    delay: Duration,
    calls: Mutex<Vec<(Target, Instant)>>,
    lookups: Mutex<Vec<Target>>,
    lookup_answers: Mutex<HashMap<String, ScriptedAnswer>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Every user-update call: the action, the user, when it started and when it returned.
    updates: Mutex<Vec<(Action, Target, Instant, Instant)>>,
    /// Answers of the lock actions, per user and action (default `Ok`).
    lock_answers: Mutex<HashMap<(String, Action), ScriptedAnswer>>,
    /// Users whose status is `RESET_REQUIRED` (a successful reset puts them there).
    reset_required: Mutex<HashSet<String>>,
    /// Users a successful disable disabled.
    disabled: Mutex<HashSet<String>>,
}

impl MemorySignOut {
    /// `action` on `user` answers `answer`.
    pub fn lock_answer(self, user: &str, action: Action, answer: ScriptedAnswer) -> Self {
        self.lock_answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((user.to_owned(), action), answer);
        self
    }

    /// `user` starts in `RESET_REQUIRED`.
    pub fn reset_pending(self, user: &str) -> Self {
        self.reset_required
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user.to_owned());
        self
    }

    /// Every user-update call made: action, user, start and return.
    pub fn updates(&self) -> Vec<(Action, Target, Instant, Instant)> {
        self.updates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The actions called on `user`, in the order they were made.
    pub fn actions_on(&self, user: &str) -> Vec<Action> {
        self.updates()
            .into_iter()
            .filter(|(_, t, _, _)| t.user.as_str() == user)
            .map(|(a, _, _, _)| a)
            .collect()
    }

    /// Whether `user` is disabled.
    pub fn is_disabled(&self, user: &str) -> bool {
        self.disabled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(user)
    }

    /// Whether `user` is in `RESET_REQUIRED`.
    pub fn is_reset_required(&self, user: &str) -> bool {
        self.reset_required
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(user)
    }

    async fn lock(&self, action: Action, target: &Target) -> Result<(), CallError> {
        let started = Instant::now();
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.updates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((action, target.clone(), started, Instant::now()));
        let answer = self
            .lock_answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(target.user.as_str().to_owned(), action))
            .copied()
            .unwrap_or(ScriptedAnswer::Ok);
        match answer {
            ScriptedAnswer::Ok => {
                let user = target.user.as_str().to_owned();
                match action {
                    Action::ResetPassword => self
                        .reset_required
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(user),
                    Action::Disable => self
                        .disabled
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(user),
                    Action::SignOut => false,
                };
                Ok(())
            }
            ScriptedAnswer::Fail(class) => Err(cognito_error(action.operation(), class)),
        }
    }
    /// A Cognito that answers every call `Ok`.
    pub fn new() -> Self {
        Self::default()
    }

    /// A Cognito that takes `delay` (tokio time) over each call.
    pub fn with_delay(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }

    /// Every call for `user` answers `answer`.
    pub fn answer(self, user: &str, answer: ScriptedAnswer) -> Self {
        self.answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user.to_owned(), answer);
        self
    }

    /// The users signed out, in order.
    pub fn calls(&self) -> Vec<Target> {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// When each sign-out started.
    pub fn call_starts(&self) -> Vec<Instant> {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(_, at)| *at)
            .collect()
    }

    /// How many sign-outs named `user`.
    pub fn calls_for(&self, user: &str) -> usize {
        self.calls()
            .iter()
            .filter(|t| t.user.as_str() == user)
            .count()
    }

    /// The most sign-outs ever in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// What a call for `user` answers.
    pub fn answer_for(&self, user: &str) -> ScriptedAnswer {
        self.answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(user)
            .copied()
            .unwrap_or(ScriptedAnswer::Ok)
    }
}

impl SignOut for MemorySignOut {
    async fn sign_out(&self, target: &Target) -> Result<(), CallError> {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((target.clone(), Instant::now()));
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let started = Instant::now();
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.updates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((Action::SignOut, target.clone(), started, Instant::now()));
        match self.answer_for(target.user.as_str()) {
            ScriptedAnswer::Ok => Ok(()),
            ScriptedAnswer::Fail(class) => Err(cognito_error(Action::SignOut.operation(), class)),
        }
    }

    async fn reset_password(&self, target: &Target) -> Result<(), CallError> {
        self.lock(Action::ResetPassword, target).await
    }

    async fn disable(&self, target: &Target) -> Result<(), CallError> {
        self.lock(Action::Disable, target).await
    }

    async fn lookup(&self, target: &Target) -> Result<UserRecord, CallError> {
        self.lookups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(target.clone());
        match self
            .lookup_answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(target.user.as_str())
        {
            Some(ScriptedAnswer::Fail(ErrorClass::UserNotFound)) => {
                Err(cognito_error("AdminGetUser", ErrorClass::UserNotFound))
            }
            Some(ScriptedAnswer::Fail(_)) => {
                Err(cognito_error("AdminGetUser", ErrorClass::Transport))
            }
            _ => {
                // A username holds no control character and at most 128 of them, so
                // `sub-<username>` is always a sub; anything else is refused, never unwrapped.
                let sub = Subject::parse(&format!("sub-{}", target.user.as_str()))
                    .map_err(|_| cognito_error("AdminGetUser", ErrorClass::Invalid))?;
                Ok(UserRecord {
                    sub,
                    reset_required: self.is_reset_required(target.user.as_str()),
                })
            }
        }
    }
}

impl MemorySignOut {
    /// `AdminGetUser` for `user` answers `answer` (`UserNotFound`, or any other class as a
    /// timeout); by default it answers `sub-<user>`.
    pub fn lookup(self, user: &str, answer: ScriptedAnswer) -> Self {
        self.lookup_answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user.to_owned(), answer);
        self
    }

    /// The users whose `sub` was looked up, in order.
    pub fn lookups(&self) -> Vec<Target> {
        self.lookups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
