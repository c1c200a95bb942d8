//! The transmitter's signing keys: where they come from ([`KeySource`], the port; its HTTPS
//! adapter [`HttpsKeySource`], which finds the JWKS by discovery when it is not configured;
//! [`StaticKeySource`] for tests) and the per-instance cache ([`Keys`]) that keeps them.
//!
//! A transmitter publishes a new key before signing with it, so a key set fetched once serves
//! until a SET names a `kid` it does not hold. That makes the cache fetch the set again, but
//! at most once per [`REFETCH_INTERVAL`]: a stream of SETs with made-up `kid`s cannot turn
//! the receiver into a JWKS-fetching amplifier. A failed fetch may be retried after
//! [`RETRY_AFTER_FAILURE`], so a network blip at a cold start does not refuse SETs for a
//! minute (and those SETs are answered 5xx meanwhile: delivered again, never lost).

mod https;
mod memory;

pub use https::{HttpsKeySource, JwksLocation};
pub use memory::StaticKeySource;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::set::{KeyKind, VerifyingKey};
use crate::transmitter::FetchError;

/// Least time between two fetches of the key set after a successful fetch.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// Least time between two fetches of the key set after a failed fetch.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Fetches the transmitter's JSON Web Key Set document.
pub trait KeySource: Send + Sync {
    /// The raw JWKS document (`{"keys": [...]}`).
    fn fetch(&self) -> impl Future<Output = Result<Vec<u8>, FetchError>> + Send;
}

/// One key set: verification keys by `kid`.
type KeySet = HashMap<String, Arc<VerifyingKey>>;

#[derive(Default)]
struct FetchState {
    /// No fetch before this moment (`None`: never fetched).
    next_allowed: Option<Instant>,
    /// The last fetch's error, while no key set has ever been fetched.
    last_error: Option<FetchError>,
}

/// What the cache answers for one `kid`.
#[derive(Debug, Clone)]
pub enum KeyLookup {
    /// The key to verify with.
    Found(Arc<VerifyingKey>),
    /// No such key in the set, even after the refetch allowed.
    Unknown,
    /// No key set could be fetched: not the SET's fault.
    Unavailable(FetchError),
}

/// The transmitter's keys, fetched on first use and cached for the instance.
pub struct Keys<S> {
    source: S,
    keys: RwLock<Arc<KeySet>>,
    fetches: Mutex<FetchState>,
}

impl<S> std::fmt::Debug for Keys<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

impl<S: KeySource> Keys<S> {
    /// A cache filled from `source`. Nothing is fetched until a SET needs a key.
    pub fn new(source: S) -> Self {
        Self {
            source,
            keys: RwLock::new(Arc::new(KeySet::new())),
            fetches: Mutex::new(FetchState::default()),
        }
    }

