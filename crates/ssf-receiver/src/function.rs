//! One invocation: [`Function::handle`] recognises the event (a payload format 2.0 HTTP
//! request is a push), runs the receiver, writes the SET's log line and metrics line, and
//! answers.
//!
//! The push order: the method; then `Authorization`, when `SSF_AUTHORIZATION` is set, before
//! anything of the body is read (so an unauthenticated sender never causes a key fetch);
//! then the SET. Logs name the `jti`, `iss`, event types, subjects' formats and the alerts
//! queued; never the SET, a token or the `Authorization` value.

use lambda_edge::MetricsSink;
use serde_json::Value;

use crate::alerts::AlertQueue;
use crate::authorization::Authorization;
use crate::keys::KeySource;
use crate::metrics::Counted;
use crate::push::{HttpAnswer, PushRequest};
use crate::receiver::{Receipt, Receiver};
use crate::replays::Replays;
use crate::users::Users;

/// The error of an invocation whose event this function does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a push request (payload format 2.0): this function receives SETs over HTTP")]
pub struct UnrecognisedEvent;

/// The function: the receiver, the push's credential, the metrics sink.
#[derive(Debug)]
pub struct Function<K, U, Q, R> {
    receiver: Receiver<K, U, Q, R>,
    authorization: Option<Authorization>,
    metrics: MetricsSink,
}

impl<K: KeySource, U: Users, Q: AlertQueue, R: Replays> Function<K, U, Q, R> {
    /// The function around `receiver`; pushes must carry `authorization` when it is set.
    pub fn new(
        receiver: Receiver<K, U, Q, R>,
        authorization: Option<Authorization>,
        metrics: MetricsSink,
    ) -> Self {
        Self {
            receiver,
            authorization,
            metrics,
        }
    }

    /// The receiver (tests read its fakes).
    pub fn receiver(&self) -> &Receiver<K, U, Q, R> {
        &self.receiver
    }

    /// Handles one invocation's `event`.
    pub async fn handle(
        &self,
        event: &Value,
        request_id: &str,
    ) -> Result<Value, UnrecognisedEvent> {
        let request = PushRequest::read(event).ok_or(UnrecognisedEvent)?;
        Ok(self.push(request, request_id).await.to_value())
    }

    /// Answers one push.
    pub async fn push(&self, request: PushRequest, request_id: &str) -> HttpAnswer {
        if request.method != "POST" {
            return HttpAnswer::method_not_allowed();
        }
        if let Some(expected) = &self.authorization {
            if !expected.admits(request.authorization.as_deref()) {
                tracing::warn!(
                    err = "authentication_failed",
                    header_present = request.authorization.is_some(),
                    "push refused: Authorization missing or wrong"
                );
                self.metrics.emit(&Counted::Unauthenticated, request_id);
                return HttpAnswer::unauthenticated(expected.scheme());
            }
        }
        let receipt = match &request.body {
            Ok(set) => self.receiver.receive(set).await,
            Err(refusal) => Receipt::Refused(*refusal),
        };
        log(&receipt);
        self.metrics.emit(&Counted::Set(&receipt), request_id);
        HttpAnswer::of(&receipt)
    }
}

/// The SET's one log line.
pub fn log(receipt: &Receipt) {
    match receipt {
        Receipt::Accepted(set) => tracing::info!(
            jti = %set.jti,
            iss = %set.iss,
            event_types = ?set.event_types,
            subject_formats = ?set.subject_formats,
            alerts_queued = set.alerts_queued,
            subjects_unknown = set.subjects_unknown,
            events_ignored = set.events_ignored,
            verification_state = set.verification.as_deref(),
            "SET accepted"
        ),
        Receipt::Replayed { jti, iss } => tracing::info!(
            jti = %jti,
            iss = %iss,
            alerts_queued = 0,
            "SET accepted before: acknowledged, nothing queued again"
        ),
        Receipt::Refused(refusal) => tracing::warn!(
            err = refusal.err().as_str(),
            reason = %refusal,
            "SET refused"
        ),
        Receipt::Failed { set, failure } => tracing::error!(
            jti = set.as_ref().map(|(jti, _)| jti.as_str()),
            iss = set.as_ref().map(|(_, iss)| iss.as_str()),
            stage = failure.stage(),
            error = %failure,
            "SET not processed: answered 5xx, to be delivered again"
        ),
    }
}
