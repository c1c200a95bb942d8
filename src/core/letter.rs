//! Dead letters: the message an operator finds in a dead-letter queue, which queue gets it,
//! and the form it takes when SQS would refuse the original. Pure: no I/O here; the
//! [`crate::dead_letters`] port sends what this module builds.
//!
//! [`DeadLetter::new`] builds the contract's message (docs/alerts-and-dead-letters.md#dead-letter-messages): the original body byte for
//! byte, the string attributes, and the FIFO group and deduplication ids. SQS refuses some
//! messages outright (a character outside its allowed set, more than 256 KiB with the
//! attributes); such a letter is sent in a fallback form an operator can still read and
//! redrive, announced by a `BodyEncoding` attribute (see [`BodyEncoding`]).
//! [`DeadLetterRoutes`] picks the queue by class.

use std::collections::BTreeMap;
use std::io::Write;

use base64::Engine;
use cognito_names::QueueUrl;

use crate::core::action::Actions;
use crate::core::call_error::CallError;
use crate::core::error_class::ErrorClass;
use crate::core::failure::Failure;
use crate::core::identity::Target;
use crate::core::payload::{Origin, Record};
use crate::core::text::{is_fifo_id, is_sqs_safe};
pub use crate::core::text::{sqs_safe, truncate};

/// `ErrorMessage` is cut to this many bytes (at a character boundary), as the contract says.
pub const ERROR_MESSAGE_MAX_BYTES: usize = 1024;
/// Every other attribute value is cut to this many bytes: an id or ARN that an event names
/// can be as long as its sender likes, and must not make the letter unsendable.
pub const ATTRIBUTE_MAX_BYTES: usize = 1024;
/// The largest message SQS takes by default, attributes included; also the largest
/// `SendMessageBatch` request (the sum of its messages). Queues may allow up to 1 MiB, but
/// 256 KiB is what every queue takes.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
/// The most entries one `SendMessageBatch` request may carry.
pub const MAX_BATCH_ENTRIES: usize = 10;

/// Attributes dropped first when a letter is too large: the ones an operator can do without.
const OPTIONAL_ATTRIBUTES: [&str; 6] = [
    "AlertId",
    "SourceArn",
    "ReceiveCount",
    "Username",
    "UserPoolId",
    "ErrorMessage",
];

/// How a letter's body holds the original alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    /// The original, byte for byte (no `BodyEncoding` attribute).
    Original,
    /// Standard base64 of the original's UTF-8 bytes: the original holds a character SQS
    /// refuses (a control character, U+FFFE, U+FFFF).
    Base64,
    /// Standard base64 of the gzip of the original's bytes: the original is too large.
    GzipBase64,
    /// The first part of the original only (made safe for SQS): it is too large even
    /// compressed. `BodyTruncatedFrom` gives its size in bytes. Readable, not redrivable.
    Truncated,
}

impl BodyEncoding {
    /// The `BodyEncoding` attribute's value, none for the original form.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            BodyEncoding::Original => None,
            BodyEncoding::Base64 => Some("base64"),
            BodyEncoding::GzipBase64 => Some("gzip+base64"),
            BodyEncoding::Truncated => Some("truncated"),
        }
    }
}

/// A dead-letter message, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The class that routes it.
    pub class: ErrorClass,
    /// The original alert, byte for byte, unless [`DeadLetter::encoding`] says otherwise.
    pub body: String,
    /// How `body` holds the original alert.
    pub encoding: BodyEncoding,
    /// String message attributes, by name.
    pub attributes: BTreeMap<&'static str, String>,
    /// `MessageGroupId` should the queue be FIFO: the source group, else the pool id, else
    /// the class.
    pub group_id: String,
    /// `MessageDeduplicationId` should the queue be FIFO: the source message id, or its
    /// digest when the id is not one SQS takes.
    pub deduplication_id: String,
}

