//! What one invocation counts, in CloudWatch Embedded Metric Format: one JSON document per
//! invocation, printed as its own line on standard output by the sink every binary shares
//! (`lambda_edge::emf`), where CloudWatch Logs turns it into metrics.
//!
//! Metrics (dimension `FunctionName`): `Alerts` (batch size), `SignedOut`, `DeadLettered`,
//! `Retried`, `Ignored` (threat-protection records that call for no action), one
//! `DeadLettered.<class>` / `Retried.<class>` per class seen,
//! `DeadLetterRequests` (`SendMessageBatch` requests made), `CutoffsRecorded`,
//! `CutoffFailures`, `EventsPublished`, `EventFailures` (revocation), `PasswordsReset` and
//! `UsersDisabled` (containment), `AlreadySignedOut` (alerts settled with no call), and `CognitoCallLatency` (every user-update call's
//! milliseconds, so CloudWatch keeps percentiles).

use std::collections::BTreeMap;

use lambda_edge::emf::{milliseconds_of, Measure, Metrics};

use crate::core::outcome::{OutcomeKind, Report};

/// The document's shape and its sink are the edge every binary shares (`lambda-edge`); what
/// an invocation counts is the [`Measure`] of its [`Report`], below.
pub use lambda_edge::emf::{document, MetricsSink, MAX_VALUES};

/// The call latencies in milliseconds. Past [`MAX_VALUES`] calls, the sorted latencies are
/// sampled at evenly spaced ranks, minimum and maximum included, so that the percentiles
/// CloudWatch computes stay close to the true ones.
fn latency_values(report: &Report) -> Vec<f64> {
    let mut millis: Vec<f64> = report
        .call_latencies
        .iter()
        .map(|d| milliseconds_of(*d))
        .collect();
    if millis.len() <= MAX_VALUES {
        return millis;
    }
    millis.sort_by(f64::total_cmp);
    let last = millis.len() - 1;
    (0..MAX_VALUES)
        .map(|i| millis[i * last / (MAX_VALUES - 1)])
        .collect()
}

impl Measure for Report {
    /// The invocation's counts, by outcome and by class, and its call latencies.
    fn measure(&self, metrics: &mut Metrics) {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        counts.insert("Alerts".to_owned(), self.settlements.len() as u64);
        for kind in OutcomeKind::ALL {
            counts.insert(kind.metric_name().to_owned(), 0);
        }
        for settlement in &self.settlements {
            let kind = settlement.kind();
            *counts.entry(kind.metric_name().to_owned()).or_default() += 1;
            if let (false, Some(class)) = (kind == OutcomeKind::SignedOut, settlement.class()) {
                *counts
                    .entry(format!("{}.{class}", kind.metric_name()))
                    .or_default() += 1;
            }
        }
        for (name, value) in [
            ("DeadLetterRequests", self.dead_letter_requests),
            ("CutoffsRecorded", self.cutoffs_recorded),
            ("CutoffFailures", self.cutoff_failures),
            ("EventsPublished", self.events_published),
            ("EventFailures", self.event_failures),
            ("PasswordsReset", self.passwords_reset),
            ("UsersDisabled", self.users_disabled),
            ("AlreadySignedOut", self.already_signed_out),
        ] {
            counts.insert(name.to_owned(), value as u64);
        }
        for (name, count) in counts {
            metrics.count(name, count);
        }
        let latencies = latency_values(self);
        if !latencies.is_empty() {
            metrics.milliseconds("CognitoCallLatency", latencies);
        }
    }
}
