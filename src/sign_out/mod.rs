//! The signing-out port and its AWS adapter.
//!
//! [`SignOut`] is what the responder asks of Cognito (the sign-out, and the user's `sub` for
//! the cutoff that follows it); [`cognito::CognitoSignOut`] is the real
//! adapter (one SDK client per region), tests use in-memory fakes. What a failed call means
//! is decided beside the SDK, in [`cognito`], as a plain [`CallError`].

pub mod cognito;

use std::future::Future;

use crate::core::call_error::CallError;
use cognito_revocation::Subject;

use crate::core::identity::Target;

/// Signs one user out of every device (Cognito's `AdminUserGlobalSignOut`).
pub trait SignOut: Send + Sync {
    /// Signs `target` out; `Ok` once Cognito has revoked the user's refresh tokens.
    fn sign_out(&self, target: &Target) -> impl Future<Output = Result<(), CallError>> + Send;

    /// The user's `sub` (Cognito's `AdminGetUser`), which the user's tokens carry and the
    /// cutoff is keyed by.
    fn subject(&self, target: &Target) -> impl Future<Output = Result<Subject, CallError>> + Send;
}
