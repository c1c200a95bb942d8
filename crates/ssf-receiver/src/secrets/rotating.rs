//! [`Rotating`]: a credential that is either fixed (from its variable) or read from a secret at
//! start-up and read again when it stops working, so that a rotated secret takes effect in
//! running instances without a redeployment.
//!
//! A read again happens only when asked (a push whose `Authorization` does not match, a poll
//! endpoint answering 401 or 403) and at most once per [`REREAD_INTERVAL`], the start-up read
//! included, so a stream of wrong values costs at most one `GetSecretValue` a minute per
//! instance (and a new instance reads only at start-up in its first minute). A read that
//! fails, or whose value is not a header value, keeps the credential as it was: nothing is
//! ever opened because a secret was unreadable. The value is never logged.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{SecretArn, SecretError, Secrets};

/// The least time between two reads of a credential's secret.
pub const REREAD_INTERVAL: Duration = Duration::from_secs(60);

/// What a [`Rotating`] credential reads its secret with: any [`Secrets`] adapter, behind a
/// pointer.
pub trait SecretSource: Send + Sync {
    /// The `SecretString` of the secret `arn` (its current version).
    fn read<'a>(
        &'a self,
        arn: &'a SecretArn,
    ) -> Pin<Box<dyn Future<Output = Result<String, SecretError>> + Send + 'a>>;
}

impl<S: Secrets + Send + Sync> SecretSource for S {
    fn read<'a>(
        &'a self,
        arn: &'a SecretArn,
    ) -> Pin<Box<dyn Future<Output = Result<String, SecretError>> + Send + 'a>> {
        Box::pin(self.secret_string(arn))
    }
}

/// A credential: a fixed value, or a secret's value kept and read again on demand.
pub struct Rotating<T> {
    current: Mutex<T>,
    secret: Option<Reread>,
}

/// Where a credential's value comes from, and when it was last read from there.
struct Reread {
    arn: SecretArn,
    variable: &'static str,
    source: Arc<dyn SecretSource>,
    interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl<T> fmt::Debug for Rotating<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rotating")
            .field("value", &"<redacted>")
            .field("secret", &self.secret.as_ref().map(|s| s.variable))
            .finish()
    }
}

impl<T: Clone + FromStr + PartialEq> Rotating<T> {
    /// A credential that never changes (its variable's value).
    pub fn fixed(value: T) -> Self {
        Self {
            current: Mutex::new(value),
            secret: None,
        }
    }

    /// A credential whose `value` was read from the secret `arn` (named by `variable` in logs)
    /// just now, at start-up; read again through `source` at most once per `interval`.
    pub fn from_secret(
        value: T,
        arn: SecretArn,
        variable: &'static str,
        source: Arc<dyn SecretSource>,
        interval: Duration,
    ) -> Self {
        Self {
            current: Mutex::new(value),
            secret: Some(Reread {
                arn,
                variable,
                source,
                interval,
                last: Mutex::new(Some(Instant::now())),
            }),
        }
    }

    /// The value now.
    pub fn current(&self) -> T {
        lock(&self.current).clone()
    }

    /// Reads the secret again, when the credential comes from one and the last read is at
    /// least the interval ago. Whether that changed the value (the new one is then current);
    /// a failed read, or a value that is not a header value, keeps the current one.
    pub async fn reread(&self) -> bool {
        let Some(secret) = &self.secret else {
            return false;
        };
        {
            let mut last = lock(&secret.last);
            let now = Instant::now();
            if last.is_some_and(|at| now.duration_since(at) < secret.interval) {
                return false;
            }
            *last = Some(now);
        }
        match secret.source.read(&secret.arn).await {
            Ok(raw) => match raw.trim().parse::<T>() {
                Ok(value) => {
                    let mut current = lock(&self.current);
                    let changed = *current != value;
                    *current = value;
                    tracing::info!(
                        variable = secret.variable,
                        changed,
                        "credential read again from its secret"
                    );
                    changed
                }
                Err(_) => {
                    tracing::warn!(
                        variable = secret.variable,
                        "the secret's value is not a header value: the credential is kept"
                    );
                    false
                }
            },
            Err(err) => {
                tracing::warn!(
                    variable = secret.variable,
                    code = %err.code,
                    "the secret could not be read again: the credential is kept"
                );
                false
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::authorization::Authorization;
    use crate::secrets::MemorySecrets;

    const ARN: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ssf-push-AbCdEf";

    /// A secret at `ARN` holding `value`.
    fn holding(value: &str) -> Arc<MemorySecrets> {
        let source = Arc::new(MemorySecrets::new());
        source.set(ARN, Ok(value));
        source
    }

    fn push(source: &Arc<MemorySecrets>, interval: Duration) -> Rotating<Authorization> {
        Rotating::from_secret(
            "Bearer old".parse().unwrap(),
            ARN.parse().unwrap(),
            "SSF_AUTHORIZATION_SECRET_ARN",
            source.clone(),
            interval,
        )
    }

    #[tokio::test]
    async fn a_rotated_secret_is_read_again_and_becomes_the_credential() {
        let source = holding("Bearer old");
        let credential = push(&source, Duration::ZERO);
        assert!(credential.current().admits(Some("Bearer old")));
        assert!(!credential.reread().await, "read, but unchanged");
        source.set(ARN, Ok("Bearer new\n"));
        assert!(credential.reread().await);
        assert!(credential.current().admits(Some("Bearer new")));
        assert!(!credential.current().admits(Some("Bearer old")));
        assert_eq!(source.reads(), 2);
    }

    #[tokio::test]
    async fn the_secret_is_read_again_at_most_once_per_interval_the_start_up_read_included() {
        let source = holding("Bearer new");
        let credential = push(&source, Duration::from_millis(300));
        for _ in 0..100 {
            assert!(!credential.reread().await);
        }
        assert_eq!(
            source.reads(),
            0,
            "within the interval of the start-up read"
        );
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert!(credential.reread().await);
        for _ in 0..100 {
            assert!(!credential.reread().await);
        }
        assert_eq!(source.reads(), 1, "a flood of wrong values costs one read");
    }

    #[tokio::test]
    async fn a_failed_read_or_an_unusable_value_keeps_the_credential() {
        let source = holding("Bearer old");
        let credential = push(&source, Duration::ZERO);
        source.set(ARN, Err("AccessDeniedException"));
        assert!(!credential.reread().await);
        assert!(credential.current().admits(Some("Bearer old")));
        source.set(ARN, Ok(""));
        assert!(!credential.reread().await);
        source.set(ARN, Ok("Bearer a\nb"));
        assert!(!credential.reread().await);
        assert!(credential.current().admits(Some("Bearer old")));
        assert_eq!(source.reads(), 3);
    }

    #[tokio::test]
    async fn a_fixed_credential_never_reads_anything() {
        let credential = Rotating::fixed("Bearer fixed".parse::<Authorization>().unwrap());
        assert!(!credential.reread().await);
        assert!(credential.current().admits(Some("Bearer fixed")));
        assert!(!format!("{credential:?}").contains("Bearer fixed"));
    }
}
