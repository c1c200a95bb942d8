//! [`KeySetCache`]: one key set, kept for the instance and fetched again only when it must
//! be, shared by every verifier of the workspace (the pools' keys here, a Shared Signals
//! transmitter's keys in `ssf-receiver`).
//!
//! An issuer publishes a new key before signing with it, so a key set fetched once serves
//! until a token names a `kid` it does not hold. That makes the cache fetch the set again,
//! but at most once per [`REFETCH_INTERVAL`]: a stream of tokens with made-up `kid`s cannot
//! turn the verifier into a JWKS-fetching amplifier. A failed fetch may be retried after
//! [`RETRY_AFTER_FAILURE`], so a network blip at a cold start does not refuse every token for
//! a minute. Concurrent callers that miss wait for one fetch instead of each starting their
//! own. The cache neither fetches nor parses: the caller's `fetch` does both (and logs).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Least time between two fetches of one key set after a successful fetch.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// Least time between two fetches of one key set after a failed fetch.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Verification keys by `kid`.
pub type KeySet<V> = HashMap<String, Arc<V>>;

/// What the cache answers for one `kid`.
#[derive(Debug, Clone)]
pub enum CachedKey<V, E> {
    /// The key to verify with.
    Found(Arc<V>),
    /// No such key in the set, even after the refetch allowed.
    Unknown,
    /// No key set could be fetched: not the token's fault.
    Unavailable(E),
}

struct FetchState<E> {
    /// No fetch before this moment (`None`: never fetched).
    next_allowed: Option<Instant>,
    /// The last fetch's error, while the last fetch failed.
    last_error: Option<E>,
}

/// One key set of keys `V`, whose fetch fails with `E`.
pub struct KeySetCache<V, E> {
    keys: RwLock<Arc<KeySet<V>>>,
    fetches: Mutex<FetchState<E>>,
}

impl<V, E> Default for KeySetCache<V, E> {
    fn default() -> Self {
        Self {
            keys: RwLock::new(Arc::new(KeySet::new())),
            fetches: Mutex::new(FetchState {
                next_allowed: None,
                last_error: None,
            }),
        }
    }
}

impl<V, E> std::fmt::Debug for KeySetCache<V, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySetCache").finish_non_exhaustive()
    }
}

impl<V, E: Clone> KeySetCache<V, E> {
    /// An empty cache: nothing is fetched until a key is asked for.
    pub fn new() -> Self {
        Self::default()
    }

    /// The key `kid`: from the cache, else from `fetch` (the whole set, parsed) when the rate
    /// limit allows a fetch.
    pub async fn key<F, Fut>(&self, kid: &str, fetch: F) -> CachedKey<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<KeySet<V>, E>>,
    {
        if let Some(key) = self.cached(kid) {
            return CachedKey::Found(key);
        }
        let mut state = self.fetches.lock().await;
        // Another caller may have fetched while this one waited for the lock.
        if let Some(key) = self.cached(kid) {
            return CachedKey::Found(key);
        }
        let now = Instant::now();
        if state.next_allowed.is_some_and(|at| now < at) {
            return match &state.last_error {
                Some(err) => CachedKey::Unavailable(err.clone()),
                None => CachedKey::Unknown,
            };
        }
        match fetch().await {
            Ok(set) => {
                state.next_allowed = Some(now + REFETCH_INTERVAL);
                state.last_error = None;
                let found = set.get(kid).cloned();
                *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
                found.map_or(CachedKey::Unknown, CachedKey::Found)
            }
            Err(err) => {
                // The cached set stays in use for the kids it holds; this kid may be a new
                // key the issuer published while its endpoint failed, so it is unavailable,
                // not unknown, until a fresh set is read: only a set read without it makes
                // a kid unknown.
                state.next_allowed = Some(now + RETRY_AFTER_FAILURE);
                state.last_error = Some(err.clone());
                CachedKey::Unavailable(err)
            }
        }
    }

    fn cached(&self, kid: &str) -> Option<Arc<V>> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(kid)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    type Cache = KeySetCache<&'static str, &'static str>;

