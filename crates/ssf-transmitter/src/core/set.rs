//! The SETs that tell a stream a user was acted on: one event per SET (the CAEP
//! interoperability profile), built from the responder's `Cognito User Signed Out` event.
//!
//! | action taken | event |
//! |---|---|
//! | `sign-out` | CAEP `session-revoked`: `event_timestamp` = the cutoff's `revokedBefore`, `initiating_entity` `policy`, `reason_admin` |
//! | `reset-password` | CAEP `credential-change`: `credential_type` `password`, `change_type` `revoke`, `reason_admin` |
//! | `disable` | RISC `account-disabled`: `reason` `hijacking` |
//!
//! The subject is `iss_sub`: the pool's issuer and the user's `sub`. The `jti` is derived from
//! what caused the SET (the responder event's id, the stream, the event type), so the same
//! event delivered twice makes SETs with the same `jti`, which a receiver's replay check
//! absorbs; `txn` is the responder event's id. No `sub` and no `exp` claim (SSF 1.0). The
//! signing input (header and claims, base64url) is what KMS signs; over KMS's 4,096 bytes it
//! is refused before any call.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cognito_names::{Action, Actions, Subject, UnixSeconds, UserPoolId, Username};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// CAEP's session-revoked event type.
pub const SESSION_REVOKED: &str =
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
/// CAEP's credential-change event type.
pub const CREDENTIAL_CHANGE: &str =
    "https://schemas.openid.net/secevent/caep/event-type/credential-change";
/// RISC's account-disabled event type.
pub const ACCOUNT_DISABLED: &str =
    "https://schemas.openid.net/secevent/risc/event-type/account-disabled";

/// SSF's verification event type.
pub const VERIFICATION: &str = "https://schemas.openid.net/secevent/ssf/event-type/verification";
/// SSF's stream-updated event type.
pub const STREAM_UPDATED: &str =
    "https://schemas.openid.net/secevent/ssf/event-type/stream-updated";

/// The most bytes KMS signs in one `Sign` call with `MessageType: RAW`.
pub const MAX_SIGNING_INPUT: usize = 4096;

/// What the responder's `Cognito User Signed Out` event says of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedOutUser {
    /// The EventBridge event's `id`: the SETs' `txn`, and part of their `jti`.
    pub event_id: String,
    /// The user's pool.
    pub pool: UserPoolId,
    /// The username.
    pub username: Username,
    /// The user's `sub`.
    pub sub: Subject,
    /// The cutoff.
    pub revoked_before: UnixSeconds,
    /// The actions taken.
    pub actions: Actions,
}

/// Why a responder event cannot be turned into SETs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventRefusal {
    /// A member missing or of the wrong type.
    #[error("the signed-out event has no usable {0}")]
    Member(&'static str),
}

/// The string `value` holds, or a refusal naming the member.
fn text<'a>(value: Option<&'a Value>, name: &'static str) -> Result<&'a str, EventRefusal> {
    value
        .and_then(Value::as_str)
        .ok_or(EventRefusal::Member(name))
}

impl SignedOutUser {
    /// Reads an EventBridge event of detail-type `Cognito User Signed Out`.
    pub fn read(event: &Value) -> Result<Self, EventRefusal> {
        let detail = event.get("detail").ok_or(EventRefusal::Member("detail"))?;
        let event_id = text(event.get("id"), "id")?;
        if event_id.is_empty() || event_id.len() > 256 {
            return Err(EventRefusal::Member("id"));
        }
        let pool = UserPoolId::parse(text(detail.get("userPoolId"), "userPoolId")?)
            .map_err(|_| EventRefusal::Member("userPoolId"))?;
        let username = Username::parse(text(detail.get("username"), "username")?)
            .map_err(|_| EventRefusal::Member("username"))?;
        let sub = Subject::parse(text(detail.get("sub"), "sub")?)
            .map_err(|_| EventRefusal::Member("sub"))?;
        let revoked_before = detail
            .get("revokedBefore")
            .and_then(Value::as_u64)
            .map(UnixSeconds::new)
            .ok_or(EventRefusal::Member("revokedBefore"))?;
        let actions = match detail.get("actions") {
            None => Actions::SIGN_OUT,
            Some(Value::Array(names)) => names.iter().try_fold(Actions::NONE, |set, name| {
                name.as_str()
                    .and_then(|n| n.parse::<Action>().ok())
                    .map(|a| set.with(a))
                    .ok_or(EventRefusal::Member("actions"))
            })?,
            Some(_) => return Err(EventRefusal::Member("actions")),
        };
        Ok(Self {
            event_id: event_id.to_owned(),
            pool,
            username,
            sub,
            revoked_before,
            actions,
        })
    }

