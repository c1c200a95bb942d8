//! The return value of an invocation (docs/alerts-and-dead-letters.md#return-values), decided from its [`Report`] alone:
//! the SQS batch response listing the records to deliver again, or the summary of the alert
//! (or alerts) of any other payload, or the retry that fails the invocation. Pure: the
//! invocation module hands it to the runtime.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::core::error_class::ErrorClass;
use crate::core::outcome::{Outcome, OutcomeKind, Report, Settlement};
use crate::core::payload::Source;
use crate::core::text::truncate;

/// A summary lists at most this many alerts one by one; past it, `counts` (which always
/// covers every alert) and `alertsOmitted` tell the rest. Lambda refuses a response over
/// 6 MB (and the invocation would fail and repeat): a thousand entries of bounded fields stay
/// far below it, whatever a payload holds.
pub const MAX_LISTED_ALERTS: usize = 1_000;
/// A listed alert's message id is cut to this many bytes (ids come from the payload).
pub const LISTED_ID_MAX_BYTES: usize = 1_024;

/// The SQS batch response: the records to deliver again (`ReportBatchItemFailures`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    /// One entry per record to deliver again.
    pub batch_item_failures: Vec<BatchItemFailure>,
}

/// One record to deliver again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemFailure {
    /// The record's SQS `messageId`.
    pub item_identifier: String,
}

/// What the function returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// To an SQS event source mapping: the records to deliver again.
    Sqs(BatchResponse),
    /// To EventBridge, a direct caller or a CloudWatch Logs subscription: the outcome of the
    /// alert, or of each alert when the payload held several.
    /// (Boxed: a summary is far larger than the batch response.)
    Summary(Box<Summary>),
}

/// The outcome of an invocation that is not an SQS batch. With one alert, its outcome (the
/// docs/alerts-and-dead-letters.md#return-values). With several (the log events of a CloudWatch Logs payload, the
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
    /// The actions taken on the user, in the order they ran (one alert).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<&'static str>>,
    /// Decided under `DRY_RUN`: nothing was called.
    pub dry_run: bool,
    /// Each alert's outcome, when the invocation held other than one (the first
    /// `MAX_LISTED_ALERTS`, 1,000, of them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Vec<AlertSummary>>,
    /// How many alerts ended in each outcome, when the invocation held other than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<BTreeMap<&'static str, usize>>,
    /// How many alerts `alerts` leaves out (past the first `MAX_LISTED_ALERTS`, 1,000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts_omitted: Option<usize>,
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
    /// The actions taken on the user for the alert, in the order they ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<&'static str>>,
}

