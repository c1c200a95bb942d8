//! The cutoff store: the port the check and the responder talk to ([`CutoffStore`]), its
//! errors with their class, and its adapters: [`DynamoDbCutoffStore`] (the table of contract
//! section 7) and [`MemoryCutoffStore`] (tests, and services' own tests).

mod dynamodb;
mod memory;

pub use dynamodb::DynamoDbCutoffStore;
pub use memory::MemoryCutoffStore;

use std::fmt;
use std::future::Future;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

use crate::cutoff::{Cutoff, CutoffKey, UnixSeconds};

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

/// The class of a store failure, in the vocabulary of the responder's contract (section 2):
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

/// Error codes that mean "slow down", from DynamoDB and from the AWS front door.
const THROTTLING_CODES: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "LimitExceededException",
];

/// A failed store call. The SDK's error value is kept whole, so [`StoreError::class`] reads
/// its modelled variant, its error code and its HTTP status, never its message text.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `GetItem` failed.
    #[error("GetItem on the cutoff table failed: {}", DisplayErrorContext(.0))]
    Get(#[source] SdkError<GetItemError>),
    /// `UpdateItem` failed (other than the condition that keeps a later cutoff).
    #[error("UpdateItem on the cutoff table failed: {}", DisplayErrorContext(.0))]
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
            .map(str::to_owned)
            .unwrap_or_else(|| format!("HttpStatus{}", context.raw().status().as_u16())),
        SdkError::TimeoutError(_) => "Timeout".to_owned(),
        SdkError::DispatchFailure(_) => "ConnectionFailure".to_owned(),
        SdkError::ResponseError(context) => {
            format!("HttpStatus{}", context.raw().status().as_u16())
        }
        _ => "ConstructionFailure".to_owned(),
    }
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
}
