//! The alert queue: the [`Alert`] this receiver puts on it (docs/ssf-receiver.md: shape A
//! plus its provenance), the [`AlertQueue`] port, its SQS adapter ([`SqsAlertQueue`]) and an
//! in-memory one for tests ([`MemoryAlertQueue`]).

mod memory;
mod sqs;

pub use memory::MemoryAlertQueue;
pub use sqs::SqsAlertQueue;

use std::future::Future;

use serde::Serialize;

use crate::action::Action;

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

/// Alerts that could not all be stored: the SET is delivered again (5xx, or no ack on poll).
/// Plain data built by the adapter, so that the core never names an SDK type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct QueueError {
    /// The service's error code, or the local reason (`Unconfirmed`).
    pub code: String,
    /// What happened.
    pub message: String,
}

/// Where alerts go.
pub trait AlertQueue: Send + Sync {
    /// Stores every alert of `alerts`, or fails: `Ok` only when each one is confirmed.
    fn send(&self, alerts: &[Alert]) -> impl Future<Output = Result<(), QueueError>> + Send;
}
