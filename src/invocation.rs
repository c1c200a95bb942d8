//! One Lambda invocation, end to end: payload in, [`Report`] settled, one log line per alert,
//! one metrics document, and the return value the event source expects (contract section 4).

use std::time::{Duration, SystemTime};

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::time::Instant;

use crate::core::error_class::ErrorClass;
use crate::core::outcome::{Outcome, Report, Settlement};
use crate::core::payload::{Batch, Source};
use crate::core::text::loggable;
use crate::core::threat::IgnoreReason;
use crate::dead_letters::DeadLetters;
use crate::metrics::MetricsSink;
use crate::responder::Responder;
use crate::revocation::Revocations;
use crate::sign_out::SignOut;

/// What the function returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// To an SQS event source mapping: the records to deliver again.
    Sqs(SqsBatchResponse),
    /// To EventBridge, a direct caller or a CloudWatch Logs subscription: the outcome of the
    /// alert, or of each alert when the payload held several.
    Summary(Summary),
}

/// The outcome of an invocation that is not an SQS batch. With one alert, its outcome (the
/// contract's section 4). With several (the log events of a CloudWatch Logs payload, the
/// findings of a Security Hub event), `alerts` lists each in order; `outcome` and `class` are
/// the ones all share (`mixed` and `null` when they differ), `messageId` the id they share
/// (absent when they differ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// `signed-out`, `dead-lettered` or `ignored` (`mixed` for alerts that ended differently).
    pub outcome: &'static str,
    /// The error class; `null` for a plain sign-out.
    pub class: Option<&'static str>,
    /// The error code, as in the dead-letter message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The EventBridge event id, the log event id, or the Lambda request id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message_id: String,
    /// The pool named by the alert, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_pool_id: Option<String>,
    /// The user named by the alert, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Decided under `DRY_RUN`: nothing was called.
    pub dry_run: bool,
    /// Each alert's outcome, when the invocation held other than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Vec<AlertSummary>>,
}

/// One alert's outcome in a [`Summary`] of several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertSummary {
    /// `signed-out`, `dead-lettered` or `ignored`.
    pub outcome: &'static str,
    /// The error class; `null` when there is none.
    pub class: Option<&'static str>,
    /// The error code, or why the alert was ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The alert's message id.
    pub message_id: String,
    /// The pool named by the alert, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_pool_id: Option<String>,
    /// The user named by the alert, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

impl AlertSummary {
    fn of(s: &Settlement) -> Self {
        let failure = s.outcome.failure();
        Self {
            outcome: s.kind().as_str(),
            class: failure.map(|f| f.class().as_str()),
            code: match &s.outcome {
                Outcome::Ignored(reason) => Some(reason.code().to_owned()),
                _ => failure.map(|f| f.code()),
            },
            message_id: s.message_id.clone(),
            user_pool_id: s.target.as_ref().map(|t| t.pool.to_string()),
            username: s.target.as_ref().map(|t| t.user.to_string()),
        }
    }
}

/// A single-alert invocation whose alert is to be retried: the invocation fails with the
/// class as its error type, so that Lambda's asynchronous retries, the rule's retry policy and
/// their dead-letter queues apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{class}: {message}")]
pub struct RetryInvocation {
    /// The class of the retry.
    pub class: ErrorClass,
    /// Why.
    pub message: String,
}

impl From<RetryInvocation> for Diagnostic {
    fn from(err: RetryInvocation) -> Self {
        Diagnostic {
            error_type: err.class.as_str().to_owned(),
            error_message: err.message,
        }
    }
}

