//! What one invocation brings: the contract's payloads, told apart by shape, turned into
//! [`Record`]s, one per alert.
//!
//! Each SQS record is read on its own from untyped JSON, so a record with odd fields cannot
//! fail its batch-mates; an EventBridge event or a direct payload is one record whose body is
//! the payload text exactly as received. Two sources expand into several records
//! (docs/alert-sources.md#cognito-threat-protection): a CloudWatch Logs subscription payload (`{"awslogs": {"data": ...}}`, base64 of
//! gzip of JSON) gives one record per log event, its body the event's `message` line; a
//! Security Hub findings event (directly, or as the body of an SQS message) gives one record
//! per element of `detail.findings`, its body that finding's JSON text. Each log event and
//! each finding is read on its own, so one bad one cannot fail the rest.

use serde::Deserialize;
use serde_json::value::RawValue;

mod logs;
mod security_hub;
mod sqs;

use logs::log_records;
#[cfg(test)]
use logs::MAX_DECODED_LOG_BYTES;
use security_hub::SecurityHubEvent;
use sqs::sqs_records;

/// One alert as it arrived, before any decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The SQS `messageId`, the EventBridge `id`, the CloudWatch Logs log event `id`, or the
    /// Lambda request id of a direct call (or of a whole log payload: a control message, an
    /// undecodable one). The findings of one Security Hub event share their delivery's id.
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
    /// What kind of document the body is, which decides how it is read.
    pub origin: Origin,
    /// What the delivery says of the alert beyond its document.
    pub provenance: Provenance,
}

/// What the delivery says of an alert beyond its document: when it was raised, and whether
/// Cognito itself wrote it (which makes the `sub` it names trustworthy).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Provenance {
    /// When the alert was raised, in milliseconds since the epoch: the SQS record's
    /// `SentTimestamp`, else the EventBridge event's `time`, else the log event's
    /// `timestamp`. `None`: an alert with no time is never skipped as already handled.
    pub raised_at_ms: Option<u64>,
    /// A line of a CloudWatch Logs payload whose `owner` is the function's own account: a
    /// user pool's own activity log (CloudWatch Logs delivers to a function of its own account
    /// only), so the `userSub` it names is Cognito's, not a producer's.
    pub cognito_log: bool,
    /// The function's own account (from the invoked function's ARN), against which a pool
    /// named by an ARN is told to be in this account or another.
    pub own_account: Option<String>,
    /// The alert's own id within a delivery holding several: a log event's `id`, or
    /// `findings[<index>]`. Its dead letter's `AlertId`, so that the letters of one SQS
    /// message's alerts can be told apart.
    pub alert_id: Option<String>,
    /// A Security Hub event's first resource: the custom action's ARN for a `Custom Action`
    /// event, which says what the analyst chose, however the event arrived.
    pub action_target: Option<String>,
}

