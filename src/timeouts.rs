//! How long each remote call may take, and so how much of an invocation's remaining time a
//! call needs before it may start (the contract's deadline rule).
//!
//! The SDK clients are built with these limits, which makes the deadline rule exact: a
//! Cognito call that starts no later than [`Timeouts::latest_call_start`] has finished, or
//! been abandoned, in time for its dead-letter send, which itself ends before the deadline.

use std::time::Duration;

use tokio::time::Instant;

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
}

impl Default for Timeouts {
    /// Cognito answers this call in tens of milliseconds; two seconds an attempt leaves room
    /// for a slow region without letting one hung connection eat an invocation, and six
    /// seconds in all covers the SDK's three standard attempts with backoff.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(1),
            cognito_attempt: Duration::from_secs(2),
            cognito_operation: Duration::from_secs(6),
            dead_letter_attempt: Duration::from_secs(2),
            dead_letter_operation: Duration::from_secs(5),
        }
    }
}

impl Timeouts {
    /// The last moment a Cognito call may start before `deadline`: it needs its own
    /// operation timeout, then time to dead-letter its alert should it fail.
    pub fn latest_call_start(&self, deadline: Instant) -> Option<Instant> {
        deadline.checked_sub(self.cognito_operation + self.dead_letter_operation)
    }

    /// The last moment a dead-letter send may start before `deadline`.
    pub fn latest_dead_letter_start(&self, deadline: Instant) -> Option<Instant> {
        deadline.checked_sub(self.dead_letter_operation)
    }
}