/// Handles one invocation: settles its alerts, logs each outcome, emits the metrics document
/// and builds the return value.
pub async fn handle<S: SignOut, D: DeadLetters, R: Revocations>(
    responder: &Responder<S, D, R>,
    metrics: &MetricsSink,
    event: LambdaEvent<Box<RawValue>>,
) -> Result<Response, RetryInvocation> {
    let deadline = instant_of(event.context.deadline());
    let batch = Batch::from_payload(&event.payload, &event.context.request_id);
    tracing::debug!(
        records = batch.records.len(),
        source = ?batch.source,
        remaining_ms = deadline.saturating_duration_since(Instant::now()).as_millis() as u64,
        "invocation received"
    );
    let report = responder.settle(&batch, deadline).await;
    for settlement in &report.settlements {
        log_settlement(settlement, report.dry_run);
    }
    metrics.emit(&report, &event.context.request_id);
    respond(&report)
}

/// The return value for a settled report.
pub fn respond(report: &Report) -> Result<Response, RetryInvocation> {
    if let Source::Sqs { .. } = report.source {
        let mut response = SqsBatchResponse::default();
        for settlement in &report.settlements {
            // The findings of one message share its id: it is listed once.
            let listed = response
                .batch_item_failures
                .iter()
                .any(|f| f.item_identifier == settlement.message_id);
            if let (Outcome::Retry { .. }, false) = (&settlement.outcome, listed) {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = settlement.message_id.clone();
                response.batch_item_failures.push(failure);
            }
        }
        return Ok(Response::Sqs(response));
    }
    // Any alert to be retried fails the invocation, so that the source delivers it again.
    let retried = report
        .settlements
        .iter()
        .find(|s| matches!(s.outcome, Outcome::Retry { .. }));
    let settlement = match (report.settlements.as_slice(), retried) {
        (_, Some(retried)) => retried,
        ([one], None) => one,
        ([], None) if report.source != Source::CloudWatchLogs => {
            return Err(RetryInvocation {
                class: ErrorClass::Unknown,
                message: "the invocation held no alert".to_owned(),
            })
        }
        (several, None) => return Ok(Response::Summary(summary_of_several(several, report))),
    };
    if let Outcome::Retry {
        failure,
        dead_letter_error,
    } = &settlement.outcome
    {
        return Err(RetryInvocation {
            class: failure.class(),
            message: match dead_letter_error {
                Some(err) => err.to_string(),
                None => failure.to_string(),
            },
        });
    }
    let failure = settlement.outcome.failure();
    Ok(Response::Summary(Summary {
        outcome: settlement.kind().as_str(),
        class: failure.map(|f| f.class().as_str()),
        code: failure.map(|f| f.code()),
        message_id: settlement.message_id.clone(),
        user_pool_id: settlement.target.as_ref().map(|t| t.pool.to_string()),
        username: settlement.target.as_ref().map(|t| t.user.to_string()),
        dry_run: report.dry_run,
        alerts: None,
    }))
}

/// The summary of an invocation that held other than one alert, none to be retried.
fn summary_of_several(settlements: &[Settlement], report: &Report) -> Summary {
    let alerts: Vec<AlertSummary> = settlements.iter().map(AlertSummary::of).collect();
    let shared = |values: Vec<Option<&str>>| -> Option<Option<String>> {
        let first = values.first().copied().flatten();
        values
            .iter()
            .all(|v| *v == first)
            .then(|| first.map(str::to_owned))
    };
    let outcome = match alerts.first() {
        None => "ignored",
        Some(first) if alerts.iter().all(|a| a.outcome == first.outcome) => first.outcome,
        Some(_) => "mixed",
    };
    let class = alerts
        .first()
        .and_then(|first| first.class)
        .filter(|c| alerts.iter().all(|a| a.class == Some(*c)));
    let ids = alerts.iter().map(|a| Some(a.message_id.as_str())).collect();
    Summary {
        outcome,
        class,
        code: None,
        message_id: shared(ids).flatten().unwrap_or_default(),
        user_pool_id: None,
        username: None,
        dry_run: report.dry_run,
        alerts: Some(alerts),
    }
}

/// The most bytes of one value a log line carries: ids, codes and error texts come from
/// events and remote services, and may be of any size.
pub const LOGGED_VALUE_MAX_BYTES: usize = 1024;

