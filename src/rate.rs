//! [`RateLimiter`]: the `MAX_REQUESTS_PER_SECOND` cap on Cognito calls, per instance.
//!
//! Cognito's quota for `AdminUserGlobalSignOut` is shared with the application's own admin
//! calls, so the cap must hold over every one-second window, not only on average. The
//! limiter is a token bucket of depth one refilled every `1 / rate` seconds (the generic
//! cell rate algorithm): each caller reserves the next free slot under a lock and sleeps
//! until it, so slots are at least `1 / rate` apart and no window of one second ever holds
//! more than `rate` call starts. There is no burst allowance on purpose: a burst on top of a
//! full second's rate is exactly what would exceed the cap over some window.
//!
//! What counts is what Cognito sees, and calls reach it with some jitter: two calls started
//! exactly one second apart may arrive 999 ms apart. So `rate` slots are spread over one
//! second plus [`JITTER_ALLOWANCE`]: up to that much jitter cannot put more than `rate` calls
//! into any one second at Cognito's end, for a throughput of `rate / 1.025`.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How much arrival jitter the spacing absorbs.
pub const JITTER_ALLOWANCE: Duration = Duration::from_millis(25);

/// Spaces call starts at least `(1 s + JITTER_ALLOWANCE) / rate` apart.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next_free: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `per_second` calls a second (above zero).
    pub fn new(per_second: f64) -> Self {
        Self {
            interval: (Duration::from_secs(1) + JITTER_ALLOWANCE).div_f64(per_second),
            next_free: Mutex::new(None),
        }
    }

    /// Waits for a slot that starts no later than `latest`, and returns when it has come.
    /// Returns `false` at once, reserving nothing, when the next free slot is later than
    /// `latest`: the caller would otherwise start past its deadline.
    pub async fn acquire_by(&self, latest: Instant) -> bool {
        let slot = {
            let mut next_free = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = next_free.map_or(now, |next| next.max(now));
            if slot > latest {
                return false;
            }
            *next_free = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_so_no_second_holds_more_than_the_rate() {
        let limiter = RateLimiter::new(20.0);
        let start = Instant::now();
        let far = start + Duration::from_secs(3600);
        let mut starts = Vec::new();
        for _ in 0..100 {
            assert!(limiter.acquire_by(far).await);
            starts.push(Instant::now() - start);
        }
        for (i, at) in starts.iter().enumerate() {
            let in_window = starts[i..]
                .iter()
                .take_while(|s| **s - *at < Duration::from_secs(1))
                .count();
            assert!(
                in_window <= 20,
                "{in_window} starts in the second after {at:?}"
            );
        }
        // 20 a second, spread over 1.025 s: 51.25 ms apart (tokio's timer wakes on whole ms).
        let last = starts[99];
        assert!(
            last >= Duration::from_micros(99 * 51_250)
                && last < Duration::from_micros(99 * 51_250 + 1000),
            "{last:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_past_the_deadline_is_refused_without_being_reserved() {
        let limiter = RateLimiter::new(1.0);
        let now = Instant::now();
        assert!(limiter.acquire_by(now).await);
        assert!(!limiter.acquire_by(now + Duration::from_millis(500)).await);
        assert!(!limiter.acquire_by(now + Duration::from_secs(1)).await);
        assert!(limiter.acquire_by(now + Duration::from_millis(1025)).await);
        assert_eq!(Instant::now() - now, Duration::from_millis(1025));
    }
}
