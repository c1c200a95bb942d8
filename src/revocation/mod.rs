//! The revocation port and its AWS adapter: what follows a sign-out when revocation is on.
//!
//! [`Revocations`] records a user's cutoff and publishes signed-out events;
//! [`aws::AwsRevocations`] is the real adapter (the revocation library's DynamoDB store, and
//! EventBridge `PutEvents`), tests use in-memory fakes. What a cutoff and an event hold is
//! decided in [`crate::core::revocation`].

pub mod aws;

use std::future::Future;

use cognito_revocation::Cutoff;

use crate::core::revocation::{RevocationError, SignedOut};

/// Records cutoffs and publishes signed-out events.
pub trait Revocations: Send + Sync {
    /// Records `cutoff`, only ever raising a stored one; `Ok` also when a later cutoff was
    /// already there.
    fn record(&self, cutoff: &Cutoff) -> impl Future<Output = Result<(), RevocationError>> + Send;

    /// Publishes one `Cognito User Signed Out` event per user in `users` (at most
    /// [`crate::core::revocation::MAX_EVENTS_PER_REQUEST`]) in one request; one result per
    /// user, in order.
    fn publish(
        &self,
        users: &[SignedOut],
    ) -> impl Future<Output = Vec<Result<(), RevocationError>>> + Send;
}
