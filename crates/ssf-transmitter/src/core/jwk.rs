//! A signing key's public half as a JWK (RFC 7517): KMS's `GetPublicKey` answers a DER
//! `SubjectPublicKeyInfo`; the JWKS publishes its modulus and exponent. The `kid` is the key's
//! RFC 7638 thumbprint: the same key always has the same `kid`, whichever id or alias names it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use pkcs1::der::Decode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The OID of `rsaEncryption`.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// The smallest modulus accepted, in bits (the CAEP interoperability profile: 2048 or more).
pub const MIN_RSA_BITS: usize = 2048;

/// Why a public key cannot be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRefusal {
    /// Not a DER SubjectPublicKeyInfo of an RSA key.
    #[error("not an RSA public key: {0}")]
    NotRsa(String),
    /// An RSA key under [`MIN_RSA_BITS`].
    #[error("an RSA key of {0} bits; at least 2048 are required")]
    TooShort(usize),
}

/// An RSA public key, as the JWKS publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    /// The RFC 7638 thumbprint.
    pub kid: String,
    n: String,
    e: String,
}

impl PublicJwk {
    /// Reads a DER `SubjectPublicKeyInfo` (what KMS's `GetPublicKey` answers).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyRefusal> {
        let info = spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| KeyRefusal::NotRsa(e.to_string()))?;
        if info.algorithm.oid.to_string() != RSA_ENCRYPTION {
            return Err(KeyRefusal::NotRsa(format!(
                "algorithm {}",
                info.algorithm.oid
            )));
        }
        let bits = info
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| KeyRefusal::NotRsa("unaligned key bits".to_owned()))?;
        let key =
            pkcs1::RsaPublicKey::from_der(bits).map_err(|e| KeyRefusal::NotRsa(e.to_string()))?;
        Self::from_components(key.modulus.as_bytes(), key.public_exponent.as_bytes())
    }

    /// The key of modulus `n` and exponent `e`, big-endian.
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, KeyRefusal> {
        let n = strip_zeros(n);
        let e = strip_zeros(e);
        let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
        if bits < MIN_RSA_BITS {
            return Err(KeyRefusal::TooShort(bits));
        }
        let n = URL_SAFE_NO_PAD.encode(n);
        let e = URL_SAFE_NO_PAD.encode(e);
        // RFC 7638: the required members, in lexicographic order, no whitespace.
        let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        Ok(Self { kid, n, e })
    }

    /// The JWK, for signatures with RS256.
    pub fn to_json(&self) -> Value {
        json!({"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": self.n, "e": self.e})
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// The JWKS document of `keys`.
pub fn jwks(keys: &[PublicJwk]) -> Value {
    json!({"keys": keys.iter().map(PublicJwk::to_json).collect::<Vec<_>>()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thumbprint_is_rfc_7638s_example() {
        // RFC 7638 section 3.1's example key and its thumbprint.
        let n = URL_SAFE_NO_PAD.decode("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw").unwrap();
        let key = PublicJwk::from_components(&n, &[1, 0, 1]).unwrap();
        assert_eq!(key.kid, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        assert_eq!(key.to_json()["e"], "AQAB");
        assert_eq!(jwks(&[key])["keys"][0]["alg"], "RS256");
    }

    #[test]
    fn short_or_foreign_keys_are_refused() {
        assert_eq!(
            PublicJwk::from_components(&[0xff; 128], &[1, 0, 1]),
            Err(KeyRefusal::TooShort(1024))
        );
        assert!(matches!(
            PublicJwk::from_spki_der(b"not der"),
            Err(KeyRefusal::NotRsa(_))
        ));
    }
}