    /// One `(event type, event body)` per action taken, in the order they ran.
    pub fn events(&self) -> Vec<(&'static str, Value)> {
        let reason = json!({"en": "The account was reported compromised; the security team's responder acted on it."});
        self.actions
            .iter()
            .map(|action| match action {
                Action::SignOut => (
                    SESSION_REVOKED,
                    json!({
                        "event_timestamp": self.revoked_before.get(),
                        "initiating_entity": "policy",
                        "reason_admin": reason,
                    }),
                ),
                Action::ResetPassword => (
                    CREDENTIAL_CHANGE,
                    json!({
                        "credential_type": "password",
                        "change_type": "revoke",
                        "event_timestamp": self.revoked_before.get(),
                        "initiating_entity": "policy",
                        "reason_admin": reason,
                    }),
                ),
                Action::Disable => (ACCOUNT_DISABLED, json!({"reason": "hijacking"})),
            })
            .collect()
    }

    /// The user as an RFC 9493 `iss_sub` subject identifier.
    pub fn subject(&self) -> Value {
        json!({"format": "iss_sub", "iss": self.pool.issuer(), "sub": self.sub.as_str()})
    }
}

/// A stream as an `opaque` subject: the subject of its `verification` and `stream-updated`
/// SETs.
pub fn stream_subject(stream_id: &str) -> Value {
    json!({"format": "opaque", "id": stream_id})
}

/// A verification event, carrying the receiver's `state` when it gave one.
pub fn verification(state: Option<&str>) -> (&'static str, Value) {
    let body = match state {
        Some(state) => json!({"state": state}),
        None => json!({}),
    };
    (VERIFICATION, body)
}

/// A stream-updated event: the stream's new `status` and, when given, why.
pub fn stream_updated(status: &str, reason: Option<&str>) -> (&'static str, Value) {
    let mut body = json!({"status": status});
    if let Some(reason) = reason {
        body["reason"] = json!(reason);
    }
    (STREAM_UPDATED, body)
}

/// A SET waiting to be signed: every claim but `iat`, which each delivery attempt sets to
/// its own time (a late retry is not stale to a receiver's replay window).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingSet {
    /// The stream it is for.
    pub stream_id: String,
    /// Its `jti`.
    pub jti: String,
    /// Its one event's type.
    pub event_type: String,
    /// Its claims without `iat`.
    pub claims: Value,
}

impl PendingSet {
    /// The SET of `event` on `stream_id` (audience `aud`) about `subject`, caused by `txn`.
    pub fn new(
        iss: &str,
        aud: &str,
        stream_id: &str,
        txn: &str,
        subject: Value,
        event: (&str, Value),
    ) -> Self {
        let jti = jti(txn, stream_id, event.0);
        let event_type = event.0.to_owned();
        let mut claims = claims(iss, aud, UnixSeconds::new(0), &jti, txn, subject, event);
        if let Some(members) = claims.as_object_mut() {
            members.remove("iat");
        }
        Self {
            stream_id: stream_id.to_owned(),
            jti,
            event_type,
            claims,
        }
    }

    /// The claims of an attempt made at `iat`.
    pub fn claims_at(&self, iat: UnixSeconds) -> Value {
        let mut claims = self.claims.clone();
        claims["iat"] = json!(iat.get());
        claims
    }
}

