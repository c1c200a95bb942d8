//! A Security Event Token (RFC 8417) from its bytes to a [`VerifiedSet`], pure: no I/O, no
//! clock of its own. Every refusal is a [`SetRefusal`] that knows its RFC 8935 `err` code.
//!
//! The checks, in order; nothing read before step 4 is trusted, and it only decides which
//! key to check the signature with:
//!
//! 1. [`read`]: at most [`MAX_SET_BYTES`], before anything is decoded;
//! 2. a compact JWS (three base64url segments, a JSON header);
//! 3. the header: `typ` `secevent+jwt`; `alg` `RS256` or `ES256` only (so `none` and HMAC
//!    with the public key as a secret never reach a key); no key material of its own
//!    (`jwk`, `jku`, `x5u`, `x5c`: a SET that brings its key proves nothing); no `crit`
//!    (no extension is understood, and RFC 7515 says to refuse what is not); a `kid`;
//! 4. [`Unverified::verify`]: the signature, by `jsonwebtoken` on aws-lc-rs, with the key the
//!    transmitter's JWKS gives for the `kid` (found by the caller: [`crate::keys`]);
//! 5. [`admit`]: the claims of the now genuine SET: `iss` exactly the configured issuer,
//!    `aud` holding the configured audience, a `jti`, an `iat` neither more than
//!    [`MAX_CLOCK_SKEW`] ahead nor older than [`REPLAY_WINDOW`], no `exp` in the past, an
//!    `events` object with at least one event.
//!
//! The signature is checked before the claims so that a claims refusal always describes a
//! genuine SET: in the logs it points at a configuration mismatch, not at a forger.

use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Largest SET accepted, in bytes: SETs are small (one to a few events), and a body over
/// this is refused before it is decoded.
pub const MAX_SET_BYTES: usize = 64 * 1024;
/// How far ahead of this function's clock an `iat` may be, in seconds.
pub const MAX_CLOCK_SKEW: u64 = 5 * 60;

/// The longest `jti` accepted, in bytes. The `jti` becomes the replay item's key
/// (`set#<iss>#<jti>`, where DynamoDB takes at most 2,048 bytes) and the alert's `SetId`
/// attribute: a longer one is refused as `invalid_request` before anything is stored, rather
/// than failing the write on every delivery (a 503 the transmitter would retry without end).
/// Identifiers in practice are UUIDs (36 bytes) or a few of them.
pub const MAX_JTI_BYTES: usize = 512;

/// The longest `iss` (`SSF_ISSUER`) the receiver starts with, in bytes: with
/// [`MAX_JTI_BYTES`], a replay key stays within DynamoDB's 2,048-byte key.
pub const MAX_ISSUER_BYTES: usize = 1024;
/// How old an `iat` may be, in seconds: the time replay items are kept. A SET older than
/// this could be a captured one whose replay item has expired, so it must not act.
pub const REPLAY_WINDOW: u64 = 24 * 60 * 60;

/// The RFC 8935 section 2.3 error codes this receiver answers with (the `err` member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrCode {
    /// The request or the SET is malformed, or a claim is not acceptable.
    InvalidRequest,
    /// The key or signature: unknown `kid`, bad signature, refused algorithm.
    InvalidKey,
    /// `iss` is not the configured transmitter.
    InvalidIssuer,
    /// `aud` does not name this receiver.
    InvalidAudience,
    /// The push's `Authorization` is missing or wrong (401, never for a SET's own fault).
    AuthenticationFailed,
}

impl ErrCode {
    /// The code as RFC 8935 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrCode::InvalidRequest => "invalid_request",
            ErrCode::InvalidKey => "invalid_key",
            ErrCode::InvalidIssuer => "invalid_issuer",
            ErrCode::InvalidAudience => "invalid_audience",
            ErrCode::AuthenticationFailed => "authentication_failed",
        }
    }
}

