//! What a verified SET asks for, pure: each event type URI of its `events` object becomes a
//! [`Request`] (a subject and the actions asked), is acknowledged (`verification`), or is
//! ignored (docs/ssf-receiver.md's table). [`merge`] then makes one alert per user of a SET,
//! however many of its entries named that user (CAEP profiles may describe one event with
//! several entries).

use std::collections::BTreeMap;

use cognito_names::Target;
use serde_json::Value;

use crate::core::alert::Alert;
use crate::core::set::VerifiedSet;
use crate::core::subject::SubjectIdentifier;
use cognito_names::Action;

const CAEP: &str = "https://schemas.openid.net/secevent/caep/event-type/";
const RISC: &str = "https://schemas.openid.net/secevent/risc/event-type/";
const SSF: &str = "https://schemas.openid.net/secevent/ssf/event-type/";

/// What one event type asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// `caep/session-revoked`, `caep/credential-change`, `risc/sessions-revoked`: sign out.
    SignOut,
    /// `risc/credential-compromise`, `risc/account-disabled` with reason `hijacking`: the
    /// compromise actions (`SSF_COMPROMISE_ACTIONS`).
    Compromise,
    /// `ssf/verification`: acknowledged, its `state` logged.
    Verification,
    /// Any other event type: acknowledged and counted as ignored.
    Ignored,
}

impl EventKind {
    /// The kind of the event `uri` whose body is `body`.
    pub fn of(uri: &str, body: &Value) -> EventKind {
        if let Some(name) = uri.strip_prefix(CAEP) {
            return match name {
                "session-revoked" | "credential-change" => EventKind::SignOut,
                _ => EventKind::Ignored,
            };
        }
        if let Some(name) = uri.strip_prefix(RISC) {
            return match name {
                "sessions-revoked" => EventKind::SignOut,
                "credential-compromise" => EventKind::Compromise,
                "account-disabled" => {
                    if body.get("reason").and_then(Value::as_str) == Some("hijacking") {
                        EventKind::Compromise
                    } else {
                        EventKind::SignOut
                    }
                }
                _ => EventKind::Ignored,
            };
        }
        if uri.strip_prefix(SSF) == Some("verification") {
            return EventKind::Verification;
        }
        EventKind::Ignored
    }
}

/// One event's ask: the users its subject names, the actions for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The event type URI.
    pub event_type: String,
    /// Its subject (`sub_id`, else the event's `subject`).
    pub subject: SubjectIdentifier,
    /// The actions asked, `sign-out` first. Beyond `sign-out` only for an `iss_sub`
    /// subject: one email address may name users of several pools.
    pub actions: Vec<Action>,
}

/// What a SET asks, before any lookup.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The events that ask for alerts.
    pub requests: Vec<Request>,
    /// The `state` of a verification event, when the SET is one (empty when it has none).
    pub verification: Option<String>,
    /// The event types acknowledged and ignored.
    pub ignored: Vec<String>,
}

impl Plan {
    /// The plan of `set`, with `compromise` the actions of `SSF_COMPROMISE_ACTIONS`.
    pub fn of(set: &VerifiedSet, compromise: &[Action]) -> Plan {
        let mut plan = Plan::default();
        for (uri, body) in &set.events {
            let kind = EventKind::of(uri, body);
            let asked = match kind {
                EventKind::SignOut => vec![Action::SignOut],
                EventKind::Compromise => Action::with_sign_out(compromise.iter().copied()),
                EventKind::Verification => {
                    let state = body.get("state").and_then(Value::as_str).unwrap_or("");
                    plan.verification = Some(state.chars().take(256).collect());
                    continue;
                }
                EventKind::Ignored => {
                    plan.ignored.push(uri.clone());
                    continue;
                }
            };
            let subject =
                SubjectIdentifier::read(set.sub_id.as_ref().or_else(|| body.get("subject")));
            let actions = match subject {
                SubjectIdentifier::IssSub { .. } => asked,
                _ => vec![Action::SignOut],
            };
            plan.requests.push(Request {
                event_type: uri.clone(),
                subject,
                actions,
            });
        }
        plan
    }
}

