//! The DynamoDB adapter: one item per user in the cutoff table of docs/revocation.md.
//!
//! - Read: `GetItem` with **strongly consistent** reads. The lookup is the whole point of the
//!   check: an eventually consistent read may miss a cutoff written a moment ago and let the
//!   stolen token through, which is the window this project closes. A strong read of an item
//!   this small costs one read request unit instead of half, the same latency, and the
//!   authorizer's lookup cache already absorbs bursts of one user's requests.
//! - Write: a conditional `UpdateItem` that sets the record only when no cutoff exists, the
//!   stored one is earlier, or it is of the same second and lists fewer actions (a second
//!   alert within the second that locked the account too: `sign-out` is in every list, so
//!   a longer list holds the shorter one); `ConditionalCheckFailedException` therefore means
//!   "a cutoff at or after this one, with as many actions, is already there", which is
//!   success ([`Raise::KeptLater`]).

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use super::{CutoffStore, Raise, StoreError, StoreErrorClass, THROTTLING_CODES};
use cognito_names::{Cutoff, CutoffKey, UnixSeconds};

/// The table's only key attribute (S): `<userPoolId>#<sub>`.
pub const KEY_ATTRIBUTE: &str = "pk";
/// Tokens authenticated before this moment (N, Unix seconds) are refused.
pub const REVOKED_BEFORE_ATTRIBUTE: &str = "revokedBefore";
/// The table's TTL attribute (N, Unix seconds).
pub const EXPIRES_AT_ATTRIBUTE: &str = "expiresAt";

/// The cutoff table, through the AWS SDK.
#[derive(Debug, Clone)]
pub struct DynamoDbCutoffStore {
    client: Client,
    table: String,
}

impl DynamoDbCutoffStore {
    /// The store of `table`, called through `client` (build the client once, at start-up,
    /// with the service's own timeouts and retry settings).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// `key`'s cutoff as recorded, read strongly consistent: its `revokedBefore` and the
    /// actions it lists (`["sign-out"]` for an item written before actions were recorded).
    pub async fn recorded(
        &self,
        key: &CutoffKey,
    ) -> Result<Option<(UnixSeconds, Vec<String>)>, StoreError> {
        Ok(self
            .recorded_item(key)
            .await?
            .map(|item| (item.revoked_before, item.actions)))
    }

    /// `key`'s cutoff as recorded, read strongly consistent, with the username it was
    /// written for. The responder reads it to skip an alert whose whole sequence already
    /// ran, and only when the item names the alert's own user: a `sub` an alert supplies
    /// cannot make another user's item stand for this one.
    pub async fn recorded_item(&self, key: &CutoffKey) -> Result<Option<RecordedItem>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(key.as_str().to_owned()))
            .projection_expression("#rb, #act, #user")
            .expression_attribute_names("#rb", REVOKED_BEFORE_ATTRIBUTE)
            .expression_attribute_names("#act", "actions")
            .expression_attribute_names("#user", "username")
            .consistent_read(true)
            .send()
            .await?;
        let Some(item) = output.item() else {
            return Ok(None);
        };
        let revoked_before = match item.get(REVOKED_BEFORE_ATTRIBUTE) {
            Some(AttributeValue::N(n)) => n
                .parse::<u64>()
                .map(UnixSeconds::new)
                .map_err(|_| StoreError::Unreadable { key: key.clone() })?,
            _ => return Err(StoreError::Unreadable { key: key.clone() }),
        };
        let actions = match item.get("actions") {
            Some(AttributeValue::L(list)) => {
                list.iter().filter_map(|v| v.as_s().ok().cloned()).collect()
            }
            _ => vec!["sign-out".to_owned()],
        };
        let username = item.get("username").and_then(|v| v.as_s().ok()).cloned();
        Ok(Some(RecordedItem {
            revoked_before,
            actions,
            username,
        }))
    }
}

/// A cutoff item as the responder reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedItem {
    /// `revokedBefore`.
    pub revoked_before: UnixSeconds,
    /// The actions listed (`["sign-out"]` for an item written before actions were recorded).
    pub actions: Vec<String>,
    /// The username the item was written for (absent on an item written by hand).
    pub username: Option<String>,
}