/// One structured line per alert: message id, outcome, class, code, pool, user. Never the
/// body, which may carry anything, tokens included.
pub fn log_settlement(s: &Settlement, dry_run: bool) {
    let failure = s.outcome.failure();
    let class = failure.map(|f| f.class().as_str());
    let code = failure.map(|f| loggable(&f.code(), LOGGED_VALUE_MAX_BYTES));
    let message_id = loggable(&s.message_id, LOGGED_VALUE_MAX_BYTES);
    let pool = s.target.as_ref().map(|t| t.pool.as_str());
    let user = s.target.as_ref().map(|t| t.user.as_str());
    let outcome = s.kind().as_str();
    match &s.outcome {
        // A pool's log carries every sign-in: only a control message is worth INFO.
        Outcome::Ignored(reason) if *reason == IgnoreReason::ControlMessage => tracing::info!(
            message_id = %message_id,
            outcome,
            reason = reason.code(),
            "CloudWatch Logs control message acknowledged"
        ),
        Outcome::Ignored(reason) => tracing::debug!(
            message_id = %message_id,
            outcome,
            reason = reason.code(),
            user_pool_id = pool,
            username = user,
            dry_run,
            "alert settled"
        ),
        Outcome::SignedOut { .. } => tracing::info!(
            message_id = %message_id,
            outcome,
            class,
            code,
            user_pool_id = pool,
            username = user,
            receive_count = s.receive_count,
            dry_run,
            "alert settled"
        ),
        Outcome::DeadLettered(failure) | Outcome::Retry { failure, .. } => {
            let dead_letter_error = match &s.outcome {
                Outcome::Retry {
                    dead_letter_error: Some(err),
                    ..
                } => Some(loggable(&err.to_string(), LOGGED_VALUE_MAX_BYTES)),
                _ => None,
            };
            tracing::warn!(
                message_id = %message_id,
                outcome,
                class,
                code,
                reason = %loggable(&failure.to_string(), LOGGED_VALUE_MAX_BYTES),
                user_pool_id = pool,
                username = user,
                receive_count = s.receive_count,
                dead_letter_error,
                dry_run,
                "alert settled"
            )
        }
    }
}

/// Lambda's longest timeout: the deadline assumed when the runtime gives none that is real.
pub const LAMBDA_MAX_TIMEOUT: Duration = Duration::from_secs(900);

/// The tokio instant of a wall-clock deadline; a deadline already past is now. A deadline
/// more than a day in the past is no real deadline but an emulator's placeholder
/// (`cargo lambda watch` sends the constant 600000, i.e. 1970), and is read as Lambda's
/// longest timeout from now.
pub fn instant_of(deadline: SystemTime) -> Instant {
    let now = SystemTime::now();
    let remaining = match deadline.duration_since(now) {
        Ok(remaining) => remaining,
        Err(past) if past.duration() > Duration::from_secs(86_400) => LAMBDA_MAX_TIMEOUT,
        Err(_) => Duration::ZERO,
    };
    Instant::now() + remaining
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_in_the_future_leaves_its_remaining_time() {
        let remaining = instant_of(SystemTime::now() + Duration::from_secs(30)) - Instant::now();
        assert!(remaining > Duration::from_secs(29) && remaining <= Duration::from_secs(30));
    }

    #[test]
    fn a_deadline_just_past_leaves_no_time() {
        let at = instant_of(SystemTime::now() - Duration::from_secs(5));
        assert!(at <= Instant::now());
    }

    #[test]
    fn an_emulators_placeholder_deadline_is_read_as_lambdas_longest_timeout() {
        let placeholder = SystemTime::UNIX_EPOCH + Duration::from_millis(600_000);
        let remaining = instant_of(placeholder) - Instant::now();
        assert!(remaining > Duration::from_secs(899));
    }
}