impl DeadLetter {
    /// The message for `record`, dead-lettered for `failure`. `target` holds the names
    /// decoded from it, when decoding got that far.
    pub fn new(record: &Record, failure: &Failure, target: Option<&Target>) -> Self {
        let class = failure.class();
        let mut attributes = BTreeMap::new();
        let mut put = |name: &'static str, value: &str, max: usize| {
            // Made safe first, then cut: a replacement character is three bytes.
            let value = truncate(&sqs_safe(value), max);
            if !value.is_empty() {
                attributes.insert(name, value);
            }
        };
        put("ErrorClass", class.as_str(), ATTRIBUTE_MAX_BYTES);
        put("ErrorCode", &failure.code(), ATTRIBUTE_MAX_BYTES);
        put(
            "ErrorMessage",
            &failure.to_string(),
            ERROR_MESSAGE_MAX_BYTES,
        );
        put("SourceMessageId", &record.message_id, ATTRIBUTE_MAX_BYTES);
        if let Some(arn) = &record.source_arn {
            put("SourceArn", arn, ATTRIBUTE_MAX_BYTES);
        }
        if let Some(alert) = &record.provenance.alert_id {
            put("AlertId", alert, ATTRIBUTE_MAX_BYTES);
        }
        if let Some(count) = record.receive_count {
            put("ReceiveCount", &count.to_string(), ATTRIBUTE_MAX_BYTES);
        }
        if let Some(target) = target {
            put("UserPoolId", target.pool.as_str(), ATTRIBUTE_MAX_BYTES);
            put("Username", target.user.as_str(), ATTRIBUTE_MAX_BYTES);
        }
        let group_id = record
            .group_id
            .as_deref()
            .filter(|g| is_fifo_id(g))
            .map(str::to_owned)
            .or_else(|| target.map(|t| t.pool.to_string()))
            .unwrap_or_else(|| class.as_str().to_owned());
        let letter = Self {
            class,
            body: record.body.clone(),
            encoding: BodyEncoding::Original,
            attributes,
            group_id,
            deduplication_id: match (&record.origin, &record.provenance.alert_id) {
                // The findings of one event share its id; each is its own letter.
                (Origin::Finding { index }, _) => {
                    deduplication_id(&format!("{}#{index}", record.message_id))
                }
                // So do the log events of one SQS message.
                (_, Some(alert)) if *alert != record.message_id => {
                    deduplication_id(&format!("{}#{alert}", record.message_id))
                }
                _ => deduplication_id(&record.message_id),
            },
        };
        letter.fitted()
    }

    /// The same letter, naming the actions its alert asked (`Actions`) and those taken on the
    /// user for it (`ActionsTaken`, absent when none was), comma-separated in the order they
    /// run.
    pub fn with_actions(mut self, asked: Actions, taken: Actions) -> Self {
        if !asked.is_empty() {
            self.attributes.insert("Actions", asked.to_string());
        }
        if !taken.is_empty() {
            self.attributes.insert("ActionsTaken", taken.to_string());
        }
        self.fitted()
    }

    /// The bytes SQS counts for this message: the body, and each attribute's name, type and
    /// value.
    pub fn size(&self) -> usize {
        self.body.len()
            + self
                .attributes
                .iter()
                .map(|(name, value)| name.len() + "String".len() + value.len())
                .sum::<usize>()
    }

    /// This letter in a form SQS takes: the body encoded when it holds a character SQS
    /// refuses; when too large, the optional attributes dropped, then the body compressed,
    /// then cut.
    fn fitted(mut self) -> Self {
        if !is_sqs_safe(&self.body) {
            self.body = base64::engine::general_purpose::STANDARD.encode(self.body.as_bytes());
            self.set_encoding(BodyEncoding::Base64);
        }
        if self.size() <= MAX_MESSAGE_BYTES {
            return self;
        }
        for name in OPTIONAL_ATTRIBUTES {
            self.attributes.remove(name);
            if self.size() <= MAX_MESSAGE_BYTES {
                return self;
            }
        }
        let original = match self.encoding {
            BodyEncoding::Base64 => base64::engine::general_purpose::STANDARD
                .decode(&self.body)
                .unwrap_or_default(),
            _ => self.body.clone().into_bytes(),
        };
        if let Some(compressed) = gzip(&original) {
            let encoded = base64::engine::general_purpose::STANDARD.encode(compressed);
            let mut candidate = self.clone();
            candidate.body = encoded;
            candidate.set_encoding(BodyEncoding::GzipBase64);
            if candidate.size() <= MAX_MESSAGE_BYTES {
                return candidate;
            }
        }
        let text = sqs_safe(&String::from_utf8_lossy(&original));
        self.attributes
            .insert("BodyTruncatedFrom", original.len().to_string());
        self.set_encoding(BodyEncoding::Truncated);
        self.body = String::new();
        let room = MAX_MESSAGE_BYTES.saturating_sub(self.size());
        self.body = truncate(&text, room);
        self
    }

    fn set_encoding(&mut self, encoding: BodyEncoding) {
        self.encoding = encoding;
        if let Some(value) = encoding.attribute() {
            self.attributes.insert("BodyEncoding", value.to_owned());
        }
    }
}

