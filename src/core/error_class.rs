//! The contract's error classes: the one vocabulary that routing, dead-letter queues, logs,
//! metrics and return values share.
//!
//! Every failure in the crate ends as exactly one [`ErrorClass`]; what happens next (a
//! dead-letter send or a retry) is read from the class, never from an error's message text.

use std::fmt;

/// Why an alert was not signed out, as the contract names it (docs/alerts-and-dead-letters.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorClass {
    /// Not JSON, or no username or no pool can be found in it.
    Malformed,
    /// A name that breaks the API's length or pattern rules, or Cognito's
    /// `InvalidParameterException`.
    Invalid,
    /// The pool is not in `ALLOWED_USER_POOL_IDS`.
    ForbiddenPool,
    /// An alert asked for an action outside `ALLOWED_ACTIONS` (signed out all the same; the
    /// refused action is never called).
    ForbiddenAction,
    /// Cognito's `UserNotFoundException`.
    UserNotFound,
    /// Cognito's `ResourceNotFoundException`: the pool does not exist.
    PoolNotFound,
    /// The function's role may not act on the pool, or the operation is disabled.
    NotAuthorized,
    /// Cognito throttled the call.
    Throttled,
    /// Cognito failed on its side (`InternalErrorException`, HTTP 5xx).
    Internal,
    /// Timeout, connection or I/O failure, or no time left in the invocation.
    Transport,
    /// Any other error: retried, since nothing says it is permanent.
    Unknown,
    /// A retryable failure on a record that has been received `MAX_RECEIVE_COUNT` times.
    RetriesExhausted,
}

impl ErrorClass {
    /// Every class, in the contract's order.
    pub const ALL: [ErrorClass; 12] = [
        ErrorClass::Malformed,
        ErrorClass::Invalid,
        ErrorClass::ForbiddenPool,
        ErrorClass::ForbiddenAction,
        ErrorClass::UserNotFound,
        ErrorClass::PoolNotFound,
        ErrorClass::NotAuthorized,
        ErrorClass::Throttled,
        ErrorClass::Internal,
        ErrorClass::Transport,
        ErrorClass::Unknown,
        ErrorClass::RetriesExhausted,
    ];

    /// The class as the contract spells it (`forbidden-pool`, `retries-exhausted`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Malformed => "malformed",
            ErrorClass::Invalid => "invalid",
            ErrorClass::ForbiddenPool => "forbidden-pool",
            ErrorClass::ForbiddenAction => "forbidden-action",
            ErrorClass::UserNotFound => "user-not-found",
            ErrorClass::PoolNotFound => "pool-not-found",
            ErrorClass::NotAuthorized => "not-authorized",
            ErrorClass::Throttled => "throttled",
            ErrorClass::Internal => "internal",
            ErrorClass::Transport => "transport",
            ErrorClass::Unknown => "unknown",
            ErrorClass::RetriesExhausted => "retries-exhausted",
        }
    }

    /// Whether the failure may heal by itself, so that the event source should deliver the
    /// alert again rather than dead-letter it.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorClass::Throttled
                | ErrorClass::Internal
                | ErrorClass::Transport
                | ErrorClass::Unknown
        )
    }

    /// The suffix of the class's own dead-letter variable: `DLQ_URL_<suffix>`.
    pub fn env_suffix(self) -> String {
        self.as_str().to_ascii_uppercase().replace('-', "_")
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_suffix_upper_cases_and_replaces_dashes() {
        assert_eq!(ErrorClass::UserNotFound.env_suffix(), "USER_NOT_FOUND");
        assert_eq!(ErrorClass::Malformed.env_suffix(), "MALFORMED");
        assert_eq!(
            ErrorClass::RetriesExhausted.env_suffix(),
            "RETRIES_EXHAUSTED"
        );
    }

    #[test]
    fn exactly_the_contracts_four_classes_are_retried() {
        let retried: Vec<_> = ErrorClass::ALL
            .into_iter()
            .filter(|c| c.is_retryable())
            .map(ErrorClass::as_str)
            .collect();
        assert_eq!(retried, ["throttled", "internal", "transport", "unknown"]);
    }
}
