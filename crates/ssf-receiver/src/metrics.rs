//! What one SET counts: one CloudWatch Embedded Metric Format line per SET, through the
//! sink every binary shares (`lambda_edge::emf`).
//!
//! Metrics (dimension `FunctionName`): `SetsAccepted` (0 or 1; a replayed SET counts, as it
//! is acknowledged), `SetsRejected.<err>` (the RFC 8935 code: `invalid_key`,
//! `invalid_request`, ..., `authentication_failed`), `AlertsQueued`, `SubjectsUnknown`, and
//! beyond the contract's list `SetsReplayed`, `EventsIgnored` and `SetsFailed` (a failure
//! that is not the SET's: answered 5xx, delivered again; `Stage` says where). Never a claim.

use lambda_edge::emf::{Measure, Metrics};

use crate::core::set::ErrCode;
use crate::receiver::Receipt;

/// One SET (or one push refused before its SET was read), as it is counted.
#[derive(Debug, Clone, Copy)]
pub enum Counted<'a> {
    /// A SET that reached a receipt.
    Set(&'a Receipt),
    /// A push refused for its `Authorization`.
    Unauthenticated,
}

impl Measure for Counted<'_> {
    fn measure(&self, metrics: &mut Metrics) {
        let receipt = match self {
            Counted::Unauthenticated => {
                metrics.count("SetsAccepted", 0).count(
                    format!("SetsRejected.{}", ErrCode::AuthenticationFailed.as_str()),
                    1,
                );
                return;
            }
            Counted::Set(receipt) => receipt,
        };
        match receipt {
            Receipt::Accepted(accepted) => {
                metrics
                    .count("SetsAccepted", 1)
                    .count("AlertsQueued", accepted.alerts_queued as u64)
                    .count("SubjectsUnknown", accepted.subjects_unknown as u64)
                    .count("EventsIgnored", accepted.events_ignored as u64);
            }
            Receipt::Replayed { .. } => {
                metrics
                    .count("SetsAccepted", 1)
                    .count("SetsReplayed", 1)
                    .count("AlertsQueued", 0);
            }
            Receipt::Refused(refusal) => {
                metrics
                    .count("SetsAccepted", 0)
                    .count(format!("SetsRejected.{}", refusal.err().as_str()), 1)
                    .property("Reason", refusal.to_string());
            }
            Receipt::Failed { failure, .. } => {
                metrics
                    .count("SetsAccepted", 0)
                    .count("SetsFailed", 1)
                    .property("Stage", failure.stage());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::set::SetRefusal;
    use crate::receiver::Accepted;
    use lambda_edge::emf::document;

    #[test]
    fn an_accepted_set_counts_its_alerts_and_unknown_subjects() {
        let receipt = Receipt::Accepted(Accepted {
            alerts_queued: 2,
            subjects_unknown: 1,
            ..Accepted::default()
        });
        let doc = document(&Counted::Set(&receipt), "Ns", "fn", "r", 0);
        assert_eq!(doc["SetsAccepted"], 1);
        assert_eq!(doc["AlertsQueued"], 2);
        assert_eq!(doc["SubjectsUnknown"], 1);
    }

    #[test]
    fn a_refused_set_counts_its_err_code() {
        let receipt = Receipt::Refused(SetRefusal::Signature);
        let doc = document(&Counted::Set(&receipt), "Ns", "fn", "r", 0);
        assert_eq!(doc["SetsAccepted"], 0);
        assert_eq!(doc["SetsRejected.invalid_key"], 1);
        let doc = document(&Counted::Unauthenticated, "Ns", "fn", "r", 0);
        assert_eq!(doc["SetsRejected.authentication_failed"], 1);
    }
}
