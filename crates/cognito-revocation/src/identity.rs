//! The names a token is judged by, parsed once at the edge: [`UserPoolId`] (the workspace's
//! one, from `cognito-names`: it knows its region and its issuer URL), [`AppClientId`], [`Subject`] (a token's `sub`) and the token
//! uses a deployment accepts ([`AcceptedTokenUse`]).
//!
//! Past this module no code holds an unchecked name: a pool id that does not match the API's
//! rules never becomes a `UserPoolId`, so it can never be formatted into a JWKS URL or a
//! table key.

use std::fmt;
use std::str::FromStr;

/// A name that breaks the rules of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Not a Cognito app client id (1-128 word characters or `+`).
    #[error("is not an app client id (1-128 letters, digits, '_' or '+')")]
    ClientId,
    /// An empty, too long or control-character `sub`.
    #[error("is not a subject (1-255 printable characters)")]
    Subject,
    /// Not `access`, `id` or `any`.
    #[error("must be access, id or any")]
    TokenUse,
}

pub use cognito_names::{Subject, UserPoolId};

impl From<cognito_names::InvalidSubject> for IdentityError {
    fn from(_: cognito_names::InvalidSubject) -> Self {
        IdentityError::Subject
    }
}

/// A Cognito app client id: the `client_id` claim of an access token, the `aud` of an ID
/// token. Checked against the API's rules (1-128 characters of `[\w+]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppClientId(String);

impl AppClientId {
    /// Parses an app client id.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let ok = !raw.is_empty()
            && raw.len() <= 128
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'+');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(IdentityError::ClientId)
        }
    }

    /// The id as Cognito spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AppClientId {
    type Err = IdentityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Cognito's two kinds of JWT: the `token_use` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenUse {
    /// An access token (`token_use: access`), which names its client in `client_id`.
    Access,
    /// An ID token (`token_use: id`), which names its client in `aud`.
    Id,
}

impl TokenUse {
    /// The claim's value.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::Access => "access",
            TokenUse::Id => "id",
        }
    }
}

impl fmt::Display for TokenUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which token uses a deployment accepts (`TOKEN_USE`). APIs normally want access tokens
/// only: an ID token is meant for the client, and accepting it lets any holder of the user's
/// profile token call the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AcceptedTokenUse {
    /// Access tokens only (the default).
    #[default]
    Access,
    /// ID tokens only.
    Id,
    /// Either.
    Any,
}

impl AcceptedTokenUse {
    /// Whether a token of `token_use` is accepted.
    pub fn accepts(self, token_use: TokenUse) -> bool {
        matches!(
            (self, token_use),
            (AcceptedTokenUse::Any, _)
                | (AcceptedTokenUse::Access, TokenUse::Access)
                | (AcceptedTokenUse::Id, TokenUse::Id)
        )
    }
}

impl FromStr for AcceptedTokenUse {
    type Err = IdentityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "access" => Ok(AcceptedTokenUse::Access),
            "id" => Ok(AcceptedTokenUse::Id),
            "any" => Ok(AcceptedTokenUse::Any),
            _ => Err(IdentityError::TokenUse),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_follow_the_api_rules() {
        assert!(AppClientId::parse("4b6v0q1ro3ua1bl1ir40iskr7u").is_ok());
        assert!(AppClientId::parse("").is_err());
        assert!(AppClientId::parse("a b").is_err());
        assert!(AppClientId::parse(&"a".repeat(129)).is_err());
    }

    #[test]
    fn subject_refuses_empty_and_control_characters() {
        assert!(Subject::parse("0b7c5b1e-1b2c-4c7e-9f0a-3d4e5f6a7b8c").is_ok());
        assert!(Subject::parse("").is_err());
        assert!(Subject::parse("a\nb").is_err());
    }

    #[test]
    fn accepted_token_use_parses_and_accepts() {
        let access: AcceptedTokenUse = "access".parse().unwrap();
        assert!(access.accepts(TokenUse::Access) && !access.accepts(TokenUse::Id));
        let id: AcceptedTokenUse = "ID".parse().unwrap();
        assert!(id.accepts(TokenUse::Id) && !id.accepts(TokenUse::Access));
        let any: AcceptedTokenUse = "any".parse().unwrap();
        assert!(any.accepts(TokenUse::Id) && any.accepts(TokenUse::Access));
        assert!("both".parse::<AcceptedTokenUse>().is_err());
    }
}
