//! The signing key: the port ([`Signer`]), KMS ([`KmsSigner`]) and a key in memory
//! ([`MemorySigner`], tests and benchmarks), and the pace that keeps `Sign` calls under
//! `SSF_SIGNS_PER_SECOND` ([`Pace`]).

mod kms;
mod memory;

use std::future::Future;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::core::jwk::PublicJwk;

pub use kms::KmsSigner;
pub use memory::MemorySigner;

/// Why a SET could not be signed, or the keys read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The key service failed or refused (bounded text, never key material).
    #[error("signing key: {0}")]
    Call(String),
    /// A key that cannot be published (not RSA, too short).
    #[error("signing key {key}: {problem}")]
    Key {
        /// The key id as configured.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// The signing keys: the first signs, all are published.
pub trait Signer: Send + Sync {
    /// The public keys, the signing one first (read once, then cached).
    fn public_keys(&self) -> impl Future<Output = Result<Vec<PublicJwk>, SignError>> + Send;

    /// An RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature over `input` with the first key.
    fn sign(&self, input: &[u8]) -> impl Future<Output = Result<Vec<u8>, SignError>> + Send;
}

/// Spaces `Sign` calls at most `per_second` apart on this instance: KMS's RSA signing quota
/// is shared by everything in the account and Region, and a fan-out to many streams must not
/// take it all.
#[derive(Debug)]
pub struct Pace {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pace {
    /// At most `per_second` calls a second (at least one).
    pub fn new(per_second: u32) -> Self {
        Self {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: Mutex::new(None),
        }
    }

    /// Waits for this call's slot.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            (slot > now).then_some(slot)
        };
        // A free slot is taken at once: the timer's millisecond tick is not paid for nothing.
        if let Some(slot) = slot {
            tokio::time::sleep_until(slot).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_by_the_cap() {
        let pace = Pace::new(100);
        let start = Instant::now();
        for _ in 0..201 {
            pace.wait().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }
}