/// Why a SET is not accepted. Each reason maps to one `err` code and one fixed description:
/// never a claim's value, so that a refusal can be logged and answered without echoing what
/// an unauthenticated sender wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SetRefusal {
    /// Over [`MAX_SET_BYTES`].
    #[error("the SET is larger than 64 KiB")]
    TooLarge,
    /// Not three base64url segments with a JSON header (and, once verified, JSON claims).
    #[error("the SET is not a compact JWS with a JSON header and claims")]
    Malformed,
    /// The header's `typ` is not `secevent+jwt`.
    #[error("the SET's typ header is not secevent+jwt")]
    Type,
    /// The header has `crit`.
    #[error("the SET's header names critical extensions this receiver does not understand")]
    Critical,
    /// `alg` is not RS256 or ES256 (`none`, HMAC, anything else).
    #[error("the SET's alg is not RS256 or ES256")]
    Algorithm,
    /// The header carries key material (`jwk`, `jku`, `x5u`, `x5c`).
    #[error("the SET's header carries key material (jwk, jku, x5u or x5c)")]
    KeyInHeader,
    /// No `kid`, or one the transmitter's JWKS does not hold (after the refetch allowed).
    #[error("the SET's kid is not a key of the transmitter")]
    UnknownKey,
    /// The key does not fit `alg` (an RSA key for ES256, an EC key for RS256).
    #[error("the key named by kid is not for the SET's alg")]
    KeyType,
    /// The signature does not verify.
    #[error("the SET's signature does not verify")]
    Signature,
    /// `iss` is not the configured issuer.
    #[error("the SET's iss is not the transmitter's issuer")]
    Issuer,
    /// `aud` does not hold the configured audience.
    #[error("the SET's aud does not name this receiver")]
    Audience,
    /// No `jti`.
    #[error("the SET has no jti")]
    NoJti,
    /// A `jti` longer than `MAX_JTI_BYTES`.
    #[error("the SET's jti is longer than 512 bytes")]
    JtiTooLong,
    /// No `iat`, or not a number.
    #[error("the SET has no iat")]
    NoIat,
    /// `iat` more than `MAX_CLOCK_SKEW` ahead.
    #[error("the SET's iat is in the future")]
    IssuedInFuture,
    /// `iat` older than `REPLAY_WINDOW`.
    #[error("the SET's iat is older than 24 hours")]
    TooOld,
    /// `exp` is in the past (or not a number).
    #[error("the SET has expired")]
    Expired,
    /// No `events` object, or an empty one.
    #[error("the SET has no events object")]
    NoEvents,
    /// Polled under a name (RFC 8936 `sets` member) that is not its `jti`.
    #[error("the SET's jti is not the name it was delivered under")]
    JtiMismatch,
}

impl SetRefusal {
    /// The `err` code answered for this refusal.
    pub fn err(self) -> ErrCode {
        match self {
            SetRefusal::Algorithm
            | SetRefusal::KeyInHeader
            | SetRefusal::UnknownKey
            | SetRefusal::KeyType
            | SetRefusal::Signature => ErrCode::InvalidKey,
            SetRefusal::Issuer => ErrCode::InvalidIssuer,
            SetRefusal::Audience => ErrCode::InvalidAudience,
            SetRefusal::TooLarge
            | SetRefusal::Malformed
            | SetRefusal::Type
            | SetRefusal::Critical
            | SetRefusal::NoJti
            | SetRefusal::JtiTooLong
            | SetRefusal::NoIat
            | SetRefusal::IssuedInFuture
            | SetRefusal::TooOld
            | SetRefusal::Expired
            | SetRefusal::NoEvents
            | SetRefusal::JtiMismatch => ErrCode::InvalidRequest,
        }
    }
}

/// The two signature algorithms accepted, each with the key type it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256: an RSA key.
    Rs256,
    /// ECDSA on P-256 with SHA-256: an EC P-256 key.
    Es256,
}

impl SigningAlg {
    fn algorithm(self) -> Algorithm {
        match self {
            SigningAlg::Rs256 => Algorithm::RS256,
            SigningAlg::Es256 => Algorithm::ES256,
        }
    }
}

