//! What follows a sign-out when revocation is on (contract section 7): the user's cutoff,
//! recorded so that APIs refuse the tokens the sign-out left valid, and one
//! `Cognito User Signed Out` event per user. Pure: this module builds the records and
//! classifies what went wrong; the `revocation` port writes and publishes them.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::operation::put_events::PutEventsError;
use cognito_revocation::{Cutoff, StoreError, StoreErrorClass, Subject, UnixSeconds};
use serde_json::json;

use crate::core::error_class::ErrorClass;
use crate::core::identity::Target;

/// The `DetailType` of the event published per signed-out user.
pub const EVENT_DETAIL_TYPE: &str = "Cognito User Signed Out";
/// The `Source` of that event when `EVENT_SOURCE` is not set.
pub const DEFAULT_EVENT_SOURCE: &str = "cognito-signout-responder";
/// `PutEvents` takes at most this many entries.
pub const MAX_EVENTS_PER_REQUEST: usize = 10;
/// `PutEvents` takes at most this many bytes in one request.
pub const MAX_EVENTS_BYTES: usize = 256 * 1024;

/// What the responder does after a sign-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevocationPolicy {
    /// Record a cutoff per user (`REVOCATION_TABLE` is set).
    pub cutoffs: bool,
    /// Publish a signed-out event per user (`EVENT_BUS_NAME` is set).
    pub events: bool,
    /// `REVOCATION_RETENTION_SECONDS`: how long a cutoff is kept (the table's TTL).
    pub retention: Duration,
}

/// One signed-out user, with everything the cutoff and the event say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedOut {
    /// The user and pool.
    pub target: Target,
    /// The user's `sub`, as their tokens name them.
    pub sub: String,
    /// The moment the sign-out call returned.
    pub signed_out_at: SystemTime,
    /// The alerts of this invocation that named the user.
    pub alert_message_ids: Vec<String>,
}

impl SignedOut {
    /// The cutoff to record: tokens authenticated before the sign-out returned (rounded up to
    /// the second) are refused, kept for `retention`. `None` when the names are not ones the
    /// revocation library takes (it parses them again, by the same rules).
    pub fn cutoff(&self, retention: Duration) -> Option<Cutoff> {
        let pool = cognito_revocation::UserPoolId::parse(self.target.pool.as_str()).ok()?;
        let sub = Subject::parse(&self.sub).ok()?;
        Some(Cutoff::new(
            pool,
            sub,
            self.target.user.as_str(),
            self.signed_out_at,
            retention,
            self.alert_message_ids.first().cloned().unwrap_or_default(),
        ))
    }

    /// The event's `Detail`, as the contract spells it.
    pub fn event_detail(&self) -> String {
        json!({
            "userPoolId": self.target.pool.as_str(),
            "username": self.target.user.as_str(),
            "sub": self.sub,
            "revokedBefore": UnixSeconds::ceil(self.signed_out_at).get(),
            "signedOutAt": rfc3339(self.signed_out_at),
            "alertMessageIds": self.alert_message_ids,
        })
        .to_string()
    }
}

