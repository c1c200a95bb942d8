//! When a failed push is tried again, and when it is given up: the first retry within a
//! second, then doubling with jitter, never more than [`MAX_DELAY_SECONDS`] apart (SQS's
//! longest message delay), until the retry window since the first attempt is spent.

use serde::{Deserialize, Serialize};

use super::set::PendingSet;

/// The longest wait between two attempts: 15 minutes, SQS's longest `DelaySeconds`.
pub const MAX_DELAY_SECONDS: u64 = 900;

/// A push to try again, as the delivery queue carries it: the SET without its signature or
/// `iat` (each attempt signs afresh), never the stream's `authorization_header` (read from
/// the stream at each attempt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retry {
    /// The SET.
    pub set: PendingSet,
    /// When the first attempt was made (Unix seconds).
    pub first_attempt_at: u64,
    /// Attempts made so far.
    pub attempts: u32,
    /// The last attempt's answer (a status, `timeout`, a transport failure).
    pub last_answer: String,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Try again after this many seconds.
    RetryAfter(u64),
    /// The window is spent: to the dead-letter queue.
    GiveUp,
}

/// The next step after the `attempts`-th failed attempt at `now`, for a first attempt at
/// `first_attempt_at` and a window of `window` seconds; `jitter` in `[0, 1)` spreads retries
/// of many SETs failing together.
pub fn next_step(
    first_attempt_at: u64,
    now: u64,
    attempts: u32,
    window: u64,
    jitter: f64,
) -> NextStep {
    let spent = now.saturating_sub(first_attempt_at);
    if spent >= window {
        return NextStep::GiveUp;
    }
    let ceiling = 1u64
        .checked_shl(attempts.saturating_sub(1))
        .unwrap_or(u64::MAX)
        .min(MAX_DELAY_SECONDS);
    let delay = if ceiling <= 1 {
        1
    } else {
        // Between half the ceiling and the ceiling.
        let half = ceiling / 2;
        half + ((ceiling - half) as f64 * jitter.clamp(0.0, 0.999_999)) as u64
    };
    NextStep::RetryAfter(delay.clamp(1, (window - spent).max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_retry_is_within_a_second_then_the_waits_double_up_to_fifteen_minutes() {
        assert_eq!(next_step(100, 100, 1, 86_400, 0.9), NextStep::RetryAfter(1));
        let waits: Vec<u64> = (1..=14)
            .map(|n| match next_step(0, 1, n, 1_000_000, 0.999) {
                NextStep::RetryAfter(s) => s,
                NextStep::GiveUp => 0,
            })
            .collect();
        assert_eq!(&waits[..6], &[1, 1, 3, 7, 15, 31]);
        assert!(waits.iter().all(|w| *w <= MAX_DELAY_SECONDS));
        assert_eq!(waits[13], MAX_DELAY_SECONDS - 1);
        assert_eq!(next_step(0, 1, 6, 1_000_000, 0.0), NextStep::RetryAfter(16));
        assert_eq!(
            next_step(0, 1, u32::MAX, 1_000_000, 0.0),
            NextStep::RetryAfter(450)
        );
    }

    #[test]
    fn the_window_bounds_the_last_wait_and_then_gives_up() {
        assert_eq!(next_step(0, 9, 10, 10, 0.5), NextStep::RetryAfter(1));
        assert_eq!(next_step(0, 5, 10, 10, 0.5), NextStep::RetryAfter(5));
        assert_eq!(next_step(0, 10, 1, 10, 0.5), NextStep::GiveUp);
        assert_eq!(next_step(0, 11, 1, 10, 0.5), NextStep::GiveUp);
    }
}
