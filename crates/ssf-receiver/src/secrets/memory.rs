//! [`Secrets`] in memory, for tests: values set per ARN (or a refusal), reads counted.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::{SecretArn, SecretError, Secrets};

/// Secrets by ARN, in memory; an ARN never set is `ResourceNotFoundException`.
#[derive(Debug, Default)]
pub struct MemorySecrets {
    values: Mutex<BTreeMap<String, Result<String, SecretError>>>,
    reads: AtomicUsize,
}

impl MemorySecrets {
    /// No secrets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the secret `arn` to `value`, or to a refusal with the service code `Err(code)`.
    pub fn set(&self, arn: &str, value: Result<&str, &str>) {
        let value = value.map(str::to_owned).map_err(|code| SecretError {
            code: code.to_owned(),
            message: "the test secret refuses".to_owned(),
        });
        self.values
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(arn.to_owned(), value);
    }

    /// How many reads were made, of any secret.
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

impl Secrets for MemorySecrets {
    async fn secret_string(&self, arn: &SecretArn) -> Result<String, SecretError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        values.get(arn.as_str()).cloned().unwrap_or_else(|| {
            Err(SecretError {
                code: "ResourceNotFoundException".into(),
                message: "no such secret".into(),
            })
        })
    }
}
