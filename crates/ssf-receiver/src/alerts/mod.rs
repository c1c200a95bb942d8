//! The alert queue: the [`Alert`] this receiver puts on it (docs/ssf-receiver.md: shape A
//! plus its provenance), the [`AlertQueue`] port, its SQS adapter ([`SqsAlertQueue`]) and an
//! in-memory one for tests ([`MemoryAlertQueue`]).

mod memory;
mod sqs;

pub use memory::MemoryAlertQueue;
pub use sqs::SqsAlertQueue;

use std::future::Future;

pub use crate::core::alert::Alert;

/// Alerts that could not all be stored: the SET is delivered again (5xx, or no ack on poll).
/// Plain data built by the adapter, so that the core never names an SDK type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct QueueError {
    /// The service's error code, or the local reason (`Unconfirmed`).
    pub code: String,
    /// What happened.
    pub message: String,
}

/// Where alerts go.
pub trait AlertQueue: Send + Sync {
    /// Stores every alert of `alerts`, or fails: `Ok` only when each one is confirmed.
    fn send(&self, alerts: &[Alert]) -> impl Future<Output = Result<(), QueueError>> + Send;
}
