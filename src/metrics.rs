//! Metrics in CloudWatch Embedded Metric Format: one JSON document per invocation, printed as
//! its own line on standard output, where CloudWatch Logs turns it into metrics.
//!
//! Metrics (dimension `FunctionName`): `Alerts` (batch size), `SignedOut`, `DeadLettered`,
//! `Retried`, `Ignored` (threat-protection records that call for no action), one
//! `DeadLettered.<class>` / `Retried.<class>` per class seen,
//! `DeadLetterRequests` (`SendMessageBatch` requests made), `CutoffsRecorded`,
//! `CutoffFailures`, `EventsPublished`, `EventFailures` (revocation), and `CognitoCallLatency` (every
//! call's milliseconds, so CloudWatch keeps percentiles).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use crate::core::outcome::{OutcomeKind, Report};

/// Where metric documents go, and under which names.
pub struct MetricsSink {
    namespace: String,
    function_name: String,
    writer: Box<dyn Fn(&str) + Send + Sync>,
}

impl std::fmt::Debug for MetricsSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSink")
            .field("namespace", &self.namespace)
            .field("function_name", &self.function_name)
            .finish_non_exhaustive()
    }
}

impl MetricsSink {
    /// Documents printed to standard output.
    pub fn stdout(namespace: &str, function_name: &str) -> Self {
        Self::with_writer(namespace, function_name, |line| {
            let mut out = std::io::stdout().lock();
            // A metrics line that cannot be written must not fail the invocation.
            let _ = writeln!(out, "{line}");
        })
    }

    /// Documents handed to `writer`, one line each (tests keep them).
    pub fn with_writer(
        namespace: &str,
        function_name: &str,
        writer: impl Fn(&str) + Send + Sync + 'static,
    ) -> Self {
        Self {
            namespace: namespace.to_owned(),
            function_name: function_name.to_owned(),
            writer: Box::new(writer),
        }
    }

    /// Writes the document of `report`.
    pub fn emit(&self, report: &Report, request_id: &str) {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let doc = document(
            report,
            &self.namespace,
            &self.function_name,
            request_id,
            timestamp,
        );
        (self.writer)(&doc.to_string());
    }
}

/// EMF takes at most this many values in one metric array.
pub const MAX_VALUES: usize = 100;

/// The call latencies in milliseconds. Past [`MAX_VALUES`] calls, the sorted latencies are
/// sampled at evenly spaced ranks, minimum and maximum included, so that the percentiles
/// CloudWatch computes stay close to the true ones.
fn latency_values(report: &Report) -> Vec<f64> {
    let mut millis: Vec<f64> = report
        .call_latencies
        .iter()
        .map(|d| (d.as_secs_f64() * 1_000_000.0).round() / 1000.0)
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

/// The EMF document of one invocation.
pub fn document(
    report: &Report,
    namespace: &str,
    function_name: &str,
    request_id: &str,
    timestamp_ms: u64,
) -> Value {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    counts.insert("Alerts".to_owned(), report.settlements.len() as u64);
    for kind in OutcomeKind::ALL {
        counts.insert(kind.metric_name().to_owned(), 0);
    }
    for settlement in &report.settlements {
        let kind = settlement.kind();
        *counts.entry(kind.metric_name().to_owned()).or_default() += 1;
        if let (false, Some(class)) = (kind == OutcomeKind::SignedOut, settlement.class()) {
            *counts
                .entry(format!("{}.{class}", kind.metric_name()))
                .or_default() += 1;
        }
    }
    for (name, value) in [
        ("DeadLetterRequests", report.dead_letter_requests),
        ("CutoffsRecorded", report.cutoffs_recorded),
        ("CutoffFailures", report.cutoff_failures),
        ("EventsPublished", report.events_published),
        ("EventFailures", report.event_failures),
    ] {
        counts.insert(name.to_owned(), value as u64);
    }
    let latencies = latency_values(report);

    let mut definitions: Vec<Value> = counts
        .keys()
        .map(|name| json!({"Name": name, "Unit": "Count"}))
        .collect();
    let mut doc = Map::new();
    for (name, count) in &counts {
        doc.insert(name.clone(), json!(count));
    }
    if !latencies.is_empty() {
        definitions.push(json!({"Name": "CognitoCallLatency", "Unit": "Milliseconds"}));
        doc.insert("CognitoCallLatency".to_owned(), json!(latencies));
    }
    doc.insert("FunctionName".to_owned(), json!(function_name));
    doc.insert("RequestId".to_owned(), json!(request_id));
    doc.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["FunctionName"]],
                "Metrics": definitions,
            }],
        }),
    );
    Value::Object(doc)
}
