//! [`StaticKeySource`]: a [`KeySource`] that serves one JWKS document from memory, for tests
//! and for services that pin their pools' keys.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{JwksError, KeySource};
use crate::identity::UserPoolId;

/// Serves `document` for every pool and counts its fetches.
#[derive(Debug)]
pub struct StaticKeySource {
    document: Vec<u8>,
    fetches: AtomicUsize,
}

impl StaticKeySource {
    /// Serves `document` (a JWKS: `{"keys": [...]}`).
    pub fn new(document: impl Into<Vec<u8>>) -> Self {
        Self {
            document: document.into(),
            fetches: AtomicUsize::new(0),
        }
    }

    /// How many fetches were made.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl KeySource for StaticKeySource {
    async fn fetch(&self, _pool: &UserPoolId) -> Result<Vec<u8>, JwksError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        Ok(self.document.clone())
    }
}
