//! One invocation, told apart by its shape: an HTTP request (payload format 2.0), a
//! responder's `Cognito User Signed Out` event, or a batch of the delivery queue's records.
//! Each ends in one metrics line; an event whose SETs could not be made durable fails the
//! invocation (Lambda retries it, then its on-failure destination keeps it), and a record
//! that could not be is reported as a batch item failure (SQS delivers it again).

use std::time::Instant;

use cognito_revocation::jwks::KeySource;
use lambda_edge::MetricsSink;
use serde_json::{json, Value};

use crate::core::set::SignedOutUser;
use crate::deliveries::DeliveryQueue;
use crate::requests::{Api, Request};
use crate::signer::Signer;
use crate::streams::Streams;
use crate::transmitter::{read_retry, Report, Transmitter};

/// The detail-type of the responder's events.
pub const SIGNED_OUT: &str = "Cognito User Signed Out";

/// An invocation that failed: Lambda retries it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvocationError {
    /// Not an HTTP request, a responder event or a delivery-queue batch.
    #[error("not an event this function takes: {0}")]
    Unrecognised(&'static str),
    /// A responder event that is not one.
    #[error("{0}")]
    Event(String),
    /// SETs that could not be made durable.
    #[error("{0}")]
    Failed(String),
}

/// The function: the runner, its HTTP endpoints and its metrics.
#[derive(Debug)]
pub struct Function<K, G, S, Q> {
    /// The runner.
    pub transmitter: Transmitter<G, S, Q>,
    /// The HTTP endpoints.
    pub api: Api<K>,
    /// Where metrics go.
    pub metrics: MetricsSink,
}

impl<K: KeySource, G: Signer, S: Streams, Q: DeliveryQueue> Function<K, G, S, Q> {
    /// Handles one invocation.
    pub async fn handle(&self, event: &Value, request_id: &str) -> Result<Value, InvocationError> {
        let started = Instant::now();
        if event.pointer("/requestContext/http/method").is_some() {
            let request = Request::read(event);
            let (answer, report) = self.api.serve(&self.transmitter, &request, started).await;
            self.metrics.emit(&report, request_id);
            return Ok(answer.to_event());
        }
        if event.get("detail-type").and_then(Value::as_str) == Some(SIGNED_OUT) {
            let user =
                SignedOutUser::read(event).map_err(|e| InvocationError::Event(e.to_string()))?;
            let report = self
                .transmitter
                .on_signed_out(&user, started)
                .await
                .map_err(|e| InvocationError::Failed(e.to_string()))?;
            self.metrics.emit(&report, request_id);
            return Ok(
                json!({"delivered": report.delivered, "retried": report.retried, "kept": report.kept}),
            );
        }
        if let Some(records) = event.get("Records").and_then(Value::as_array) {
            if records
                .iter()
                .all(|r| r.get("eventSource").and_then(Value::as_str) == Some("aws:sqs"))
            {
                return Ok(self.retries(records, request_id, started).await);
            }
        }
        Err(InvocationError::Unrecognised(
            "expected an HTTP request (payload format 2.0), a Cognito User Signed Out event or delivery-queue records",
        ))
    }

    async fn retries(&self, records: &[Value], request_id: &str, started: Instant) -> Value {
        let attempts = records.iter().map(|record| async move {
            let id = record
                .get("messageId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let body = record
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let done = match read_retry(body) {
                Some(retry) => self.transmitter.on_retry(retry, started).await,
                None => self.transmitter.unreadable(body).await,
            };
            (id, done)
        });
        let mut report = Report::default();
        let mut failures = Vec::new();
        for (id, done) in futures_util::future::join_all(attempts).await {
            match done {
                Ok(done) => report.add(done),
                Err(failure) => {
                    tracing::error!(message_id = %id, "a retry could not be made durable: {failure}");
                    failures.push(json!({"itemIdentifier": id}));
                }
            }
        }
        self.metrics.emit(&report, request_id);
        json!({"batchItemFailures": failures})
    }
}
