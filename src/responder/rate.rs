//! [`RateLimiter`]: the `MAX_REQUESTS_PER_SECOND` cap on Cognito calls, per instance.
//!
//! Cognito's quota for `AdminUserGlobalSignOut` is shared with the application's own admin
//! calls, so the cap must hold over every one-second window, not only on average. The limiter
//! is a sliding window of call starts: a call may start when fewer than `capacity` calls
//! started in the last `window`. A burst up to the cap therefore starts at once (ten alerts
//! on an idle instance take one Cognito round trip, not ten slots), and no window of one
//! second ever holds more than the cap.
//!
//! What counts is what Cognito sees, and calls reach it with some jitter: two calls started
//! exactly one second apart may arrive 999 ms apart. So the window is one second plus
//! [`JITTER_ALLOWANCE`]: up to that much jitter cannot put more than the cap into any one
//! second at Cognito's end. For a rate below one a second, one call per `1.025 s / rate`;
//! for a fractional rate above one, `floor(rate)` calls per window (never more than asked).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How much arrival jitter the window absorbs.
pub const JITTER_ALLOWANCE: Duration = Duration::from_millis(25);

/// At most `capacity` call starts in any `window`.
#[derive(Debug)]
pub struct RateLimiter {
    capacity: usize,
    window: Duration,
    /// The last `capacity` reserved start slots, oldest first (some may be in the future).
    slots: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    /// A limiter for `per_second` calls a second (above zero; configuration bounds it).
    pub fn new(per_second: f64) -> Self {
        let base = Duration::from_secs(1) + JITTER_ALLOWANCE;
        let (capacity, window) = if per_second >= 1.0 {
            (per_second.floor() as usize, base)
        } else {
            (1, base.div_f64(per_second))
        };
        Self {
            capacity,
            window,
            slots: Mutex::new(VecDeque::with_capacity(capacity)),
        }
    }

    /// Waits for a start slot no later than `latest`, and returns when it has come. Returns
    /// `false` at once, reserving nothing, when the next free slot is later than `latest`: the
    /// caller would otherwise start past its deadline.
    pub async fn acquire_by(&self, latest: Instant) -> bool {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = match slots.front() {
                Some(oldest) if slots.len() >= self.capacity => {
                    // Checked: a window past the end of time means "never".
                    match oldest.checked_add(self.window) {
                        Some(free) => free.max(now),
                        None => return false,
                    }
                }
                _ => now,
            };
            if slot > latest {
                return false;
            }
            if slots.len() >= self.capacity {
                slots.pop_front();
            }
            slots.push_back(slot);
            slot
        };
        tokio::time::sleep_until(slot).await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busiest_second(starts: &[Duration]) -> usize {
        starts
            .iter()
            .enumerate()
            .map(|(i, at)| {
                starts[i..]
                    .iter()
                    .take_while(|s| **s - *at < Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    async fn starts(limiter: &RateLimiter, n: usize) -> Vec<Duration> {
        let start = Instant::now();
        let far = start + Duration::from_secs(3600);
        let mut starts = Vec::new();
        for _ in 0..n {
            assert!(limiter.acquire_by(far).await);
            starts.push(Instant::now() - start);
        }
        starts
    }

    #[tokio::test(start_paused = true)]
    async fn no_second_holds_more_than_the_rate() {
        let limiter = RateLimiter::new(20.0);
        let starts = starts(&limiter, 100).await;
        assert!(busiest_second(&starts) <= 20, "{starts:?}");
        // Five windows of 1.025 s: the 100th start opens the fifth.
        assert_eq!(starts[99], Duration::from_millis(4 * 1025));
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_up_to_the_cap_starts_at_once() {
        let limiter = RateLimiter::new(20.0);
        let starts = starts(&limiter, 20).await;
        assert!(starts.iter().all(|s| s.is_zero()), "{starts:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn fractional_and_slow_rates_never_exceed_what_was_asked() {
        for rate in [0.5, 1.5, 2.5, 7.9] {
            let limiter = RateLimiter::new(rate);
            let starts = starts(&limiter, 12).await;
            assert!(
                busiest_second(&starts) as f64 <= rate.max(1.0),
                "{rate}: {starts:?}"
            );
        }
        let limiter = RateLimiter::new(0.5);
        let starts = starts(&limiter, 2).await;
        assert_eq!(starts[1], Duration::from_millis(2050));
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