impl AlertSummary {
    fn of(s: &Settlement) -> Self {
        let failure = s.outcome().failure();
        Self {
            outcome: s.kind().as_str(),
            class: failure.map(|f| f.class().as_str()),
            code: match s.outcome() {
                Outcome::Ignored { reason, .. } => Some(reason.code().to_owned()),
                _ => s.code().map(|code| truncate(&code, LISTED_ID_MAX_BYTES)),
            },
            message_id: truncate(s.message_id(), LISTED_ID_MAX_BYTES),
            user_pool_id: s.target().map(|t| t.pool.to_string()),
            username: s.target().map(|t| t.user.to_string()),
            actions: actions_of(s),
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

/// The return value for a settled report.
pub fn respond(report: &Report) -> Result<Response, RetryInvocation> {
    if let Source::Sqs { .. } = report.source {
        let mut response = BatchResponse::default();
        for settlement in &report.settlements {
            // The findings of one message share its id: it is listed once.
            let listed = response
                .batch_item_failures
                .iter()
                .any(|f| f.item_identifier == settlement.message_id());
            if let (Outcome::Retry { .. }, false) = (settlement.outcome(), listed) {
                response.batch_item_failures.push(BatchItemFailure {
                    item_identifier: settlement.message_id().to_owned(),
                });
            }
        }
        return Ok(Response::Sqs(response));
    }
    // Any alert to be retried fails the invocation, so that the source delivers it again.
    let retried = report
        .settlements
        .iter()
        .find(|s| matches!(s.outcome(), Outcome::Retry { .. }));
    let settlement = match (report.settlements.as_slice(), retried) {
        (_, Some(retried)) => retried,
        ([one], None) => one,
        ([], None) if report.source != Source::CloudWatchLogs => {
            return Err(RetryInvocation {
                class: ErrorClass::Unknown,
                message: "the invocation held no alert".to_owned(),
            })
        }
        (several, None) => {
            return Ok(Response::Summary(Box::new(summary_of_several(
                several, report,
            ))))
        }
    };
    if let Outcome::Retry {
        failure,
        dead_letter_error,
        ..
    } = settlement.outcome()
    {
        return Err(RetryInvocation {
            class: failure.class(),
            message: match dead_letter_error {
                Some(err) => err.to_string(),
                None => failure.to_string(),
            },
        });
    }
    let failure = settlement.outcome().failure();
    Ok(Response::Summary(Box::new(Summary {
        outcome: settlement.kind().as_str(),
        class: failure.map(|f| f.class().as_str()),
        code: settlement.code(),
        message_id: settlement.message_id().to_owned(),
        user_pool_id: settlement.target().map(|t| t.pool.to_string()),
        username: settlement.target().map(|t| t.user.to_string()),
        actions: actions_of(settlement),
        dry_run: report.dry_run,
        alerts: None,
        counts: None,
        alerts_omitted: None,
    })))
}

/// The actions a settlement names, when any were taken.
fn actions_of(settlement: &Settlement) -> Option<Vec<&'static str>> {
    let taken = settlement.taken();
    (!taken.is_empty()).then(|| taken.names())
}

/// The summary of an invocation that held other than one alert, none to be retried.
fn summary_of_several(settlements: &[Settlement], report: &Report) -> Summary {
    let mut counts = BTreeMap::new();
    for kind in OutcomeKind::ALL {
        let n = report.count(kind);
        if n > 0 {
            counts.insert(kind.as_str(), n);
        }
    }
    let alerts: Vec<AlertSummary> = settlements
        .iter()
        .take(MAX_LISTED_ALERTS)
        .map(AlertSummary::of)
        .collect();
    let omitted = settlements.len().saturating_sub(MAX_LISTED_ALERTS);
    let shared = |values: Vec<Option<&str>>| -> Option<Option<String>> {
        let first = values.first().copied().flatten();
        values
            .iter()
            .all(|v| *v == first)
            .then(|| first.map(str::to_owned))
    };
    // Judged on every alert, listed or not.
    let outcome = match settlements.first() {
        None => "ignored",
        Some(first) if settlements.iter().all(|s| s.kind() == first.kind()) => {
            first.kind().as_str()
        }
        Some(_) => "mixed",
    };
    let class = settlements
        .first()
        .and_then(Settlement::class)
        .filter(|c| settlements.iter().all(|s| s.class() == Some(*c)))
        .map(ErrorClass::as_str);
    let ids = settlements
        .iter()
        .map(|s| Some(truncate(s.message_id(), LISTED_ID_MAX_BYTES)))
        .collect::<Vec<_>>();
    let ids = ids.iter().map(|id| id.as_deref()).collect();
    Summary {
        outcome,
        class,
        code: None,
        message_id: shared(ids).flatten().unwrap_or_default(),
        user_pool_id: None,
        username: None,
        actions: None,
        dry_run: report.dry_run,
        alerts: Some(alerts),
        counts: (!counts.is_empty()).then_some(counts),
        alerts_omitted: (omitted > 0).then_some(omitted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::identity::{Target, UserPoolId, Username};
    use crate::core::payload::Record;
    use crate::core::threat::IgnoreReason;

    fn record(id: String) -> Record {
        Record {
            message_id: id,
            body: String::new(),
            receive_count: None,
            group_id: None,
            source_arn: None,
            origin: Default::default(),
            provenance: Default::default(),
        }
    }

    #[test]
    fn the_summary_of_a_huge_payload_stays_far_below_lambdas_response_limit() {
        // 10,000 ignored lines with the longest names and long ids: listed whole, the
        // summary was 6.95 MB, past the 6 MB Lambda takes.
        let target = Target {
            pool: UserPoolId::parse(&format!("eu-west-1_{}", "A".repeat(45))).unwrap(),
            user: Username::parse(&"u".repeat(128)).unwrap(),
        };
        let settlements: Vec<Settlement> = (0..10_000)
            .map(|i| {
                Settlement::ignored(
                    &record(format!("{i:0>5}{}", "9".repeat(5_000))),
                    Some(target.clone()),
                    IgnoreReason::NoRisk,
                )
            })
            .collect();
        let report = Report {
            source: Source::CloudWatchLogs,
            dry_run: false,
            settlements,
            call_latencies: Vec::new(),
            dead_letter_requests: 0,
            cutoffs_recorded: 0,
            cutoff_failures: 0,
            events_published: 0,
            event_failures: 0,
            passwords_reset: 0,
            users_disabled: 0,
            already_signed_out: 0,
        };
        let Ok(Response::Summary(summary)) = respond(&report) else {
            panic!("a summary")
        };
        let bytes = serde_json::to_vec(&summary).unwrap().len();
        assert!(bytes < 2_000_000, "{bytes} bytes");
        assert_eq!(
            summary.alerts.as_ref().map(Vec::len),
            Some(MAX_LISTED_ALERTS)
        );
        assert_eq!(summary.alerts_omitted, Some(9_000));
        assert_eq!(summary.counts.as_ref().unwrap()["ignored"], 10_000);
        assert_eq!(summary.outcome, "ignored");
    }
}
