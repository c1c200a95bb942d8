//! The signing-out port and its AWS adapter.
//!
//! [`SignOut`] is what the responder asks of Cognito (the sign-out, and the user's `sub` for
//! the cutoff that follows it); [`cognito::CognitoSignOut`] is the real
//! adapter (one SDK client per region), tests use in-memory fakes. What a failed call means
//! is decided in [`crate::core::sign_out_error`].

pub mod cognito;

use std::future::Future;

use crate::core::identity::Target;
use crate::core::sign_out_error::SignOutError;

/// Signs one user out of every device (Cognito's `AdminUserGlobalSignOut`).
pub trait SignOut: Send + Sync {
    /// Signs `target` out; `Ok` once Cognito has revoked the user's refresh tokens.
    fn sign_out(&self, target: &Target) -> impl Future<Output = Result<(), SignOutError>> + Send;

    /// The user's `sub` (Cognito's `AdminGetUser`), which the user's tokens carry and the
    /// cutoff is keyed by.
    fn subject(&self, target: &Target)
        -> impl Future<Output = Result<String, SignOutError>> + Send;
}
