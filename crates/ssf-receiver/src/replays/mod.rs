//! Replay detection: a `jti` accepted once is not acted on again for [`REPLAY_WINDOW`]
//! seconds. The [`Replays`] port; its DynamoDB adapter ([`DynamoDbReplays`]: items
//! `pk = "set#<iss>#<jti>"` with `expiresAt`, in the cutoff table), its "off" adapter
//! ([`NoReplays`], when `REVOCATION_TABLE` is not set, decided once at start-up) and an
//! in-memory one for tests ([`MemoryReplays`]).
//!
//! [`REPLAY_WINDOW`]: crate::core::set::REPLAY_WINDOW

mod dynamodb;
mod memory;
mod void;

pub use dynamodb::DynamoDbReplays;
pub use memory::MemoryReplays;
pub use void::NoReplays;

use std::fmt;
use std::future::Future;

/// The key of a SET's replay item: `set#<iss>#<jti>`. The `set#` prefix keeps replay items
/// apart from cutoffs (`<poolId>#<sub>`), and is what the role's `dynamodb:LeadingKeys`
/// condition allows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReplayKey(String);

impl ReplayKey {
    /// The key of the SET `jti` of `iss`.
    pub fn new(iss: &str, jti: &str) -> Self {
        Self(format!("set#{iss}#{jti}"))
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A table call that failed: not the SET's fault, so it is delivered again. Plain data built
/// by the adapter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ReplayError {
    /// DynamoDB's error code, or the local reason.
    pub code: String,
    /// What happened.
    pub message: String,
}

/// Where accepted `jti`s are remembered.
pub trait Replays: Send + Sync {
    /// Whether `key` was accepted before (and its item has not expired).
    fn seen(&self, key: &ReplayKey) -> impl Future<Output = Result<bool, ReplayError>> + Send;

    /// Remembers `key` until `expires_at` (Unix seconds).
    fn remember(
        &self,
        key: &ReplayKey,
        expires_at: u64,
    ) -> impl Future<Output = Result<(), ReplayError>> + Send;
}
