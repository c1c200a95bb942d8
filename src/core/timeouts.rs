//! How long each remote call may take, and so how much of an invocation's remaining time a
//! call needs before it may start (the contract's deadline rule).
//!
//! The SDK clients are built with these limits. A Cognito call starts only when one full
//! attempt and a whole dead-letter send still fit before the deadline
//! ([`Timeouts::latest_call_start`]), and it is cut off at [`Timeouts::call_cutoff`], so that
//! the dead-letter send it may need still ends before the deadline. A 30-second function can
//! start calls for its first 27 seconds.

use std::time::Duration;

/// A point in time the deadline arithmetic can move back from: the core's own notion of an
/// instant, so that it names no runtime. The responder's clock (`tokio::time::Instant`, which
/// tests can pause) implements it beside the runner; `std::time::Instant` implements it here.
pub trait Moment: Copy {
    /// `self` moved back by `by`, if that is representable.
    fn checked_sub(self, by: Duration) -> Option<Self>;
}

impl Moment for std::time::Instant {
    fn checked_sub(self, by: Duration) -> Option<Self> {
        std::time::Instant::checked_sub(&self, by)
    }
}

/// Time limits of the remote calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening a TCP/TLS connection.
    pub connect: Duration,
    /// One `AdminUserGlobalSignOut` attempt.
    pub cognito_attempt: Duration,
    /// All attempts of one `AdminUserGlobalSignOut`, retries and backoff included.
    pub cognito_operation: Duration,
    /// One dead-letter `SendMessage` attempt.
    pub dead_letter_attempt: Duration,
    /// All attempts of one dead-letter send.
    pub dead_letter_operation: Duration,
    /// Kept free at the end of the invocation for logging, metrics and the response: no
    /// remote call may still be running inside it.
    pub return_margin: Duration,
}

impl Default for Timeouts {
    /// Cognito and SQS answer in tens of milliseconds. Two seconds a Cognito attempt leaves
    /// room for a slow region without letting one hung connection eat an invocation, and six
    /// seconds in all covers the SDK's three standard attempts with backoff. A dead-letter
    /// send gets one second an attempt, two in all.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(1),
            cognito_attempt: Duration::from_secs(2),
            cognito_operation: Duration::from_secs(6),
            dead_letter_attempt: Duration::from_secs(1),
            dead_letter_operation: Duration::from_secs(2),
            return_margin: Duration::from_millis(500),
        }
    }
}

/// Of the time an invocation has, the share the fixed reservations (one attempt, a dead-letter
/// send, the return margin) may take when they must shrink to fit: the rest is left for calls
/// to wait their turn and start.
const RESERVED_SHARE: f64 = 0.6;

impl Timeouts {
    /// These limits fitted to an invocation with `remaining` time: unchanged when one attempt,
    /// a dead-letter send and the return margin take at most 60% of it, else all three scaled
    /// down together to that share (never below 100 ms an attempt or a send, 50 ms to return).
    /// A 3-second invocation (Lambda's default timeout) then starts calls for its first 1.2 s
    /// with 0.8 s an attempt, where fixed limits would have started none.
    pub fn within(&self, remaining: Duration) -> Timeouts {
        let reserved = self.cognito_attempt + self.dead_letter_operation + self.return_margin;
        let budget = remaining.mul_f64(RESERVED_SHARE);
        if reserved <= budget || reserved.is_zero() {
            return *self;
        }
        let factor = budget.as_secs_f64() / reserved.as_secs_f64();
        let scale = |d: Duration, floor: Duration| d.mul_f64(factor).max(floor.min(d));
        Timeouts {
            cognito_attempt: scale(self.cognito_attempt, Duration::from_millis(100)),
            dead_letter_attempt: scale(self.dead_letter_attempt, Duration::from_millis(100)),
            dead_letter_operation: scale(self.dead_letter_operation, Duration::from_millis(100)),
            return_margin: scale(self.return_margin, Duration::from_millis(50)),
            ..*self
        }
    }

    /// The last moment a Cognito call may start before `deadline`: one full attempt, then
    /// time to dead-letter its alert should it fail, then the return margin.
    pub fn latest_call_start<I: Moment>(&self, deadline: I) -> Option<I> {
        deadline.checked_sub(self.cognito_attempt + self.dead_letter_operation + self.return_margin)
    }

    /// The moment a Cognito call still running is abandoned (and its alert retried), leaving
    /// a dead-letter send's time and the return margin before `deadline`.
    pub fn call_cutoff<I: Moment>(&self, deadline: I) -> I {
        deadline
            .checked_sub(self.dead_letter_operation + self.return_margin)
            .unwrap_or(deadline)
    }

    /// The last moment a dead-letter send may start before `deadline`.
    pub fn latest_dead_letter_start<I: Moment>(&self, deadline: I) -> Option<I> {
        deadline.checked_sub(self.dead_letter_operation + self.return_margin)
    }

    /// The moment a dead-letter send still running is abandoned (and its alert retried).
    pub fn dead_letter_cutoff<I: Moment>(&self, deadline: I) -> I {
        deadline.checked_sub(self.return_margin).unwrap_or(deadline)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn a_long_invocation_keeps_the_limits() {
        let t = Timeouts::default();
        assert_eq!(t.within(Duration::from_secs(30)), t);
        assert_eq!(t.within(Duration::from_secs(900)), t);
    }

    #[test]
    fn lambdas_default_three_seconds_still_start_calls() {
        let t = Timeouts::default().within(Duration::from_secs(3));
        let deadline = Instant::now() + Duration::from_secs(3);
        let latest = t.latest_call_start(deadline).unwrap();
        let start_window = latest - (deadline - Duration::from_secs(3));
        assert_eq!(start_window, Duration::from_millis(1200));
        assert_eq!(t.cognito_attempt, Duration::from_millis(800));
        assert_eq!(t.return_margin, Duration::from_millis(200));
        // Every call that starts in time still ends, with its dead letter, before the margin.
        assert!(latest + t.cognito_attempt <= t.call_cutoff(deadline));
        assert_eq!(t.dead_letter_cutoff(deadline), deadline - t.return_margin);
    }

    #[test]
    fn a_tiny_invocation_never_gets_limits_below_their_floors() {
        let t = Timeouts::default().within(Duration::from_millis(100));
        assert_eq!(t.cognito_attempt, Duration::from_millis(100));
        assert_eq!(t.return_margin, Duration::from_millis(50));
    }

    #[test]
    fn every_remote_call_ends_before_the_return_margin() {
        let t = Timeouts::default();
        let deadline = Instant::now() + Duration::from_secs(30);
        let latest = t.latest_call_start(deadline).unwrap();
        // A call that starts last, runs until its cutoff, then needs a dead-letter send.
        assert!(latest + t.cognito_attempt <= t.call_cutoff(deadline));
        assert!(t.call_cutoff(deadline) <= t.latest_dead_letter_start(deadline).unwrap());
        let send_ends = t.latest_dead_letter_start(deadline).unwrap() + t.dead_letter_operation;
        assert_eq!(send_ends, t.dead_letter_cutoff(deadline));
        assert_eq!(deadline - send_ends, Duration::from_millis(500));
        // A 30 s function may start calls for its first 25.5 s.
        assert_eq!(deadline - latest, Duration::from_millis(4500));
    }
}
