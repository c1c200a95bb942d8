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

use std::io::Read;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A decoded CloudWatch Logs payload larger than this is refused as undecodable: Lambda's
/// asynchronous payloads are at most 1 MB, and log text compresses perhaps tenfold, so only a
/// gzip bomb gets here.
pub const MAX_DECODED_LOG_BYTES: u64 = 32 * 1024 * 1024;

/// Security Hub's EventBridge detail types that carry findings.
const SECURITY_HUB_DETAIL_TYPES: [&str; 2] = [
    "Security Hub Findings - Imported",
    "Security Hub Findings - Custom Action",
];

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
        let (kind, records) = expand(body, record, delivery, account);
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
    let inner = sns_message(document);
    let read = inner.as_deref().unwrap_or(document);
    let top: Envelope = serde_json::from_str(read).unwrap_or_default();
    if let Some(awslogs) = top.awslogs {
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

/// The `Message` of an SNS notification (`"Type": "Notification"`), when `document` is one.
fn sns_message(document: &str) -> Option<String> {
    let notification: SnsNotification = serde_json::from_str(document).ok()?;
    if notification.kind.and_then(text).as_deref() != Some("Notification") {
        return None;
    }
    notification.message.and_then(text)
}

/// The two members of an SNS notification the reader needs; anything else is skipped unread.
#[derive(Debug, Default, Deserialize)]
struct SnsNotification<'a> {
    #[serde(rename = "Type", borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(rename = "Message", borrow, default)]
    message: Option<&'a RawValue>,
}

/// The top-level fields that tell the payloads apart; anything else is skipped unread.
#[derive(Debug, Default, Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "Records", borrow, default)]
    records: Option<&'a RawValue>,
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
fn sqs_records(records: &RawValue, account: Option<&str>) -> Option<Vec<Record>> {
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

/// The records of a CloudWatch Logs payload (`document`, whose `awslogs` member is
/// `awslogs`): one per log event; one `Control` record for a `CONTROL_MESSAGE`; one
/// `Undecodable` record holding the whole document when it cannot be read. Each is a copy
/// of `delivery`.
fn log_records(
    awslogs: &RawValue,
    document: &str,
    delivery: &Record,
    how: Delivery,
    account: Option<&str>,
) -> Vec<Record> {
    let whole = |origin: Origin| Record {
        body: document.to_owned(),
        origin,
        ..delivery.clone()
    };
    let data = match decode_log_data(awslogs) {
        Ok(data) => data,
        Err(reason) => return vec![whole(Origin::Undecodable(reason))],
    };
    let parsed: LogData = match serde_json::from_str(&data) {
        Ok(parsed) => parsed,
        Err(err) => {
            return vec![whole(Origin::Undecodable(format!(
                "the decoded data is not JSON: {err}"
            )))]
        }
    };
    if parsed.message_type.and_then(text).as_deref() == Some("CONTROL_MESSAGE") {
        return vec![Record {
            body: data.clone(),
            ..whole(Origin::Control)
        }];
    }
    let own = account.is_some() && parsed.owner.and_then(text).as_deref() == account;
    let events: Vec<&RawValue> = match parsed
        .log_events
        .and_then(|e| serde_json::from_str(e.get()).ok())
    {
        Some(events) => events,
        None => {
            return vec![whole(Origin::Undecodable(
                "the decoded data has no logEvents array".to_owned(),
            ))]
        }
    };
    events
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            let event: LogEvent = serde_json::from_str(raw.get()).unwrap_or_default();
            let id = event
                .id
                .and_then(text)
                .filter(|id| !id.is_empty())
                .unwrap_or_else(|| format!("{}#{index}", delivery.message_id));
            Record {
                message_id: match how {
                    Delivery::Queue => delivery.message_id.clone(),
                    Delivery::Event | Delivery::Direct => id.clone(),
                },
                body: event
                    .message
                    .map(|m| text(m).unwrap_or_else(|| m.get().to_owned()))
                    .unwrap_or_default(),
                receive_count: delivery.receive_count,
                group_id: delivery.group_id.clone(),
                source_arn: delivery.source_arn.clone(),
                origin: Origin::LogEvent,
                provenance: Provenance {
                    raised_at_ms: event.timestamp.or(delivery.provenance.raised_at_ms),
                    cognito_log: own,
                    alert_id: Some(id),
                    ..Provenance::default()
                },
            }
        })
        .collect()
}

/// `awslogs.data` decoded: base64 (padding optional), then gzip, then UTF-8 text.
fn decode_log_data(awslogs: &RawValue) -> Result<String, String> {
    let holder: AwsLogs =
        serde_json::from_str(awslogs.get()).map_err(|_| "awslogs is not an object".to_owned())?;
    let data = holder
        .data
        .and_then(text)
        .ok_or_else(|| "awslogs.data is not a string".to_owned())?;
    let lenient = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let gzip = lenient
        .decode(data.trim())
        .map_err(|e| format!("awslogs.data is not base64: {e}"))?;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&gzip[..])
        .take(MAX_DECODED_LOG_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("awslogs.data is not gzip: {e}"))?;
    if out.len() as u64 > MAX_DECODED_LOG_BYTES {
        return Err(format!(
            "awslogs.data decodes to more than {MAX_DECODED_LOG_BYTES} bytes"
        ));
    }
    String::from_utf8(out).map_err(|_| "the decoded data is not UTF-8".to_owned())
}

