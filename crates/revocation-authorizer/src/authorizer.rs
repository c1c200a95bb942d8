//! One authorization end to end: read the request, run the check, log the decision, emit its
//! metrics line, answer.

use std::time::Instant;

use cognito_revocation::{CutoffStore, Decision, KeySource, Refusal, RevocationCheck};
use serde_json::Value;

use crate::answer::answer;
use crate::config::FrontDoors;
use crate::metrics::{Authorization, MetricsSink};
use crate::request::{self, Request, UnrecognisedEvent};

/// The authorizer: the revocation check and where its metrics go. Built once at start-up.
#[derive(Debug)]
pub struct Authorizer<K, S> {
    check: RevocationCheck<K, S>,
    metrics: MetricsSink,
    doors: FrontDoors,
}

impl<K: KeySource, S: CutoffStore> Authorizer<K, S> {
    /// An authorizer running `check`, writing metrics to `metrics`.
    pub fn new(check: RevocationCheck<K, S>, metrics: MetricsSink) -> Self {
        Self {
            check,
            metrics,
            doors: FrontDoors::default(),
        }
    }

    /// The same authorizer, with the front doors the operator opened (a query-string
    /// parameter, the AppSync APIs).
    pub fn with_doors(mut self, doors: FrontDoors) -> Self {
        self.doors = doors;
        self
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
        let query = self.doors.token_query_parameter.as_deref();
        let request = match request::parse(event, query) {
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
        if let Request::AppSync { api_id, .. } = &request {
            let listed = self.doors.appsync_api_ids.as_ref();
            if listed.is_some_and(|ids| !ids.iter().any(|id| id == api_id)) {
                tracing::warn!(
                    decision = "OtherApi",
                    kind = "appsync",
                    "refused: an AppSync API outside APPSYNC_API_IDS"
                );
                let authorization = Authorization {
                    reason: "OtherApi",
                    decision: None,
                    latency: started.elapsed(),
                };
                self.metrics.emit(&authorization, request_id);
                return Ok(answer(&request, &Decision::Refused(Refusal::Missing)));
            }
        }
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
