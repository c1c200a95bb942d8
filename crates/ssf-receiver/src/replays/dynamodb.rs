//! The DynamoDB adapter of [`Replays`]: a strongly consistent `GetItem` of
//! `pk = "set#<iss>#<jti>"`, and a `PutItem` of that key with `expiresAt` (the table's TTL
//! attribute). An item whose `expiresAt` has passed but which TTL has not yet deleted counts
//! as absent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use cognito_revocation::sdk_error::{code_of, describe};

use super::{ReplayError, ReplayKey, Replays};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(3);

/// Replay items in one table.
#[derive(Debug, Clone)]
pub struct DynamoDbReplays {
    client: Client,
    table: String,
}

impl DynamoDbReplays {
    /// The adapter for `table`, from the start-up SDK configuration.
    pub fn new(sdk: &SdkConfig, table: &str) -> Self {
        let conf = aws_sdk_dynamodb::config::Builder::from(sdk)
            .timeout_config(lambda_edge::sdk_timeouts(
                CONNECT_TIMEOUT,
                ATTEMPT_TIMEOUT,
                OPERATION_TIMEOUT,
            ))
            .build();
        Self::from_client(Client::from_conf(conf), table)
    }

    /// The adapter around a ready client (tests pass one pointed at moto).
    pub fn from_client(client: Client, table: &str) -> Self {
        Self {
            client,
            table: table.to_owned(),
        }
    }
}

fn error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: aws_sdk_dynamodb::error::SdkError<E>,
) -> ReplayError {
    let (code, message) = (code_of(&err), describe(&err));
    ReplayError { code, message }
}

impl Replays for DynamoDbReplays {
    async fn seen(&self, key: &ReplayKey) -> Result<bool, ReplayError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.as_str().to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(error)?;
        let Some(item) = output.item() else {
            return Ok(false);
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let expires_at = item
            .get("expiresAt")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u64>().ok());
        Ok(expires_at.is_none_or(|at| at > now))
    }

    async fn remember(&self, key: &ReplayKey, expires_at: u64) -> Result<(), ReplayError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(key.as_str().to_owned()))
            .item("expiresAt", AttributeValue::N(expires_at.to_string()))
            .send()
            .await
            .map_err(error)?;
        Ok(())
    }
}
