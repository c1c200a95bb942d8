//! A signing key held in memory, for tests and benchmarks: RS256 by `jsonwebtoken` on
//! aws-lc-rs, the library every verifier of the workspace uses.

use jsonwebtoken::{Algorithm, EncodingKey};

use super::{SignError, Signer};
use crate::core::jwk::PublicJwk;

/// A key in memory, with its public half; counts its signatures.
pub struct MemorySigner {
    key: EncodingKey,
    public: Vec<PublicJwk>,
    signed: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for MemorySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySigner")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl MemorySigner {
    /// Signs with `key` (RSA) whose public half is `public`; `others` are published beside
    /// it (a rotation).
    pub fn new(key: EncodingKey, public: PublicJwk, others: Vec<PublicJwk>) -> Self {
        let mut keys = vec![public];
        keys.extend(others);
        Self {
            key,
            public: keys,
            signed: 0.into(),
        }
    }

    /// Signs with the RSA `key`, publishing its public half alone.
    pub fn from_key(key: EncodingKey) -> Result<Self, SignError> {
        let public = public_of(&key)?;
        Ok(Self::new(key, public, Vec::new()))
    }

    /// The keys published, the signing one first.
    pub fn public(&self) -> &[PublicJwk] {
        &self.public
    }

    /// The signatures made so far.
    pub fn signed(&self) -> usize {
        self.signed.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The public half of the RSA `key`, as the JWKS publishes it.
fn public_of(key: &EncodingKey) -> Result<PublicJwk, SignError> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let refused = |problem: String| SignError::Key {
        key: "memory".to_owned(),
        problem,
    };
    let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(key, Algorithm::RS256)
        .map_err(|e| refused(e.to_string()))?;
    let jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) = jwk.algorithm else {
        return Err(refused("not an RSA key".to_owned()));
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|e| refused(e.to_string()))
    };
    PublicJwk::from_components(&decode(&rsa.n)?, &decode(&rsa.e)?)
        .map_err(|e| refused(e.to_string()))
}

impl Signer for MemorySigner {
    async fn public_keys(&self) -> Result<Vec<PublicJwk>, SignError> {
        Ok(self.public.clone())
    }

    async fn sign(&self, input: &[u8]) -> Result<Vec<u8>, SignError> {
        use base64::Engine;
        self.signed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let signature = jsonwebtoken::crypto::sign(input, &self.key, Algorithm::RS256)
            .map_err(|e| SignError::Call(e.to_string()))?;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|e| SignError::Call(e.to_string()))
    }
}
