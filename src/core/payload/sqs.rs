//! The SQS event: each record read on its own from untyped JSON, so a record with odd fields
//! cannot fail its batch-mates; each body then read as a direct payload would be.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{expand, text, unquoted, Delivery, Origin, Provenance, Record};

/// The fields of one SQS record the function reads.
#[derive(Debug, Default, Deserialize)]
struct SqsRecord<'a> {
    #[serde(rename = "eventSource", borrow, default)]
    event_source: Option<&'a RawValue>,
    #[serde(rename = "messageId", borrow, default)]
    message_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    body: Option<&'a RawValue>,
    #[serde(borrow, default)]
    attributes: Option<&'a RawValue>,
    #[serde(rename = "eventSourceARN", borrow, default)]
    event_source_arn: Option<&'a RawValue>,
}

/// The SQS record attributes the function reads.
#[derive(Debug, Default, Deserialize)]
struct SqsAttributes<'a> {
    #[serde(rename = "ApproximateReceiveCount", borrow, default)]
    receive_count: Option<&'a RawValue>,
    #[serde(rename = "MessageGroupId", borrow, default)]
    group_id: Option<&'a RawValue>,
    #[serde(rename = "SentTimestamp", borrow, default)]
    sent_timestamp: Option<&'a RawValue>,
}

/// The records of an SQS event: a non-empty `Records` array whose entries all say
/// `"eventSource": "aws:sqs"`. Each body is read as a direct payload would be
/// ([`expand`]).
pub(super) fn sqs_records(records: &RawValue, account: Option<&str>) -> Option<Vec<Record>> {
    let raw: Vec<&RawValue> = serde_json::from_str(records.get()).ok()?;
    let parsed: Vec<SqsRecord> = raw
        .iter()
        .map(|r| serde_json::from_str(r.get()).unwrap_or_default())
        .collect();
    let all_sqs = !parsed.is_empty()
        && parsed
            .iter()
            .all(|r| r.event_source.and_then(text).as_deref() == Some("aws:sqs"));
    if !all_sqs {
        return None;
    }
    Some(
        parsed
            .iter()
            .map(sqs_record)
            .flat_map(|mut record| {
                let body = std::mem::take(&mut record.body);
                expand(&body, record, Delivery::Queue, account).1
            })
            .collect(),
    )
}

fn sqs_record(record: &SqsRecord) -> Record {
    let attributes: SqsAttributes = record
        .attributes
        .and_then(|a| serde_json::from_str(a.get()).ok())
        .unwrap_or_default();
    Record {
        // A record without an id cannot be reported alone; an empty identifier makes Lambda
        // retry the whole batch, which loses nothing.
        message_id: record.message_id.and_then(text).unwrap_or_default(),
        // A body that is not a string of characters (a lone surrogate escape, a number) is
        // kept as its JSON text: the closest to the original that text can hold.
        body: record
            .body
            .map(|b| text(b).unwrap_or_else(|| unquoted(b.get())))
            .unwrap_or_default(),
        receive_count: attributes
            .receive_count
            .and_then(text)
            .and_then(|c| c.parse().ok()),
        group_id: attributes.group_id.and_then(text),
        source_arn: record.event_source_arn.and_then(text),
        origin: Origin::Alert,
        provenance: Provenance {
            raised_at_ms: attributes
                .sent_timestamp
                .and_then(text)
                .and_then(|t| t.parse().ok()),
            ..Provenance::default()
        },
    }
}
