//! An in-memory [`CutoffStore`] with the table's semantics (raise only), for tests: the
//! library's own, and those of services that call the check from their middleware.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::{CutoffStore, Raise, StoreError};
use cognito_names::{Cutoff, CutoffKey, UnixSeconds};

/// Cutoffs in a map; counts lookups so tests can see the lookup cache at work.
#[derive(Debug, Default)]
pub struct MemoryCutoffStore {
    cutoffs: Mutex<HashMap<CutoffKey, UnixSeconds>>,
    lookups: AtomicUsize,
}

impl MemoryCutoffStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many times [`CutoffStore::revoked_before`] was called.
    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl CutoffStore for MemoryCutoffStore {
    async fn revoked_before(&self, key: &CutoffKey) -> Result<Option<UnixSeconds>, StoreError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let cutoffs = self.cutoffs.lock().unwrap_or_else(|p| p.into_inner());
        Ok(cutoffs.get(key).copied())
    }

    async fn raise(&self, cutoff: &Cutoff) -> Result<Raise, StoreError> {
        let mut cutoffs = self.cutoffs.lock().unwrap_or_else(|p| p.into_inner());
        let stored = cutoffs.entry(cutoff.key()).or_insert(UnixSeconds::new(0));
        if *stored < cutoff.revoked_before() {
            *stored = cutoff.revoked_before();
            Ok(Raise::Recorded)
        } else {
            Ok(Raise::KeptLater)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::identity::{Subject, UserPoolId};

    fn cutoff(at: u64) -> Cutoff {
        Cutoff::new(
            UserPoolId::parse("eu-west-1_A").unwrap(),
            Subject::parse("s").unwrap(),
            "alice",
            UNIX_EPOCH + Duration::from_secs(at),
            Duration::from_secs(60),
            "m",
        )
    }

    #[tokio::test]
    async fn a_cutoff_is_raised_but_never_lowered() {
        let store = MemoryCutoffStore::new();
        assert_eq!(store.raise(&cutoff(100)).await.unwrap(), Raise::Recorded);
        assert_eq!(store.raise(&cutoff(50)).await.unwrap(), Raise::KeptLater);
        assert_eq!(store.raise(&cutoff(100)).await.unwrap(), Raise::KeptLater);
        let key = cutoff(0).key();
        assert_eq!(
            store.revoked_before(&key).await.unwrap(),
            Some(UnixSeconds::new(100))
        );
        assert_eq!(store.raise(&cutoff(200)).await.unwrap(), Raise::Recorded);
        assert_eq!(
            store.revoked_before(&key).await.unwrap(),
            Some(UnixSeconds::new(200))
        );
    }
}