/// A dead-letter send that failed: the record must then be retried, never acknowledged.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeadLetterError {
    /// The `SendMessageBatch` request failed as a whole (shared by its entries).
    #[error("the dead-letter queue's {0}")]
    Request(#[source] CallError),
    /// SQS refused this entry of the batch.
    #[error("the dead-letter queue refused the message: {code}: {message}")]
    Refused {
        /// SQS's error code (`InvalidParameterValue`, ...).
        code: String,
        /// SQS's message, cut short.
        message: String,
    },
    /// The answer does not prove the letter was stored: no message id for it, or an MD5 of
    /// the body that is not the body's (a proxy, a wrong endpoint, a broken stand-in).
    #[error("the dead-letter queue's answer does not confirm the message: {0}")]
    Unconfirmed(String),
    /// Too little time was left in the invocation to start the send.
    #[error("not enough time left in the invocation to send the dead letter")]
    DeadlineReached,
    /// The send was still running when the invocation's time ran out.
    #[error("dead-letter send abandoned at the invocation deadline")]
    CutOff,
    /// Any other adapter's failure (the in-memory fakes use it).
    #[error("dead-letter send failed: {0}")]
    Other(String),
}

/// Which queue gets which class: `DLQ_URL`, unless `DLQ_URL_<CLASS>` names another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterRoutes {
    default: QueueUrl,
    by_class: BTreeMap<ErrorClass, QueueUrl>,
}

impl DeadLetterRoutes {
    /// Routes every class to `default` but those in `by_class`.
    pub fn new(default: QueueUrl, by_class: BTreeMap<ErrorClass, QueueUrl>) -> Self {
        Self { default, by_class }
    }

    /// The queue for `class`.
    pub fn url_for(&self, class: ErrorClass) -> &QueueUrl {
        self.by_class.get(&class).unwrap_or(&self.default)
    }
}

/// The deduplication id of a message id: itself when SQS takes it, else its MD5 in hex.
fn deduplication_id(message_id: &str) -> String {
    if is_fifo_id(message_id) {
        message_id.to_owned()
    } else {
        md5_hex(message_id.as_bytes())
    }
}