/// The kind of a transmitter's key, as its JWKS entry says (`kty`, and `crv` for EC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `kty` `RSA`.
    Rsa,
    /// `kty` `EC`, `crv` `P-256`.
    EcP256,
}

/// A transmitter's verification key, ready to check signatures with.
#[derive(Clone)]
pub struct VerifyingKey {
    /// What kind of key it is, so that it is only ever used with its own algorithm.
    pub kind: KeyKind,
    /// The key itself.
    pub key: DecodingKey,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The JOSE header fields read; the presence of the key-material ones is what matters.
#[derive(Debug, Deserialize)]
struct Header {
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<Value>,
    #[serde(default)]
    jwk: Option<Value>,
    #[serde(default)]
    jku: Option<Value>,
    #[serde(default)]
    x5u: Option<Value>,
    #[serde(default)]
    x5c: Option<Value>,
}

/// A SET whose header passed step 3, signature not yet checked.
#[derive(Debug)]
pub struct Unverified<'a> {
    signing_input: &'a str,
    payload: &'a str,
    signature: &'a str,
    alg: SigningAlg,
    kid: String,
}

impl Unverified<'_> {
    /// The `kid` to find the key with.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Step 4: checks the signature with `key`, and only then decodes the claims.
    pub fn verify(&self, key: &VerifyingKey) -> Result<Map<String, Value>, SetRefusal> {
        let fits = matches!(
            (self.alg, key.kind),
            (SigningAlg::Rs256, KeyKind::Rsa) | (SigningAlg::Es256, KeyKind::EcP256)
        );
        if !fits {
            return Err(SetRefusal::KeyType);
        }
        let genuine = jsonwebtoken::crypto::verify(
            self.signature,
            self.signing_input.as_bytes(),
            &key.key,
            self.alg.algorithm(),
        )
        .unwrap_or(false);
        if !genuine {
            return Err(SetRefusal::Signature);
        }
        decode_json(self.payload)
    }
}

/// Steps 1 to 3: the size, the three segments and the header.
pub fn read(set: &str) -> Result<Unverified<'_>, SetRefusal> {
    if set.len() > MAX_SET_BYTES {
        return Err(SetRefusal::TooLarge);
    }
    let (header, payload, signature) =
        cognito_revocation::jws::segments(set).ok_or(SetRefusal::Malformed)?;
    if !cognito_revocation::jws::is_base64url(payload) {
        return Err(SetRefusal::Malformed);
    }
    let header: Header = decode_json(header)?;
    let typ_ok = header.typ.as_deref().is_some_and(|typ| {
        // RFC 7515 section 4.1.9: the "application/" prefix may be left out, and media
        // types compare without regard to case.
        let typ = typ.to_ascii_lowercase();
        typ == "secevent+jwt" || typ == "application/secevent+jwt"
    });
    if !typ_ok {
        return Err(SetRefusal::Type);
    }
    let alg = match header.alg.as_deref() {
        Some("RS256") => SigningAlg::Rs256,
        Some("ES256") => SigningAlg::Es256,
        _ => return Err(SetRefusal::Algorithm),
    };
    if header.jwk.is_some() || header.jku.is_some() || header.x5u.is_some() || header.x5c.is_some()
    {
        return Err(SetRefusal::KeyInHeader);
    }
    if header.crit.is_some() {
        return Err(SetRefusal::Critical);
    }
    let kid = header
        .kid
        .filter(|kid| !kid.is_empty())
        .ok_or(SetRefusal::UnknownKey)?;
    if signature.is_empty() || !cognito_revocation::jws::is_base64url(signature) {
        return Err(SetRefusal::Signature);
    }
    let signing_input = &set[..set.len() - signature.len() - 1];
    Ok(Unverified {
        signing_input,
        payload,
        signature,
        alg,
        kid,
    })
}

/// What a SET must say to be accepted: the configured issuer and audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// `SSF_ISSUER`, compared exactly with `iss`.
    pub issuer: String,
    /// `SSF_AUDIENCE`, which `aud` must hold.
    pub audience: String,
}

