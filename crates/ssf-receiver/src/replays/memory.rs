//! [`Replays`] in memory, for tests: the keys remembered, a failure on demand.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::{ReplayError, ReplayKey, Replays};

/// Keys and their expiry, in memory.
#[derive(Debug, Default)]
pub struct MemoryReplays {
    keys: Mutex<HashMap<ReplayKey, u64>>,
    failing: AtomicBool,
}

impl MemoryReplays {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every later call fail (`true`) or succeed.
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// The keys remembered, with their expiry.
    pub fn keys(&self) -> HashMap<ReplayKey, u64> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn check(&self) -> Result<(), ReplayError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(ReplayError {
                code: "InternalServerError".to_owned(),
                message: "the test table refuses".to_owned(),
            });
        }
        Ok(())
    }
}

impl Replays for MemoryReplays {
    async fn seen(&self, key: &ReplayKey) -> Result<bool, ReplayError> {
        self.check()?;
        Ok(self
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(key))
    }

    async fn remember(&self, key: &ReplayKey, expires_at: u64) -> Result<(), ReplayError> {
        self.check()?;
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.clone(), expires_at);
        Ok(())
    }
}
