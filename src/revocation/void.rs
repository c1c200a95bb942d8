//! [`NoRevocations`]: the adapter of a deployment with neither a cutoff table nor an event
//! bus. Its scope is [`Scope::Off`], so the runner never asks it for anything.

use crate::core::revocation::{RevocationError, SignedOut};
use crate::revocation::{Revocations, Scope};

/// Records nothing, publishes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRevocations;

impl Revocations for NoRevocations {
    fn scope(&self) -> Scope {
        Scope::Off
    }

    async fn record(&self, _user: &SignedOut) -> Result<(), RevocationError> {
        Ok(())
    }

    async fn publish(&self, users: &[SignedOut]) -> Vec<Result<(), RevocationError>> {
        users.iter().map(|_| Ok(())).collect()
    }
}