/// The `jti` of the SET of `event_type` caused by `event_id` on `stream_id`: the first 128
/// bits of SHA-256 over the three, length-prefixed, as hex. The same causes give the same
/// `jti`; different ones collide with negligible probability.
pub fn jti(event_id: &str, stream_id: &str, event_type: &str) -> String {
    let mut hash = Sha256::new();
    for part in [event_id, stream_id, event_type] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The claims of one SET: `iss`, `aud`, `iat`, `jti`, `sub_id`, one event, `txn`.
pub fn claims(
    iss: &str,
    aud: &str,
    iat: UnixSeconds,
    jti: &str,
    txn: &str,
    sub_id: Value,
    event: (&str, Value),
) -> Value {
    let mut events = Map::new();
    events.insert(event.0.to_owned(), event.1);
    json!({
        "iss": iss,
        "aud": aud,
        "iat": iat.get(),
        "jti": jti,
        "sub_id": sub_id,
        "events": events,
        "txn": txn,
    })
}

/// The compact JWS signing input (`base64url(header).base64url(claims)`) of a SET signed RS256
/// with the key `kid`, or `None` when it is over [`MAX_SIGNING_INPUT`] bytes.
pub fn signing_input(kid: &str, claims: &Value) -> Option<String> {
    let header = json!({"alg": "RS256", "typ": "secevent+jwt", "kid": kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    (input.len() <= MAX_SIGNING_INPUT).then_some(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(actions: Value) -> Value {
        json!({
            "id": "evt-1", "detail-type": "Cognito User Signed Out", "source": "cognito-signout-responder",
            "detail": {"userPoolId": "eu-west-1_PoolA1", "username": "carol", "sub": "sub-carol",
                       "revokedBefore": 1_800_000_000u64, "signedOutAt": "2027-01-15T08:00:00Z",
                       "alertMessageIds": ["m-1"], "actions": actions}
        })
    }

    #[test]
    fn each_action_taken_is_one_event_in_the_order_they_ran() {
        let user = SignedOutUser::read(&event(json!(["disable", "sign-out"]))).unwrap();
        let events = user.events();
        assert_eq!(
            events.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            [ACCOUNT_DISABLED, SESSION_REVOKED]
        );
        assert_eq!(events[0].1, json!({"reason": "hijacking"}));
        assert_eq!(events[1].1["event_timestamp"], 1_800_000_000u64);
        assert_eq!(events[1].1["initiating_entity"], "policy");
        assert!(!events[1].1["reason_admin"]["en"]
            .as_str()
            .unwrap()
            .is_empty());
        let reset = SignedOutUser::read(&event(json!(["reset-password", "sign-out"]))).unwrap();
        let change = &reset.events()[0];
        assert_eq!(change.0, CREDENTIAL_CHANGE);
        assert_eq!(
            (
                change.1["credential_type"].as_str(),
                change.1["change_type"].as_str()
            ),
            (Some("password"), Some("revoke"))
        );
        assert_eq!(
            user.subject(),
            json!({"format": "iss_sub", "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolA1", "sub": "sub-carol"})
        );
    }

    #[test]
    fn an_event_without_a_usable_member_is_refused_naming_it() {
        let mut bad = event(json!(["sign-out"]));
        bad["detail"]["sub"] = json!("");
        assert_eq!(SignedOutUser::read(&bad), Err(EventRefusal::Member("sub")));
        let mut bad = event(json!(["wipe"]));
        assert_eq!(
            SignedOutUser::read(&bad),
            Err(EventRefusal::Member("actions"))
        );
        bad["detail"]["userPoolId"] = json!("nope");
        assert_eq!(
            SignedOutUser::read(&bad),
            Err(EventRefusal::Member("userPoolId"))
        );
        assert!(SignedOutUser::read(&json!({"id": "e"})).is_err());
    }

    #[test]
    fn a_pending_set_takes_its_iat_at_each_attempt_and_keeps_its_jti() {
        let user = SignedOutUser::read(&event(json!(["sign-out"]))).unwrap();
        let pending = PendingSet::new(
            "https://ssf.example.com",
            "client-1",
            "stream-1",
            &user.event_id,
            user.subject(),
            user.events().remove(0),
        );
        assert!(pending.claims.get("iat").is_none());
        assert_eq!(pending.jti, jti("evt-1", "stream-1", SESSION_REVOKED));
        let first = pending.claims_at(UnixSeconds::new(10));
        let late = pending.claims_at(UnixSeconds::new(5000));
        assert_eq!(
            (first["iat"].as_u64(), late["iat"].as_u64()),
            (Some(10), Some(5000))
        );
        assert_eq!(first["jti"], late["jti"]);
        assert_eq!(first["aud"], "client-1");
        let verify = PendingSet::new(
            "i",
            "a",
            "s",
            "t",
            stream_subject("s"),
            verification(Some("x")),
        );
        assert_eq!(
            verify.claims["sub_id"],
            json!({"format": "opaque", "id": "s"})
        );
        assert_eq!(verify.claims["events"][VERIFICATION]["state"], "x");
        let updated = stream_updated("paused", None);
        assert_eq!(updated.1, json!({"status": "paused"}));
    }

    #[test]
    fn the_same_causes_give_the_same_jti_and_any_other_cause_another() {
        let one = jti("evt-1", "stream-1", SESSION_REVOKED);
        assert_eq!(one, jti("evt-1", "stream-1", SESSION_REVOKED));
        assert_eq!(one.len(), 32);
        for other in [
            jti("evt-2", "stream-1", SESSION_REVOKED),
            jti("evt-1", "stream-2", SESSION_REVOKED),
            jti("evt-1", "stream-1", ACCOUNT_DISABLED),
            jti("evt-1stream-1", "", SESSION_REVOKED),
        ] {
            assert_ne!(one, other);
        }
    }

    #[test]
    fn a_set_has_one_event_a_txn_and_no_sub_or_exp_and_its_input_is_bounded() {
        let user = SignedOutUser::read(&event(json!(["sign-out"]))).unwrap();
        let set = claims(
            "https://ssf.example.com",
            "client-1",
            UnixSeconds::new(1_800_000_001),
            &jti(&user.event_id, "stream-1", SESSION_REVOKED),
            &user.event_id,
            user.subject(),
            user.events().remove(0),
        );
        assert_eq!(set["events"].as_object().unwrap().len(), 1);
        assert_eq!(set["txn"], "evt-1");
        assert!(set.get("sub").is_none() && set.get("exp").is_none());
        let input = signing_input("key-1", &set).unwrap();
        let (header, _) = input.split_once('.').unwrap();
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(
            header,
            json!({"alg": "RS256", "typ": "secevent+jwt", "kid": "key-1"})
        );
        let mut huge = set.clone();
        huge["txn"] = json!("t".repeat(MAX_SIGNING_INPUT));
        assert_eq!(signing_input("key-1", &huge), None);
    }
}
