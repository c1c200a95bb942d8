//! Metrics in CloudWatch Embedded Metric Format: one JSON document per invocation, printed as
//! its own line on standard output, where CloudWatch Logs turns it into metrics. No API call,
//! no client, no batching: a line costs microseconds and cannot fail the invocation.
//!
//! This module owns the document's shape (namespace, the `FunctionName` dimension, the
//! `RequestId` property, the metric definitions) and where it goes ([`MetricsSink`]). What a
//! function counts is its own: it implements [`Measure`] for the value it measures (a batch's
//! report, one authorization) and fills a [`Metrics`].

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// EMF takes at most this many values in one metric array; a longer one drops the document.
pub const MAX_VALUES: usize = 100;

/// What one invocation measured, as its function counts it.
pub trait Measure {
    /// Adds this value's metrics and properties to `metrics`.
    fn measure(&self, metrics: &mut Metrics);
}

/// The unit CloudWatch records a metric in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// The metrics and plain properties of one document, in the order they were added (the order
/// of the definitions CloudWatch lists). A name added twice keeps its last value and one
/// definition.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    definitions: Vec<(String, Unit)>,
    fields: Map<String, Value>,
}

impl Metrics {
    /// A count (events, calls, outcomes of a kind).
    pub fn count(&mut self, name: impl Into<String>, count: u64) -> &mut Self {
        self.metric(name.into(), Unit::Count, json!(count))
    }

    /// A duration in milliseconds: one value, or up to [`MAX_VALUES`] of them (a `Vec<f64>`)
    /// so that CloudWatch keeps percentiles. Use [`milliseconds_of`] for the value.
    pub fn milliseconds(&mut self, name: impl Into<String>, values: impl Into<Value>) -> &mut Self {
        self.metric(name.into(), Unit::Milliseconds, values.into())
    }

    /// A plain property: not a metric, but searchable in Logs Insights (a reason, an id).
    pub fn property(&mut self, name: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.fields.insert(name.into(), value.into());
        self
    }

    fn metric(&mut self, name: String, unit: Unit, value: Value) -> &mut Self {
        if !self.definitions.iter().any(|(known, _)| *known == name) {
            self.definitions.push((name.clone(), unit));
        }
        self.fields.insert(name, value);
        self
    }
}

/// `duration` in milliseconds, to the microsecond: what EMF's `Milliseconds` unit expects,
/// without float noise in the log line.
pub fn milliseconds_of(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// The EMF document of `measured`, under `namespace`, with the `FunctionName` dimension, the
/// `RequestId` property (to find the invocation's log lines from a metric) and
/// `timestamp_ms`.
pub fn document<M: Measure + ?Sized>(
    measured: &M,
    namespace: &str,
    function_name: &str,
    request_id: &str,
    timestamp_ms: u64,
) -> Value {
    let mut metrics = Metrics::default();
    measured.measure(&mut metrics);
    let definitions: Vec<Value> = metrics
        .definitions
        .iter()
        .map(|(name, unit)| json!({"Name": name, "Unit": unit.as_str()}))
        .collect();
    let mut doc = metrics.fields;
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

/// Where metric documents go, and under which names. Built once at start-up.
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
            // A metrics line that cannot be written must not fail the invocation.
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        })
    }

    /// Documents handed to `writer`, one line each (tests and benchmarks keep or drop them).
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

    /// Writes the document of `measured`, stamped now.
    pub fn emit<M: Measure + ?Sized>(&self, measured: &M, request_id: &str) {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let doc = document(
            measured,
            &self.namespace,
            &self.function_name,
            request_id,
            timestamp,
        );
        (self.writer)(&doc.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    struct Calls(u64, Duration);

    impl Measure for Calls {
        fn measure(&self, metrics: &mut Metrics) {
            metrics
                .count("Calls", self.0)
                .milliseconds("Latency", milliseconds_of(self.1))
                .property("Reason", "Because")
                .count("Calls", self.0 + 1);
        }
    }

    #[test]
    fn a_document_names_namespace_dimension_and_each_metric_once() {
        let doc = document(&Calls(2, Duration::from_micros(1500)), "Ns", "fn", "r-1", 7);
        assert_eq!(doc["Calls"], 3);
        assert_eq!(doc["Latency"], 1.5);
        assert_eq!(doc["Reason"], "Because");
        assert_eq!(doc["FunctionName"], "fn");
        assert_eq!(doc["RequestId"], "r-1");
        let emf = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(doc["_aws"]["Timestamp"], 7);
        assert_eq!(emf["Namespace"], "Ns");
        assert_eq!(emf["Dimensions"], json!([["FunctionName"]]));
        assert_eq!(
            emf["Metrics"],
            json!([
                {"Name": "Calls", "Unit": "Count"},
                {"Name": "Latency", "Unit": "Milliseconds"},
            ])
        );
    }

    #[test]
    fn the_sink_writes_one_line_per_document() {
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let kept = lines.clone();
        let sink = MetricsSink::with_writer("Ns", "fn", move |line| {
            kept.lock().unwrap().push(line.to_owned())
        });
        sink.emit(&Calls(1, Duration::ZERO), "a");
        sink.emit(&Calls(1, Duration::ZERO), "b");
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| !l.contains('\n')));
        let doc: Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(doc["RequestId"], "b");
    }
}
