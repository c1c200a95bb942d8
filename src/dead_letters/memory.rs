//! [`MemoryDeadLetters`]: an in-memory dead-letter queue, for tests: records what it stored
//! and where, and refuses the letters of the message ids it is told to.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::DeadLetters;
use cognito_names::QueueUrl;

use crate::core::letter::{DeadLetter, DeadLetterError};

/// An in-memory dead-letter queue that records what it stored, and refuses the letters of
/// the message ids it is told to.
#[derive(Debug, Default, Clone)]
pub struct MemoryDeadLetters {
    sent: Arc<Mutex<Vec<DeadLetter>>>,
    refuse: Arc<Mutex<Vec<String>>>,
    refuse_all: bool,
    delay: Duration,
    requests: Arc<Mutex<usize>>,
    queues: Arc<Mutex<Vec<String>>>,
}

impl MemoryDeadLetters {
    /// A queue that stores every letter at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// A queue that takes `delay` (tokio time) to store each letter.
    pub fn slow(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }

    /// A queue that refuses every letter.
    pub fn refusing_all() -> Self {
        Self {
            refuse_all: true,
            ..Self::default()
        }
    }

    /// A queue that refuses the letters of `message_id`.
    pub fn refuse(self, message_id: &str) -> Self {
        self.refuse
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message_id.to_owned());
        self
    }

    /// The letters stored, in order.
    pub fn sent(&self) -> Vec<DeadLetter> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The stored letters' deduplication ids.
    pub fn sent_ids(&self) -> Vec<String> {
        self.sent()
            .into_iter()
            .map(|l| l.deduplication_id)
            .collect()
    }
}

impl MemoryDeadLetters {
    /// How many batch requests were made.
    pub fn requests(&self) -> usize {
        *self.requests.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The queue each stored letter went to, in order.
    pub fn queues(&self) -> Vec<String> {
        self.queues
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl DeadLetters for MemoryDeadLetters {
    async fn send_batch(
        &self,
        queue: &QueueUrl,
        letters: &[DeadLetter],
    ) -> Vec<Result<(), DeadLetterError>> {
        *self.requests.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        letters
            .iter()
            .map(|letter| {
                if self.refuse_all
                    || self
                        .refuse
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .contains(&letter.deduplication_id)
                {
                    return Err(DeadLetterError::Other("queue unavailable".into()));
                }
                self.sent
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(letter.clone());
                self.queues
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(queue.to_string());
                Ok(())
            })
            .collect()
    }
}
