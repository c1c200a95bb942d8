//! The Secrets Manager adapter of [`Secrets`]: `GetSecretValue` in the secret's region, with
//! the shared SDK timeouts. Its errors carry the service's code and message only.

use std::time::Duration;

use aws_config::{Region, SdkConfig};
use aws_sdk_secretsmanager::Client;
use cognito_revocation::sdk_error::{code_of, describe};

use super::{SecretArn, SecretError, Secrets};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads secrets with `GetSecretValue`.
#[derive(Debug, Clone)]
pub struct SecretsManager {
    sdk: SdkConfig,
}

impl SecretsManager {
    /// The adapter, from the start-up SDK configuration.
    pub fn new(sdk: &SdkConfig) -> Self {
        Self { sdk: sdk.clone() }
    }
}

impl Secrets for SecretsManager {
    async fn secret_string(&self, arn: &SecretArn) -> Result<String, SecretError> {
        let conf = aws_sdk_secretsmanager::config::Builder::from(&self.sdk)
            .region(Region::new(arn.region().to_owned()))
            .timeout_config(lambda_edge::sdk_timeouts(
                CONNECT_TIMEOUT,
                ATTEMPT_TIMEOUT,
                OPERATION_TIMEOUT,
            ))
            .build();
        let answer = Client::from_conf(conf)
            .get_secret_value()
            .secret_id(arn.as_str())
            .send()
            .await
            .map_err(|err| {
                let (code, message) = (code_of(&err), describe(&err));
                SecretError { code, message }
            })?;
        answer
            .secret_string()
            .map(str::to_owned)
            .ok_or_else(|| SecretError {
                code: "NoSecretString".to_owned(),
                message: "the secret holds binary data, not a string".to_owned(),
            })
    }
}
