//! The delivery queue of push retries and the dead-letter queue: the port
//! ([`DeliveryQueue`]), SQS ([`SqsDeliveryQueue`]) and memory ([`MemoryDeliveryQueue`]).

mod memory;
mod sqs;

use std::future::Future;

use serde::Serialize;

use crate::core::retry::Retry;

pub use memory::MemoryDeliveryQueue;
pub use sqs::SqsDeliveryQueue;

/// A queue call that failed: the SET is not durable, and the invocation fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("delivery queue: {0}")]
pub struct QueueError(pub String);

/// A SET given up: what the dead-letter queue carries (never the signature, never the
/// stream's `authorization_header`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// The stream.
    pub stream_id: String,
    /// The SET's `jti`.
    pub jti: String,
    /// Its event type.
    pub event_type: String,
    /// Attempts made.
    pub attempts: u32,
    /// When the first was made (Unix seconds).
    pub first_attempt_at: u64,
    /// The last answer.
    pub last_answer: String,
    /// Why it was given up.
    pub reason: String,
    /// The SET's claims, without `iat`: enough to send it again by hand.
    pub claims: serde_json::Value,
}

/// The two queues.
pub trait DeliveryQueue: Send + Sync {
    /// Queues `retry` to be tried again after `delay_seconds` (at most 900).
    fn retry(
        &self,
        retry: &Retry,
        delay_seconds: u64,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Sends `letter` to the dead-letter queue.
    fn dead_letter(
        &self,
        letter: &DeadLetter,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;
}

impl<T: DeliveryQueue> DeliveryQueue for std::sync::Arc<T> {
    async fn retry(&self, retry: &Retry, delay_seconds: u64) -> Result<(), QueueError> {
        T::retry(self, retry, delay_seconds).await
    }

    async fn dead_letter(&self, letter: &DeadLetter) -> Result<(), QueueError> {
        T::dead_letter(self, letter).await
    }
}
