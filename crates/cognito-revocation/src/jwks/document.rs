//! What of a JSON Web Key Set document a verifier keeps: [`signing_keys`], the RS256 (RSA)
//! and ES256 (EC P-256) signing keys with a `kid`, ready to verify with. Keys marked for
//! encryption (`use` other than `sig`), for another algorithm, of another type or curve, or
//! without a `kid` are skipped. The key material is read by `jsonwebtoken` (aws-lc-rs); nothing
//! here does cryptography.

use jsonwebtoken::DecodingKey;
use serde::Deserialize;

/// The algorithm a kept key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256: an RSA key.
    Rs256,
    /// ECDSA on P-256 with SHA-256: an EC P-256 key.
    Es256,
}

/// A signing key of the document.
pub struct SigningKey {
    /// Its `kid`.
    pub kid: String,
    /// What it verifies.
    pub alg: SigningAlg,
    /// The key.
    pub key: DecodingKey,
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

/// The signing keys of `document`, or why it is not a JWKS document (the parser's message).
pub fn signing_keys(document: &[u8]) -> Result<Vec<SigningKey>, String> {
    let document: Document = serde_json::from_slice(document).map_err(|e| e.to_string())?;
    Ok(document.keys.into_iter().filter_map(signing_key).collect())
}

fn signing_key(jwk: Jwk) -> Option<SigningKey> {
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    let kid = jwk.kid.filter(|kid| !kid.is_empty())?;
    let (alg, key) = match (jwk.kty.as_str(), jwk.alg.as_deref()) {
        ("RSA", None | Some("RS256")) => (
            SigningAlg::Rs256,
            DecodingKey::from_rsa_components(jwk.n.as_deref()?, jwk.e.as_deref()?).ok()?,
        ),
        ("EC", None | Some("ES256")) if jwk.crv.as_deref() == Some("P-256") => (
            SigningAlg::Es256,
            DecodingKey::from_ec_components(jwk.x.as_deref()?, jwk.y.as_deref()?).ok()?,
        ),
        _ => return None,
    };
    Some(SigningKey { kid, alg, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: &str = "j1pT3xKbswmMySvCefmiD3mfDaRFpZ9Y3Jl4fF0hMaCRVAt_e0yR7BeueDfqmj_NhVSO0WB5ao5e8V-9RFQOtK8SrqKl3i01-CyWYPICwybaGKhbJJR0S_6cZ8n5kscF1MjpIlsJcCzm-yKgTc3Mxk6KtrLoNgRvMwGLeHUXPkhS9YHfDKRe864iMFOK4df69brIYEICG2VLduh0hXYa0i-J3drwm7vxNdX7pVpCDu34qJtYoWq6CXt3Tzfi3YfWp8cFjGNbaDa3WnCd2IXpp0TFsFS-cEsw5rJjSl5OllJGeZKBtLeyVTy9PYwnk7MW43WSYeYstbk9NluX4H8Iuw";
    // A P-256 public point (RFC 7515 appendix A.3).
    const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    #[test]
    fn rsa_and_p256_signing_keys_are_kept_and_others_skipped() {
        let doc = format!(
            r#"{{"keys":[
                {{"kty":"EC","kid":"ec","crv":"P-256","x":"{X}","y":"{Y}"}},
                {{"kty":"EC","kid":"p384","crv":"P-384","x":"{X}","y":"{Y}"}},
                {{"kty":"RSA","kid":"enc","use":"enc","e":"AQAB","n":"{N}"}},
                {{"kty":"RSA","kid":"rs512","alg":"RS512","e":"AQAB","n":"{N}"}},
                {{"kty":"RSA","e":"AQAB","n":"{N}"}},
                {{"kty":"RSA","kid":"","e":"AQAB","n":"{N}"}},
                {{"kty":"RSA","kid":"no-modulus","e":"AQAB"}},
                {{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}},
                {{"kty":"RSA","kid":"good","e":"AQAB","n":"{N}"}}
            ]}}"#
        );
        let keys = signing_keys(doc.as_bytes()).unwrap();
        let kept: Vec<_> = keys.iter().map(|k| (k.kid.as_str(), k.alg)).collect();
        assert_eq!(
            kept,
            vec![("ec", SigningAlg::Es256), ("good", SigningAlg::Rs256)]
        );
    }

    #[test]
    fn a_document_that_is_not_a_jwks_is_an_error() {
        assert!(signing_keys(b"<html>").is_err());
        assert!(signing_keys(br#"{"nokeys":[]}"#).is_err());
        assert!(signing_keys(br#"{"keys":[]}"#).unwrap().is_empty());
    }
}
