//! The pools' signing keys: where they come from ([`KeySource`], the port; its HTTPS adapter
//! [`HttpsKeySource`]) and the per-instance cache ([`Jwks`]) that keeps them: one
//! [`KeySetCache`] per pool (fetched on first use, refetched at most once a minute for an
//! unknown `kid`, retried a few seconds after a failure).

mod cache;
mod document;
mod https;
mod memory;

pub use cache::{CachedKey, KeySet, KeySetCache, REFETCH_INTERVAL, RETRY_AFTER_FAILURE};
pub use document::{signing_keys, SigningAlg, SigningKey};
pub use https::{HttpsKeySource, JwksEndpoint};
pub use memory::StaticKeySource;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use jsonwebtoken::DecodingKey;

use crate::identity::UserPoolId;

/// Largest JWKS document read, in bytes. Cognito's holds two RSA keys (about 1 KiB).
pub const MAX_JWKS_BYTES: usize = 64 * 1024;

/// Fetches a pool's JSON Web Key Set document.
pub trait KeySource: Send + Sync {
    /// The raw JWKS document of `pool` (`{"keys": [...]}`).
    fn fetch(&self, pool: &UserPoolId) -> impl Future<Output = Result<Vec<u8>, JwksError>> + Send;
}

/// A failed key set fetch: the workspace's [`FetchError`](crate::http::FetchError). Nothing
/// routes on it (without keys every token of the pool is refused); it is only logged.
pub type JwksError = crate::http::FetchError;

/// What the cache answers for one `kid` of a pool.
pub type KeyLookup = CachedKey<DecodingKey, JwksError>;

/// The signing keys of the listed pools, fetched on first use and cached for the instance.
pub struct Jwks<S> {
    source: S,
    pools: HashMap<UserPoolId, KeySetCache<DecodingKey, JwksError>>,
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
            .map(|pool| (pool, KeySetCache::new()))
            .collect();
        Self { source, pools }
    }

    /// The key `kid` of `pool`: from the cache, else from a fetch when the rate limit allows
    /// one. A pool that is not listed has no keys.
    pub async fn key(&self, pool: &UserPoolId, kid: &str) -> KeyLookup {
        let Some(cache) = self.pools.get(pool) else {
            return KeyLookup::Unknown;
        };
        cache
            .key(kid, || async {
                let fetched = self.source.fetch(pool).await.and_then(|doc| parse(&doc));
                match &fetched {
                    Ok(set) => {
                        tracing::info!(pool = %pool, keys = set.len(), "fetched the pool's JWKS")
                    }
                    Err(err) => {
                        tracing::warn!(pool = %pool, error = %err, "cannot fetch the pool's JWKS")
                    }
                }
                fetched
            })
            .await
    }
}

/// The RSA signing keys of a JWKS document (the verifier only ever checks RS256).
fn parse(document: &[u8]) -> Result<KeySet<DecodingKey>, JwksError> {
    let set: KeySet<DecodingKey> = signing_keys(document)
        .map_err(JwksError::Document)?
        .into_iter()
        .filter(|key| key.alg == SigningAlg::Rs256)
        .map(|key| (key.kid, Arc::new(key.key)))
        .collect();
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
