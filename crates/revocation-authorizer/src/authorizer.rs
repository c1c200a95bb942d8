//! One authorization end to end: read the request, run the check, log the decision, emit its
//! metrics line, answer.

use std::time::Instant;

use cognito_revocation::{CutoffStore, Decision, KeySource, Refusal, RevocationCheck};
use serde_json::Value;

use crate::answer::answer;
use crate::metrics::{Authorization, MetricsSink};
use crate::request::{self, UnrecognisedEvent};

/// The authorizer: the revocation check and where its metrics go. Built once at start-up.
#[derive(Debug)]
pub struct Authorizer<K, S> {
    check: RevocationCheck<K, S>,
    metrics: MetricsSink,
}

impl<K: KeySource, S: CutoffStore> Authorizer<K, S> {
    /// An authorizer running `check`, writing metrics to `metrics`.
    pub fn new(check: RevocationCheck<K, S>, metrics: MetricsSink) -> Self {
        Self { check, metrics }
    }

    /// The check (tests inspect its store).
    pub fn check(&self) -> &RevocationCheck<K, S> {
        &self.check
    }

    /// Answers one event. An event that is not an authorizer request is an error, which API
    /// Gateway turns into a refusal (500); every other outcome is an answer.
    pub async fn handle(
        &self,
        event: &Value,
        request_id: &str,
    ) -> Result<Value, UnrecognisedEvent> {
        let started = Instant::now();
        let request = match request::parse(event) {
            Ok(request) => request,
            Err(err) => {
                tracing::warn!(decision = "UnrecognisedEvent", "{err}");
                let authorization = Authorization {
                    reason: "UnrecognisedEvent",
                    decision: None,
                    latency: started.elapsed(),
                };
                self.metrics.emit(&authorization, request_id);
                return Err(err);
            }
        };
        let decision = match request.token() {
            Some(token) => self.check.check(token).await,
            None => Decision::Refused(Refusal::Missing),
        };
        let latency = started.elapsed();
        log(&decision, request.kind(), latency.as_secs_f64() * 1000.0);
        let authorization = Authorization {
            reason: decision.reason(),
            decision: Some(&decision),
            latency,
        };
        self.metrics.emit(&authorization, request_id);
        Ok(answer(&request, &decision))
    }
}

/// One structured line per decision: what was decided, why, and about whom when the token
/// was genuine. Never the token or any part of it.
fn log(decision: &Decision, kind: &str, latency_ms: f64) {
    let token = decision.token();
    let pool = token.map(|t| t.pool().as_str());
    let sub = token.map(|t| t.sub().as_str());
    let client = token.map(|t| t.client().as_str());
    let lookup_error = decision.lookup_error();
    let error_class = lookup_error.map(|e| e.class().as_str());
    let error_code = lookup_error.map(|e| e.code());
    if decision.is_allowed() && lookup_error.is_none() {
        tracing::info!(
            decision = decision.reason(),
            request = kind,
            pool,
            sub,
            client,
            latency_ms,
            "allowed"
        );
    } else {
        tracing::warn!(
            decision = decision.reason(),
            request = kind,
            pool,
            sub,
            client,
            error_class,
            error_code,
            latency_ms,
            "{decision}"
        );
    }
}
impl From<UnrecognisedEvent> for lambda_runtime::Diagnostic {
    /// The invocation fails with `UnrecognisedEvent`, which API Gateway answers with a 500:
    /// the request is refused.
    fn from(err: UnrecognisedEvent) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "UnrecognisedEvent".to_owned(),
            error_message: err.to_string(),
        }
    }
}