/// One alert per user of `set`: the union of the actions every request naming that user
/// asked, and as `EventType` the first of those requests that asked the most.
pub fn merge<'a>(
    set: &VerifiedSet,
    found: impl IntoIterator<Item = (&'a Request, &'a [Target])>,
) -> Vec<Alert> {
    let mut by_user: BTreeMap<&Target, (&Request, Vec<Action>)> = BTreeMap::new();
    for (request, targets) in found {
        for target in targets {
            by_user
                .entry(target)
                .and_modify(|(chosen, actions)| {
                    if request.actions.len() > chosen.actions.len() {
                        *chosen = request;
                    }
                    actions.extend(request.actions.iter().copied());
                })
                .or_insert_with(|| (request, request.actions.clone()));
        }
    }
    by_user
        .into_iter()
        .map(|(target, (request, actions))| Alert {
            user_pool_id: target.pool.as_str().to_owned(),
            username: target.user.as_str().to_owned(),
            actions: Action::with_sign_out(actions),
            source: "ssf",
            issuer: set.iss.clone(),
            event_type: request.event_type.clone(),
            set_id: set.jti.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognito_names::{UserPoolId, Username};
    use serde_json::json;

    const REVOKED: &str = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
    const COMPROMISE: &str =
        "https://schemas.openid.net/secevent/risc/event-type/credential-compromise";
    const DISABLED: &str = "https://schemas.openid.net/secevent/risc/event-type/account-disabled";
    const VERIFICATION: &str = "https://schemas.openid.net/secevent/ssf/event-type/verification";

    fn set(sub_id: Option<Value>, events: Value) -> VerifiedSet {
        let Value::Object(events) = events else {
            unreachable!()
        };
        VerifiedSet {
            jti: "j-1".into(),
            iss: "https://idp.example.com/".into(),
            iat: 0,
            sub_id,
            events,
        }
    }

    fn iss_sub() -> Value {
        json!({"format": "iss_sub", "iss": "https://idp.example.com/", "sub": "s"})
    }

    const LOCK: [Action; 2] = [Action::ResetPassword, Action::Disable];

    #[test]
    fn each_event_type_becomes_its_kind() {
        let empty = json!({});
        for (uri, kind) in [
            (REVOKED, EventKind::SignOut),
            (
                "https://schemas.openid.net/secevent/caep/event-type/credential-change",
                EventKind::SignOut,
            ),
            (
                "https://schemas.openid.net/secevent/risc/event-type/sessions-revoked",
                EventKind::SignOut,
            ),
            (COMPROMISE, EventKind::Compromise),
            (DISABLED, EventKind::SignOut),
            (VERIFICATION, EventKind::Verification),
            (
                "https://schemas.openid.net/secevent/caep/event-type/token-claims-change",
                EventKind::Ignored,
            ),
            ("https://example.com/event", EventKind::Ignored),
        ] {
            assert_eq!(EventKind::of(uri, &empty), kind, "{uri}");
        }
        assert_eq!(
            EventKind::of(DISABLED, &json!({"reason": "hijacking"})),
            EventKind::Compromise
        );
    }

    #[test]
    fn compromise_asks_the_configured_actions_for_an_iss_sub_only() {
        let plan = Plan::of(&set(Some(iss_sub()), json!({COMPROMISE: {}})), &LOCK);
        assert_eq!(
            plan.requests[0].actions,
            vec![Action::SignOut, Action::ResetPassword, Action::Disable]
        );
        let email = json!({"format": "email", "email": "a@b.c"});
        let plan = Plan::of(&set(Some(email), json!({COMPROMISE: {}})), &LOCK);
        assert_eq!(plan.requests[0].actions, vec![Action::SignOut]);
    }

    #[test]
    fn the_event_subject_is_used_when_there_is_no_sub_id() {
        let plan = Plan::of(&set(None, json!({REVOKED: {"subject": iss_sub()}})), &LOCK);
        assert_eq!(plan.requests[0].subject.format(), "iss_sub");
        let plan = Plan::of(&set(None, json!({REVOKED: {}})), &LOCK);
        assert_eq!(plan.requests[0].subject.format(), "none");
    }

    #[test]
    fn verification_is_acknowledged_with_its_state_and_unknown_events_ignored() {
        let plan = Plan::of(
            &set(None, json!({VERIFICATION: {"state": "abc"}, "urn:x": {}})),
            &LOCK,
        );
        assert!(plan.requests.is_empty());
        assert_eq!(plan.verification.as_deref(), Some("abc"));
        assert_eq!(plan.ignored, vec!["urn:x".to_owned()]);
    }

    #[test]
    fn entries_naming_one_user_make_one_alert_with_the_union_of_actions() {
        let set = set(Some(iss_sub()), json!({REVOKED: {}, COMPROMISE: {}}));
        let plan = Plan::of(&set, &[Action::Disable]);
        let alice = Target {
            pool: UserPoolId::parse("eu-west-1_AbC").unwrap(),
            user: Username::parse("alice").unwrap(),
        };
        let bob = Target {
            user: Username::parse("bob").unwrap(),
            ..alice.clone()
        };
        let both = [alice.clone(), bob];
        let only_alice = [alice];
        let alerts = merge(
            &set,
            [
                (&plan.requests[0], &both[..]),
                (&plan.requests[1], &only_alice[..]),
            ],
        );
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].username, "alice");
        assert_eq!(alerts[0].actions, vec![Action::SignOut, Action::Disable]);
        assert_eq!(alerts[0].event_type, COMPROMISE);
        assert_eq!(alerts[1].username, "bob");
        assert_eq!(alerts[1].actions, vec![Action::SignOut]);
        assert_eq!(alerts[1].event_type, REVOKED);
        let body = serde_json::to_value(&alerts[0]).unwrap();
        assert_eq!(
            body,
            json!({
                "UserPoolId": "eu-west-1_AbC", "Username": "alice",
                "Actions": ["sign-out", "disable"], "Source": "ssf",
                "Issuer": "https://idp.example.com/", "EventType": COMPROMISE, "SetId": "j-1",
            })
        );
    }
}
