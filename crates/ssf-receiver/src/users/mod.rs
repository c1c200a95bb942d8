//! The pools' users: the [`Users`] port (`ListUsers` with one filter), its Cognito adapter
//! ([`CognitoUsers`]) and an in-memory one for tests ([`MemoryUsers`]).

mod cognito;
mod memory;

pub use cognito::CognitoUsers;
pub use memory::{MemoryUser, MemoryUsers};

use std::future::Future;

use cognito_names::{UserPoolId, Username};

/// The attribute a lookup filters on (`ListUsers` filter `<name> = "<value>"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    /// `sub`.
    Sub,
    /// `email`.
    Email,
    /// `username`.
    Username,
}

impl Attribute {
    /// The name `ListUsers` filters on.
    pub fn as_str(self) -> &'static str {
        match self {
            Attribute::Sub => "sub",
            Attribute::Email => "email",
            Attribute::Username => "username",
        }
    }
}

/// A user a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundUser {
    /// The username to sign out.
    pub username: Username,
    /// Whether its `email_verified` attribute is `true`.
    pub email_verified: bool,
}

/// A lookup that failed: never the SET's fault, so it is delivered again. Plain data built
/// by the adapter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct LookupError {
    /// Cognito's error code, or the local reason.
    pub code: String,
    /// What happened.
    pub message: String,
}

/// Finds users of a pool by one attribute.
pub trait Users: Send + Sync {
    /// The users of `pool` whose `attribute` is exactly `value` (a value the caller checked
    /// fits in a filter: no quote, no backslash).
    fn list(
        &self,
        pool: &UserPoolId,
        attribute: Attribute,
        value: &str,
    ) -> impl Future<Output = Result<Vec<FoundUser>, LookupError>> + Send;
}
