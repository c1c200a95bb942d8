//! The SQS adapter: [`SqsDeadLetters`] implements [`DeadLetters`] with `SendMessageBatch`.
//!
//! A letter counts as stored only when SQS's answer proves it: a successful entry for it that
//! names a message id and whose `MD5OfMessageBody` is the MD5 of the body sent. The SDK checks
//! neither, and a proxy, a wrong endpoint or a broken stand-in can answer 200 with nothing
//! stored; such a letter is reported [`DeadLetterError::Unconfirmed`] and its alert retried.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_sqs::error::SdkError;
use aws_sdk_sqs::operation::send_message_batch::{SendMessageBatchError, SendMessageBatchOutput};
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use aws_sdk_sqs::Client;

use crate::aws_error::call_error;
use crate::core::call_error::CallError;
use cognito_names::QueueUrl;

use crate::core::letter::{md5_hex, sqs_safe, truncate, DeadLetter, DeadLetterError};
use crate::core::timeouts::Timeouts;
use crate::dead_letters::DeadLetters;

/// Sends dead letters through SQS.
#[derive(Debug, Clone)]
pub struct SqsDeadLetters {
    client: Client,
}

impl SqsDeadLetters {
    /// Builds the adapter from the start-up SDK configuration.
    pub fn new(sdk: &SdkConfig, timeouts: &Timeouts) -> Self {
        let timeout_config = lambda_edge::sdk_timeouts(
            timeouts.connect,
            timeouts.dead_letter_attempt,
            timeouts.dead_letter_operation,
        );
        let conf = aws_sdk_sqs::config::Builder::from(sdk)
            .timeout_config(timeout_config)
            .build();
        Self::from_client(Client::from_conf(conf))
    }

    /// Builds the adapter around a ready client (tests pass a mocked one).
    pub fn from_client(client: Client) -> Self {
        Self { client }
    }
}

impl DeadLetters for SqsDeadLetters {
    async fn send_batch(
        &self,
        queue: &QueueUrl,
        letters: &[DeadLetter],
    ) -> Vec<Result<(), DeadLetterError>> {
        let mut request = self.client.send_message_batch().queue_url(queue.as_str());
        for (index, letter) in letters.iter().enumerate() {
            match entry(index, letter, queue.is_fifo()) {
                Ok(entry) => request = request.entries(entry),
                Err(err) => return letters.iter().map(|_| Err(err.clone())).collect(),
            }
        }
        match request.send().await {
            Ok(output) => confirm(letters, &output),
            Err(err) => {
                let err = request_error(&err);
                letters
                    .iter()
                    .map(|_| Err(DeadLetterError::Request(err.clone())))
                    .collect()
            }
        }
    }
}

/// A failed `SendMessageBatch` request: every class the contract retries (the alert is never
/// acknowledged without its letter), read the same way as any other AWS error.
fn request_error(err: &SdkError<SendMessageBatchError>) -> CallError {
    call_error("SendMessageBatch", err, |_| None)
}

/// The batch entry of the letter at `index`; the entry id is the index.
fn entry(
    index: usize,
    letter: &DeadLetter,
    fifo: bool,
) -> Result<SendMessageBatchRequestEntry, DeadLetterError> {
    let mut entry = SendMessageBatchRequestEntry::builder()
        .id(index.to_string())
        .message_body(&letter.body);
    for (name, value) in &letter.attributes {
        let value = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .map_err(|e| DeadLetterError::Other(e.to_string()))?;
        entry = entry.message_attributes(*name, value);
    }
    if fifo {
        entry = entry
            .message_group_id(&letter.group_id)
            .message_deduplication_id(&letter.deduplication_id);
    }
    entry
        .build()
        .map_err(|e| DeadLetterError::Other(e.to_string()))
}