/// What kind of document a [`Record`]'s body is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Origin {
    /// An alert document (contract shapes A to D).
    #[default]
    Alert,
    /// One line of a user pool's threat-protection log, from a CloudWatch Logs
    /// subscription: judged by the threat rule. `message_id` is the log event's id.
    LogEvent,
    /// The finding at `index` of a Security Hub event's `detail.findings`. `message_id` is
    /// the event's delivery (the SQS `messageId`, or the EventBridge event `id`), shared by the
    /// event's findings, so that an SQS message is reported for retry by its own id.
    Finding {
        /// The finding's place in `detail.findings`.
        index: usize,
    },
    /// A CloudWatch Logs `CONTROL_MESSAGE`: acknowledged, nothing in it to act on.
    Control,
    /// A CloudWatch Logs payload that cannot be decoded, kept whole as the body; says why.
    Undecodable(String),
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
    /// A CloudWatch Logs subscription (asynchronous): a threat-protection log.
    CloudWatchLogs,
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
    /// Reads an invocation payload. `request_id` identifies a direct payload, and a log
    /// payload read whole.
    ///
    /// Only the fields the contract names are decoded, each on its own, so that no other
    /// field (a number too large, an escape that is no character such as a lone surrogate)
    /// can turn an SQS batch into something else or fail its records.
    pub fn from_payload(payload: &RawValue, request_id: &str) -> Self {
        Self::from_payload_in(payload, request_id, None)
    }

    /// Reads an invocation payload delivered to a function of `account` (read from the
    /// invoked function's ARN): the lines of a CloudWatch Logs payload that account owns are
    /// Cognito's own log ([`Provenance::cognito_log`]).
    pub fn from_payload_in(payload: &RawValue, request_id: &str, account: Option<&str>) -> Self {
        let mut batch = Self::read(payload, request_id, account);
        if let Some(account) = account {
            for record in &mut batch.records {
                record.provenance.own_account = Some(account.to_owned());
            }
        }
        batch
    }

    fn read(payload: &RawValue, request_id: &str, account: Option<&str>) -> Self {
        let envelope: Envelope = serde_json::from_str(payload.get()).unwrap_or_default();
        if let Some(records) = envelope
            .records
            .and_then(|records| sqs_records(records, account))
        {
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
        let body = payload.get();
        let is_event = envelope.detail_type.is_some()
            && envelope.source.is_some()
            && envelope.detail.is_some();
        let delivery = if is_event {
            Delivery::Event
        } else {
            Delivery::Direct
        };
        let record = Record {
            message_id: envelope
                .id
                .filter(|_| is_event)
                .and_then(text)
                .unwrap_or_else(|| request_id.to_owned()),
            body: String::new(),
            receive_count: None,
            group_id: None,
            source_arn: envelope.resources.filter(|_| is_event).and_then(first_text),
            origin: Origin::Alert,
            provenance: Provenance {
                raised_at_ms: envelope
                    .time
                    .filter(|_| is_event)
                    .and_then(text)
                    .as_deref()
                    .and_then(epoch_ms),
                ..Provenance::default()
            },
        };
        let (kind, records) = expand_read(body, &envelope, record, delivery, account);
        let source = match kind {
            Kind::Logs => Source::CloudWatchLogs,
            Kind::Findings => Source::EventBridge,
            Kind::Alert if is_event => Source::EventBridge,
            Kind::Alert => Source::Direct,
        };
        Self { source, records }
    }
}

/// How a document reached the function, which decides whose id an alert inside it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// An SQS record: every alert in it carries the record's `messageId`, by which the batch
    /// response reports it for retry.
    Queue,
    /// An EventBridge event invoking the function: a finding carries the event's `id`; a log
    /// payload cannot come so.
    Event,
    /// A direct invocation: a log event carries its own id (the summary lists it).
    Direct,
}

/// What a document turned out to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// One alert document (shapes A to D).
    Alert,
    /// A CloudWatch Logs subscription payload.
    Logs,
    /// A Security Hub findings event.
    Findings,
}

/// The records `document` holds, each a copy of `delivery` (its id, receive count, group,
/// source and time) with its own body: one per log event of a CloudWatch Logs payload, one
/// per finding of a Security Hub event, else the document as one alert. An SNS notification
/// (shape C) whose `Message` is a log payload or a Security Hub event is read as that
/// message, so an event means the same directly, in an SQS body and inside SNS.
fn expand(
    document: &str,
    delivery: Record,
    how: Delivery,
    account: Option<&str>,
) -> (Kind, Vec<Record>) {
    let top: Envelope = serde_json::from_str(document).unwrap_or_default();
    expand_read(document, &top, delivery, how, account)
}