impl CutoffStore for DynamoDbCutoffStore {
    async fn revoked_before(&self, key: &CutoffKey) -> Result<Option<UnixSeconds>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(key.as_str().to_owned()))
            .projection_expression("#rb")
            .expression_attribute_names("#rb", REVOKED_BEFORE_ATTRIBUTE)
            .consistent_read(true)
            .send()
            .await?;
        let Some(item) = output.item() else {
            return Ok(None);
        };
        match item.get(REVOKED_BEFORE_ATTRIBUTE) {
            Some(AttributeValue::N(n)) => n
                .parse::<u64>()
                .map(|secs| Some(UnixSeconds::new(secs)))
                .map_err(|_| StoreError::Unreadable { key: key.clone() }),
            _ => Err(StoreError::Unreadable { key: key.clone() }),
        }
    }

    async fn raise(&self, cutoff: &Cutoff) -> Result<Raise, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(cutoff.key().as_str().to_owned()))
            .update_expression(
                "SET #rb = :rb, #exp = :exp, #pool = :pool, #user = :user, #sub = :sub, #msg = :msg, #act = :act",
            )
            .condition_expression(
                "attribute_not_exists(#rb) OR #rb < :rb OR (#rb = :rb AND (attribute_not_exists(#act) OR size(#act) < :nact))",
            )
            .expression_attribute_names("#rb", REVOKED_BEFORE_ATTRIBUTE)
            .expression_attribute_names("#exp", EXPIRES_AT_ATTRIBUTE)
            .expression_attribute_names("#pool", "userPoolId")
            .expression_attribute_names("#user", "username")
            .expression_attribute_names("#sub", "sub")
            .expression_attribute_names("#msg", "alertMessageId")
            .expression_attribute_names("#act", "actions")
            .expression_attribute_values(
                ":rb",
                AttributeValue::N(cutoff.revoked_before().to_string()),
            )
            .expression_attribute_values(":exp", AttributeValue::N(cutoff.expires_at().to_string()))
            .expression_attribute_values(
                ":nact",
                AttributeValue::N(cutoff.actions().len().to_string()),
            )
            .expression_attribute_values(":pool", AttributeValue::S(cutoff.pool().to_string()))
            .expression_attribute_values(":user", AttributeValue::S(cutoff.username().to_owned()))
            .expression_attribute_values(":sub", AttributeValue::S(cutoff.sub().to_string()))
            .expression_attribute_values(
                ":msg",
                AttributeValue::S(cutoff.alert_message_id().to_owned()),
            )
            .expression_attribute_values(
                ":act",
                AttributeValue::L(
                    cutoff
                        .actions()
                        .iter()
                        .map(|a| AttributeValue::S(a.clone()))
                        .collect(),
                ),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(Raise::Recorded),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(Raise::KeptLater)
            }
            Err(err) => Err(StoreError::update(&err)),
        }
    }
}

impl StoreError {
    /// A failed `GetItem` as plain data.
    pub fn get(err: &SdkError<GetItemError>) -> Self {
        Self::call("GetItem", err)
    }

    /// A failed `UpdateItem` as plain data.
    pub fn update(err: &SdkError<UpdateItemError>) -> Self {
        Self::call("UpdateItem", err)
    }

    fn call<E: ProvideErrorMetadata + std::error::Error + 'static>(
        operation: &'static str,
        err: &SdkError<E>,
    ) -> Self {
        StoreError::Call {
            operation,
            class: classify(err),
            code: crate::sdk_error::code_of(err),
            text: crate::sdk_error::describe(err),
        }
    }
}

impl From<SdkError<GetItemError>> for StoreError {
    fn from(err: SdkError<GetItemError>) -> Self {
        StoreError::get(&err)
    }
}

impl From<SdkError<UpdateItemError>> for StoreError {
    fn from(err: SdkError<UpdateItemError>) -> Self {
        StoreError::update(&err)
    }
}

