//! What follows a sign-out when revocation is on (docs/revocation.md): the user's cutoff,
//! recorded so that APIs refuse the tokens the sign-out left valid, and one
//! `Cognito User Signed Out` event per user. Pure: this module builds the records and
//! classifies what went wrong; the `revocation` port writes and publishes them.

use std::time::{Duration, SystemTime};

use cognito_names::{Cutoff, Subject, UnixSeconds};

use crate::core::action::Actions;
use crate::core::call_error::CallError;
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

/// One signed-out user, with everything the cutoff and the event say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedOut {
    /// The user and pool.
    pub target: Target,
    /// The user's `sub`, as their tokens name them (checked by the adapter that read it).
    pub sub: Subject,
    /// The moment the sign-out call returned.
    pub signed_out_at: SystemTime,
    /// The alerts of this invocation that named the user.
    pub alert_message_ids: Vec<String>,
    /// The actions taken on the user, in the order they ran (the sign-out last).
    pub actions: Actions,
}

impl SignedOut {
    /// The `Detail` of the user's `Cognito User Signed Out` event (docs/revocation.md):
    /// names, `sub`, `revokedBefore`, `signedOutAt` (RFC 3339, UTC), the alerts and the
    /// actions taken.
    pub fn event_detail(&self) -> String {
        serde_json::json!({
            "userPoolId": self.target.pool.as_str(),
            "username": self.target.user.as_str(),
            "sub": self.sub.as_str(),
            "revokedBefore": UnixSeconds::ceil(self.signed_out_at).get(),
            "signedOutAt": rfc3339(self.signed_out_at),
            "alertMessageIds": self.alert_message_ids,
            "actions": self.actions.names(),
        })
        .to_string()
    }

    /// The cutoff to record: tokens authenticated before the sign-out returned (rounded up to
    /// the second) are refused, kept for `retention`. `None` when the names are not ones the
    /// revocation library takes (it parses them again, by the same rules).
    pub fn cutoff(&self, retention: Duration) -> Cutoff {
        Cutoff::new(
            self.target.pool.clone(),
            self.sub.clone(),
            self.target.user.as_str(),
            self.signed_out_at,
            retention,
            self.alert_message_ids.first().cloned().unwrap_or_default(),
        )
        .with_actions(self.actions.names())
    }
}

/// Something after the sign-out failed: the record is retried (the sequence is idempotent).
#[derive(Debug, Clone, thiserror::Error)]
pub enum RevocationError {
    /// Recording the cutoff failed.
    #[error("recording the cutoff failed: {0}")]
    Cutoff(#[source] CallError),
    /// Publishing the signed-out event failed: the request as a whole, or EventBridge refused
    /// this entry.
    #[error("publishing the signed-out event failed: {0}")]
    Event(#[source] CallError),
    /// The work was still running when the invocation's time ran out, or could not start.
    #[error("abandoned at the invocation deadline")]
    CutOff,
    /// Any other adapter's failure (the in-memory fakes use it).
    #[error("{0}")]
    Other(String),
}

impl RevocationError {
    /// The contract's class: always one that is retried. A store or bus that refuses outright
    /// (access denied, a bad table) is `unknown`, retried, never dead-lettered: the sign-out
    /// itself succeeded, and the alert must not be lost for the bookkeeping after it.
    pub fn class(&self) -> ErrorClass {
        match self {
            RevocationError::Cutoff(err) | RevocationError::Event(err) => {
                if err.class().is_retryable() {
                    err.class()
                } else {
                    ErrorClass::Unknown
                }
            }
            RevocationError::CutOff => ErrorClass::Transport,
            RevocationError::Other(_) => ErrorClass::Unknown,
        }
    }

    /// The code for dead letters and logs.
    pub fn code(&self) -> String {
        match self {
            RevocationError::Cutoff(err) | RevocationError::Event(err) => err.code().to_owned(),
            RevocationError::CutOff => "RevocationCutOff".to_owned(),
            RevocationError::Other(_) => "RevocationFailed".to_owned(),
        }
    }
}

/// `time` in RFC 3339, UTC, with the fraction of a second to the microsecond and its trailing
/// zeros dropped (none when whole): `2023-11-14T22:13:20.25Z`.
fn rfc3339(time: SystemTime) -> String {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    let (days, of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // The civil date of a day count (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let fraction = format!("{:06}", since.subsec_micros());
    let fraction = fraction.trim_end_matches('0');
    let dot = if fraction.is_empty() { "" } else { "." };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{dot}{fraction}Z",
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::core::identity::{UserPoolId, Username};

    fn signed_out() -> SignedOut {
        SignedOut {
            target: Target {
                pool: UserPoolId::parse("eu-west-1_AbC").unwrap(),
                user: Username::parse("alice").unwrap(),
            },
            sub: Subject::parse("7d8e9f00-1111-2222-3333-444455556666").unwrap(),
            signed_out_at: SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_250),
            alert_message_ids: vec!["m1".into(), "m2".into()],
            actions: Actions::SIGN_OUT,
        }
    }

    #[test]
    fn the_cutoff_rounds_the_sign_out_up_and_keeps_it_for_the_retention() {
        let cutoff = signed_out().cutoff(Duration::from_secs(86_400));
        assert_eq!(cutoff.revoked_before().get(), 1_700_000_001);
        assert_eq!(cutoff.expires_at().get(), 1_700_000_001 + 86_400);
        assert_eq!(
            cutoff.key().as_str(),
            "eu-west-1_AbC#7d8e9f00-1111-2222-3333-444455556666"
        );
        assert_eq!(cutoff.alert_message_id(), "m1");
        assert_eq!(cutoff.username(), "alice");
        assert_eq!(cutoff.actions(), ["sign-out"]);
    }

    #[test]
    fn every_revocation_failure_is_retried() {
        for err in [
            RevocationError::CutOff,
            RevocationError::Event(CallError::new(
                "PutEvents",
                ErrorClass::Throttled,
                "ThrottlingException",
                "",
            )),
            RevocationError::Cutoff(CallError::new(
                "UpdateItem",
                ErrorClass::NotAuthorized,
                "AccessDeniedException",
                "",
            )),
            RevocationError::Other("x".into()),
        ] {
            assert!(err.class().is_retryable(), "{err:?}");
        }
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
        assert_eq!(detail["actions"], json!(["sign-out"]));
    }

    #[test]
    fn times_are_written_as_rfc3339_in_utc() {
        let at = |ms: u64| rfc3339(SystemTime::UNIX_EPOCH + Duration::from_millis(ms));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_700_000_000_250), "2023-11-14T22:13:20.25Z");
        assert_eq!(at(1_796_659_199_001), "2026-12-07T15:59:59.001Z");
    }
}