/// One result per letter, read from SQS's answer: stored only when the answer proves it.
fn confirm(
    letters: &[DeadLetter],
    output: &SendMessageBatchOutput,
) -> Vec<Result<(), DeadLetterError>> {
    let ok: HashMap<&str, _> = output.successful().iter().map(|e| (e.id(), e)).collect();
    let failed: HashMap<&str, _> = output.failed().iter().map(|e| (e.id(), e)).collect();
    letters
        .iter()
        .enumerate()
        .map(|(index, letter)| {
            let id = index.to_string();
            if let Some(failure) = failed.get(id.as_str()) {
                return Err(DeadLetterError::Refused {
                    code: truncate(&sqs_safe(failure.code()), 128),
                    message: truncate(&sqs_safe(failure.message().unwrap_or("")), 512),
                });
            }
            let Some(stored) = ok.get(id.as_str()) else {
                return Err(DeadLetterError::Unconfirmed(
                    "no entry for the message in the answer".to_owned(),
                ));
            };
            if stored.message_id().is_empty() {
                return Err(DeadLetterError::Unconfirmed(
                    "the answer names no message id".to_owned(),
                ));
            }
            if !stored
                .md5_of_message_body()
                .eq_ignore_ascii_case(&md5_hex(letter.body.as_bytes()))
            {
                return Err(DeadLetterError::Unconfirmed(
                    "MD5OfMessageBody is not the MD5 of the body sent".to_owned(),
                ));
            }
            Ok(())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use aws_sdk_sqs::operation::send_message_batch::{
        SendMessageBatchError, SendMessageBatchOutput,
    };
    use aws_sdk_sqs::types::error::QueueDoesNotExist;
    use aws_sdk_sqs::types::{BatchResultErrorEntry, SendMessageBatchResultEntry};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::core::error_class::ErrorClass;
    use crate::core::letter::BodyEncoding;

    fn letter(class: ErrorClass, id: &str) -> DeadLetter {
        DeadLetter {
            class,
            body: format!("{{\"Username\":\"{id}\"}}"),
            encoding: BodyEncoding::Original,
            attributes: BTreeMap::from([
                ("ErrorClass", class.as_str().to_owned()),
                ("ErrorCode", "X".into()),
            ]),
            group_id: "us-east-1_P".into(),
            deduplication_id: id.into(),
        }
    }

    fn url(raw: &str) -> QueueUrl {
        raw.parse().unwrap()
    }

    fn stored(id: &str, body: &str) -> SendMessageBatchResultEntry {
        SendMessageBatchResultEntry::builder()
            .id(id)
            .message_id(format!("sqs-{id}"))
            .md5_of_message_body(md5_hex(body.as_bytes()))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn standard_queue_gets_bodies_and_string_attributes_without_fifo_ids() {
        let rule = mock!(Client::send_message_batch)
            .match_requests(|req| {
                let entries = req.entries();
                req.queue_url() == Some("https://sqs.us-east-1.amazonaws.com/1/failed")
                    && entries.len() == 2
                    && entries[0].id() == "0"
                    && entries[0].message_body() == "{\"Username\":\"a\"}"
                    && entries[0].message_group_id().is_none()
                    && entries[0].message_deduplication_id().is_none()
                    && entries[0].message_attributes().is_some_and(|a| {
                        a.len() == 2
                            && a["ErrorClass"].data_type() == "String"
                            && a["ErrorClass"].string_value() == Some("user-not-found")
                    })
            })
            .then_output(|| {
                SendMessageBatchOutput::builder()
                    .successful(stored("0", "{\"Username\":\"a\"}"))
                    .successful(stored("1", "{\"Username\":\"b\"}"))
                    .set_failed(Some(vec![]))
                    .build()
                    .unwrap()
            });
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&rule]);
        let adapter = SqsDeadLetters::from_client(client);
        let letters = [
            letter(ErrorClass::UserNotFound, "a"),
            letter(ErrorClass::UserNotFound, "b"),
        ];
        let results = adapter
            .send_batch(
                &url("https://sqs.us-east-1.amazonaws.com/1/failed"),
                &letters,
            )
            .await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn fifo_queue_gets_group_and_deduplication_ids() {
        let rule = mock!(Client::send_message_batch)
            .match_requests(|req| {
                req.queue_url() == Some("https://sqs.us-east-1.amazonaws.com/1/bad.fifo")
                    && req.entries()[0].message_group_id() == Some("us-east-1_P")
                    && req.entries()[0].message_deduplication_id() == Some("m-1")
            })
            .then_output(|| {
                SendMessageBatchOutput::builder()
                    .successful(stored("0", "{\"Username\":\"m-1\"}"))
                    .set_failed(Some(vec![]))
                    .build()
                    .unwrap()
            });
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&rule]);
        let adapter = SqsDeadLetters::from_client(client);
        let results = adapter
            .send_batch(
                &url("https://sqs.us-east-1.amazonaws.com/1/bad.fifo"),
                &[letter(ErrorClass::Malformed, "m-1")],
            )
            .await;
        assert!(results[0].is_ok(), "{results:?}");
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_refused_entry_fails_alone_with_sqs_code_and_message() {
        let rule = mock!(Client::send_message_batch).then_output(|| {
            SendMessageBatchOutput::builder()
                .successful(stored("0", "{\"Username\":\"a\"}"))
                .failed(
                    BatchResultErrorEntry::builder()
                        .id("1")
                        .sender_fault(true)
                        .code("InvalidParameterValue")
                        .message("Invalid characters found")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        });
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&rule]);
        let adapter = SqsDeadLetters::from_client(client);
        let letters = [
            letter(ErrorClass::Invalid, "a"),
            letter(ErrorClass::Invalid, "b"),
        ];
        let results = adapter
            .send_batch(&url("https://sqs.us-east-1.amazonaws.com/1/q"), &letters)
            .await;
        assert!(results[0].is_ok());
        let err = results[1].as_ref().unwrap_err().to_string();
        assert!(
            err.contains("InvalidParameterValue") && err.contains("Invalid characters"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_answer_without_message_id_or_with_a_wrong_md5_stores_nothing() {
        let rule = mock!(Client::send_message_batch).then_output(|| {
            SendMessageBatchOutput::builder()
                .successful(
                    SendMessageBatchResultEntry::builder()
                        .id("0")
                        .message_id("")
                        .md5_of_message_body(md5_hex(b"{\"Username\":\"a\"}"))
                        .build()
                        .unwrap(),
                )
                .successful(
                    SendMessageBatchResultEntry::builder()
                        .id("1")
                        .message_id("sqs-1")
                        .md5_of_message_body(md5_hex(b"something else"))
                        .build()
                        .unwrap(),
                )
                .set_failed(Some(vec![]))
                .build()
                .unwrap()
        });
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&rule]);
        let adapter = SqsDeadLetters::from_client(client);
        let letters = [
            letter(ErrorClass::Invalid, "a"),
            letter(ErrorClass::Invalid, "b"),
            letter(ErrorClass::Invalid, "c"),
        ];
        let results = adapter
            .send_batch(&url("https://sqs.us-east-1.amazonaws.com/1/q"), &letters)
            .await;
        for result in &results {
            assert!(
                matches!(result, Err(DeadLetterError::Unconfirmed(_))),
                "{result:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_refused_request_fails_every_entry_with_the_sqs_error() {
        let rule = mock!(Client::send_message_batch).then_error(|| {
            SendMessageBatchError::QueueDoesNotExist(QueueDoesNotExist::builder().build())
        });
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&rule]);
        let adapter = SqsDeadLetters::from_client(client);
        let results = adapter
            .send_batch(
                &url("https://sqs.us-east-1.amazonaws.com/1/q"),
                &[
                    letter(ErrorClass::Invalid, "a"),
                    letter(ErrorClass::Invalid, "b"),
                ],
            )
            .await;
        for result in results {
            let err = result.unwrap_err();
            assert!(matches!(err, DeadLetterError::Request(_)));
            assert!(err.to_string().contains("QueueDoesNotExist"), "{err}");
        }
    }
}
