//! A permit before an instant, then a time limit: the one way the responder makes an outbound
//! call (a Cognito call, a `sub` lookup, a dead-letter send, a cutoff write, an event request).
//! No wait outlives the moment its work must have started, and no call outlives its cutoff.

use std::future::Future;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use crate::core::timeouts::Moment;
use crate::responder::rate::RateLimiter;

impl Moment for Instant {
    fn checked_sub(self, by: Duration) -> Option<Self> {
        Instant::checked_sub(&self, by)
    }
}

/// Why an outbound call did not run to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Late {
    /// No permit (or no rate-cap slot) was free before the latest start: it never started.
    NotStarted,
    /// It started but was still running at its cutoff, and was abandoned.
    CutOff,
}

/// `work`, started once `semaphore` gives a permit (and `limiter`, when given, a slot) by
/// `latest`, and abandoned at `cutoff`. The permit is held until the work ends.
pub async fn in_time<F: Future>(
    semaphore: &Semaphore,
    limiter: Option<&RateLimiter>,
    latest: Instant,
    cutoff: Instant,
    work: F,
) -> Result<F::Output, Late> {
    let _permit = permit_before(semaphore, latest)
        .await
        .ok_or(Late::NotStarted)?;
    if let Some(limiter) = limiter {
        if !limiter.acquire_by(latest).await {
            return Err(Late::NotStarted);
        }
    }
    tokio::time::timeout_at(cutoff, work)
        .await
        .map_err(|_| Late::CutOff)
}

/// A permit from `semaphore`, if one is free by `latest`; `None` once `latest` has passed
/// (before or while waiting) or if the semaphore is closed.
pub async fn permit_before(semaphore: &Semaphore, latest: Instant) -> Option<SemaphorePermit<'_>> {
    if Instant::now() > latest {
        return None;
    }
    let permit = tokio::time::timeout_at(latest, semaphore.acquire())
        .await
        .ok()?
        .ok()?;
    (Instant::now() <= latest).then_some(permit)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_free_permit_is_taken_at_once() {
        let semaphore = Semaphore::new(1);
        let latest = Instant::now() + Duration::from_secs(1);
        assert!(permit_before(&semaphore, latest).await.is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_ends_at_the_latest_instant_without_a_permit() {
        let semaphore = Semaphore::new(1);
        let _held = semaphore.acquire().await.unwrap();
        let start = Instant::now();
        let latest = start + Duration::from_millis(300);
        assert!(permit_before(&semaphore, latest).await.is_none());
        assert_eq!(Instant::now() - start, Duration::from_millis(300));
    }

    #[tokio::test(start_paused = true)]
    async fn work_that_outlives_its_cutoff_is_abandoned() {
        let semaphore = Semaphore::new(1);
        let start = Instant::now();
        let late = in_time(
            &semaphore,
            None,
            start + Duration::from_secs(1),
            start + Duration::from_secs(2),
            tokio::time::sleep(Duration::from_secs(5)),
        )
        .await;
        assert_eq!(late, Err(Late::CutOff));
        assert_eq!(Instant::now() - start, Duration::from_secs(2));
        assert_eq!(semaphore.available_permits(), 1, "the permit is given back");
    }

    #[tokio::test(start_paused = true)]
    async fn no_permit_once_the_instant_has_passed() {
        let semaphore = Semaphore::new(1);
        let latest = Instant::now();
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(permit_before(&semaphore, latest).await.is_none());
    }
}
