//! The streams table: the port ([`Streams`]), DynamoDB ([`DynamoDbStreams`]) and memory
//! ([`MemoryStreams`]). It keeps each stream (its configuration, status and excluded
//! subjects) and the SETs waiting for a poll or held while a stream is paused.

mod dynamodb;
mod memory;

use std::future::Future;

use cognito_names::UnixSeconds;

use crate::core::set::PendingSet;
use crate::core::stream::{Status, Stream};

pub use dynamodb::DynamoDbStreams;
pub use memory::MemoryStreams;

/// The most subjects one stream may exclude (they are kept in the stream's own item).
pub const MAX_EXCLUDED_SUBJECTS: usize = 1000;

/// A stream with what the table keeps beside its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The stream.
    pub stream: Stream,
    /// The subjects removed from it (`<iss> <sub>`).
    pub excluded: Vec<String>,
}

impl Kept {
    /// Whether the user `key` (`<iss> <sub>`) is removed from this stream.
    pub fn excludes(&self, key: &str) -> bool {
        self.excluded.iter().any(|k| k == key)
    }
}

/// A table call that failed: the invocation's failure (a 500, or a retried event).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("streams table: {0}")]
pub struct TableError(pub String);

/// A creation past the client's stream limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitReached;

/// A SET waiting, with the key it is kept under (its `jti` for a poll; the time it was held
/// and its `jti` for a paused stream, so that held SETs come back in the order they were made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waited {
    /// The key to forget it by.
    pub key: String,
    /// The SET.
    pub set: PendingSet,
}

/// The key a SET waits under: its `jti` for a poll (the same SET kept twice is one), the
/// time it was held (milliseconds, zero-padded) and its `jti` while paused.
pub fn waiting_key(set: &PendingSet, waiting: Waiting, held_at_ms: u128) -> String {
    match waiting {
        Waiting::Poll => set.jti.clone(),
        Waiting::Held => format!("{held_at_ms:020}#{}", set.jti),
    }
}

/// Where SETs wait: for a poll, or held while the stream is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Until the receiver polls and acknowledges it.
    Poll,
    /// Until the stream is enabled again.
    Held,
}

/// The streams table.
pub trait Streams: Send + Sync {
    /// Creates `stream` unless its client already has `limit` streams.
    fn create(
        &self,
        stream: &Stream,
        limit: usize,
    ) -> impl Future<Output = Result<Result<(), LimitReached>, TableError>> + Send;

    /// The stream `stream_id`.
    fn get(&self, stream_id: &str)
        -> impl Future<Output = Result<Option<Kept>, TableError>> + Send;

    /// Every stream, or those of `client_id`.
    fn list(
        &self,
        client_id: Option<&str>,
    ) -> impl Future<Output = Result<Vec<Kept>, TableError>> + Send;

    /// Writes `stream` over the stream of the same id (its exclusions kept) if the one kept is
    /// still the version `stream` was made from (`stream.version - 1`); `Ok(false)` when it
    /// is not (changed meanwhile, or deleted).
    fn put(&self, stream: &Stream) -> impl Future<Output = Result<bool, TableError>> + Send;

    /// Deletes the stream and every SET waiting on it.
    fn delete(&self, stream_id: &str) -> impl Future<Output = Result<(), TableError>> + Send;

    /// Removes the subject `key` from the stream; `Ok(false)` when the stream already
    /// excludes [`MAX_EXCLUDED_SUBJECTS`].
    fn exclude(
        &self,
        stream_id: &str,
        key: &str,
    ) -> impl Future<Output = Result<bool, TableError>> + Send;

    /// Adds the subject `key` to the stream again.
    fn include(
        &self,
        stream_id: &str,
        key: &str,
    ) -> impl Future<Output = Result<(), TableError>> + Send;

    /// Records a verification of the stream at `now` unless one was made less than
    /// `interval` seconds before: `Ok(false)` then.
    fn claim_verification(
        &self,
        stream_id: &str,
        now: u64,
        interval: u64,
    ) -> impl Future<Output = Result<bool, TableError>> + Send;

    /// Keeps `set` until `expires_at` (the same `jti` twice is kept once).
    fn keep(
        &self,
        set: &PendingSet,
        waiting: Waiting,
        expires_at: UnixSeconds,
    ) -> impl Future<Output = Result<(), TableError>> + Send;

    /// Up to `max` unexpired SETs waiting on `stream_id` as `waiting` (held ones in the order
    /// they were held), and whether more wait; expired ones met on the way are forgotten.
    fn waiting(
        &self,
        stream_id: &str,
        waiting: Waiting,
        max: usize,
    ) -> impl Future<Output = Result<(Vec<Waited>, bool), TableError>> + Send;

    /// Forgets the SETs kept under `keys` on `stream_id` (acknowledged, refused, delivered).
    fn forget(
        &self,
        stream_id: &str,
        waiting: Waiting,
        keys: &[String],
    ) -> impl Future<Output = Result<(), TableError>> + Send;

    /// Forgets every SET waiting on `stream_id` as `waiting` (a stream disabled or deleted).
    fn clear(
        &self,
        stream_id: &str,
        waiting: Waiting,
    ) -> impl Future<Output = Result<(), TableError>> + Send;
}

/// The status of `kept` set to `status` with `reason`.
pub fn with_status(kept: &Kept, status: Status, reason: Option<String>) -> Stream {
    Stream {
        status,
        reason,
        version: kept.stream.version + 1,
        ..kept.stream.clone()
    }
}
