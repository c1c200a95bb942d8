//! One invocation: [`Function::handle`] recognises the event (a payload format 2.0 HTTP
//! request is a push; an EventBridge "Scheduled Event" is a poll, when `SSF_POLL_URL` is
//! set), runs the receiver on each SET, writes each SET's log line and metrics line, and
//! answers.
//!
//! A poll (RFC 8936) asks for SETs, receives each, and tells the transmitter in its next
//! request which it acknowledges and which it refuses ([`crate::poll`]); it polls again
//! while the transmitter says more are available, at most [`MAX_POLLS`] times and never
//! past the invocation's deadline less [`POLL_MARGIN`], and ends with a request that only
//! acknowledges. An invocation that leaves a SET neither acknowledged nor refused, or whose
//! poll endpoint failed, ends in an error (counted by Lambda's `Errors`): the SETs it kept
//! are delivered again at the next poll.
//!
//! The push order: the method; then `Authorization`, when `SSF_AUTHORIZATION` is set, before
//! anything of the body is read (so an unauthenticated sender never causes a key fetch);
//! then the SET. Logs name the `jti`, `iss`, event types, subjects' formats and the alerts
//! queued; never the SET, a token or the `Authorization` value.

use std::time::Duration;

use lambda_edge::MetricsSink;
use serde_json::Value;
use tokio::time::Instant;

use crate::alerts::AlertQueue;
use crate::core::authorization::Authorization;
use crate::core::set::SetRefusal;
use crate::keys::TransmitterKeySource;
use crate::metrics::Counted;
use crate::poll::{PollReport, PollVerdict, Verdicts, MAX_EVENTS, MAX_POLLS};
use crate::poller::PollEndpoint;
use crate::push::{HttpAnswer, PushRequest};
use crate::receiver::{Receipt, Receiver};
use crate::replays::Replays;
use crate::secrets::Rotating;
use crate::users::Users;

/// Time left before the invocation's deadline under which no new poll starts: a poll's
/// request (3 s at most; after a 401 or 403, a read of the rotated secret, 5 s at most, and
/// the request once more) and its SETs' lookups and queue calls must fit, and the final
/// acknowledgement after them.
pub const POLL_MARGIN: Duration = Duration::from_secs(20);

/// Why an invocation ends in an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvocationError {
    /// An event this function does not know.
    #[error("not a push request (payload format 2.0) nor a scheduled poll: this function receives SETs over HTTP, or polls on an EventBridge schedule")]
    Unrecognised,
    /// A scheduled event, but no poll endpoint is configured.
    #[error("a scheduled event, but SSF_POLL_URL is not set: nothing to poll")]
    PollNotConfigured,
    /// A poll that left SETs to be delivered again, or whose endpoint failed.
    #[error("poll incomplete (kept SETs are delivered again at the next poll): {0}")]
    PollIncomplete(String),
}

/// The function: the receiver, the push's credential, the poll endpoint, the metrics sink.
#[derive(Debug)]
pub struct Function<K, U, Q, R> {
    receiver: Receiver<K, U, Q, R>,
    authorization: Option<Rotating<Authorization>>,
    poll: Option<PollEndpoint>,
    metrics: MetricsSink,
}

impl<K: TransmitterKeySource, U: Users, Q: AlertQueue, R: Replays> Function<K, U, Q, R> {
    /// The function around `receiver`; pushes must carry `authorization` when it is set.
    pub fn new(
        receiver: Receiver<K, U, Q, R>,
        authorization: Option<Authorization>,
        metrics: MetricsSink,
    ) -> Self {
        Self {
            receiver,
            authorization: authorization.map(Rotating::fixed),
            poll: None,
            metrics,
        }
    }

    /// The same function, pushes checked against `credential` (a secret's value, read again
    /// when a push does not match it).
    pub fn authorized_by(mut self, credential: Rotating<Authorization>) -> Self {
        self.authorization = Some(credential);
        self
    }

    /// The same function, polling `endpoint` on scheduled events.
    pub fn polling(mut self, endpoint: PollEndpoint) -> Self {
        self.poll = Some(endpoint);
        self
    }

    /// The receiver (tests read its fakes).
    pub fn receiver(&self) -> &Receiver<K, U, Q, R> {
        &self.receiver
    }

    /// Handles one invocation's `event`, with no deadline but the poll limit's.
    pub async fn handle(&self, event: &Value, request_id: &str) -> Result<Value, InvocationError> {
        self.handle_until(event, request_id, None).await
    }

