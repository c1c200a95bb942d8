//! Replay detection off: no table configured. Start-up says so once, in a warning.

use super::{ReplayError, ReplayKey, Replays};

/// Remembers nothing: every SET is new.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReplays;

impl Replays for NoReplays {
    async fn seen(&self, _key: &ReplayKey) -> Result<bool, ReplayError> {
        Ok(false)
    }

    async fn remember(&self, _key: &ReplayKey, _expires_at: u64) -> Result<(), ReplayError> {
        Ok(())
    }
}
