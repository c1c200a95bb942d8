//! [`Failure`]: every reason an alert is not signed out, each knowing its contract class and
//! the code that goes into a dead-letter message's `ErrorCode`.

use std::sync::Arc;

use crate::core::action::{Actions, UnknownAction};
use crate::core::call_error::CallError;
use crate::core::error_class::ErrorClass;
use crate::core::identity::{NameError, Target};
use crate::core::revocation::RevocationError;

/// Why an alert did not end signed out. Routing reads [`Failure::class`], never the text.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Failure {
    /// The document is not JSON (or nests deeper than 128 levels).
    #[error("the alert is not JSON: {0}")]
    NotJson(#[source] Arc<serde_json::Error>),
    /// An SNS notification whose `Message` is not JSON.
    #[error("the SNS notification's Message is not JSON: {0}")]
    SnsMessageNotJson(#[source] Arc<serde_json::Error>),
    /// A CloudWatch Logs subscription payload that cannot be read (not base64, not gzip, not
    /// JSON): kept whole, as it arrived, so that nothing it may hold is lost.
    #[error("the CloudWatch Logs payload cannot be decoded: {0}")]
    UndecodableLogs(String),
    /// A threat-protection log line that is JSON but holds no activity record (`message`).
    #[error("the log line holds no user-activity record (message)")]
    NotAnActivityRecord,
    /// No username anywhere the contract looks.
    #[error("the alert names no user (Username, username, or USERNAME_POINTER)")]
    MissingUsername,
    /// No pool anywhere the contract looks, and no default.
    #[error("the alert names no user pool (UserPoolId, UserPoolArn, USER_POOL_ID_POINTER) and DEFAULT_USER_POOL_ID is not set")]
    MissingUserPool,
    /// A name given as a number, object or array.
    #[error("{field} is not a string")]
    NotAString {
        /// Where the value was found.
        field: String,
    },
    /// A name that breaks the API's rules.
    #[error("{field} {reason}")]
    InvalidName {
        /// Where the value was found.
        field: String,
        /// The rule it breaks.
        reason: NameError,
    },
    /// Two spellings of one name (`Username` and `username`, ...) with different values.
    #[error("{first} and {second} name different values")]
    ConflictingSpellings {
        /// The spelling read first.
        first: &'static str,
        /// The other spelling.
        second: &'static str,
    },
    /// `UserPoolId` and `UserPoolArn` name two pools.
    #[error("UserPoolId and UserPoolArn name different user pools")]
    ConflictingPools,
    /// A pool outside `ALLOWED_USER_POOL_IDS`; the names are valid and kept for the
    /// dead-letter message.
    #[error("user pool {} is not in ALLOWED_USER_POOL_IDS", .0.pool)]
    ForbiddenPool(Target),
    /// The alert asked for actions outside `ALLOWED_ACTIONS`: the user was signed out (with
    /// the allowed actions), the refused ones never called.
    #[error("the alert asked for {0}, outside ALLOWED_ACTIONS")]
    ForbiddenAction(Actions),
    /// The alert's `Actions` names something that is no action (or is not a string or list).
    #[error("Actions {0}")]
    UnknownAction(UnknownAction),
    /// Cognito, or the way to it, failed. Shared by the records that name the same user.
    #[error(transparent)]
    SignOut(Arc<CallError>),
    /// The user was signed out, but what follows (the cutoff, the event) failed: the record
    /// is retried, and the whole sequence with it, which is idempotent.
    #[error("signed out, but {0}")]
    Revocation(Arc<RevocationError>),
    /// The invocation had too little time left to start the call.
    #[error("not enough time left in the invocation to call Cognito")]
    DeadlineReached,
    /// The call started but was still running when the invocation's time ran out; it counts
    /// as an attempt.
    #[error("the Cognito call was abandoned at the invocation deadline")]
    CallCutOff,
    /// A FIFO record behind a record of its message group that is being retried.
    #[error("an earlier alert of its message group is being retried ({0})")]
    GroupBlocked(ErrorClass),
    /// A retryable failure on a record received `MAX_RECEIVE_COUNT` times or more.
    #[error("gave up after {receive_count} receives: {last}")]
    RetriesExhausted {
        /// The record's `ApproximateReceiveCount`.
        receive_count: u32,
        /// The failure of this last attempt.
        last: Box<Failure>,
    },
}

impl Failure {
    /// The contract's class of this failure.
    pub fn class(&self) -> ErrorClass {
        match self {
            Failure::NotJson(_)
            | Failure::SnsMessageNotJson(_)
            | Failure::MissingUsername
            | Failure::MissingUserPool
            | Failure::NotAString { .. }
            | Failure::UndecodableLogs(_)
            | Failure::NotAnActivityRecord => ErrorClass::Malformed,
            Failure::InvalidName { .. }
            | Failure::ConflictingPools
            | Failure::ConflictingSpellings { .. } => ErrorClass::Invalid,
            Failure::ForbiddenPool(_) => ErrorClass::ForbiddenPool,
            Failure::ForbiddenAction(_) => ErrorClass::ForbiddenAction,
            Failure::UnknownAction(_) => ErrorClass::Invalid,
            Failure::SignOut(err) => err.class(),
            Failure::Revocation(err) => err.class(),
            Failure::DeadlineReached | Failure::CallCutOff => ErrorClass::Transport,
            Failure::GroupBlocked(class) => *class,
            Failure::RetriesExhausted { .. } => ErrorClass::RetriesExhausted,
        }
    }

    /// The valid names a failure carries, for a failure that happens after decoding them
    /// without a call (a pool outside the allow-list).
    pub fn target(&self) -> Option<&Target> {
        match self {
            Failure::ForbiddenPool(target) => Some(target),
            _ => None,
        }
    }

    /// The dead-letter `ErrorCode`: Cognito's error code, or the local reason.
    pub fn code(&self) -> String {
        let local = match self {
            Failure::NotJson(_) | Failure::SnsMessageNotJson(_) | Failure::NotAString { .. } => {
                "MalformedMessage"
            }
            Failure::UndecodableLogs(_) => "UndecodableLogPayload",
            Failure::NotAnActivityRecord => "NotAnActivityRecord",
            Failure::MissingUsername => "MissingUsername",
            Failure::MissingUserPool => "MissingUserPoolId",
            Failure::InvalidName { .. }
            | Failure::ConflictingPools
            | Failure::ConflictingSpellings { .. } => "InvalidParameter",
            Failure::ForbiddenPool(_) => "ForbiddenUserPool",
            Failure::ForbiddenAction(_) => "ForbiddenAction",
            Failure::UnknownAction(_) => "UnknownAction",
            Failure::SignOut(err) => return err.code().to_owned(),
            Failure::Revocation(err) => return err.code(),
            Failure::DeadlineReached => "DeadlineReached",
            Failure::CallCutOff => "CallCutOff",
            Failure::GroupBlocked(_) => "MessageGroupBlocked",
            Failure::RetriesExhausted { last, .. } => return last.code(),
        };
        local.to_owned()
    }
}

impl From<CallError> for Failure {
    fn from(err: CallError) -> Self {
        Failure::SignOut(Arc::new(err))
    }
}
