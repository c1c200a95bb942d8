//! A CloudWatch Logs subscription payload (`{"awslogs": {"data": ...}}`, base64 of gzip of
//! JSON): one record per log event, its body the event's `message` line, each read on its
//! own so one bad event cannot fail the rest.

use std::io::Read;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{text, Delivery, Origin, Provenance, Record};

/// A decoded CloudWatch Logs payload larger than this is refused as undecodable: Lambda's
/// asynchronous payloads are at most 1 MB, and log text compresses perhaps tenfold, so only a
/// gzip bomb gets here.
pub const MAX_DECODED_LOG_BYTES: u64 = 32 * 1024 * 1024;

/// The records of a CloudWatch Logs payload (`document`, whose `awslogs` member is
/// `awslogs`): one per log event; one `Control` record for a `CONTROL_MESSAGE`; one
/// `Undecodable` record holding the whole document when it cannot be read. Each is a copy
/// of `delivery`.
pub(super) fn log_records(
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

/// A number that may be anything else: read when it is a whole number, `None` otherwise, so
/// that an odd timestamp cannot make a log event unreadable.
fn lenient_u64<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let raw: Option<&RawValue> = serde::Deserialize::deserialize(deserializer)?;
    Ok(raw.and_then(|r| serde_json::from_str::<u64>(r.get()).ok()))
}