    /// Handles one invocation's `event`, which must end by `deadline`.
    pub async fn handle_until(
        &self,
        event: &Value,
        request_id: &str,
        deadline: Option<Instant>,
    ) -> Result<Value, InvocationError> {
        if let Some(request) = PushRequest::read(event) {
            return Ok(self.push(request, request_id).await.to_value());
        }
        if !is_scheduled(event) {
            return Err(InvocationError::Unrecognised);
        }
        let endpoint = self
            .poll
            .as_ref()
            .ok_or(InvocationError::PollNotConfigured)?;
        let report = Box::pin(self.poll(endpoint, request_id, deadline)).await;
        let value = serde_json::to_value(&report).unwrap_or(Value::Null);
        if report.complete() {
            Ok(value)
        } else {
            Err(InvocationError::PollIncomplete(value.to_string()))
        }
    }

    /// Polls until the transmitter has nothing more, the poll limit, or the deadline; then
    /// acknowledges what is left to tell.
    pub async fn poll(
        &self,
        endpoint: &PollEndpoint,
        request_id: &str,
        deadline: Option<Instant>,
    ) -> PollReport {
        let mut report = PollReport::default();
        let mut verdicts = Verdicts::default();
        let time_left = || deadline.is_none_or(|d| Instant::now() + POLL_MARGIN <= d);
        while report.polls < MAX_POLLS && time_left() {
            report.polls += 1;
            let batch = match endpoint.poll(&verdicts.request(MAX_EVENTS)).await {
                Ok(batch) => batch,
                Err(err) => {
                    report.failure = Some(err.to_string());
                    break;
                }
            };
            verdicts = Verdicts::default();
            for (jti, set) in &batch.sets {
                let receipt = match set {
                    Some(set) => self.receiver.receive_polled(jti, set).await,
                    None => Receipt::Refused(SetRefusal::Malformed),
                };
                log(&receipt);
                self.metrics.emit(&Counted::Set(&receipt), request_id);
                let verdict = PollVerdict::of(&receipt);
                report.count(&receipt, &verdict);
                verdicts.record(jti, verdict);
            }
            report.more_available = batch.more_available;
            if !batch.more_available || batch.sets.is_empty() {
                break;
            }
        }
        if !verdicts.is_empty() && report.failure.is_none() {
            report.polls += 1;
            if let Err(err) = endpoint.poll(&verdicts.request(0)).await {
                report.failure = Some(format!("acknowledging: {err}"));
            }
        }
        log_poll(&report);
        report
    }

    /// Answers one push.
    pub async fn push(&self, request: PushRequest, request_id: &str) -> HttpAnswer {
        if request.method != "POST" {
            return HttpAnswer::method_not_allowed();
        }
        if let Some(expected) = &self.authorization {
            let presented = request.authorization.as_deref();
            if !admitted(expected, presented).await {
                tracing::warn!(
                    err = "authentication_failed",
                    header_present = request.authorization.is_some(),
                    "push refused: Authorization missing or wrong"
                );
                self.metrics.emit(&Counted::Unauthenticated, request_id);
                return HttpAnswer::unauthenticated(expected.current().scheme());
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

/// Whether `presented` is the expected value: the current one, or the secret's value read
/// again (at most once a minute) for a transmitter that already pushes a rotated one. An
/// absent header never causes a read.
async fn admitted(expected: &Rotating<Authorization>, presented: Option<&str>) -> bool {
    if expected.current().admits(presented) {
        return true;
    }
    // Read again only for a value that could be a rotated one: present and not empty.
    presented.is_some_and(|value| !value.is_empty())
        && expected.reread().await
        && expected.current().admits(presented)
}

/// Whether `event` is an EventBridge schedule's (`detail-type` "Scheduled Event").
fn is_scheduled(event: &Value) -> bool {
    event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event")
}

/// The poll's summary line.
fn log_poll(report: &PollReport) {
    if report.complete() {
        tracing::info!(
            polls = report.polls,
            received = report.received,
            acknowledged = report.acknowledged,
            refused = report.refused,
            alerts_queued = report.alerts_queued,
            more_available = report.more_available,
            "poll done"
        );
    } else {
        tracing::error!(
            polls = report.polls,
            received = report.received,
            acknowledged = report.acknowledged,
            refused = report.refused,
            kept = report.kept,
            alerts_queued = report.alerts_queued,
            failure = report.failure.as_deref(),
            "poll incomplete: kept SETs are delivered again at the next poll"
        );
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
