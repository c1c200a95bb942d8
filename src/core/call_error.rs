//! [`CallError`]: a failed remote call (Cognito, SQS, DynamoDB, EventBridge) as plain data:
//! the contract's class, the service's error code, and a bounded, escaped message. Each
//! adapter builds it from its SDK's error (classification lives beside the SDK, in the port
//! folders); the core only reads it, so it names no SDK.

use std::fmt;

use crate::core::error_class::ErrorClass;
use crate::core::text::{sqs_safe, truncate};

/// A service's error text is cut to this many bytes in messages and logs: a proxy or a broken
/// endpoint can answer with a page of any size, and a 1 MB error message must not become a
/// 4 MB log line.
pub const ERROR_TEXT_MAX_BYTES: usize = 512;
/// An error code longer than this is cut: real codes are short names.
pub const ERROR_CODE_MAX_BYTES: usize = 128;

/// One failed call, classified by its adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    operation: &'static str,
    class: ErrorClass,
    code: String,
    message: String,
}

impl CallError {
    /// A failure of `operation` (`AdminUserGlobalSignOut`, `SendMessageBatch`, ...) of class
    /// `class`, with the service's `code` (or a name for the local failure: `Timeout`,
    /// `ConnectionFailure`, `HttpStatus503`) and its `message`; both are cut to their bounds
    /// and the characters SQS refuses are replaced, so the value is safe for a dead letter's
    /// attributes and a log line whatever the service answered.
    pub fn new(
        operation: &'static str,
        class: ErrorClass,
        code: impl AsRef<str>,
        message: impl AsRef<str>,
    ) -> Self {
        Self {
            operation,
            class,
            code: truncate(&sqs_safe(code.as_ref()), ERROR_CODE_MAX_BYTES),
            message: truncate(&sqs_safe(message.as_ref()), ERROR_TEXT_MAX_BYTES),
        }
    }

    /// The call that failed.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The contract's class, as the adapter judged it.
    pub fn class(&self) -> ErrorClass {
        self.class
    }

    /// The service's error code, or the name of the local failure.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// What went wrong, bounded.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.operation, self.message)
    }
}

impl std::error::Error for CallError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_error_message_is_cut_and_made_safe() {
        let err = CallError::new(
            "UpdateItem",
            ErrorClass::Internal,
            "X".repeat(10_000),
            format!("{}\u{0}", "y".repeat(1_000_000)),
        );
        assert_eq!(err.code().len(), ERROR_CODE_MAX_BYTES);
        assert_eq!(err.message().len(), ERROR_TEXT_MAX_BYTES);
        assert!(err.to_string().len() < 600);
        let err = CallError::new("PutEvents", ErrorClass::Unknown, "Code", "bad\u{0}byte");
        assert_eq!(err.message(), "bad\u{fffd}byte");
    }
}