    fn set(kids: &[&'static str]) -> KeySet<&'static str> {
        kids.iter()
            .map(|kid| ((*kid).to_owned(), Arc::new(*kid)))
            .collect()
    }

    /// Looks `kid` up, fetching `answer` when the cache fetches; counts the fetches.
    async fn key(
        cache: &Cache,
        kid: &str,
        answer: Result<KeySet<&'static str>, &'static str>,
        fetches: &AtomicUsize,
    ) -> CachedKey<&'static str, &'static str> {
        cache
            .key(kid, || async {
                fetches.fetch_add(1, Ordering::SeqCst);
                answer
            })
            .await
    }

    #[tokio::test(start_paused = true)]
    async fn an_unknown_kid_refetches_at_most_once_per_interval() {
        let (cache, fetches) = (Cache::new(), AtomicUsize::new(0));
        assert!(matches!(
            key(&cache, "k1", Ok(set(&["k1"])), &fetches).await,
            CachedKey::Found(_)
        ));
        assert!(matches!(
            key(&cache, "k2", Ok(set(&["k1", "k2"])), &fetches).await,
            CachedKey::Unknown
        ));
        assert!(matches!(
            key(&cache, "k3", Ok(set(&["k1", "k2"])), &fetches).await,
            CachedKey::Unknown
        ));
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            1,
            "no refetch within the interval"
        );
        tokio::time::advance(REFETCH_INTERVAL).await;
        assert!(matches!(
            key(&cache, "k2", Ok(set(&["k1", "k2"])), &fetches).await,
            CachedKey::Found(_)
        ));
        assert!(matches!(
            key(&cache, "k1", Err("unused"), &fetches).await,
            CachedKey::Found(_)
        ));
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_first_fetch_is_unavailable_and_retried_after_a_few_seconds() {
        let (cache, fetches) = (Cache::new(), AtomicUsize::new(0));
        assert!(matches!(
            key(&cache, "k1", Err("503"), &fetches).await,
            CachedKey::Unavailable("503")
        ));
        assert!(matches!(
            key(&cache, "k1", Ok(set(&["k1"])), &fetches).await,
            CachedKey::Unavailable("503")
        ));
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        tokio::time::advance(RETRY_AFTER_FAILURE).await;
        assert!(matches!(
            key(&cache, "k1", Ok(set(&["k1"])), &fetches).await,
            CachedKey::Found(_)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refetch_keeps_the_set_in_use() {
        let (cache, fetches) = (Cache::new(), AtomicUsize::new(0));
        assert!(matches!(
            key(&cache, "k1", Ok(set(&["k1"])), &fetches).await,
            CachedKey::Found(_)
        ));
        tokio::time::advance(REFETCH_INTERVAL).await;
        assert!(matches!(
            key(&cache, "k2", Err("503"), &fetches).await,
            CachedKey::Unavailable("503")
        ));
        assert!(matches!(
            key(&cache, "k1", Err("503"), &fetches).await,
            CachedKey::Found(_)
        ));
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_kid_during_an_outage_is_unavailable_until_a_fresh_set_says_otherwise() {
        let (cache, fetches) = (Cache::new(), AtomicUsize::new(0));
        assert!(matches!(
            key(&cache, "k1", Ok(set(&["k1"])), &fetches).await,
            CachedKey::Found(_)
        ));
        tokio::time::advance(REFETCH_INTERVAL).await;
        // The issuer rotated to k2 while its endpoint answers 503.
        assert!(matches!(
            key(&cache, "k2", Err("503"), &fetches).await,
            CachedKey::Unavailable("503")
        ));
        // Within the retry window: still unavailable, no second fetch.
        assert!(matches!(
            key(&cache, "k2", Ok(set(&["k1", "k2"])), &fetches).await,
            CachedKey::Unavailable("503")
        ));
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        // Retried after a few seconds, not a minute.
        tokio::time::advance(RETRY_AFTER_FAILURE).await;
        assert!(matches!(
            key(&cache, "k2", Ok(set(&["k1", "k2"])), &fetches).await,
            CachedKey::Found(_)
        ));
        // A fresh set without a kid makes it unknown.
        assert!(matches!(
            key(&cache, "k9", Ok(set(&["k1", "k2"])), &fetches).await,
            CachedKey::Unknown
        ));
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
    }
}
