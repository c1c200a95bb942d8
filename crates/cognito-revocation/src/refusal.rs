//! Why a token is refused by the verifier: one [`Refusal`] per reason, for logs and metrics.
//!
//! A refusal never carries any part of the token (not the signature, not a claim the token
//! chose, such as an attacker's `iss`): its `Display` and [`Refusal::reason`] are safe to log
//! and to use as a metric name.

use std::fmt;

use crate::jwks::JwksError;

/// The largest token considered, in bytes; longer ones are refused before anything is
/// decoded. A Cognito access token is about 1 KiB and an ID token a few KiB even with many
/// groups and custom attributes. API Gateway caps all request headers together at 10 KiB, so
/// it can never deliver a longer one, and an ALB caps one header at 16 KiB: a 16 KiB cap
/// refuses nothing a real caller can send, while bounding the work an attacker can ask for.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Why the verifier refused a token. The variants are in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No token in the request.
    Missing,
    /// Longer than [`crate::MAX_TOKEN_BYTES`]; refused before anything was decoded.
    TooLarge,
    /// Not a compact JWS: not three base64url segments, or a header or claims segment that
    /// is not a JSON object of the expected shape.
    Malformed,
    /// The header's `alg` is not `RS256` (`none`, `HS256` signed with the public key as a
    /// secret, any other algorithm).
    Algorithm,
    /// The `iss` claim is missing or is not the issuer of a listed pool.
    Issuer,
    /// No key of the pool's JWKS has the header's `kid` (or the header has none), even after
    /// the refetch the rate limit allows.
    UnknownKey,
    /// The pool's JWKS could not be fetched, so no signature can be checked.
    KeysUnavailable(JwksError),
    /// The signature does not match the header and claims under the pool's key (a forged or
    /// altered token).
    Signature,
    /// `token_use` is missing, or is not one the deployment accepts.
    TokenUse,
    /// The token's app client (`client_id` of an access token, `aud` of an ID token) is not
    /// listed.
    Client,
    /// `exp` is not in the future.
    Expired,
    /// A claim the decision needs is missing or unusable: `sub`, `exp`, or both `auth_time`
    /// and `iat`.
    MissingClaim(&'static str),
}

impl Refusal {
    /// A short, stable name: the `Denied.<reason>` metric and the log's `reason` field.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Missing => "MissingToken",
            Refusal::TooLarge => "TooLarge",
            Refusal::Malformed => "Malformed",
            Refusal::Algorithm => "Algorithm",
            Refusal::Issuer => "Issuer",
            Refusal::UnknownKey => "UnknownKey",
            Refusal::KeysUnavailable(_) => "KeysUnavailable",
            Refusal::Signature => "Signature",
            Refusal::TokenUse => "TokenUse",
            Refusal::Client => "Client",
            Refusal::Expired => "Expired",
            Refusal::MissingClaim(_) => "MissingClaim",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Missing => f.write_str("no token in the request"),
            Refusal::TooLarge => write!(f, "token longer than {} bytes", MAX_TOKEN_BYTES),
            Refusal::Malformed => f.write_str("not a compact JWS with JSON header and claims"),
            Refusal::Algorithm => f.write_str("header alg is not RS256"),
            Refusal::Issuer => f.write_str("iss is not a listed user pool"),
            Refusal::UnknownKey => f.write_str("kid is not in the pool's JWKS"),
            Refusal::KeysUnavailable(err) => write!(f, "the pool's JWKS is unavailable: {err}"),
            Refusal::Signature => f.write_str("signature does not verify"),
            Refusal::TokenUse => f.write_str("token_use is not accepted"),
            Refusal::Client => f.write_str("app client is not listed"),
            Refusal::Expired => f.write_str("token has expired"),
            Refusal::MissingClaim(claim) => write!(f, "claim {claim} is missing or unusable"),
        }
    }
}
