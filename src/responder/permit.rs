//! A permit before an instant: the one way the responder waits for a turn (a Cognito call slot,
//! a dead-letter send slot), so that no wait outlives the moment its work must have started.

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

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
    async fn no_permit_once_the_instant_has_passed() {
        let semaphore = Semaphore::new(1);
        let latest = Instant::now();
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(permit_before(&semaphore, latest).await.is_none());
    }
}
