//! Dead letters: the message an operator finds in a dead-letter queue, which queue gets it,
//! and the port that sends it.
//!
//! [`DeadLetter::new`] builds the contract's message (section 3) from a record and its
//! failure, without I/O: the original body byte for byte, the string attributes, and the
//! FIFO group and deduplication ids. [`DeadLetterRoutes`] picks the queue by class.
//! [`DeadLetters`] is the port; [`crate::sqs::SqsDeadLetters`] is the real adapter.

use std::collections::BTreeMap;
use std::future::Future;

use crate::error_class::ErrorClass;
use crate::failure::Failure;
use crate::payload::Record;

/// `ErrorMessage` is cut to this many bytes (at a character boundary).
pub const ERROR_MESSAGE_MAX_BYTES: usize = 1024;

/// A dead-letter message, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The class that routes it.
    pub class: ErrorClass,
    /// The original alert, byte for byte.
    pub body: String,
    /// String message attributes, by name.
    pub attributes: BTreeMap<&'static str, String>,
    /// `MessageGroupId` should the queue be FIFO: the source group, else the pool id, else
    /// the class.
    pub group_id: String,
    /// `MessageDeduplicationId` should the queue be FIFO: the source message id.
    pub deduplication_id: String,
}

impl DeadLetter {
    /// The message for `record`, dead-lettered for `failure`. `pool` and `user` are the names
    /// decoded from it, when decoding got that far.
    pub fn new(record: &Record, failure: &Failure, pool: Option<&str>, user: Option<&str>) -> Self {
        let class = failure.class();
        let mut attributes = BTreeMap::new();
        let mut put = |name: &'static str, value: String| {
            let value = sqs_safe(&value);
            if !value.is_empty() {
                attributes.insert(name, value);
            }
        };
        put("ErrorClass", class.as_str().to_owned());
        put("ErrorCode", failure.code());
        // Made safe first, then cut: a replacement character is three bytes.
        put(
            "ErrorMessage",
            truncate(&sqs_safe(&failure.to_string()), ERROR_MESSAGE_MAX_BYTES),
        );
        put("SourceMessageId", record.message_id.clone());
        if let Some(arn) = &record.source_arn {
            put("SourceArn", arn.clone());
        }
        if let Some(count) = record.receive_count {
            put("ReceiveCount", count.to_string());
        }
        if let Some(pool) = pool {
            put("UserPoolId", pool.to_owned());
        }
        if let Some(user) = user {
            put("Username", user.to_owned());
        }
        let group_id = record
            .group_id
            .clone()
            .or_else(|| pool.map(str::to_owned))
            .unwrap_or_else(|| class.as_str().to_owned());
        Self {
            class,
            body: record.body.clone(),
            attributes,
            group_id,
            deduplication_id: record.message_id.clone(),
        }
    }
}

/// Which queue gets which class: `DLQ_URL`, unless `DLQ_URL_<CLASS>` names another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterRoutes {
    default: String,
    by_class: BTreeMap<ErrorClass, String>,
}

impl DeadLetterRoutes {
    /// Routes every class to `default` but those in `by_class`.
    pub fn new(default: String, by_class: BTreeMap<ErrorClass, String>) -> Self {
        Self { default, by_class }
    }

    /// The queue URL for `class`.
    pub fn url_for(&self, class: ErrorClass) -> &str {
        self.by_class.get(&class).unwrap_or(&self.default)
    }
}

/// Whether a queue URL names a FIFO queue, which needs group and deduplication ids.
pub fn is_fifo_queue(url: &str) -> bool {
    url.ends_with(".fifo")
}

/// Sends dead letters.
pub trait DeadLetters: Send + Sync {
    /// Sends `letter` to its class's queue; `Ok` only once the queue has stored it.
    fn send(&self, letter: &DeadLetter)
        -> impl Future<Output = Result<(), DeadLetterError>> + Send;
}

/// A dead-letter send that failed: the record must then be retried, never acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum DeadLetterError {
    /// The SQS call failed.
    #[error("SendMessage to the dead-letter queue failed: {0}")]
    Sqs(
        #[source]
        Box<aws_sdk_sqs::error::SdkError<aws_sdk_sqs::operation::send_message::SendMessageError>>,
    ),
    /// The send was still running when the invocation's time ran out.
    #[error("dead-letter send abandoned at the invocation deadline")]
    CutOff,
    /// Any other adapter's failure (the in-memory fakes use it).
    #[error("dead-letter send failed: {0}")]
    Other(String),
}

/// `text` cut to at most `max` bytes without splitting a character.
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// `text` with the characters SQS refuses in attribute values replaced by U+FFFD.
fn sqs_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t'
            | '\n'
            | '\r'
            | '\u{20}'..='\u{d7ff}'
            | '\u{e000}'..='\u{fffd}'
            | '\u{10000}'.. => c,
            _ => '\u{fffd}',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            message_id: "m-1".into(),
            body: "not json \u{1F600}".into(),
            receive_count: Some(3),
            group_id: None,
            source_arn: Some("arn:aws:sqs:eu-west-1:123456789012:alerts".into()),
        }
    }

    #[test]
    fn dead_letter_keeps_the_body_and_names_the_failure() {
        let letter = DeadLetter::new(&record(), &Failure::MissingUsername, None, None);
        assert_eq!(letter.body, "not json \u{1F600}");
        assert_eq!(letter.attributes["ErrorClass"], "malformed");
        assert_eq!(letter.attributes["ErrorCode"], "MissingUsername");
        assert_eq!(letter.attributes["SourceMessageId"], "m-1");
        assert_eq!(letter.attributes["ReceiveCount"], "3");
        assert_eq!(
            letter.attributes["SourceArn"],
            "arn:aws:sqs:eu-west-1:123456789012:alerts"
        );
        assert!(!letter.attributes.contains_key("Username"));
        assert_eq!(letter.group_id, "malformed");
        assert_eq!(letter.deduplication_id, "m-1");
    }

    #[test]
    fn fifo_group_is_the_source_group_else_the_pool() {
        let failure = Failure::DeadlineReached;
        let by_pool = DeadLetter::new(&record(), &failure, Some("eu-west-1_A"), Some("alice"));
        assert_eq!(by_pool.group_id, "eu-west-1_A");
        assert_eq!(by_pool.attributes["Username"], "alice");
        let grouped = Record {
            group_id: Some("tenant-7".into()),
            ..record()
        };
        assert_eq!(
            DeadLetter::new(&grouped, &failure, Some("eu-west-1_A"), None).group_id,
            "tenant-7"
        );
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
    fn characters_sqs_refuses_are_replaced_in_attributes() {
        assert_eq!(
            sqs_safe("a\u{0}b\u{1b}c\u{ffff}"),
            "a\u{fffd}b\u{fffd}c\u{fffd}"
        );
        assert_eq!(sqs_safe("tab\tok"), "tab\tok");
    }

    #[test]
    fn routes_fall_back_to_the_default_queue() {
        let routes = DeadLetterRoutes::new(
            "https://sqs/default".into(),
            BTreeMap::from([(ErrorClass::Malformed, "https://sqs/bad.fifo".into())]),
        );
        assert_eq!(
            routes.url_for(ErrorClass::Malformed),
            "https://sqs/bad.fifo"
        );
        assert_eq!(
            routes.url_for(ErrorClass::UserNotFound),
            "https://sqs/default"
        );
        assert!(is_fifo_queue(routes.url_for(ErrorClass::Malformed)));
    }
}
