//! The transmitter's signing keys: where they come from ([`TransmitterKeySource`], the port; its HTTPS
//! adapter [`HttpsTransmitterKeySource`], which finds the JWKS by discovery when it is not configured;
//! [`StaticKeySource`] for tests), what of a JWKS is kept (RS256 and ES256 signing keys), and
//! the per-instance cache ([`Keys`]): the workspace's one [`KeySetCache`], so an unknown
//! `kid` refetches at most once per [`REFETCH_INTERVAL`] and a failed fetch is retried after
//! [`RETRY_AFTER_FAILURE`] (SETs are answered 5xx meanwhile: delivered again, never lost).

mod https;
mod memory;

pub use https::{HttpsTransmitterKeySource, JwksLocation};
pub use memory::StaticKeySource;

use std::future::Future;
use std::sync::Arc;

use cognito_revocation::jwks::{signing_keys, KeySet, SigningAlg as JwkAlg};
pub use cognito_revocation::jwks::{KeySetCache, REFETCH_INTERVAL, RETRY_AFTER_FAILURE};

use crate::core::set::{KeyKind, VerifyingKey};
use crate::transmitter::FetchError;

/// Fetches the transmitter's JSON Web Key Set document.
pub trait TransmitterKeySource: Send + Sync {
    /// The raw JWKS document (`{"keys": [...]}`).
    fn fetch(&self) -> impl Future<Output = Result<Vec<u8>, FetchError>> + Send;
}

/// What the cache answers for one `kid`.
pub type KeyLookup = cognito_revocation::jwks::CachedKey<VerifyingKey, FetchError>;

/// The transmitter's keys, fetched on first use and cached for the instance.
pub struct Keys<S> {
    source: S,
    cache: KeySetCache<VerifyingKey, FetchError>,
}

impl<S> std::fmt::Debug for Keys<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

impl<S: TransmitterKeySource> Keys<S> {
    /// A cache filled from `source`. Nothing is fetched until a SET needs a key.
    pub fn new(source: S) -> Self {
        Self {
            source,
            cache: KeySetCache::new(),
        }
    }

    /// The source, for tests that count its fetches.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The key `kid`: from the cache, else from a fetch when the rate limit allows one.
    pub async fn key(&self, kid: &str) -> KeyLookup {
        self.cache
            .key(kid, || async {
                let fetched = self.source.fetch().await.and_then(|doc| parse(&doc));
                match &fetched {
                    Ok(set) => tracing::info!(keys = set.len(), "fetched the transmitter's JWKS"),
                    Err(err) => tracing::warn!(error = %err, "cannot fetch the transmitter's JWKS"),
                }
                fetched
            })
            .await
    }
}

/// The signing keys of a JWKS document: RSA keys (for RS256) and EC P-256 keys (for ES256),
/// each with a `kid` (the workspace's one reader of JWKS documents).
fn parse(document: &[u8]) -> Result<KeySet<VerifyingKey>, FetchError> {
    let set: KeySet<VerifyingKey> = signing_keys(document)
        .map_err(FetchError::Document)?
        .into_iter()
        .map(|key| {
            let kind = match key.alg {
                JwkAlg::Rs256 => KeyKind::Rsa,
                JwkAlg::Es256 => KeyKind::EcP256,
            };
            (key.kid, Arc::new(VerifyingKey { kind, key: key.key }))
        })
        .collect();
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
    fn each_kept_key_knows_its_kind() {
        let doc = format!(
            r#"{{"keys":[{{"kty":"EC","kid":"ec","crv":"P-256","x":"{X}","y":"{Y}"}},{{"kty":"RSA","kid":"rsa","e":"AQAB","n":"{N}"}}]}}"#
        );
        let set = parse(doc.as_bytes()).unwrap();
        assert_eq!(set["ec"].kind, KeyKind::EcP256);
        assert_eq!(set["rsa"].kind, KeyKind::Rsa);
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
