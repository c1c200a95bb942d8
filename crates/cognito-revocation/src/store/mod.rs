//! The cutoff store: the port the check and the responder talk to ([`CutoffStore`]), its
//! errors with their class, and its adapters: [`DynamoDbCutoffStore`] (the table of
//! docs/revocation.md) and [`MemoryCutoffStore`] (tests, and services' own tests).

mod dynamodb;
mod memory;

pub use dynamodb::{DynamoDbCutoffStore, RecordedItem};
pub use memory::MemoryCutoffStore;

use std::fmt;
use std::future::Future;

use cognito_names::{Cutoff, CutoffKey, UnixSeconds};

pub use crate::sdk_error::{MAX_ERROR_CODE, MAX_ERROR_TEXT};

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

/// A failed store call, as plain data built by the adapter that met it: the class (read from
/// the SDK's modelled variant, error code and HTTP status, never from message text), the
/// service's code, and a bounded one-line text with its control characters escaped (code,
/// status and message only, never the SDK's dump of the raw response). Plain data, so that
/// the port names no SDK type and one failed lookup can be shared by every check waiting
/// for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A call to the table failed.
    #[error("{operation} on the cutoff table failed: {text}")]
    Call {
        /// `GetItem` or `UpdateItem`.
        operation: &'static str,
        /// What kind of failure it is.
        class: StoreErrorClass,
        /// DynamoDB's error code, or a name for the local failure.
        code: String,
        /// What happened, bounded.
        text: String,
    },
    /// The item exists but its `revokedBefore` is missing or not a whole number.
    #[error("the cutoff item {key} has no whole-number revokedBefore")]
    Unreadable {
        /// The item's `pk`.
        key: CutoffKey,
    },
}

impl StoreError {
    /// The contract class, for routing: the responder retries every class; the authorizer
    /// counts them under `LookupErrors`.
    pub fn class(&self) -> StoreErrorClass {
        match self {
            StoreError::Call { class, .. } => *class,
            StoreError::Unreadable { .. } => StoreErrorClass::Unknown,
        }
    }

    /// DynamoDB's error code (`ProvisionedThroughputExceededException`, ...), or a name for
    /// the local failure (`Timeout`, `ConnectionFailure`, `HttpStatus503`,
    /// `UnreadableItem`), for logs and dead-letter attributes.
    pub fn code(&self) -> String {
        match self {
            StoreError::Call { code, .. } => code.clone(),
            StoreError::Unreadable { .. } => "UnreadableItem".to_owned(),
        }
    }
}
