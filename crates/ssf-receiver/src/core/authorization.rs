//! [`Authorization`]: the exact `Authorization` header value a transmitter pushes with
//! (`SSF_AUTHORIZATION`, the stream's `authorization_header`), compared in constant time;
//! and [`Credential`]: the value this receiver sends when it polls
//! (`SSF_POLL_AUTHORIZATION`).
//!
//! Both values are hashed with SHA-256 first and the digests compared with `subtle`, so the
//! time taken depends neither on where the values differ nor on their lengths. The value is
//! never printed: its `Debug` is redacted.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The expected header value, kept as its digest and its scheme.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization {
    digest: [u8; 32],
    scheme: String,
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authorization(<redacted>)")
    }
}

fn digest(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

impl FromStr for Authorization {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw.is_empty() || raw.chars().any(|c| c.is_control()) {
            return Err("must be a header value: not empty, no control characters");
        }
        Ok(Self {
            digest: digest(raw),
            scheme: challenge_scheme(raw),
        })
    }
}

/// The schemes of IANA's HTTP Authentication Scheme Registry, as registered: the only words
/// a challenge may take from the configured value.
const REGISTERED_SCHEMES: [&str; 11] = [
    "Basic",
    "Bearer",
    "Concealed",
    "Digest",
    "DPoP",
    "HOBA",
    "Mutual",
    "Negotiate",
    "OAuth",
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
];

/// The scheme a 401 names for the expected value `raw`: its first word when that word is a
/// registered scheme and a credential follows it (`Bearer abc`, `Basic dXNlcg==`), else
/// `Bearer`. A bare value (`9f3c1e77...`) or one whose first word is no registered scheme
/// has no scheme of its own: its first word may be the credential itself, and a challenge
/// never repeats a credential.
fn challenge_scheme(raw: &str) -> String {
    let scheme = raw
        .split_once(' ')
        .filter(|(_, credential)| !credential.trim().is_empty())
        .and_then(|(word, _)| {
            REGISTERED_SCHEMES
                .iter()
                .find(|scheme| scheme.eq_ignore_ascii_case(word))
        });
    scheme.copied().unwrap_or("Bearer").to_owned()
}

impl Authorization {
    /// Whether the header `presented` (absent: `None`) is the expected value.
    pub fn admits(&self, presented: Option<&str>) -> bool {
        // The expected value is never empty, so an absent header cannot match it.
        bool::from(self.digest.ct_eq(&digest(presented.unwrap_or(""))))
    }

    /// The scheme of the expected value (`Bearer`, ...), for the 401's `WWW-Authenticate`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }
}

/// A header value this receiver sends (the poll endpoint's `Authorization`). Its `Debug` is
/// redacted; only [`Credential::header_value`] reveals it, to the request being built.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential(String);

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credential(<redacted>)")
    }
}

impl FromStr for Credential {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw.is_empty() || raw.chars().any(|c| c.is_control()) {
            return Err("must be a header value: not empty, no control characters");
        }
        Ok(Self(raw.to_owned()))
    }
}

impl Credential {
    /// The value, for the request's header.
    pub fn header_value(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_value_is_admitted() {
        let expected: Authorization = "Bearer s3cret".parse().unwrap();
        assert!(expected.admits(Some("Bearer s3cret")));
        for wrong in [
            None,
            Some(""),
            Some("Bearer s3cre"),
            Some("Bearer s3cret "),
            Some("bearer s3cret"),
            Some("s3cret"),
        ] {
            assert!(!expected.admits(wrong), "{wrong:?}");
        }
        assert_eq!(expected.scheme(), "Bearer");
    }

    #[test]
    fn a_challenge_names_a_registered_scheme_and_never_the_credential() {
        for (value, scheme) in [
            ("9f3c1e77a1b24c5d8e0fb3a6c2d94e11", "Bearer"),
            ("Bearer 9f3c1e77a1b24c5d8e0fb3a6c2d94e11", "Bearer"),
            ("bearer 9f3c1e77", "Bearer"),
            ("Basic dXNlcjpwYXNz", "Basic"),
            ("DPoP abc", "DPoP"),
            ("s3cret-first-word rest", "Bearer"),
            ("Token 9f3c1e77", "Bearer"),
            ("Bearer", "Bearer"),
            ("Basic ", "Bearer"),
            ("Basic  ", "Bearer"),
            (" 9f3c1e77", "Bearer"),
            ("Bearer\u{a0}9f3c1e77", "Bearer"),
            ("\u{e9}t\u{e9} 9f3c", "Bearer"),
        ] {
            let expected: Authorization = value.parse().unwrap();
            assert_eq!(expected.scheme(), scheme, "{value:?}");
        }
    }

    #[test]
    fn the_value_is_never_printed() {
        let expected: Authorization = "Bearer s3cret".parse().unwrap();
        assert!(!format!("{expected:?}").contains("s3cret"));
        assert!("".parse::<Authorization>().is_err());
        assert!("a\nb".parse::<Authorization>().is_err());
        let sent: Credential = "Bearer p0ll".parse().unwrap();
        assert!(!format!("{sent:?}").contains("p0ll"));
        assert_eq!(sent.header_value(), "Bearer p0ll");
        assert!("".parse::<Credential>().is_err());
    }
}