/// A genuine, current SET addressed to this receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedSet {
    /// `jti`: the SET's id, the replay key.
    pub jti: String,
    /// `iss`.
    pub iss: String,
    /// `iat`.
    pub iat: u64,
    /// The top-level `sub_id`, when present (SSF 1.0 puts the subject there).
    pub sub_id: Option<Value>,
    /// `events`: event type URI to event body, at least one.
    pub events: Map<String, Value>,
}

/// Step 5: the claims of a genuine SET, at `now` (Unix seconds).
pub fn admit(
    mut claims: Map<String, Value>,
    expected: &Expected,
    now: u64,
) -> Result<VerifiedSet, SetRefusal> {
    let iss = match claims.remove("iss") {
        Some(Value::String(iss)) if iss == expected.issuer => iss,
        _ => return Err(SetRefusal::Issuer),
    };
    let addressed = match claims.get("aud") {
        Some(Value::String(aud)) => *aud == expected.audience,
        Some(Value::Array(auds)) => auds
            .iter()
            .any(|aud| aud.as_str() == Some(&expected.audience)),
        _ => false,
    };
    if !addressed {
        return Err(SetRefusal::Audience);
    }
    let jti = match claims.remove("jti") {
        Some(Value::String(jti)) if jti.len() > MAX_JTI_BYTES => {
            return Err(SetRefusal::JtiTooLong)
        }
        Some(Value::String(jti)) if !jti.is_empty() => jti,
        _ => return Err(SetRefusal::NoJti),
    };
    let iat = claims
        .get("iat")
        .and_then(seconds)
        .ok_or(SetRefusal::NoIat)?;
    if iat > now.saturating_add(MAX_CLOCK_SKEW) {
        return Err(SetRefusal::IssuedInFuture);
    }
    if iat < now.saturating_sub(REPLAY_WINDOW) {
        return Err(SetRefusal::TooOld);
    }
    if let Some(exp) = claims.get("exp") {
        match seconds(exp) {
            Some(exp) if exp > now => {}
            _ => return Err(SetRefusal::Expired),
        }
    }
    let events = match claims.remove("events") {
        Some(Value::Object(events)) if !events.is_empty() => events,
        _ => return Err(SetRefusal::NoEvents),
    };
    Ok(VerifiedSet {
        jti,
        iss,
        iat,
        sub_id: claims.remove("sub_id"),
        events,
    })
}

/// A NumericDate: non-negative seconds, fractions dropped (RFC 7519 allows them).
fn seconds(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
}

