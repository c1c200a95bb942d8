//! [`Alert`]: what the receiver puts on the responder's queue for one user of a SET: shape A
//! of the responder's alerts plus its provenance (docs/ssf-receiver.md).

use serde::Serialize;

use cognito_names::Action;

/// One alert for the responder: a user of a pool, the actions asked, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alert {
    /// The pool.
    pub user_pool_id: String,
    /// The user.
    pub username: String,
    /// The actions asked, `sign-out` first.
    #[serde(serialize_with = "action_names")]
    pub actions: Vec<Action>,
    /// Always `ssf`.
    pub source: &'static str,
    /// The SET's `iss`.
    pub issuer: String,
    /// The event type URI that asked it.
    pub event_type: String,
    /// The SET's `jti`.
    pub set_id: String,
}

fn action_names<S: serde::Serializer>(
    actions: &[Action],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(actions.iter().map(|a| a.as_str()))
}

impl Alert {
    /// The message body: the alert as JSON.
    pub fn body(&self) -> String {
        // A struct of strings always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}