fn classify<E: ProvideErrorMetadata>(err: &SdkError<E>) -> StoreErrorClass {
    match err {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            match context.err().code() {
                Some(code) if THROTTLING_CODES.contains(&code) => StoreErrorClass::Throttled,
                Some("InternalServerError" | "ServiceUnavailable") => StoreErrorClass::Internal,
                _ if status == 429 => StoreErrorClass::Throttled,
                _ if (500..=599).contains(&status) => StoreErrorClass::Internal,
                _ => StoreErrorClass::Unknown,
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => StoreErrorClass::Transport,
        SdkError::ResponseError(context) => match context.raw().status().as_u16() {
            429 => StoreErrorClass::Throttled,
            500..=599 => StoreErrorClass::Internal,
            _ => StoreErrorClass::Unknown,
        },
        _ => StoreErrorClass::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MAX_ERROR_CODE, MAX_ERROR_TEXT};
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::types::error::{
        InternalServerError, ProvisionedThroughputExceededException, ResourceNotFoundException,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn service(err: GetItemError, status: u16) -> StoreError {
        StoreError::get(&SdkError::service_error(
            err,
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty()),
        ))
    }

    #[test]
    fn provisioned_throughput_exceeded_is_throttled() {
        let err = service(
            GetItemError::ProvisionedThroughputExceededException(
                ProvisionedThroughputExceededException::builder()
                    .meta(
                        ErrorMetadata::builder()
                            .code("ProvisionedThroughputExceededException")
                            .build(),
                    )
                    .build(),
            ),
            400,
        );
        assert_eq!(err.class(), StoreErrorClass::Throttled);
        assert_eq!(err.code(), "ProvisionedThroughputExceededException");
    }

    #[test]
    fn internal_server_error_is_internal() {
        let err = service(
            GetItemError::InternalServerError(
                InternalServerError::builder()
                    .meta(ErrorMetadata::builder().code("InternalServerError").build())
                    .build(),
            ),
            500,
        );
        assert_eq!(err.class(), StoreErrorClass::Internal);
    }

    #[test]
    fn unmodelled_503_is_internal_and_429_is_throttled() {
        let generic =
            |code: &str| GetItemError::generic(ErrorMetadata::builder().code(code).build());
        assert_eq!(
            service(generic("Whatever"), 503).class(),
            StoreErrorClass::Internal
        );
        assert_eq!(
            service(generic("Whatever"), 429).class(),
            StoreErrorClass::Throttled
        );
        assert_eq!(
            service(generic("ThrottlingException"), 400).class(),
            StoreErrorClass::Throttled
        );
    }

    #[test]
    fn missing_table_is_unknown() {
        let err = service(
            GetItemError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .meta(
                        ErrorMetadata::builder()
                            .code("ResourceNotFoundException")
                            .build(),
                    )
                    .build(),
            ),
            400,
        );
        assert_eq!(err.class(), StoreErrorClass::Unknown);
    }

    #[test]
    fn timeout_is_transport() {
        let err = StoreError::get(&SdkError::timeout_error("attempt timed out"));
        assert_eq!(err.class(), StoreErrorClass::Transport);
        assert_eq!(err.code(), "Timeout");
        assert_eq!(StoreErrorClass::Transport.as_str(), "transport");
    }

    #[test]
    fn a_one_megabyte_error_reaches_the_log_bounded_and_without_the_raw_response() {
        let message = format!("line one\nforged line{}", "é".repeat(500_000));
        let body = format!("{{\"message\":\"{}\"}}", "B".repeat(1_000_000));
        let code = format!("Huge{}", "C".repeat(1_000_000));
        let err = StoreError::get(&SdkError::service_error(
            GetItemError::generic(ErrorMetadata::builder().code(code).message(message).build()),
            HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body)),
        ));
        let text = err.to_string();
        let prefix = "GetItem on the cutoff table failed: ";
        assert!(text.starts_with(prefix), "{text}");
        assert!(
            text.len() <= prefix.len() + MAX_ERROR_TEXT,
            "{}",
            text.len()
        );
        assert!(!text.contains('\n'), "a newline would forge a log line");
        assert!(text.ends_with('…'), "a cut is marked");
        assert!(
            !text.contains("BBBB"),
            "the raw response's body is not logged"
        );
        assert!(
            !text.contains("HttpResponse"),
            "no Debug dump of the raw response"
        );
        assert!(err.code().len() <= MAX_ERROR_CODE);
        assert!(err.code().starts_with("HugeCCC"));
    }

    #[test]
    fn a_short_service_error_reads_code_status_and_message_whole() {
        let err = service(
            GetItemError::generic(
                ErrorMetadata::builder()
                    .code("ValidationException")
                    .message("One or more parameter values were invalid")
                    .build(),
            ),
            400,
        );
        assert_eq!(
            err.to_string(),
            "GetItem on the cutoff table failed: ValidationException (HTTP 400): One or more \
             parameter values were invalid"
        );
        let timeout = StoreError::get(&SdkError::timeout_error("attempt timed out"));
        assert_eq!(
            timeout.to_string(),
            "GetItem on the cutoff table failed: request has timed out: attempt timed out"
        );
    }

    #[test]
    fn bounded_text_is_cut_between_characters_within_its_limit() {
        assert_eq!(crate::sdk_error::bounded("short", 10), "short");
        assert_eq!(crate::sdk_error::bounded("exactly10!", 10), "exactly10!");
        let cut = crate::sdk_error::bounded("ééééééé", 10);
        assert!(cut.len() <= 10 && cut.ends_with('…'), "{cut}");
        assert_eq!(
            crate::sdk_error::bounded("a\u{1b}[2Jb", 100),
            "a\\u{1b}[2Jb"
        );
    }
}
