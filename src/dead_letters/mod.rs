//! The dead-letter port and its AWS adapter.
//!
//! [`DeadLetters`] sends one batch of letters to one queue; [`sqs::SqsDeadLetters`] is the real
//! adapter (`SendMessageBatch`), tests use in-memory fakes. What a letter holds is decided in
//! [`crate::core::letter`]; how letters are gathered into batches, in the responder's
//! mailroom.

pub mod memory;
pub mod sqs;

use std::future::Future;

use cognito_names::QueueUrl;

use crate::core::letter::{DeadLetter, DeadLetterError};

/// Sends dead letters.
pub trait DeadLetters: Send + Sync {
    /// Sends `letters` (at most [`crate::core::letter::MAX_BATCH_ENTRIES`], at most
    /// [`crate::core::letter::MAX_MESSAGE_BYTES`] together) to `queue` in one request. Returns
    /// one result per letter, in order: `Ok` only once the queue has confirmed storing it.
    fn send_batch(
        &self,
        queue: &QueueUrl,
        letters: &[DeadLetter],
    ) -> impl Future<Output = Vec<Result<(), DeadLetterError>>> + Send;
}