/// A JSON segment of the compact JWS, or [`SetRefusal::Malformed`].
fn decode_json<T: serde::de::DeserializeOwned>(segment: &str) -> Result<T, SetRefusal> {
    cognito_revocation::jws::decode_json(segment).ok_or(SetRefusal::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::json;

    const NOW: u64 = 1_800_000_000;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn set(header: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64(r#"{"jti":"j"}"#))
    }

    fn expected() -> Expected {
        Expected {
            issuer: "https://idp.example.com/".to_owned(),
            audience: "https://receiver.example.com/".to_owned(),
        }
    }

    fn claims() -> Map<String, Value> {
        let claims = json!({
            "iss": "https://idp.example.com/",
            "aud": "https://receiver.example.com/",
            "jti": "j-1",
            "iat": NOW - 10,
            "sub_id": {"format": "email", "email": "a@example.com"},
            "events": {"https://schemas.openid.net/secevent/caep/event-type/session-revoked": {}},
        });
        match claims {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn with(key: &str, value: Value) -> Map<String, Value> {
        let mut claims = claims();
        claims.insert(key.to_owned(), value);
        claims
    }

    fn without(key: &str) -> Map<String, Value> {
        let mut claims = claims();
        claims.remove(key);
        claims
    }

    #[test]
    fn a_good_header_yields_its_kid() {
        let s = set(r#"{"typ":"secevent+jwt","alg":"RS256","kid":"k1"}"#);
        assert_eq!(read(&s).unwrap().kid(), "k1");
        let s = set(r#"{"typ":"application/secevent+jwt","alg":"ES256","kid":"k2"}"#);
        assert_eq!(read(&s).unwrap().kid(), "k2");
    }

    #[test]
    fn a_set_over_64_kib_is_refused_before_decoding() {
        let s = "a".repeat(MAX_SET_BYTES + 1);
        assert_eq!(read(&s).unwrap_err(), SetRefusal::TooLarge);
        assert_eq!(SetRefusal::TooLarge.err(), ErrCode::InvalidRequest);
    }

    #[test]
    fn what_is_not_a_compact_jws_is_malformed() {
        let header = b64(r#"{"typ":"secevent+jwt","alg":"RS256","kid":"k"}"#);
        for bad in [
            String::new(),
            "abc".to_owned(),
            "a.b".to_owned(),
            format!("{header}.e30.c2ln.x"),
            format!("{header}.e30.c2ln.x.y"),
            "!!!.e30.c2ln".to_owned(),
            format!("{}.e30.c2ln", b64("not json")),
            format!("{header}.%%%.c2ln"),
            ".e30.c2ln".to_owned(),
        ] {
            assert_eq!(read(&bad).unwrap_err(), SetRefusal::Malformed, "{bad:?}");
        }
    }

    #[test]
    fn a_typ_other_than_secevent_jwt_is_refused() {
        for header in [
            r#"{"alg":"RS256","kid":"k"}"#,
            r#"{"typ":"JWT","alg":"RS256","kid":"k"}"#,
        ] {
            assert_eq!(read(&set(header)).unwrap_err(), SetRefusal::Type);
        }
        assert_eq!(SetRefusal::Type.err(), ErrCode::InvalidRequest);
    }

    #[test]
    fn alg_none_hmac_and_others_are_invalid_keys() {
        for alg in ["none", "HS256", "RS512", "PS256", "ES384", "EdDSA"] {
            let header = format!(r#"{{"typ":"secevent+jwt","alg":"{alg}","kid":"k"}}"#);
            assert_eq!(
                read(&set(&header)).unwrap_err(),
                SetRefusal::Algorithm,
                "{alg}"
            );
        }
        let none = format!(
            "{}.{}.",
            b64(r#"{"typ":"secevent+jwt","alg":"none"}"#),
            b64("{}")
        );
        assert_eq!(read(&none).unwrap_err(), SetRefusal::Algorithm);
        assert_eq!(SetRefusal::Algorithm.err(), ErrCode::InvalidKey);
    }

    #[test]
    fn a_header_that_brings_its_own_key_is_refused() {
        for member in [
            r#""jwk":{"kty":"RSA"}"#,
            r#""jku":"https://evil.example/jwks""#,
            r#""x5u":"https://evil.example/cert""#,
            r#""x5c":["MII"]"#,
        ] {
            let header = format!(r#"{{"typ":"secevent+jwt","alg":"RS256","kid":"k",{member}}}"#);
            assert_eq!(read(&set(&header)).unwrap_err(), SetRefusal::KeyInHeader);
        }
        assert_eq!(SetRefusal::KeyInHeader.err(), ErrCode::InvalidKey);
    }

    #[test]
    fn a_missing_kid_is_an_unknown_key_and_crit_is_refused() {
        let s = set(r#"{"typ":"secevent+jwt","alg":"RS256"}"#);
        assert_eq!(read(&s).unwrap_err(), SetRefusal::UnknownKey);
        let s = set(r#"{"typ":"secevent+jwt","alg":"RS256","kid":"k","crit":["x"],"x":1}"#);
        assert_eq!(read(&s).unwrap_err(), SetRefusal::Critical);
    }

    #[test]
    fn good_claims_are_admitted() {
        let set = admit(claims(), &expected(), NOW).unwrap();
        assert_eq!(set.jti, "j-1");
        assert_eq!(set.iat, NOW - 10);
        assert_eq!(set.events.len(), 1);
        assert!(set.sub_id.is_some());
    }

    #[test]
    fn the_issuer_must_match_exactly() {
        for iss in [
            json!("https://idp.example.com"),
            json!("HTTPS://idp.example.com/"),
            json!(1),
        ] {
            assert_eq!(
                admit(with("iss", iss), &expected(), NOW),
                Err(SetRefusal::Issuer)
            );
        }
        assert_eq!(
            admit(without("iss"), &expected(), NOW),
            Err(SetRefusal::Issuer)
        );
        assert_eq!(SetRefusal::Issuer.err(), ErrCode::InvalidIssuer);
    }

    #[test]
    fn the_audience_may_be_an_array_holding_ours() {
        let aud = json!(["other", "https://receiver.example.com/"]);
        assert!(admit(with("aud", aud), &expected(), NOW).is_ok());
        for aud in [json!("other"), json!(["other"]), json!([])] {
            assert_eq!(
                admit(with("aud", aud), &expected(), NOW),
                Err(SetRefusal::Audience)
            );
        }
        assert_eq!(
            admit(without("aud"), &expected(), NOW),
            Err(SetRefusal::Audience)
        );
        assert_eq!(SetRefusal::Audience.err(), ErrCode::InvalidAudience);
    }

    #[test]
    fn a_jti_longer_than_a_key_can_hold_is_an_invalid_request() {
        let longest = "j".repeat(MAX_JTI_BYTES);
        assert!(admit(with("jti", json!(longest)), &expected(), NOW).is_ok());
        let over = "j".repeat(MAX_JTI_BYTES + 1);
        assert_eq!(
            admit(with("jti", json!(over)), &expected(), NOW),
            Err(SetRefusal::JtiTooLong)
        );
        assert_eq!(SetRefusal::JtiTooLong.err(), ErrCode::InvalidRequest);
        // Counted in bytes: 171 three-byte characters are 513 bytes.
        let wide = "\u{20ac}".repeat(171);
        assert_eq!(
            admit(with("jti", json!(wide)), &expected(), NOW),
            Err(SetRefusal::JtiTooLong)
        );
        let key = crate::replays::ReplayKey::new(&"i".repeat(MAX_ISSUER_BYTES), &longest);
        assert!(key.as_str().len() <= 2048);
    }

    #[test]
    fn a_jti_is_required() {
        assert_eq!(
            admit(without("jti"), &expected(), NOW),
            Err(SetRefusal::NoJti)
        );
        assert_eq!(
            admit(with("jti", json!("")), &expected(), NOW),
            Err(SetRefusal::NoJti)
        );
    }

    #[test]
    fn iat_may_be_five_minutes_ahead_and_a_day_old_but_no_more() {
        let ok = [NOW + MAX_CLOCK_SKEW, NOW - REPLAY_WINDOW];
        for iat in ok {
            assert!(admit(with("iat", json!(iat)), &expected(), NOW).is_ok());
        }
        assert_eq!(
            admit(
                with("iat", json!(NOW + MAX_CLOCK_SKEW + 1)),
                &expected(),
                NOW
            ),
            Err(SetRefusal::IssuedInFuture)
        );
        assert_eq!(
            admit(
                with("iat", json!(NOW - REPLAY_WINDOW - 1)),
                &expected(),
                NOW
            ),
            Err(SetRefusal::TooOld)
        );
        assert_eq!(
            admit(without("iat"), &expected(), NOW),
            Err(SetRefusal::NoIat)
        );
    }

    #[test]
    fn an_exp_in_the_past_is_refused_and_a_future_one_accepted() {
        assert!(admit(with("exp", json!(NOW + 1)), &expected(), NOW).is_ok());
        for exp in [json!(NOW), json!(NOW - 1), json!("later")] {
            assert_eq!(
                admit(with("exp", exp), &expected(), NOW),
                Err(SetRefusal::Expired)
            );
        }
    }

    #[test]
    fn events_must_be_a_non_empty_object() {
        for events in [json!({}), json!([]), json!("x")] {
            assert_eq!(
                admit(with("events", events), &expected(), NOW),
                Err(SetRefusal::NoEvents)
            );
        }
        assert_eq!(
            admit(without("events"), &expected(), NOW),
            Err(SetRefusal::NoEvents)
        );
    }
}
