//! [`NoRevocations`]: the adapter of a deployment with neither a cutoff table nor an event
//! bus. Its scope is [`Scope::Off`], so the runner never asks it for anything.

use cognito_names::Subject;

use crate::core::already::Recorded;
use crate::core::identity::Target;
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

    async fn recorded(
        &self,
        _target: &Target,
        _sub: &Subject,
    ) -> Result<Option<Recorded>, RevocationError> {
        Ok(None)
    }

    async fn publish(&self, users: &[SignedOut]) -> Vec<Result<(), RevocationError>> {
        users.iter().map(|_| Ok(())).collect()
    }
}