/// [`expand`] of `document` whose top level was already read as `top` (each document is
/// parsed once; an SNS notification's message once more).
fn expand_read(
    document: &str,
    top: &Envelope,
    delivery: Record,
    how: Delivery,
    account: Option<&str>,
) -> (Kind, Vec<Record>) {
    let message = top.sns_message();
    let inner: Envelope = message
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default();
    let read = if message.is_some() { &inner } else { top };
    if let Some(awslogs) = read.awslogs {
        return (
            Kind::Logs,
            log_records(awslogs, document, &delivery, how, account),
        );
    }
    if let Some(hub) = SecurityHubEvent::read(read) {
        let delivery = Record {
            provenance: Provenance {
                raised_at_ms: delivery.provenance.raised_at_ms.or(hub.time_ms),
                ..delivery.provenance.clone()
            },
            ..delivery
        };
        return (Kind::Findings, hub.records(&delivery));
    }
    (
        Kind::Alert,
        vec![Record {
            body: document.to_owned(),
            ..delivery
        }],
    )
}

/// The top-level fields that tell the payloads apart (an SQS event, an SNS notification, a
/// CloudWatch Logs payload, an EventBridge event, a Security Hub one); anything else is
/// skipped unread.
#[derive(Debug, Default, Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "Records", borrow, default)]
    records: Option<&'a RawValue>,
    #[serde(rename = "Type", borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(rename = "Message", borrow, default)]
    message: Option<&'a RawValue>,
    #[serde(rename = "detail-type", borrow, default)]
    detail_type: Option<&'a RawValue>,
    #[serde(borrow, default)]
    source: Option<&'a RawValue>,
    #[serde(borrow, default)]
    detail: Option<&'a RawValue>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    resources: Option<&'a RawValue>,
    #[serde(borrow, default)]
    awslogs: Option<&'a RawValue>,
    #[serde(borrow, default)]
    time: Option<&'a RawValue>,
}

impl Envelope<'_> {
    /// The `Message` of an SNS notification (`"Type": "Notification"`), when this is one.
    fn sns_message(&self) -> Option<String> {
        if self.kind.and_then(text).as_deref() != Some("Notification") {
            return None;
        }
        self.message.and_then(text)
    }
}

/// Milliseconds since the epoch of an RFC 3339 UTC time as EventBridge writes it
/// (`2026-11-30T23:22:43Z`, fractions of a second allowed); `None` for anything else.
pub fn epoch_ms(time: &str) -> Option<u64> {
    let time = time.strip_suffix('Z')?;
    let (date, clock) = time.split_once('T')?;
    let mut date = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (date.next()??, date.next()??, date.next()??);
    let (clock, fraction) = match clock.split_once('.') {
        Some((clock, fraction)) => (clock, fraction),
        None => (clock, ""),
    };
    let mut clock = clock.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..=60).contains(&second)
        && fraction.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    let millis: i64 = format!("{fraction:0<3}")[..3].parse().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = ((days * 86_400 + hour * 3_600 + minute * 60 + second) * 1_000) + millis;
    u64::try_from(ms).ok()
}

/// The first element of a JSON array, when it is a string.
fn first_text(array: &RawValue) -> Option<String> {
    let elements: Vec<&RawValue> = serde_json::from_str(array.get()).ok()?;
    elements.first().and_then(|first| text(first))
}

/// The string a raw JSON value holds, if it is a string of characters.
fn text(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}

