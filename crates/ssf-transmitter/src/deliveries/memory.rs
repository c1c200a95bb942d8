//! The two queues in memory, for tests and benchmarks.

use std::sync::Mutex;

use super::{DeadLetter, DeliveryQueue, QueueError};
use crate::core::retry::Retry;

/// The delivery and dead-letter queues in memory.
#[derive(Debug, Default)]
pub struct MemoryDeliveryQueue {
    retries: Mutex<Vec<(Retry, u64)>>,
    dead: Mutex<Vec<DeadLetter>>,
}

impl MemoryDeliveryQueue {
    /// Empty queues.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the retries queued so far, with their delays.
    pub fn take_retries(&self) -> Vec<(Retry, u64)> {
        std::mem::take(
            &mut *self
                .retries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// The dead letters so far.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.dead
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl DeliveryQueue for MemoryDeliveryQueue {
    async fn retry(&self, retry: &Retry, delay_seconds: u64) -> Result<(), QueueError> {
        self.retries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((retry.clone(), delay_seconds));
        Ok(())
    }

    async fn dead_letter(&self, letter: &DeadLetter) -> Result<(), QueueError> {
        self.dead
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(letter.clone());
        Ok(())
    }
}
