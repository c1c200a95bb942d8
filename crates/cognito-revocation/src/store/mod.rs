//! The cutoff store: the port the check and the responder talk to ([`CutoffStore`]), its
//! errors with their class, and its adapters: [`DynamoDbCutoffStore`] (the table of
//! docs/revocation.md) and [`MemoryCutoffStore`] (tests, and services' own tests).

mod dynamodb;
mod memory;

pub use dynamodb::{DynamoDbCutoffStore, RecordedItem};
pub use memory::MemoryCutoffStore;

use std::fmt;
use std::future::Future;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

use cognito_names::{Cutoff, CutoffKey, UnixSeconds};

/// Reads and raises cutoffs.
pub trait CutoffStore: Send + Sync {
    /// The `revokedBefore` of `key`'s cutoff, `None` when the user has none.
    fn revoked_before(
        &self,
        key: &CutoffKey,
    ) -> impl Future<Output = Result<Option<UnixSeconds>, StoreError>> + Send;

    /// Records `cutoff`, only ever raising a stored `revokedBefore`, never lowering it (a
    /// redelivered alert or two racing sign-outs keep the later cutoff). A later cutoff
    /// already stored is success: [`Raise::KeptLater`].
    fn raise(&self, cutoff: &Cutoff) -> impl Future<Output = Result<Raise, StoreError>> + Send;
}

/// What a successful [`CutoffStore::raise`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raise {
    /// The cutoff was written (no cutoff before, or an earlier one).
    Recorded,
    /// A cutoff at or after this one was already stored and was kept.
    KeptLater,
}

/// The class of a store failure, in the vocabulary of the responder's contract (docs/alerts-and-dead-letters.md):
/// every store failure is retryable there, so these are the four retry classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreErrorClass {
    /// DynamoDB throttled the call (`ProvisionedThroughputExceededException`,
    /// `RequestLimitExceeded`, `ThrottlingException`, HTTP 429).
    Throttled,
    /// DynamoDB failed on its side (`InternalServerError`, HTTP 5xx).
    Internal,
    /// Timeout, connection or I/O failure.
    Transport,
    /// Anything else (a missing table, a denied permission, an unreadable item): nothing
    /// says it is permanent, and an operator can fix it.
    Unknown,
}

impl StoreErrorClass {
    /// The class as the contract spells it (`throttled`, `internal`, `transport`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            StoreErrorClass::Throttled => "throttled",
            StoreErrorClass::Internal => "internal",
            StoreErrorClass::Transport => "transport",
            StoreErrorClass::Unknown => "unknown",
        }
    }
}

impl fmt::Display for StoreErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error codes that mean "slow down", from DynamoDB, Cognito, EventBridge, SQS, STS and the
/// AWS front door: the workspace's one list (the responder classifies its calls by it too).
pub const THROTTLING_CODES: [&str; 9] = [
    "TooManyRequestsException",
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "ProvisionedThroughputExceededException",
];

/// At most this many bytes of an error's code and message reach a log line. The text comes
/// from the other end of the connection (DynamoDB, or whatever answers at its endpoint): a
/// 1 MB message must not become a 1 MB log line, which CloudWatch splits and bills.
pub const MAX_ERROR_TEXT: usize = 512;
/// At most this many bytes of an error code: real codes are short names, and the code also
/// goes into metrics and dead-letter attributes.
pub const MAX_ERROR_CODE: usize = 128;