/// A raw JSON string literal without its quotes (other values as they are).
fn unquoted(raw: &str) -> String {
    raw.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    fn batch(json: &str) -> Batch {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        Batch::from_payload(&raw, "req-1")
    }

    #[test]
    fn sqs_event_gives_one_record_per_message() {
        let b = batch(include_str!("../../../events/sqs-mixed-batch.json"));
        assert_eq!(b.source, Source::Sqs { fifo: false });
        assert!(b.records.len() >= 5);
        assert!(b.records.iter().all(|r| !r.message_id.is_empty()));
        assert_eq!(b.records[0].receive_count, Some(1));
    }

    #[test]
    fn fifo_sqs_event_keeps_message_groups() {
        let b = batch(include_str!("../../../events/sqs-fifo.json"));
        assert_eq!(b.source, Source::Sqs { fifo: true });
        assert!(b.records.iter().all(|r| r.group_id.is_some()));
    }

    #[test]
    fn eventbridge_event_is_one_record_with_the_event_as_body() {
        let json = include_str!("../../../events/eventbridge.json");
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
    fn a_lone_surrogate_in_one_body_does_not_turn_the_batch_into_one_alert() {
        let b = batch(
            r#"{"Records":[{"eventSource":"aws:sqs","messageId":"a","body":"bad \ud800 body","attributes":{"ApproximateReceiveCount":"2","Weird":"\udfff"}},{"eventSource":"aws:sqs","messageId":"b","body":"{}"}]}"#,
        );
        assert_eq!(b.source, Source::Sqs { fifo: false });
        assert_eq!(b.records.len(), 2);
        assert_eq!(b.records[0].body, r"bad \ud800 body");
        assert_eq!(b.records[0].receive_count, Some(2));
        assert_eq!(b.records[1].message_id, "b");
    }

    #[test]
    fn a_body_that_is_not_a_string_is_kept_as_its_json_text() {
        let b = batch(
            r#"{"Records":[{"eventSource":"aws:sqs","messageId":"a","body":{"Username":"x"}}]}"#,
        );
        assert_eq!(b.records[0].body, r#"{"Username":"x"}"#);
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
    #[test]
    fn a_cloudwatch_logs_payload_gives_one_record_per_log_event_with_its_line_as_body() {
        let b = batch(include_str!("../../../events/cwl-userauthevents.json"));
        assert_eq!(b.source, Source::CloudWatchLogs);
        let decoded: serde_json::Value = serde_json::from_str(include_str!(
            "../../../events/cwl-userauthevents.decoded.json"
        ))
        .unwrap();
        let events = decoded["logEvents"].as_array().unwrap();
        assert_eq!(b.records.len(), events.len());
        for (record, event) in b.records.iter().zip(events) {
            assert_eq!(record.origin, Origin::LogEvent);
            assert_eq!(record.message_id, event["id"].as_str().unwrap());
            assert_eq!(record.body, event["message"].as_str().unwrap());
        }
    }

    #[test]
    fn unpadded_base64_is_read_too() {
        let b = batch(include_str!(
            "../../../events/cwl-userauthevents-variants.json"
        ));
        assert_eq!(b.records.len(), 2);
        let data = include_str!("../../../events/cwl-control-message.json").replace('=', "");
        let unpadded = batch(&data);
        assert_eq!(unpadded.records[0].origin, Origin::Control);
    }

    #[test]
    fn a_control_message_is_one_control_record() {
        let b = batch(include_str!("../../../events/cwl-control-message.json"));
        assert_eq!(b.source, Source::CloudWatchLogs);
        assert_eq!(b.records.len(), 1);
        assert_eq!(b.records[0].origin, Origin::Control);
        assert_eq!(b.records[0].message_id, "req-1");
    }

    #[test]
    fn an_undecodable_payload_is_one_record_holding_the_payload_verbatim() {
        for (json, why) in [
            (
                include_str!("../../../events/cwl-corrupt-not-gzip.json"),
                "not gzip",
            ),
            (
                include_str!("../../../events/cwl-corrupt-not-base64.json"),
                "not base64",
            ),
            (r#"{"awslogs":{"data":42}}"#, "not a string"),
            (r#"{"awslogs":"x"}"#, "not an object"),
        ] {
            let b = batch(json);
            assert_eq!(b.source, Source::CloudWatchLogs);
            assert_eq!(b.records.len(), 1);
            let Origin::Undecodable(reason) = &b.records[0].origin else {
                panic!("{json}: {:?}", b.records[0].origin)
            };
            assert!(reason.contains(why), "{reason}");
            assert_eq!(b.records[0].body, json.trim_end());
        }
    }

    #[test]
    fn gzip_of_something_other_than_log_data_is_undecodable() {
        use std::io::Write;
        let gz = |text: &str| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(text.as_bytes()).unwrap();
            base64::engine::general_purpose::STANDARD.encode(e.finish().unwrap())
        };
        for (text, why) in [
            ("not json", "not JSON"),
            (r#"{"messageType":"DATA_MESSAGE"}"#, "logEvents"),
        ] {
            let b = batch(&format!(r#"{{"awslogs":{{"data":"{}"}}}}"#, gz(text)));
            assert!(
                matches!(&b.records[0].origin, Origin::Undecodable(r) if r.contains(why)),
                "{text}"
            );
        }
        // A log event without an id or a message is still a record of its own.
        let odd = gz(
            r#"{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":1},{"id":"b","message":"{}"}]}"#,
        );
        let b = batch(&format!(r#"{{"awslogs":{{"data":"{odd}"}}}}"#));
        assert_eq!(b.records.len(), 2);
        assert_eq!(
            (b.records[0].message_id.as_str(), b.records[0].body.as_str()),
            ("req-1#0", "")
        );
        assert_eq!(b.records[1].message_id, "b");
    }

    #[test]
    fn a_gzip_bomb_is_undecodable_not_a_memory_exhaustion() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..=(MAX_DECODED_LOG_BYTES / zeros.len() as u64) {
            e.write_all(&zeros).unwrap();
        }
        let data = base64::engine::general_purpose::STANDARD.encode(e.finish().unwrap());
        let b = batch(&format!(r#"{{"awslogs":{{"data":"{data}"}}}}"#));
        assert!(
            matches!(&b.records[0].origin, Origin::Undecodable(r) if r.contains("more than")),
            "{:?}",
            b.records[0].origin
        );
    }

    #[test]
    fn a_security_hub_event_gives_one_record_per_finding() {
        let json = include_str!("../../../events/securityhub-imported.json");
        let b = batch(json);
        assert_eq!(b.source, Source::EventBridge);
        let event: serde_json::Value = serde_json::from_str(json).unwrap();
        let findings = event["detail"]["findings"].as_array().unwrap();
        assert_eq!(b.records.len(), findings.len());
        for (index, (record, finding)) in b.records.iter().zip(findings).enumerate() {
            assert_eq!(record.origin, Origin::Finding { index });
            assert_eq!(record.message_id, event["id"].as_str().unwrap());
            assert_eq!(record.source_arn.as_deref(), event["resources"][0].as_str());
            let body: serde_json::Value = serde_json::from_str(&record.body).unwrap();
            assert_eq!(&body, finding);
        }
    }

    #[test]
    fn a_security_hub_event_in_an_sqs_body_is_expanded_within_the_batch() {
        let hub = include_str!("../../../events/securityhub-imported.json");
        let sqs = serde_json::json!({"Records": [
            {"eventSource": "aws:sqs", "messageId": "m1", "body": hub,
             "attributes": {"ApproximateReceiveCount": "3"}, "eventSourceARN": "arn:aws:sqs:eu-west-1:1:alerts"},
            {"eventSource": "aws:sqs", "messageId": "m2", "body": "{}"},
        ]});
        let b = batch(&sqs.to_string());
        assert_eq!(b.source, Source::Sqs { fifo: false });
        let ids: Vec<_> = b
            .records
            .iter()
            .map(|r| (r.message_id.as_str(), r.origin.clone()))
            .collect();
        assert_eq!(
            ids,
            [
                ("m1", Origin::Finding { index: 0 }),
                ("m1", Origin::Finding { index: 1 }),
                ("m2", Origin::Alert)
            ]
        );
        assert_eq!(b.records[1].receive_count, Some(3));
    }

    #[test]
    fn a_security_hub_event_without_findings_is_an_ordinary_event() {
        let b = batch(
            r#"{"id":"e","source":"aws.securityhub","detail-type":"Security Hub Findings - Imported","detail":{"findings":[]}}"#,
        );
        assert_eq!(b.records.len(), 1);
        assert_eq!(b.records[0].origin, Origin::Alert);
        let other = batch(
            r#"{"id":"e","source":"aws.securityhub","detail-type":"Security Hub Insight Results","detail":{"findings":[{}]}}"#,
        );
        assert_eq!(other.records[0].origin, Origin::Alert);
    }
}
