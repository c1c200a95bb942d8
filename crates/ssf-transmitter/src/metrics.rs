//! The Embedded Metric Format line of an invocation: `SetsDelivered`, `SetsRetried`,
//! `SetsDeadLettered`, `SetsRefused.<err>`, `DeliveryLatency` (milliseconds, one value per
//! 202, at most 100 kept for the percentiles) and, when the invocation listed the streams,
//! `Streams`.

use lambda_edge::emf::MAX_VALUES;
use lambda_edge::{Measure, Metrics};

use crate::transmitter::Report;

impl Measure for Report {
    fn measure(&self, metrics: &mut Metrics) {
        metrics
            .count("SetsDelivered", self.delivered)
            .count("SetsRetried", self.retried)
            .count("SetsDeadLettered", self.dead_lettered);
        for (err, n) in &self.refused {
            metrics.count(format!("SetsRefused.{err}"), *n);
        }
        if !self.latencies.is_empty() {
            let kept: Vec<f64> = self.latencies.iter().copied().take(MAX_VALUES).collect();
            metrics.milliseconds("DeliveryLatency", kept);
        }
        if let Some(streams) = self.streams {
            metrics.count("Streams", streams as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_names_every_metric_the_dashboard_reads() {
        let mut report = Report {
            delivered: 2,
            retried: 1,
            latencies: vec![1.5; 150],
            streams: Some(3),
            ..Report::default()
        };
        report.refused.insert("invalid_key".to_owned(), 1);
        let mut metrics = Metrics::default();
        report.measure(&mut metrics);
        let line = format!("{metrics:?}");
        for name in [
            "SetsDelivered",
            "SetsRetried",
            "SetsDeadLettered",
            "SetsRefused.invalid_key",
            "DeliveryLatency",
            "Streams",
        ] {
            assert!(line.contains(name), "{name}: {line}");
        }
    }
}
