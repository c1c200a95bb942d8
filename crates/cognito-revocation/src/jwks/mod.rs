//! The pools' signing keys: where they come from ([`KeySource`], the port; its HTTPS adapter
//! [`HttpsKeySource`]) and the per-instance cache ([`Jwks`]) that keeps them.
//!
//! Cognito rotates keys rarely and publishes the new one before signing with it, so a key set
//! fetched once serves for the life of the instance. A token whose `kid` is not in the cached
//! set makes the cache fetch the set again, but at most once a minute per pool: a stream of
//! tokens with made-up `kid`s cannot turn the verifier into a JWKS-fetching amplifier. A
//! failed fetch may be retried after [`RETRY_AFTER_FAILURE`], so a network blip at a cold
//! start does not deny every request for a minute.

mod https;

pub use https::{HttpsKeySource, JwksEndpoint};

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::identity::UserPoolId;

/// Least time between two fetches of one pool's key set after a successful fetch.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// Least time between two fetches of one pool's key set after a failed fetch.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
/// Largest JWKS document read, in bytes. Cognito's holds two RSA keys (about 1 KiB).
pub const MAX_JWKS_BYTES: usize = 64 * 1024;

/// Fetches a pool's JSON Web Key Set document.
pub trait KeySource: Send + Sync {
    /// The raw JWKS document of `pool` (`{"keys": [...]}`).
    fn fetch(&self, pool: &UserPoolId) -> impl Future<Output = Result<Vec<u8>, JwksError>> + Send;
}

/// A failed key set fetch. Kept as text: nothing routes on it (without keys every token of
/// the pool is refused); it is only logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    /// The HTTPS client could not be built (no root certificates).
    #[error("no TLS client: {0}")]
    Tls(String),
    /// Connection, TLS or I/O failure.
    #[error("transport: {0}")]
    Transport(String),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
    /// An answer other than 200.
    #[error("HTTP status {0}")]
    Status(u16),
    /// A document over [`MAX_JWKS_BYTES`].
    #[error("document over {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    /// Not a JWKS document, or one without a usable RSA key.
    #[error("unusable document: {0}")]
    Document(String),
}

/// One key set: RSA signing keys by `kid`, ready to verify with.
type KeySet = HashMap<String, Arc<DecodingKey>>;

/// What the cache knows about one pool's keys.
struct PoolKeys {
    keys: RwLock<Arc<KeySet>>,
    fetches: Mutex<FetchState>,
}

#[derive(Default)]
struct FetchState {
    /// No fetch before this moment (`None`: never fetched).
    next_allowed: Option<Instant>,
    /// The last fetch's error, while no key set has ever been fetched.
    last_error: Option<JwksError>,
}

/// What the cache answers for one `kid`.
#[derive(Debug, Clone)]
pub enum KeyLookup {
    /// The key to verify with.
    Found(Arc<DecodingKey>),
    /// No such key in the pool's set, even after the refetch allowed.
    Unknown,
    /// No key set could be fetched.
    Unavailable(JwksError),
}

/// The signing keys of the listed pools, fetched on first use and cached for the instance.
pub struct Jwks<S> {
    source: S,
    pools: HashMap<UserPoolId, PoolKeys>,
}

