//! Credentials kept in Secrets Manager (`SSF_AUTHORIZATION_SECRET_ARN`,
//! `SSF_POLL_AUTHORIZATION_SECRET_ARN`): the secret's ARN, the port that reads a secret's
//! string ([`Secrets`]), [`resolve`], which puts the values where the configuration expects
//! them at start-up, and [`Rotating`], which reads a secret again when its value stops working.
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

pub use crate::config::SecretArn;
use crate::config::{Config, ConfigError};

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

/// `config` with the values of the secrets it names in place: `SSF_AUTHORIZATION_SECRET_ARN`
/// becomes the push's expected `Authorization`, `SSF_POLL_AUTHORIZATION_SECRET_ARN` the
/// poll's (the ARNs stay, for reading again). An error names the variable whose secret failed.
pub async fn resolve(mut config: Config, secrets: &impl Secrets) -> Result<Config, ConfigError> {
    if let Some(arn) = &config.authorization_secret {
        config.authorization = Some(header(secrets, arn, "SSF_AUTHORIZATION_SECRET_ARN").await?);
    }
    if let Some(arn) = &config.poll_authorization_secret {
        config.poll_authorization =
            Some(header(secrets, arn, "SSF_POLL_AUTHORIZATION_SECRET_ARN").await?);
    }
    Ok(config)
}

/// The header value the secret `arn` (named by `variable`) holds; an error names the
/// variable, and never the value.
async fn header<T: FromStr>(
    secrets: &impl Secrets,
    arn: &SecretArn,
    variable: &str,
) -> Result<T, ConfigError> {
    let value = secrets.secret_string(arn).await.map_err(|err| {
        ConfigError::new(variable, format!("the secret could not be read: {err}"))
    })?;
    value.trim().parse().map_err(|_| {
        ConfigError::new(
            variable,
            "the secret's value is not a header value (empty, or with control characters such as a newline)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUSH: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ssf-push-AbCdEf";
    const POLL: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ssf-poll-AbCdEf";

    /// A valid configuration that polls, with `extra` over it.
    fn config(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let polling = [("SSF_POLL_URL", "https://idp.example.com/poll")];
        crate::config::config_with(&[&polling[..], extra].concat())
    }

    #[tokio::test]
    async fn both_secrets_become_the_credentials_and_their_arns_stay_for_reading_again() {
        let config = config(&[
            ("SSF_AUTHORIZATION_SECRET_ARN", PUSH),
            ("SSF_POLL_AUTHORIZATION_SECRET_ARN", POLL),
        ])
        .unwrap();
        let secrets = MemorySecrets::new();
        secrets.set(PUSH, Ok("Bearer push-value"));
        secrets.set(POLL, Ok("Bearer poll-value"));
        let resolved = resolve(config, &secrets).await.unwrap();
        let push = resolved.authorization.expect("the push credential");
        assert!(push.admits(Some("Bearer push-value")));
        assert_eq!(
            resolved
                .poll_authorization
                .map(|c| c.header_value().to_owned()),
            Some("Bearer poll-value".to_owned())
        );
        assert_eq!(
            resolved
                .authorization_secret
                .as_ref()
                .map(SecretArn::as_str),
            Some(PUSH)
        );
    }

    #[tokio::test]
    async fn an_unreadable_or_unusable_secret_names_its_variable_and_never_its_value() {
        let config_with_push = || config(&[("SSF_AUTHORIZATION_SECRET_ARN", PUSH)]).unwrap();
        let err = resolve(config_with_push(), &MemorySecrets::new())
            .await
            .unwrap_err();
        assert_eq!(err.variable, "SSF_AUTHORIZATION_SECRET_ARN");
        assert!(
            err.to_string().contains("ResourceNotFoundException"),
            "{err}"
        );
        let bad = MemorySecrets::new();
        bad.set(PUSH, Ok("Bearer leaked\nvalue"));
        let err = resolve(config_with_push(), &bad).await.unwrap_err();
        assert_eq!(err.variable, "SSF_AUTHORIZATION_SECRET_ARN");
        assert!(!err.to_string().contains("leaked"), "{err}");
    }

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

    #[test]
    fn a_value_and_its_secret_are_not_both_accepted() {
        for (plain, secret, arn) in [
            ("SSF_AUTHORIZATION", "SSF_AUTHORIZATION_SECRET_ARN", PUSH),
            (
                "SSF_POLL_AUTHORIZATION",
                "SSF_POLL_AUTHORIZATION_SECRET_ARN",
                POLL,
            ),
        ] {
            let err = config(&[(plain, "Bearer x"), (secret, arn)]).unwrap_err();
            assert_eq!(err.variable, secret);
        }
    }
}
