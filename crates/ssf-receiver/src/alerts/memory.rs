//! An [`AlertQueue`] in memory, for tests: it records what it stores, or fails on demand.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::{Alert, AlertQueue, QueueError};

/// Records the alerts sent; fails every send while [`MemoryAlertQueue::fail`] is on.
#[derive(Debug, Default)]
pub struct MemoryAlertQueue {
    sent: Mutex<Vec<Alert>>,
    failing: AtomicBool,
}

impl MemoryAlertQueue {
    /// An empty queue that accepts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every later send fail (`true`) or succeed.
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// The alerts stored so far.
    pub fn sent(&self) -> Vec<Alert> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl AlertQueue for MemoryAlertQueue {
    async fn send(&self, alerts: &[Alert]) -> Result<(), QueueError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(QueueError {
                code: "ServiceUnavailable".to_owned(),
                message: "the test queue refuses".to_owned(),
            });
        }
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(alerts);
        Ok(())
    }
}