    /// The source, for tests that count its fetches.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The key `kid`: from the cache, else from a fetch when the rate limit allows one.
    /// Concurrent callers that miss wait for one fetch instead of each starting their own.
    pub async fn key(&self, kid: &str) -> KeyLookup {
        if let Some(key) = self.cached(kid) {
            return KeyLookup::Found(key);
        }
        let mut state = self.fetches.lock().await;
        if let Some(key) = self.cached(kid) {
            return KeyLookup::Found(key);
        }
        let now = Instant::now();
        if state.next_allowed.is_some_and(|at| now < at) {
            return match &state.last_error {
                Some(err) => KeyLookup::Unavailable(err.clone()),
                None => KeyLookup::Unknown,
            };
        }
        match self.source.fetch().await.and_then(|doc| parse(&doc)) {
            Ok(set) => {
                tracing::info!(keys = set.len(), "fetched the transmitter's JWKS");
                state.next_allowed = Some(now + REFETCH_INTERVAL);
                state.last_error = None;
                let found = set.get(kid).cloned();
                *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
                found.map_or(KeyLookup::Unknown, KeyLookup::Found)
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot fetch the transmitter's JWKS");
                state.next_allowed = Some(now + RETRY_AFTER_FAILURE);
                let has_keys = !self
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

    fn cached(&self, kid: &str) -> Option<Arc<VerifyingKey>> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(kid)
            .cloned()
    }
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
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

/// The signing keys of a JWKS document: RSA keys (for RS256) and EC P-256 keys (for ES256),
/// each with a `kid`. Keys marked for encryption, or for another algorithm, are skipped.
fn parse(document: &[u8]) -> Result<KeySet, FetchError> {
    let document: Document =
        serde_json::from_slice(document).map_err(|e| FetchError::Document(e.to_string()))?;
    let mut set = KeySet::new();
    for jwk in document.keys {
        if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
            continue;
        }
        let Some(kid) = jwk.kid.filter(|kid| !kid.is_empty()) else {
            continue;
        };
        let key = match (jwk.kty.as_str(), jwk.alg.as_deref()) {
            ("RSA", None | Some("RS256")) => match (&jwk.n, &jwk.e) {
                (Some(n), Some(e)) => DecodingKey::from_rsa_components(n, e)
                    .ok()
                    .map(|key| (KeyKind::Rsa, key)),
                _ => None,
            },
            ("EC", None | Some("ES256")) if jwk.crv.as_deref() == Some("P-256") => {
                match (&jwk.x, &jwk.y) {
                    (Some(x), Some(y)) => DecodingKey::from_ec_components(x, y)
                        .ok()
                        .map(|key| (KeyKind::EcP256, key)),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some((kind, key)) = key {
            set.insert(kid, Arc::new(VerifyingKey { kind, key }));
        }
    }
    if set.is_empty() {
        return Err(FetchError::Document(
            "no RS256 or ES256 signing key".to_owned(),
        ));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: &str = "j1pT3xKbswmMySvCefmiD3mfDaRFpZ9Y3Jl4fF0hMaCRVAt_e0yR7BeueDfqmj_NhVSO0WB5ao5e8V-9RFQOtK8SrqKl3i01-CyWYPICwybaGKhbJJR0S_6cZ8n5kscF1MjpIlsJcCzm-yKgTc3Mxk6KtrLoNgRvMwGLeHUXPkhS9YHfDKRe864iMFOK4df69brIYEICG2VLduh0hXYa0i-J3drwm7vxNdX7pVpCDu34qJtYoWq6CXt3Tzfi3YfWp8cFjGNbaDa3WnCd2IXpp0TFsFS-cEsw5rJjSl5OllJGeZKBtLeyVTy9PYwnk7MW43WSYeYstbk9NluX4H8Iuw";
    // A P-256 public point (RFC 7515 appendix A.3).
    const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    fn document(kids: &[&str]) -> Vec<u8> {
        let keys: Vec<String> = kids
            .iter()
            .map(|kid| format!(r#"{{"kty":"RSA","alg":"RS256","use":"sig","kid":"{kid}","e":"AQAB","n":"{N}"}}"#))
            .collect();
        format!(r#"{{"keys":[{}]}}"#, keys.join(",")).into_bytes()
    }

    #[tokio::test(start_paused = true)]
    async fn an_unknown_kid_refetches_at_most_once_a_minute() {
        let keys = Keys::new(StaticKeySource::scripted(vec![
            Ok(document(&["k1"])),
            Ok(document(&["k1", "k2"])),
        ]));
        assert!(matches!(keys.key("k1").await, KeyLookup::Found(_)));
        assert!(matches!(keys.key("k2").await, KeyLookup::Unknown));
        assert!(matches!(keys.key("k3").await, KeyLookup::Unknown));
        assert_eq!(keys.source().fetches(), 1);
        tokio::time::advance(REFETCH_INTERVAL).await;
        assert!(matches!(keys.key("k2").await, KeyLookup::Found(_)));
        assert_eq!(keys.source().fetches(), 2);
        assert!(matches!(keys.key("k1").await, KeyLookup::Found(_)));
        assert_eq!(keys.source().fetches(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_first_fetch_is_unavailable_and_retried_after_a_few_seconds() {
        let keys = Keys::new(StaticKeySource::scripted(vec![
            Err(FetchError::Status(503)),
            Ok(document(&["k1"])),
        ]));
        assert!(matches!(
            keys.key("k1").await,
            KeyLookup::Unavailable(FetchError::Status(503))
        ));
        assert!(matches!(keys.key("k1").await, KeyLookup::Unavailable(_)));
        assert_eq!(keys.source().fetches(), 1);
        tokio::time::advance(RETRY_AFTER_FAILURE).await;
        assert!(matches!(keys.key("k1").await, KeyLookup::Found(_)));
    }

    #[test]
    fn rsa_and_p256_signing_keys_are_kept_and_others_skipped() {
        let doc = format!(
            r#"{{"keys":[
                {{"kty":"EC","kid":"ec","crv":"P-256","x":"{X}","y":"{Y}"}},
                {{"kty":"EC","kid":"p384","crv":"P-384","x":"{X}","y":"{Y}"}},
                {{"kty":"RSA","kid":"enc","use":"enc","e":"AQAB","n":"{N}"}},
                {{"kty":"RSA","kid":"rs512","alg":"RS512","e":"AQAB","n":"{N}"}},
                {{"kty":"RSA","e":"AQAB","n":"{N}"}},
                {{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}},
                {{"kty":"RSA","kid":"good","e":"AQAB","n":"{N}"}}
            ]}}"#
        );
        let set = parse(doc.as_bytes()).unwrap();
        let mut kids: Vec<_> = set.keys().map(String::as_str).collect();
        kids.sort();
        assert_eq!(kids, vec!["ec", "good"]);
        assert_eq!(set["ec"].kind, KeyKind::EcP256);
        assert_eq!(set["good"].kind, KeyKind::Rsa);
    }

    #[test]
    fn a_document_without_a_usable_key_is_unusable() {
        assert!(matches!(
            parse(br#"{"keys":[]}"#),
            Err(FetchError::Document(_))
        ));
        assert!(matches!(parse(b"<html>"), Err(FetchError::Document(_))));
    }
}