/// The MD5 of `bytes` in lower-case hex, as SQS reports `MD5OfMessageBody`.
pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::identity::{UserPoolId, Username};

    fn record() -> Record {
        Record {
            message_id: "m-1".into(),
            body: "not json \u{1F600}".into(),
            receive_count: Some(3),
            group_id: None,
            source_arn: Some("arn:aws:sqs:eu-west-1:123456789012:alerts".into()),
            origin: Default::default(),
            provenance: Default::default(),
        }
    }

    fn target(pool: &str, user: &str) -> Target {
        Target {
            pool: UserPoolId::parse(pool).unwrap(),
            user: Username::parse(user).unwrap(),
        }
    }

    fn url(raw: &str) -> QueueUrl {
        raw.parse().unwrap()
    }

    #[test]
    fn dead_letter_keeps_the_body_and_names_the_failure() {
        let letter = DeadLetter::new(&record(), &Failure::MissingUsername, None);
        assert_eq!(letter.body, "not json \u{1F600}");
        assert_eq!(letter.encoding, BodyEncoding::Original);
        assert_eq!(letter.attributes["ErrorClass"], "malformed");
        assert_eq!(letter.attributes["ErrorCode"], "MissingUsername");
        assert_eq!(letter.attributes["SourceMessageId"], "m-1");
        assert_eq!(letter.attributes["ReceiveCount"], "3");
        assert_eq!(
            letter.attributes["SourceArn"],
            "arn:aws:sqs:eu-west-1:123456789012:alerts"
        );
        assert!(!letter.attributes.contains_key("Username"));
        assert!(!letter.attributes.contains_key("BodyEncoding"));
        assert_eq!(letter.group_id, "malformed");
        assert_eq!(letter.deduplication_id, "m-1");
    }

    #[test]
    fn fifo_group_is_the_source_group_else_the_pool() {
        let failure = Failure::DeadlineReached;
        let alice = target("eu-west-1_A", "alice");
        let by_pool = DeadLetter::new(&record(), &failure, Some(&alice));
        assert_eq!(by_pool.group_id, "eu-west-1_A");
        assert_eq!(by_pool.attributes["Username"], "alice");
        let grouped = Record {
            group_id: Some("tenant-7".into()),
            ..record()
        };
        assert_eq!(
            DeadLetter::new(&grouped, &failure, Some(&alice)).group_id,
            "tenant-7"
        );
    }

    #[test]
    fn a_message_id_sqs_would_refuse_as_deduplication_id_is_replaced_by_its_digest() {
        for id in ["has space", &"x".repeat(129), "caf\u{e9}", ""] {
            let odd = Record {
                message_id: id.to_owned(),
                ..record()
            };
            let letter = DeadLetter::new(&odd, &Failure::MissingUsername, None);
            assert!(is_fifo_id(&letter.deduplication_id), "{id:?}");
            assert_eq!(letter.deduplication_id, md5_hex(id.as_bytes()));
        }
    }

    #[test]
    fn error_message_is_cut_to_one_kibibyte_on_a_character_boundary() {
        let long = "é".repeat(1000);
        let cut = truncate(&long, ERROR_MESSAGE_MAX_BYTES);
        assert_eq!(cut.len(), 1024);
        let odd = format!("a{long}");
        assert_eq!(truncate(&odd, ERROR_MESSAGE_MAX_BYTES).len(), 1023);
    }

    #[test]
    fn every_attribute_is_bounded_whatever_the_event_sent() {
        let huge = Record {
            message_id: "i".repeat(300_000),
            source_arn: Some("a".repeat(300_000)),
            ..record()
        };
        let letter = DeadLetter::new(&huge, &Failure::MissingUsername, None);
        assert!(letter
            .attributes
            .values()
            .all(|v| v.len() <= ATTRIBUTE_MAX_BYTES));
        assert!(letter.size() <= MAX_MESSAGE_BYTES);
        assert_eq!(letter.encoding, BodyEncoding::Original);
    }

    #[test]
    fn characters_sqs_refuses_are_replaced_in_attributes() {
        assert_eq!(
            sqs_safe("a\u{0}b\u{1b}c\u{ffff}"),
            "a\u{fffd}b\u{fffd}c\u{fffd}"
        );
        assert_eq!(sqs_safe("tab\tok"), "tab\tok");
    }

    #[test]
    fn a_body_sqs_would_refuse_is_kept_base64_encoded() {
        let odd = Record {
            body: "{\"Username\":\"a\u{ffff}\u{1}\"}".into(),
            ..record()
        };
        let letter = DeadLetter::new(&odd, &Failure::MissingUserPool, None);
        assert_eq!(letter.encoding, BodyEncoding::Base64);
        assert_eq!(letter.attributes["BodyEncoding"], "base64");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&letter.body)
            .unwrap();
        assert_eq!(decoded, odd.body.as_bytes());
    }

    #[test]
    fn a_letter_too_large_drops_optional_attributes_then_compresses_its_body() {
        let big = Record {
            body: format!("{{\"pad\":\"{}\"}}", "x".repeat(MAX_MESSAGE_BYTES - 100)),
            ..record()
        };
        let letter = DeadLetter::new(&big, &Failure::MissingUsername, None);
        assert_eq!(letter.encoding, BodyEncoding::Original);
        assert!(!letter.attributes.contains_key("SourceArn"));
        assert!(letter.size() <= MAX_MESSAGE_BYTES);

        let bigger = Record {
            body: "y".repeat(2 * MAX_MESSAGE_BYTES),
            ..record()
        };
        let letter = DeadLetter::new(&bigger, &Failure::MissingUsername, None);
        assert_eq!(letter.encoding, BodyEncoding::GzipBase64);
        assert!(letter.size() <= MAX_MESSAGE_BYTES);
        let gz = base64::engine::general_purpose::STANDARD
            .decode(&letter.body)
            .unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
            .unwrap();
        assert_eq!(out, bigger.body);
    }

    #[test]
    fn a_body_too_large_even_compressed_is_cut_and_says_so() {
        // Random-looking text does not compress.
        let mut state = 7u64;
        let noise: String = (0..(MAX_MESSAGE_BYTES * 2))
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                char::from(b'!' + ((state >> 33) % 90) as u8)
            })
            .collect();
        let letter = DeadLetter::new(
            &Record {
                body: noise,
                ..record()
            },
            &Failure::MissingUsername,
            None,
        );
        assert_eq!(letter.encoding, BodyEncoding::Truncated);
        assert_eq!(
            letter.attributes["BodyTruncatedFrom"],
            (MAX_MESSAGE_BYTES * 2).to_string()
        );
        assert!(letter.size() <= MAX_MESSAGE_BYTES);
        assert!(letter.attributes.contains_key("ErrorClass"));
    }

    #[test]
    fn routes_fall_back_to_the_default_queue() {
        let routes = DeadLetterRoutes::new(
            url("https://sqs/1/default"),
            BTreeMap::from([(ErrorClass::Malformed, url("https://sqs/1/bad.fifo"))]),
        );
        assert_eq!(
            routes.url_for(ErrorClass::Malformed).as_str(),
            "https://sqs/1/bad.fifo"
        );
        assert_eq!(
            routes.url_for(ErrorClass::UserNotFound).as_str(),
            "https://sqs/1/default"
        );
        assert!(routes.url_for(ErrorClass::Malformed).is_fifo());
    }
}
