//! Credentials kept in Secrets Manager (`SSF_AUTHORIZATION_SECRET_ARN`,
//! `SSF_POLL_AUTHORIZATION_SECRET_ARN`): the secret's ARN, the port that reads a secret's
//! string ([`Secrets`]), and [`Rotating`], which reads a secret again when its value stops
//! working. The configuration reads the secrets it names at start-up (`config::resolve`).
//!
//! A secret that cannot be read, or whose value is not a header value, stops the function at
//! start-up (the push is never left open because a secret was unreadable). The value is never
//! logged: errors name the variable and the service's code only. A rotated secret takes
//! effect in running instances at the first push (or poll) that the old value no longer
//! serves, read again at most once a minute.

mod memory;
mod rotating;
mod secrets_manager;

use std::future::Future;
use std::str::FromStr;

pub use memory::MemorySecrets;
pub use rotating::{Rotating, SecretSource, REREAD_INTERVAL};
pub use secrets_manager::SecretsManager;

/// A secret that could not be read: the service's code and message, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SecretError {
    /// The service's error code (`ResourceNotFoundException`, `AccessDeniedException`, ...),
    /// or the local reason (`NoSecretString`).
    pub code: String,
    /// What happened.
    pub message: String,
}

/// Reads a secret's current string value.
pub trait Secrets {
    /// The `SecretString` of the secret `arn` (its current version).
    fn secret_string(
        &self,
        arn: &SecretArn,
    ) -> impl Future<Output = Result<String, SecretError>> + Send;
}

/// A Secrets Manager secret's ARN: `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretArn {
    arn: String,
    region: String,
}

impl FromStr for SecretArn {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        const PROBLEM: &str =
            "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)";
        let parts: Vec<&str> = raw.splitn(7, ':').collect();
        match parts.as_slice() {
            ["arn", partition, "secretsmanager", region, account, "secret", name]
                if !partition.is_empty()
                    && !region.is_empty()
                    && account.len() == 12
                    && account.bytes().all(|b| b.is_ascii_digit())
                    && !name.is_empty()
                    && !raw.chars().any(|c| c.is_whitespace() || c.is_control()) =>
            {
                Ok(Self {
                    arn: raw.to_owned(),
                    region: (*region).to_owned(),
                })
            }
            _ => Err(PROBLEM),
        }
    }
}

impl SecretArn {
    /// The ARN.
    pub fn as_str(&self) -> &str {
        &self.arn
    }

    /// The secret's region (its client is built there).
    pub fn region(&self) -> &str {
        &self.region
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLL: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ssf-poll-AbCdEf";

    #[test]
    fn a_secret_arn_is_checked_and_names_its_region() {
        let arn: SecretArn = POLL.parse().unwrap();
        assert_eq!(arn.region(), "us-east-1");
        for bad in [
            "",
            "ssf-push",
            "arn:aws:ssm:eu-west-1:123456789012:parameter/x",
            "arn:aws:secretsmanager:eu-west-1:1234:secret:x",
            "arn:aws:secretsmanager::123456789012:secret:x",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:",
        ] {
            assert!(bad.parse::<SecretArn>().is_err(), "{bad}");
        }
    }
}
