//! What one decision counts: one CloudWatch Embedded Metric Format line per decision, on
//! standard output, through the sink every binary shares (`lambda_edge::emf`).
//!
//! Metrics (dimension `FunctionName`): `Allowed` and `Denied` (0 or 1 each), one
//! `Denied.<reason>` (`Denied.Revoked`, `Denied.Expired`, `Denied.LookupFailed`, ...),
//! `AllowedUnchecked` when `ON_LOOKUP_ERROR=allow` let a token through unchecked,
//! `LookupErrors` (the table could not be read, whatever was decided), and
//! `AuthorizationLatency` in milliseconds. The line also holds `Reason` and `RequestId` as
//! plain properties, for Logs Insights; never the token.

use std::time::Duration;

use cognito_revocation::Decision;
use lambda_edge::emf::{milliseconds_of, Measure, Metrics};

/// The document's shape and its sink are the edge every binary shares (`lambda-edge`); what
/// a decision counts is the `Measure` of its `Authorization`, below.
pub use lambda_edge::emf::MetricsSink;

/// One authorization, as it is counted.
#[derive(Debug, Clone, Copy)]
pub struct Authorization<'a> {
    /// `Decision::reason`, or `UnrecognisedEvent` for an event that was not a request.
    pub reason: &'a str,
    /// The decision; `None` for an event that was not an authorizer request (counted as
    /// `Denied.<reason>`).
    pub decision: Option<&'a Decision>,
    /// From the event's arrival to the answer.
    pub latency: Duration,
}

impl Measure for Authorization<'_> {
    /// Allowed or denied, why, whether the table could be read, and how long it took.
    fn measure(&self, metrics: &mut Metrics) {
        let allowed = self.decision.is_some_and(Decision::is_allowed);
        let lookup_error = self.decision.is_some_and(|d| d.lookup_error().is_some());
        metrics
            .count("Allowed", u64::from(allowed))
            .count("Denied", u64::from(!allowed))
            .count("LookupErrors", u64::from(lookup_error));
        if !allowed {
            metrics.count(format!("Denied.{}", self.reason), 1);
        }
        if matches!(self.decision, Some(Decision::AllowedUnchecked(..))) {
            metrics.count("AllowedUnchecked", 1);
        }
        metrics
            .milliseconds("AuthorizationLatency", milliseconds_of(self.latency))
            .property("Reason", self.reason);
    }
}

#[cfg(test)]
mod tests {
    use lambda_edge::emf::document;

    use super::*;
    use cognito_revocation::Refusal;

    #[test]
    fn a_denial_counts_denied_and_its_reason() {
        let decision = Decision::Refused(Refusal::Expired);
        let authorization = Authorization {
            reason: decision.reason(),
            decision: Some(&decision),
            latency: Duration::from_micros(1500),
        };
        let doc = document(&authorization, "Ns", "fn", "r-1", 7);
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
        let authorization = Authorization {
            reason: "UnrecognisedEvent",
            decision: None,
            latency: Duration::ZERO,
        };
        let doc = document(&authorization, "Ns", "fn", "r", 0);
        assert_eq!(doc["Denied"], 1);
        assert_eq!(doc["Denied.UnrecognisedEvent"], 1);
    }
}
