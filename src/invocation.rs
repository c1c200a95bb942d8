//! One Lambda invocation, end to end: payload in, report settled, one log line per alert, one
//! metrics document, and the return value the event source expects (docs/alerts-and-dead-letters.md#return-values,
//! decided in the core's `response` module).

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::value::RawValue;
use tokio::time::Instant;

use crate::core::outcome::{Outcome, Settlement};
use crate::core::payload::Batch;
use crate::core::text::loggable;
use crate::core::threat::IgnoreReason;
use crate::dead_letters::DeadLetters;
use crate::metrics::MetricsSink;
use crate::responder::Responder;
use crate::revocation::Revocations;
use crate::sign_out::SignOut;

pub use crate::core::response::{
    respond, AlertSummary, BatchItemFailure, BatchResponse, Response, RetryInvocation, Summary,
};

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
    let batch = Batch::from_payload_in(
        &event.payload,
        &event.context.request_id,
        account_of(&event.context.invoked_function_arn),
    );
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

/// The most bytes of one value a log line carries: ids, codes and error texts come from
/// events and remote services, and may be of any size.
pub const LOGGED_VALUE_MAX_BYTES: usize = 1024;

/// One structured line per alert: message id, outcome, class, code, pool, user. Never the
/// body, which may carry anything, tokens included.
pub fn log_settlement(s: &Settlement, dry_run: bool) {
    let failure = s.outcome().failure();
    let class = failure.map(|f| f.class().as_str());
    let code = s.code().map(|code| loggable(&code, LOGGED_VALUE_MAX_BYTES));
    let message_id = loggable(s.message_id(), LOGGED_VALUE_MAX_BYTES);
    let pool = s.target().map(|t| t.pool.as_str());
    let user = s.target().map(|t| t.user.as_str());
    let outcome = s.kind().as_str();
    let actions = (!s.taken().is_empty()).then(|| s.taken().to_string());
    match s.outcome() {
        // A pool's log carries every sign-in: only a control message is worth INFO.
        Outcome::Ignored { reason, .. } if *reason == IgnoreReason::ControlMessage => {
            tracing::info!(
                message_id = %message_id,
                outcome,
                reason = reason.code(),
                "CloudWatch Logs control message acknowledged"
            )
        }
        Outcome::Ignored { reason, .. } => tracing::debug!(
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
            receive_count = s.receive_count(),
            actions,
            dry_run,
            "alert settled"
        ),
        Outcome::DeadLettered { failure, .. } | Outcome::Retry { failure, .. } => {
            let dead_letter_error = match s.outcome() {
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
                receive_count = s.receive_count(),
                actions,
                dead_letter_error,
                dry_run,
                "alert settled"
            )
        }
    }
}

/// The account of a function ARN (`arn:aws:lambda:<region>:<account>:function:<name>`), if it
/// is one.
pub fn account_of(function_arn: &str) -> Option<&str> {
    let account = function_arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

pub use lambda_edge::{instant_of, LAMBDA_MAX_TIMEOUT};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_is_read_from_the_invoked_functions_arn() {
        assert_eq!(
            account_of("arn:aws:lambda:eu-west-1:123456789012:function:responder"),
            Some("123456789012")
        );
        assert_eq!(account_of("not an arn"), None);
        assert_eq!(account_of("arn:aws:lambda:eu-west-1:12:function:x"), None);
    }
}
