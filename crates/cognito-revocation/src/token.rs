//! Reading a compact JWS before its signature is checked: the size cap, the three segments,
//! the header and the claims. Nothing read here is trusted yet; it only decides which key to
//! check the signature with and refuses what cannot be a Cognito token, cheaply, before any
//! key fetch or cryptography.

use serde::Deserialize;

use crate::refusal::{Refusal, MAX_TOKEN_BYTES};

/// The JOSE header fields the verifier reads.
#[derive(Debug, Deserialize)]
pub(crate) struct Header {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
}

/// `aud`: a string in Cognito's ID tokens; an array is accepted too, as JWT allows it.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// The single audience of a Cognito ID token (the app client), if there is exactly one.
    pub fn single(&self) -> Option<&str> {
        match self {
            Audience::One(aud) => Some(aud),
            Audience::Many(auds) if auds.len() == 1 => auds.first().map(String::as_str),
            Audience::Many(_) => None,
        }
    }
}

/// The claims the verifier reads; every other claim is ignored.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Claims {
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub token_use: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub aud: Option<Audience>,
    #[serde(default)]
    pub exp: Option<u64>,
    #[serde(default)]
    pub iat: Option<u64>,
    #[serde(default)]
    pub auth_time: Option<u64>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default, rename = "cognito:username")]
    pub cognito_username: Option<String>,
    /// An access token's scopes, space-separated (OAuth 2); a client-credentials token's
    /// resource-server scopes are here.
    #[serde(default)]
    pub scope: Option<String>,
}

/// A token split and decoded, signature not yet checked.
#[derive(Debug)]
pub(crate) struct Unverified<'a> {
    /// `<header>.<payload>`: the bytes the signature covers.
    pub signing_input: &'a str,
    /// The third segment, still base64url.
    pub signature: &'a str,
    pub header: Header,
    pub claims: Claims,
}

/// Splits and decodes `token`: at most [`MAX_TOKEN_BYTES`], exactly three non-empty
/// base64url segments (a JWE's five, or `alg: none`'s empty signature, are refused), a JSON
/// header and a JSON claims object.
pub(crate) fn read(token: &str) -> Result<Unverified<'_>, Refusal> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::TooLarge);
    }
    let (header, payload, signature) = crate::jws::segments(token).ok_or(Refusal::Malformed)?;
    let header: Header = decode_json(header)?;
    // An empty signature is what `alg: none` tokens carry; report the algorithm, which is
    // the more useful reason, before the missing signature.
    if header.alg != "RS256" {
        return Err(Refusal::Algorithm);
    }
    if signature.is_empty() || !crate::jws::is_base64url(signature) {
        return Err(Refusal::Malformed);
    }
    let claims: Claims = decode_json(payload)?;
    let signing_input = &token[..token.len() - signature.len() - 1];
    Ok(Unverified {
        signing_input,
        signature,
        header,
        claims,
    })
}

/// A JSON segment of the compact JWS, or [`Refusal::Malformed`].
fn decode_json<T: serde::de::DeserializeOwned>(segment: &str) -> Result<T, Refusal> {
    crate::jws::decode_json(segment).ok_or(Refusal::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, payload: &str, signature: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(payload), signature)
    }

    #[test]
    fn a_well_formed_token_splits_into_its_parts() {
        let t = token(
            r#"{"alg":"RS256","kid":"k1"}"#,
            r#"{"sub":"s","exp":5}"#,
            "c2ln",
        );
        let read = read(&t).unwrap();
        assert_eq!(read.header.kid.as_deref(), Some("k1"));
        assert_eq!(read.claims.sub.as_deref(), Some("s"));
        assert_eq!(read.signature, "c2ln");
        assert_eq!(format!("{}.c2ln", read.signing_input), t);
    }

    #[test]
    fn a_token_over_the_cap_is_refused_as_too_large() {
        let t = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(read(&t).unwrap_err(), Refusal::TooLarge);
    }

    #[test]
    fn alg_none_is_refused_as_algorithm() {
        let t = token(r#"{"alg":"none"}"#, r#"{"sub":"s"}"#, "");
        assert_eq!(read(&t).unwrap_err(), Refusal::Algorithm);
    }

    #[test]
    fn hs256_is_refused_as_algorithm() {
        let t = token(r#"{"alg":"HS256","kid":"k1"}"#, r#"{"sub":"s"}"#, "c2ln");
        assert_eq!(read(&t).unwrap_err(), Refusal::Algorithm);
    }

    #[test]
    fn bad_base64_and_bad_json_and_wrong_segment_counts_are_malformed() {
        let good_header = b64(r#"{"alg":"RS256","kid":"k"}"#);
        let good_payload = b64(r#"{"sub":"s"}"#);
        for bad in [
            String::new(),
            "abc".to_owned(),
            "a.b".to_owned(),
            "a.b.c.d.e".to_owned(),
            format!("{good_header}.{good_payload}.sig.extra"),
            format!("!!!.{good_payload}.c2ln"),
            format!("{good_header}.%%%.c2ln"),
            format!("{}.{good_payload}.c2ln", b64("not json")),
            format!("{good_header}.{}.c2ln", b64("[1,2]")),
            format!("{good_header}.{}.c2ln", b64(r#"{"exp":"soon"}"#)),
            format!("{good_header}.{good_payload}."),
            format!("{good_header}.{good_payload}.c2ln="),
            format!(".{good_payload}.c2ln"),
        ] {
            assert_eq!(read(&bad).unwrap_err(), Refusal::Malformed, "{bad:?}");
        }
    }
}
