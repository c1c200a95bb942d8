//! What one invocation brings: the contract's three payloads, told apart by shape, turned
//! into [`Record`]s, one per alert.
//!
//! Each SQS record is read on its own from untyped JSON, so a record with odd fields cannot
//! fail its batch-mates; an EventBridge event or a direct payload is one record whose body is
//! the payload text exactly as received.

use serde_json::value::RawValue;
use serde_json::Value;

/// One alert as it arrived, before any decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The SQS `messageId`, the EventBridge `id`, or the Lambda request id of a direct call.
    pub message_id: String,
    /// The alert document, byte for byte: an SQS body, or the whole EventBridge or direct
    /// payload.
    pub body: String,
    /// SQS `ApproximateReceiveCount`.
    pub receive_count: Option<u32>,
    /// SQS FIFO `MessageGroupId`.
    pub group_id: Option<String>,
    /// The SQS queue ARN, or the EventBridge rule's first resource.
    pub source_arn: Option<String>,
}

/// Where the invocation came from, which decides the return value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// An SQS event source mapping; `fifo` when the queue is a FIFO queue.
    Sqs {
        /// The source queue's ARN ends in `.fifo`.
        fifo: bool,
    },
    /// An EventBridge rule that targets the function.
    EventBridge,
    /// `aws lambda invoke`, a test, or any payload of no known shape.
    Direct,
}

/// The records of one invocation, in the order they arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The payload kind.
    pub source: Source,
    /// One record per alert.
    pub records: Vec<Record>,
}

impl Batch {
    /// Reads an invocation payload. `request_id` identifies a direct payload.
    pub fn from_payload(payload: &RawValue, request_id: &str) -> Self {
        // The payload has been parsed once already by the runtime, so it is valid JSON.
        let value: Value = serde_json::from_str(payload.get()).unwrap_or(Value::Null);
        if let Some(records) = sqs_records(&value) {
            let fifo = records.iter().any(|r| {
                r.source_arn
                    .as_deref()
                    .is_some_and(|arn| arn.ends_with(".fifo"))
            });
            return Self {
                source: Source::Sqs { fifo },
                records,
            };
        }
        let body = payload.get().to_owned();
        if is_eventbridge_event(&value) {
            let record = Record {
                message_id: text(&value, "id").unwrap_or_else(|| request_id.to_owned()),
                body,
                receive_count: None,
                group_id: None,
                source_arn: value
                    .get("resources")
                    .and_then(|r| r.get(0))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            };
            return Self {
                source: Source::EventBridge,
                records: vec![record],
            };
        }
        Self {
            source: Source::Direct,
            records: vec![Record {
                message_id: request_id.to_owned(),
                body,
                receive_count: None,
                group_id: None,
                source_arn: None,
            }],
        }
    }
}

/// The records of an SQS event: a non-empty `Records` array whose entries all say
/// `"eventSource": "aws:sqs"`.
fn sqs_records(value: &Value) -> Option<Vec<Record>> {
    let records = value.get("Records")?.as_array()?;
    let all_sqs = !records.is_empty()
        && records
            .iter()
            .all(|r| r.get("eventSource").and_then(Value::as_str) == Some("aws:sqs"));
    if !all_sqs {
        return None;
    }
    Some(records.iter().map(sqs_record).collect())
}

fn sqs_record(record: &Value) -> Record {
    let attribute = |name: &str| record.get("attributes").and_then(|a| text(a, name));
    Record {
        // A record without an id cannot be reported alone; an empty identifier makes Lambda
        // retry the whole batch, which loses nothing.
        message_id: text(record, "messageId").unwrap_or_default(),
        body: text(record, "body").unwrap_or_default(),
        receive_count: attribute("ApproximateReceiveCount").and_then(|c| c.parse().ok()),
        group_id: attribute("MessageGroupId"),
        source_arn: text(record, "eventSourceARN"),
    }
}

fn is_eventbridge_event(value: &Value) -> bool {
    ["detail-type", "source", "detail"]
        .iter()
        .all(|key| value.get(key).is_some())
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(json: &str) -> Batch {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        Batch::from_payload(&raw, "req-1")
    }

    #[test]
    fn sqs_event_gives_one_record_per_message() {
        let b = batch(include_str!("../events/sqs-mixed-batch.json"));
        assert_eq!(b.source, Source::Sqs { fifo: false });
        assert!(b.records.len() >= 5);
        assert!(b.records.iter().all(|r| !r.message_id.is_empty()));
        assert_eq!(b.records[0].receive_count, Some(1));
    }

    #[test]
    fn fifo_sqs_event_keeps_message_groups() {
        let b = batch(include_str!("../events/sqs-fifo.json"));
        assert_eq!(b.source, Source::Sqs { fifo: true });
        assert!(b.records.iter().all(|r| r.group_id.is_some()));
    }

    #[test]
    fn eventbridge_event_is_one_record_with_the_event_as_body() {
        let json = include_str!("../events/eventbridge.json");
        let b = batch(json);
        assert_eq!(b.source, Source::EventBridge);
        assert_eq!(b.records.len(), 1);
        assert_eq!(b.records[0].body, json.trim_end());
        assert_ne!(b.records[0].message_id, "req-1");
    }

    #[test]
    fn direct_payload_is_kept_byte_for_byte() {
        let json = r#"{ "UserPoolId" : "eu-west-1_AbC",   "Username":"caf\u00e9" }"#;
        let b = batch(json);
        assert_eq!(b.source, Source::Direct);
        assert_eq!(b.records[0].body, json);
        assert_eq!(b.records[0].message_id, "req-1");
    }

    #[test]
    fn records_of_other_services_are_not_an_sqs_batch() {
        let b = batch(r#"{"Records":[{"eventSource":"aws:sns","Sns":{}}]}"#);
        assert_eq!(b.source, Source::Direct);
        let empty = batch(r#"{"Records":[]}"#);
        assert_eq!(empty.source, Source::Direct);
    }

    #[test]
    fn sqs_record_missing_fields_is_still_a_record() {
        let b = batch(
            r#"{"Records":[{"eventSource":"aws:sqs"},{"eventSource":"aws:sqs","messageId":"b","body":"{}"}]}"#,
        );
        assert_eq!(b.records.len(), 2);
        assert_eq!(b.records[0].message_id, "");
        assert_eq!(b.records[1].body, "{}");
    }
}
