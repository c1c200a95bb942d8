//! The Cognito port and its AWS adapter: what the responder asks of a user pool.
//!
//! [`SignOut`] makes the user-update calls of the containment actions (the sign-out, and the
//! lock actions `reset-password` and `disable`) and reads a user ([`UserRecord`]: the `sub`
//! the cutoff is keyed by, and whether a reset is already pending);
//! [`cognito::CognitoSignOut`] is the real adapter (one SDK client per region), tests use
//! in-memory fakes. What a failed call means is decided beside the SDK, in [`cognito`], as a
//! plain [`CallError`].

pub mod accounts;
pub mod cognito;
pub mod memory;

use std::future::Future;

use cognito_names::Subject;

use crate::core::call_error::CallError;
use crate::core::identity::Target;

/// What a read of the user (`AdminGetUser`) tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The user's `sub`, as their tokens name them.
    pub sub: Subject,
    /// The user is in `RESET_REQUIRED`: a reset was asked already, and asking again would
    /// send the user a second code.
    pub reset_required: bool,
}

/// Acts on one user of a pool.
pub trait SignOut: Send + Sync {
    /// Signs `target` out (`AdminUserGlobalSignOut`); `Ok` once Cognito has revoked the
    /// user's refresh tokens.
    fn sign_out(&self, target: &Target) -> impl Future<Output = Result<(), CallError>> + Send;

    /// Resets `target`'s password (`AdminResetUserPassword`): the password stops working and
    /// the user is sent a code to set a new one.
    fn reset_password(&self, target: &Target)
        -> impl Future<Output = Result<(), CallError>> + Send;

    /// Disables `target` (`AdminDisableUser`): no sign-in until an operator enables them.
    fn disable(&self, target: &Target) -> impl Future<Output = Result<(), CallError>> + Send;

    /// Reads `target` (`AdminGetUser`): the `sub` and the status.
    fn lookup(&self, target: &Target)
        -> impl Future<Output = Result<UserRecord, CallError>> + Send;
}
