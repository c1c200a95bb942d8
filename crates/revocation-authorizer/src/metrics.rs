//! One CloudWatch Embedded Metric Format line per decision, on standard output.
//!
//! Metrics (dimension `FunctionName`): `Allowed` and `Denied` (0 or 1 each), one
//! `Denied.<reason>` (`Denied.Revoked`, `Denied.Expired`, `Denied.LookupFailed`, ...),
//! `AllowedUnchecked` when `ON_LOOKUP_ERROR=allow` let a token through unchecked,
//! `LookupErrors` (the table could not be read, whatever was decided), and
//! `AuthorizationLatency` in milliseconds. The line also holds `Reason` and `RequestId` as
//! plain properties, for Logs Insights; never the token.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_revocation::Decision;
use serde_json::{json, Map, Value};

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
    /// Documents printed to standard output, where CloudWatch Logs turns them into metrics.
    pub fn stdout(namespace: &str, function_name: &str) -> Self {
        Self::with_writer(namespace, function_name, |line| {
            // A metrics line that cannot be written must not fail the authorization.
            let _ = writeln!(std::io::stdout().lock(), "{line}");
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

    /// Writes the document of one decision.
    pub fn emit(
        &self,
        reason: &str,
        decision: Option<&Decision>,
        latency: Duration,
        request_id: &str,
    ) {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let doc = document(
            reason,
            decision,
            latency,
            &self.namespace,
            &self.function_name,
            request_id,
            timestamp,
        );
        (self.writer)(&doc.to_string());
    }
}

/// The EMF document of one decision. `decision` is `None` for an event that was not an
/// authorizer request (counted as `Denied.<reason>`).
pub fn document(
    reason: &str,
    decision: Option<&Decision>,
    latency: Duration,
    namespace: &str,
    function_name: &str,
    request_id: &str,
    timestamp_ms: u64,
) -> Value {
    let allowed = decision.is_some_and(Decision::is_allowed);
    let mut counts: Vec<(String, u64)> = vec![
        ("Allowed".to_owned(), u64::from(allowed)),
        ("Denied".to_owned(), u64::from(!allowed)),
        (
            "LookupErrors".to_owned(),
            u64::from(decision.is_some_and(|d| d.lookup_error().is_some())),
        ),
    ];
    if !allowed {
        counts.push((format!("Denied.{reason}"), 1));
    }
    if matches!(decision, Some(Decision::AllowedUnchecked(..))) {
        counts.push(("AllowedUnchecked".to_owned(), 1));
    }
    let mut definitions: Vec<Value> = counts
        .iter()
        .map(|(name, _)| json!({"Name": name, "Unit": "Count"}))
        .collect();
    definitions.push(json!({"Name": "AuthorizationLatency", "Unit": "Milliseconds"}));
    let mut doc = Map::new();
    for (name, count) in counts {
        doc.insert(name, json!(count));
    }
    doc.insert(
        "AuthorizationLatency".to_owned(),
        json!((latency.as_secs_f64() * 1_000_000.0).round() / 1000.0),
    );
    doc.insert("FunctionName".to_owned(), json!(function_name));
    doc.insert("RequestId".to_owned(), json!(request_id));
    doc.insert("Reason".to_owned(), json!(reason));
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

#[cfg(test)]
mod tests {
    use super::*;
    use cognito_revocation::Refusal;

    #[test]
    fn a_denial_counts_denied_and_its_reason() {
        let decision = Decision::Refused(Refusal::Expired);
        let doc = document(
            decision.reason(),
            Some(&decision),
            Duration::from_micros(1500),
            "Ns",
            "fn",
            "r-1",
            7,
        );
        assert_eq!(doc["Allowed"], 0);
        assert_eq!(doc["Denied"], 1);
        assert_eq!(doc["Denied.Expired"], 1);
        assert_eq!(doc["LookupErrors"], 0);
        assert_eq!(doc["AuthorizationLatency"], 1.5);
        let names: Vec<&str> = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["Name"].as_str())
            .collect();
        assert!(names.contains(&"Denied.Expired"));
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Ns");
    }

    #[test]
    fn an_unrecognised_event_is_a_denial() {
        let doc = document(
            "UnrecognisedEvent",
            None,
            Duration::ZERO,
            "Ns",
            "fn",
            "r",
            0,
        );
        assert_eq!(doc["Denied"], 1);
        assert_eq!(doc["Denied.UnrecognisedEvent"], 1);
    }
}
