//! A Security Hub findings event: one record per element of `detail.findings`, its body that
//! finding's JSON text, the event's first resource (a custom action's ARN) kept.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{epoch_ms, first_text, text, Envelope, Origin, Provenance, Record};

/// Security Hub's EventBridge detail types that carry findings.
const SECURITY_HUB_DETAIL_TYPES: [&str; 2] = [
    "Security Hub Findings - Imported",
    "Security Hub Findings - Custom Action",
];

/// A Security Hub findings event: `source` `aws.securityhub`, one of the two findings detail
/// types, and a non-empty `detail.findings` array. (An event without findings is read like
/// any other EventBridge event, and dead-lettered as naming no one.)
pub(super) struct SecurityHubEvent {
    pub(super) time_ms: Option<u64>,
    resource: Option<String>,
    findings: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct HubDetail<'a> {
    #[serde(borrow, default)]
    findings: Option<&'a RawValue>,
}

impl SecurityHubEvent {
    /// The Security Hub findings event `envelope` is the top level of, if it is one.
    pub(super) fn read(envelope: &Envelope) -> Option<Self> {
        let is_hub = envelope.source.and_then(text).as_deref() == Some("aws.securityhub")
            && envelope
                .detail_type
                .and_then(text)
                .is_some_and(|t| SECURITY_HUB_DETAIL_TYPES.contains(&t.as_str()));
        if !is_hub {
            return None;
        }
        let detail: HubDetail = serde_json::from_str(envelope.detail?.get()).ok()?;
        let findings: Vec<&RawValue> = serde_json::from_str(detail.findings?.get()).ok()?;
        if findings.is_empty() {
            return None;
        }
        Some(Self {
            time_ms: envelope.time.and_then(text).as_deref().and_then(epoch_ms),
            resource: envelope.resources.and_then(first_text),
            findings: findings.iter().map(|f| f.get().to_owned()).collect(),
        })
    }

    /// One record per finding, each a copy of `delivery` (its id, receive count, group and
    /// source) with the finding as its body, and the event's first resource (a custom
    /// action's ARN) kept whatever the delivery's source.
    pub(super) fn records(self, delivery: &Record) -> Vec<Record> {
        let action_target = self.resource;
        self.findings
            .into_iter()
            .enumerate()
            .map(|(index, body)| Record {
                body,
                origin: Origin::Finding { index },
                provenance: Provenance {
                    alert_id: Some(format!("findings[{index}]")),
                    action_target: action_target.clone(),
                    ..delivery.provenance.clone()
                },
                ..delivery.clone()
            })
            .collect()
    }
}
