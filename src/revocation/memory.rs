//! [`MemoryRevocations`]: in-memory cutoffs and events, for tests: records what it is given,
//! reads back as the table adapter does (an item written for another username is not this
//! user's), and fails the users it is told to.

use std::sync::{Arc, Mutex};

use cognito_names::{Cutoff, CutoffKey, Subject};

use super::aws::RevocationTargets;
use super::{Revocations, Scope};
use crate::core::already::Recorded;
use crate::core::call_error::CallError;
use crate::core::error_class::ErrorClass;
use crate::core::identity::Target;
use crate::core::revocation::{RevocationError, SignedOut};

/// In-memory cutoffs and events: records what it was given, and fails the users it is told
/// to (cutoffs or events).
#[derive(Debug, Default, Clone)]
pub struct MemoryRevocations {
    /// Strongly consistent reads of the table made.
    reads: Arc<Mutex<usize>>,
    /// What it writes: a deployment's scope and retention.
    targets: Arc<Mutex<RevocationTargets>>,
    cutoffs: Arc<Mutex<Vec<Cutoff>>>,
    events: Arc<Mutex<Vec<SignedOut>>>,
    requests: Arc<Mutex<usize>>,
    fail_cutoff: Arc<Mutex<Vec<String>>>,
    fail_event: Arc<Mutex<Vec<String>>>,
}

impl MemoryRevocations {
    /// A store of nothing yet, with every target off.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes what a deployment with `targets` writes (its scope and retention).
    pub fn with_targets(self, targets: RevocationTargets) -> Self {
        *self.targets.lock().unwrap_or_else(|p| p.into_inner()) = targets;
        self
    }

    /// Recording `user`'s cutoff fails.
    pub fn failing_cutoff(self, user: &str) -> Self {
        self.fail_cutoff
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(user.to_owned());
        self
    }

    /// Publishing `user`'s event fails.
    pub fn failing_event(self, user: &str) -> Self {
        self.fail_event
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(user.to_owned());
        self
    }

    /// The cutoffs recorded.
    pub fn cutoffs(&self) -> Vec<Cutoff> {
        self.cutoffs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The events published.
    pub fn events(&self) -> Vec<SignedOut> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reads of the table made (the already-signed-out check).
    pub fn reads(&self) -> usize {
        *self.reads.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores `cutoff` as if another instance had recorded it.
    pub fn seeded(self, cutoff: Cutoff) -> Self {
        self.cutoffs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(cutoff);
        self
    }

    /// `PutEvents` requests made.
    pub fn event_requests(&self) -> usize {
        *self.requests.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Revocations for MemoryRevocations {
    fn scope(&self) -> Scope {
        self.targets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .scope()
    }

    async fn record(&self, user: &SignedOut) -> Result<(), RevocationError> {
        let retention = self
            .targets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retention;
        let cutoff = user.cutoff(retention);
        if self
            .fail_cutoff
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|u| u == cutoff.username())
        {
            return Err(RevocationError::Other("table unavailable".into()));
        }
        self.cutoffs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(cutoff);
        Ok(())
    }

    async fn recorded(
        &self,
        target: &Target,
        sub: &Subject,
    ) -> Result<Option<Recorded>, RevocationError> {
        *self.reads.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        let key = CutoffKey::new(&target.pool, sub);
        Ok(self
            .cutoffs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            // As the table adapter does: an item written for another username is not this
            // user's.
            .filter(|c| c.key() == key && c.username() == target.user.as_str())
            .map(|c| Recorded::from_names(c.revoked_before(), c.actions()))
            .reduce(Recorded::merge))
    }

    async fn publish(&self, users: &[SignedOut]) -> Vec<Result<(), RevocationError>> {
        *self.requests.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        users
            .iter()
            .map(|user| {
                if self
                    .fail_event
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .any(|u| u == user.target.user.as_str())
                {
                    return Err(RevocationError::Event(CallError::new(
                        "PutEvents",
                        ErrorClass::Internal,
                        "InternalFailure",
                        "injected",
                    )));
                }
                self.events
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(user.clone());
                Ok(())
            })
            .collect()
    }
}