impl<S> fmt::Debug for Jwks<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwks")
            .field("pools", &self.pools.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<S: KeySource> Jwks<S> {
    /// A cache for `pools`, filled from `source`. Nothing is fetched until a token needs it,
    /// so building one costs nothing at a cold start.
    pub fn new(source: S, pools: impl IntoIterator<Item = UserPoolId>) -> Self {
        let pools = pools
            .into_iter()
            .map(|pool| {
                (
                    pool,
                    PoolKeys {
                        keys: RwLock::new(Arc::new(KeySet::new())),
                        fetches: Mutex::new(FetchState::default()),
                    },
                )
            })
            .collect();
        Self { source, pools }
    }

    /// The key `kid` of `pool`: from the cache, else from a fetch when the rate limit allows
    /// one. Concurrent callers missing the same pool wait for one fetch instead of each
    /// starting their own.
    pub async fn key(&self, pool: &UserPoolId, kid: &str) -> KeyLookup {
        let Some(entry) = self.pools.get(pool) else {
            return KeyLookup::Unknown;
        };
        if let Some(key) = cached(entry, kid) {
            return KeyLookup::Found(key);
        }
        let mut state = entry.fetches.lock().await;
        // Another caller may have fetched while this one waited for the lock.
        if let Some(key) = cached(entry, kid) {
            return KeyLookup::Found(key);
        }
        let now = Instant::now();
        if state.next_allowed.is_some_and(|at| now < at) {
            return match &state.last_error {
                Some(err) => KeyLookup::Unavailable(err.clone()),
                None => KeyLookup::Unknown,
            };
        }
        let fetched = self.source.fetch(pool).await.and_then(|doc| parse(&doc));
        match fetched {
            Ok(set) => {
                tracing::info!(pool = %pool, keys = set.len(), "fetched the pool's JWKS");
                state.next_allowed = Some(now + REFETCH_INTERVAL);
                state.last_error = None;
                let found = set.get(kid).cloned();
                *entry.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
                match found {
                    Some(key) => KeyLookup::Found(key),
                    None => KeyLookup::Unknown,
                }
            }
            Err(err) => {
                tracing::warn!(pool = %pool, error = %err, "cannot fetch the pool's JWKS");
                state.next_allowed = Some(now + RETRY_AFTER_FAILURE);
                let has_keys = !entry
                    .keys
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .is_empty();
                if has_keys {
                    // The cached set stays in use; this kid is simply not in it.
                    state.last_error = None;
                    KeyLookup::Unknown
                } else {
                    state.last_error = Some(err.clone());
                    KeyLookup::Unavailable(err)
                }
            }
        }
    }
}

fn cached(entry: &PoolKeys, kid: &str) -> Option<Arc<DecodingKey>> {
    entry
        .keys
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(kid)
        .cloned()
}

#[derive(Deserialize)]
struct Document {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

/// The RSA signing keys of a JWKS document. Keys of other types, or marked for another
/// algorithm or for encryption, are skipped: the verifier only ever checks RS256.
fn parse(document: &[u8]) -> Result<KeySet, JwksError> {
    let document: Document =
        serde_json::from_slice(document).map_err(|e| JwksError::Document(e.to_string()))?;
    let mut set = KeySet::new();
    for jwk in document.keys {
        let usable = jwk.kty == "RSA"
            && jwk.alg.as_deref().is_none_or(|alg| alg == "RS256")
            && jwk.use_.as_deref().is_none_or(|u| u == "sig");
        let (true, Some(kid), Some(n), Some(e)) = (usable, jwk.kid, jwk.n, jwk.e) else {
            continue;
        };
        if let Ok(key) = DecodingKey::from_rsa_components(&n, &e) {
            set.insert(kid, Arc::new(key));
        }
    }
    if set.is_empty() {
        return Err(JwksError::Document("no RSA signing key".to_owned()));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const N: &str = "j1pT3xKbswmMySvCefmiD3mfDaRFpZ9Y3Jl4fF0hMaCRVAt_e0yR7BeueDfqmj_NhVSO0WB5ao5e8V-9RFQOtK8SrqKl3i01-CyWYPICwybaGKhbJJR0S_6cZ8n5kscF1MjpIlsJcCzm-yKgTc3Mxk6KtrLoNgRvMwGLeHUXPkhS9YHfDKRe864iMFOK4df69brIYEICG2VLduh0hXYa0i-J3drwm7vxNdX7pVpCDu34qJtYoWq6CXt3Tzfi3YfWp8cFjGNbaDa3WnCd2IXpp0TFsFS-cEsw5rJjSl5OllJGeZKBtLeyVTy9PYwnk7MW43WSYeYstbk9NluX4H8Iuw";

    fn document(kids: &[&str]) -> Vec<u8> {
        let keys: Vec<String> = kids
            .iter()
            .map(|kid| {
                format!(r#"{{"kty":"RSA","alg":"RS256","use":"sig","kid":"{kid}","e":"AQAB","n":"{N}"}}"#)
            })
            .collect();
        format!(r#"{{"keys":[{}]}}"#, keys.join(",")).into_bytes()
    }

    /// Serves a scripted sequence of answers and counts fetches.
    struct Scripted {
        answers: std::sync::Mutex<Vec<Result<Vec<u8>, JwksError>>>,
        fetches: AtomicUsize,
    }

    impl Scripted {
        fn new(answers: Vec<Result<Vec<u8>, JwksError>>) -> Self {
            Self {
                answers: std::sync::Mutex::new(answers),
                fetches: AtomicUsize::new(0),
            }
        }
    }

    impl KeySource for Scripted {
        async fn fetch(&self, _pool: &UserPoolId) -> Result<Vec<u8>, JwksError> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            let mut answers = self.answers.lock().unwrap();
            if answers.len() > 1 {
                answers.remove(0)
            } else {
                answers[0].clone()
            }
        }
    }

    fn pool() -> UserPoolId {
        UserPoolId::parse("eu-west-1_A").unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn an_unknown_kid_refetches_at_most_once_a_minute() {
        let jwks = Jwks::new(
            Scripted::new(vec![Ok(document(&["k1"])), Ok(document(&["k1", "k2"]))]),
            [pool()],
        );
        assert!(matches!(jwks.key(&pool(), "k1").await, KeyLookup::Found(_)));
        assert!(matches!(jwks.key(&pool(), "k2").await, KeyLookup::Unknown));
        assert!(matches!(jwks.key(&pool(), "k3").await, KeyLookup::Unknown));
        assert_eq!(jwks.source.fetches.load(Ordering::SeqCst), 1);
        tokio::time::advance(REFETCH_INTERVAL).await;
        assert!(matches!(jwks.key(&pool(), "k2").await, KeyLookup::Found(_)));
        assert_eq!(jwks.source.fetches.load(Ordering::SeqCst), 2);
        assert!(matches!(jwks.key(&pool(), "k1").await, KeyLookup::Found(_)));
        assert_eq!(jwks.source.fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_first_fetch_is_retried_after_a_few_seconds() {
        let jwks = Jwks::new(
            Scripted::new(vec![Err(JwksError::Status(503)), Ok(document(&["k1"]))]),
            [pool()],
        );
        assert!(matches!(
            jwks.key(&pool(), "k1").await,
            KeyLookup::Unavailable(JwksError::Status(503))
        ));
        assert!(matches!(
            jwks.key(&pool(), "k1").await,
            KeyLookup::Unavailable(_)
        ));
        assert_eq!(jwks.source.fetches.load(Ordering::SeqCst), 1);
        tokio::time::advance(RETRY_AFTER_FAILURE).await;
        assert!(matches!(jwks.key(&pool(), "k1").await, KeyLookup::Found(_)));
    }

    #[tokio::test]
    async fn a_pool_that_is_not_listed_fetches_nothing() {
        let jwks = Jwks::new(Scripted::new(vec![Ok(document(&["k1"]))]), [pool()]);
        let other = UserPoolId::parse("eu-west-1_B").unwrap();
        assert!(matches!(jwks.key(&other, "k1").await, KeyLookup::Unknown));
        assert_eq!(jwks.source.fetches.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn keys_of_other_types_and_uses_are_skipped() {
        let doc = format!(
            r#"{{"keys":[
                {{"kty":"EC","kid":"ec","crv":"P-256","x":"a","y":"b"}},
                {{"kty":"RSA","kid":"enc","use":"enc","e":"AQAB","n":"{N}"}},
                {{"kty":"RSA","kid":"rs512","alg":"RS512","e":"AQAB","n":"{N}"}},
                {{"kty":"RSA","kid":"good","e":"AQAB","n":"{N}"}}
            ]}}"#
        );
        let set = parse(doc.as_bytes()).unwrap();
        assert_eq!(set.keys().collect::<Vec<_>>(), vec!["good"]);
    }

    #[test]
    fn a_document_without_rsa_keys_is_unusable() {
        assert!(matches!(
            parse(br#"{"keys":[]}"#),
            Err(JwksError::Document(_))
        ));
        assert!(matches!(parse(b"<html>"), Err(JwksError::Document(_))));
    }
}