#[derive(Debug, Default, Deserialize)]
struct AwsLogs<'a> {
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// The fields of a decoded CloudWatch Logs payload the function reads.
#[derive(Debug, Default, Deserialize)]
struct LogData<'a> {
    #[serde(rename = "messageType", borrow, default)]
    message_type: Option<&'a RawValue>,
    #[serde(borrow, default)]
    owner: Option<&'a RawValue>,
    #[serde(rename = "logEvents", borrow, default)]
    log_events: Option<&'a RawValue>,
}

#[derive(Debug, Default, Deserialize)]
struct LogEvent<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "lenient_u64")]
    timestamp: Option<u64>,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
}

/// A Security Hub findings event: `source` `aws.securityhub`, one of the two findings detail
/// types, and a non-empty `detail.findings` array. (An event without findings is read like
/// any other EventBridge event, and dead-lettered as naming no one.)
struct SecurityHubEvent {
    time_ms: Option<u64>,
    resource: Option<String>,
    findings: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct HubEnvelope<'a> {
    #[serde(borrow, default)]
    time: Option<&'a RawValue>,
    #[serde(borrow, default)]
    source: Option<&'a RawValue>,
    #[serde(rename = "detail-type", borrow, default)]
    detail_type: Option<&'a RawValue>,
    #[serde(borrow, default)]
    resources: Option<&'a RawValue>,
    #[serde(borrow, default)]
    detail: Option<&'a RawValue>,
}

#[derive(Debug, Default, Deserialize)]
struct HubDetail<'a> {
    #[serde(borrow, default)]
    findings: Option<&'a RawValue>,
}

impl SecurityHubEvent {
    /// The event `text` holds, if it is a Security Hub findings event.
    fn read(document: &str) -> Option<Self> {
        let envelope: HubEnvelope = serde_json::from_str(document).ok()?;
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
    fn records(self, delivery: &Record) -> Vec<Record> {
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

/// A number that may be anything else: read when it is a whole number, `None` otherwise, so
/// that an odd timestamp cannot make a log event unreadable.
fn lenient_u64<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let raw: Option<&RawValue> = serde::Deserialize::deserialize(deserializer)?;
    Ok(raw.and_then(|r| serde_json::from_str::<u64>(r.get()).ok()))
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
    use super::*;

    fn batch(json: &str) -> Batch {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        Batch::from_payload(&raw, "req-1")
    }

    #[test]
    fn sqs_event_gives_one_record_per_message() {
        let b = batch(include_str!("../../events/sqs-mixed-batch.json"));
        assert_eq!(b.source, Source::Sqs { fifo: false });
        assert!(b.records.len() >= 5);
        assert!(b.records.iter().all(|r| !r.message_id.is_empty()));
        assert_eq!(b.records[0].receive_count, Some(1));
    }

    #[test]
    fn fifo_sqs_event_keeps_message_groups() {
        let b = batch(include_str!("../../events/sqs-fifo.json"));
        assert_eq!(b.source, Source::Sqs { fifo: true });
        assert!(b.records.iter().all(|r| r.group_id.is_some()));
    }

    #[test]
    fn eventbridge_event_is_one_record_with_the_event_as_body() {
        let json = include_str!("../../events/eventbridge.json");
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
        let b = batch(include_str!("../../events/cwl-userauthevents.json"));
        assert_eq!(b.source, Source::CloudWatchLogs);
        let decoded: serde_json::Value =
            serde_json::from_str(include_str!("../../events/cwl-userauthevents.decoded.json"))
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
            "../../events/cwl-userauthevents-variants.json"
        ));
        assert_eq!(b.records.len(), 2);
        let data = include_str!("../../events/cwl-control-message.json").replace('=', "");
        let unpadded = batch(&data);
        assert_eq!(unpadded.records[0].origin, Origin::Control);
    }

    #[test]
    fn a_control_message_is_one_control_record() {
        let b = batch(include_str!("../../events/cwl-control-message.json"));
        assert_eq!(b.source, Source::CloudWatchLogs);
        assert_eq!(b.records.len(), 1);
        assert_eq!(b.records[0].origin, Origin::Control);
        assert_eq!(b.records[0].message_id, "req-1");
    }

    #[test]
    fn an_undecodable_payload_is_one_record_holding_the_payload_verbatim() {
        for (json, why) in [
            (
                include_str!("../../events/cwl-corrupt-not-gzip.json"),
                "not gzip",
            ),
            (
                include_str!("../../events/cwl-corrupt-not-base64.json"),
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
        let json = include_str!("../../events/securityhub-imported.json");
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
        let hub = include_str!("../../events/securityhub-imported.json");
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