/// `time` in RFC 3339, UTC, to the millisecond.
fn rfc3339(time: SystemTime) -> String {
    aws_smithy_types::DateTime::from(time)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// Error codes that mean "slow down" from EventBridge.
const THROTTLING_CODES: [&str; 3] = [
    "ThrottlingException",
    "LimitExceededException",
    "TooManyRequestsException",
];

/// Something after the sign-out failed: the record is retried (the sequence is idempotent).
#[derive(Debug, Clone, thiserror::Error)]
pub enum RevocationError {
    /// Recording the cutoff failed.
    #[error("recording the cutoff failed: {0}")]
    Cutoff(#[source] Arc<StoreError>),
    /// The names cannot make a cutoff key (a `sub` Cognito would never give).
    #[error("the user's sub cannot name a cutoff")]
    UnusableSub,
    /// The `PutEvents` request failed as a whole.
    #[error("PutEvents failed: {}", aws_sdk_eventbridge::error::DisplayErrorContext(.0.as_ref()))]
    EventRequest(#[source] Arc<SdkError<PutEventsError>>),
    /// EventBridge refused this entry.
    #[error("EventBridge refused the event: {code}: {message}")]
    EventRefused {
        /// EventBridge's error code.
        code: String,
        /// Its message.
        message: String,
    },
    /// The work was still running when the invocation's time ran out, or could not start.
    #[error("abandoned at the invocation deadline")]
    CutOff,
    /// Any other adapter's failure (the in-memory fakes use it).
    #[error("{0}")]
    Other(String),
}

impl RevocationError {
    /// The contract's class: always one that is retried.
    pub fn class(&self) -> ErrorClass {
        match self {
            RevocationError::Cutoff(err) => match err.class() {
                StoreErrorClass::Throttled => ErrorClass::Throttled,
                StoreErrorClass::Internal => ErrorClass::Internal,
                StoreErrorClass::Transport => ErrorClass::Transport,
                StoreErrorClass::Unknown => ErrorClass::Unknown,
            },
            RevocationError::EventRequest(err) => match err.as_ref() {
                SdkError::ServiceError(context) => {
                    let status = context.raw().status().as_u16();
                    match context.err().code() {
                        Some(code) if THROTTLING_CODES.contains(&code) => ErrorClass::Throttled,
                        _ if status == 429 => ErrorClass::Throttled,
                        _ if (500..600).contains(&status) => ErrorClass::Internal,
                        _ => ErrorClass::Unknown,
                    }
                }
                SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => ErrorClass::Transport,
                _ => ErrorClass::Unknown,
            },
            RevocationError::EventRefused { code, .. } => match code.as_str() {
                c if THROTTLING_CODES.contains(&c) => ErrorClass::Throttled,
                "InternalFailure" | "InternalException" => ErrorClass::Internal,
                _ => ErrorClass::Unknown,
            },
            RevocationError::CutOff => ErrorClass::Transport,
            RevocationError::UnusableSub | RevocationError::Other(_) => ErrorClass::Unknown,
        }
    }

    /// The code for dead letters and logs.
    pub fn code(&self) -> String {
        match self {
            RevocationError::Cutoff(err) => err.code(),
            RevocationError::UnusableSub => "UnusableSub".to_owned(),
            RevocationError::EventRequest(err) => err
                .code()
                .map(str::to_owned)
                .unwrap_or_else(|| "PutEventsFailed".to_owned()),
            RevocationError::EventRefused { code, .. } => code.clone(),
            RevocationError::CutOff => "RevocationCutOff".to_owned(),
            RevocationError::Other(_) => "RevocationFailed".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::identity::{UserPoolId, Username};

    fn signed_out() -> SignedOut {
        SignedOut {
            target: Target {
                pool: UserPoolId::parse("eu-west-1_AbC").unwrap(),
                user: Username::parse("alice").unwrap(),
            },
            sub: "7d8e9f00-1111-2222-3333-444455556666".into(),
            signed_out_at: SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_250),
            alert_message_ids: vec!["m1".into(), "m2".into()],
        }
    }

    #[test]
    fn the_cutoff_rounds_the_sign_out_up_and_keeps_it_for_the_retention() {
        let cutoff = signed_out().cutoff(Duration::from_secs(86_400)).unwrap();
        assert_eq!(cutoff.revoked_before().get(), 1_700_000_001);
        assert_eq!(cutoff.expires_at().get(), 1_700_000_001 + 86_400);
        assert_eq!(
            cutoff.key().as_str(),
            "eu-west-1_AbC#7d8e9f00-1111-2222-3333-444455556666"
        );
        assert_eq!(cutoff.alert_message_id(), "m1");
        assert_eq!(cutoff.username(), "alice");
    }

    #[test]
    fn the_event_detail_carries_the_contracts_fields() {
        let detail: serde_json::Value = serde_json::from_str(&signed_out().event_detail()).unwrap();
        assert_eq!(detail["userPoolId"], "eu-west-1_AbC");
        assert_eq!(detail["username"], "alice");
        assert_eq!(detail["sub"], "7d8e9f00-1111-2222-3333-444455556666");
        assert_eq!(detail["revokedBefore"], 1_700_000_001);
        assert_eq!(detail["signedOutAt"], "2023-11-14T22:13:20.25Z");
        assert_eq!(detail["alertMessageIds"], json!(["m1", "m2"]));
    }

    #[test]
    fn every_revocation_failure_is_retried() {
        for err in [
            RevocationError::UnusableSub,
            RevocationError::CutOff,
            RevocationError::EventRefused {
                code: "ThrottlingException".into(),
                message: String::new(),
            },
            RevocationError::EventRefused {
                code: "InternalFailure".into(),
                message: String::new(),
            },
            RevocationError::Other("x".into()),
        ] {
            assert!(err.class().is_retryable(), "{err:?}");
        }
    }
}