/// A failed store call. The SDK's error value is kept whole, so [`StoreError::class`] reads
/// its modelled variant, its error code and its HTTP status, never its message text. Its
/// text (`Display`, [`StoreError::code`]) is bounded and has its control characters escaped:
/// code, status and message only, never the SDK's `Debug` dump of the raw response (headers
/// and body), which the SDK's `DisplayErrorContext` would append.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `GetItem` failed.
    #[error("GetItem on the cutoff table failed: {}", describe(.0))]
    Get(#[source] SdkError<GetItemError>),
    /// `UpdateItem` failed (other than the condition that keeps a later cutoff).
    #[error("UpdateItem on the cutoff table failed: {}", describe(.0))]
    Update(#[source] SdkError<UpdateItemError>),
    /// The item exists but its `revokedBefore` is missing or not a whole number.
    #[error("the cutoff item {key} has no whole-number revokedBefore")]
    Unreadable {
        /// The item's `pk`.
        key: CutoffKey,
    },
}

impl From<SdkError<GetItemError>> for StoreError {
    fn from(err: SdkError<GetItemError>) -> Self {
        StoreError::Get(err)
    }
}

impl From<SdkError<UpdateItemError>> for StoreError {
    fn from(err: SdkError<UpdateItemError>) -> Self {
        StoreError::Update(err)
    }
}

impl StoreError {
    /// The contract class, for routing: the responder retries every class; the authorizer
    /// counts them under `LookupErrors`.
    pub fn class(&self) -> StoreErrorClass {
        match self {
            StoreError::Get(err) => classify(err),
            StoreError::Update(err) => classify(err),
            StoreError::Unreadable { .. } => StoreErrorClass::Unknown,
        }
    }

    /// DynamoDB's error code (`ProvisionedThroughputExceededException`, ...), or a name for
    /// the local failure (`Timeout`, `ConnectionFailure`, `HttpStatus503`,
    /// `UnreadableItem`), for logs and dead-letter attributes.
    pub fn code(&self) -> String {
        match self {
            StoreError::Get(err) => code_of(err),
            StoreError::Update(err) => code_of(err),
            StoreError::Unreadable { .. } => "UnreadableItem".to_owned(),
        }
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

fn code_of<E: ProvideErrorMetadata>(err: &SdkError<E>) -> String {
    match err {
        SdkError::ServiceError(context) => context
            .err()
            .code()
            .map(|code| bounded(code, MAX_ERROR_CODE))
            .unwrap_or_else(|| format!("HttpStatus{}", context.raw().status().as_u16())),
        SdkError::TimeoutError(_) => "Timeout".to_owned(),
        SdkError::DispatchFailure(_) => "ConnectionFailure".to_owned(),
        SdkError::ResponseError(context) => {
            format!("HttpStatus{}", context.raw().status().as_u16())
        }
        _ => "ConstructionFailure".to_owned(),
    }
}

/// A failed call in one bounded line: the code, the HTTP status and the message of a service
/// error; the failure and its causes (their `Display` only) otherwise.
fn describe<E>(err: &SdkError<E>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let text = match err {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let code = code_of(err);
            match context.err().message() {
                Some(message) => format!("{code} (HTTP {status}): {message}"),
                None => format!("{code} (HTTP {status})"),
            }
        }
        other => {
            let mut text = other.to_string();
            let mut cause = std::error::Error::source(other);
            while let Some(err) = cause {
                text.push_str(": ");
                text.push_str(&err.to_string());
                if text.len() > MAX_ERROR_TEXT {
                    break;
                }
                cause = err.source();
            }
            text
        }
    };
    bounded(&text, MAX_ERROR_TEXT)
}

/// `text` in at most `max` bytes: control characters escaped (a newline in a message must
/// not forge a second log line), cut between characters and marked with `…` when cut.
fn bounded(text: &str, max: usize) -> String {
    const CUT: char = '…';
    let mut out = String::with_capacity(text.len().min(max));
    // The end of the last whole character that leaves room for the mark.
    let mut fits = 0;
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        if out.len() > max {
            out.truncate(fits);
            out.push(CUT);
            return out;
        }
        if out.len() + CUT.len_utf8() <= max {
            fits = out.len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::types::error::{
        InternalServerError, ProvisionedThroughputExceededException, ResourceNotFoundException,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn service(err: GetItemError, status: u16) -> StoreError {
        StoreError::Get(SdkError::service_error(
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
        let err = StoreError::Get(SdkError::timeout_error("attempt timed out"));
        assert_eq!(err.class(), StoreErrorClass::Transport);
        assert_eq!(err.code(), "Timeout");
        assert_eq!(StoreErrorClass::Transport.as_str(), "transport");
    }

    #[test]
    fn a_one_megabyte_error_reaches_the_log_bounded_and_without_the_raw_response() {
        let message = format!("line one\nforged line{}", "é".repeat(500_000));
        let body = format!("{{\"message\":\"{}\"}}", "B".repeat(1_000_000));
        let code = format!("Huge{}", "C".repeat(1_000_000));
        let err = StoreError::Get(SdkError::service_error(
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
        let timeout = StoreError::Get(SdkError::timeout_error("attempt timed out"));
        assert_eq!(
            timeout.to_string(),
            "GetItem on the cutoff table failed: request has timed out: attempt timed out"
        );
    }

    #[test]
    fn bounded_text_is_cut_between_characters_within_its_limit() {
        assert_eq!(bounded("short", 10), "short");
        assert_eq!(bounded("exactly10!", 10), "exactly10!");
        let cut = bounded("ééééééé", 10);
        assert!(cut.len() <= 10 && cut.ends_with('…'), "{cut}");
        assert_eq!(bounded("a\u{1b}[2Jb", 100), "a\\u{1b}[2Jb");
    }
}
