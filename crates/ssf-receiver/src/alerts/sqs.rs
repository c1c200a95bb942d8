//! The SQS adapter: [`SqsAlertQueue`] implements [`AlertQueue`] with `SendMessageBatch`, ten
//! alerts a request.
//!
//! An alert counts as stored only when SQS's answer proves it, as the responder's dead
//! letters do: a successful entry for it that names a message id and whose
//! `MD5OfMessageBody` is the MD5 of the body sent. The SDK checks neither, and a proxy or a
//! wrong endpoint can answer 200 with nothing stored; the SET is then delivered again.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sqs::operation::send_message_batch::SendMessageBatchOutput;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use cognito_revocation::sdk_error::{code_of, describe};
use md5::{Digest, Md5};

use super::{Alert, AlertQueue, QueueError};

/// Entries per `SendMessageBatch` request (SQS's limit).
const BATCH: usize = 10;
/// Time limits: one attempt, and the call with the SDK's retries.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Sends alerts to one queue.
#[derive(Debug, Clone)]
pub struct SqsAlertQueue {
    client: Client,
    url: String,
}

impl SqsAlertQueue {
    /// The adapter for the queue at `url`, from the start-up SDK configuration.
    pub fn new(sdk: &SdkConfig, url: &str) -> Self {
        let conf = aws_sdk_sqs::config::Builder::from(sdk)
            .timeout_config(lambda_edge::sdk_timeouts(
                CONNECT_TIMEOUT,
                ATTEMPT_TIMEOUT,
                OPERATION_TIMEOUT,
            ))
            .build();
        Self::from_client(Client::from_conf(conf), url)
    }

    /// The adapter around a ready client (tests pass one pointed at moto).
    pub fn from_client(client: Client, url: &str) -> Self {
        Self {
            client,
            url: url.to_owned(),
        }
    }
}

impl AlertQueue for SqsAlertQueue {
    async fn send(&self, alerts: &[Alert]) -> Result<(), QueueError> {
        for chunk in alerts.chunks(BATCH) {
            let bodies: Vec<String> = chunk.iter().map(Alert::body).collect();
            let mut request = self.client.send_message_batch().queue_url(&self.url);
            for (index, body) in bodies.iter().enumerate() {
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .message_body(body)
                    .build()
                    .map_err(|e| QueueError {
                        code: "InvalidEntry".to_owned(),
                        message: e.to_string(),
                    })?;
                request = request.entries(entry);
            }
            let output = request.send().await.map_err(|err| {
                let (code, message) = (code_of(&err), describe(&err));
                QueueError { code, message }
            })?;
            confirm(&bodies, &output)?;
        }
        Ok(())
    }
}

/// Every body stored, as SQS's answer proves, or the first that is not.
fn confirm(bodies: &[String], output: &SendMessageBatchOutput) -> Result<(), QueueError> {
    let ok: HashMap<&str, _> = output.successful().iter().map(|e| (e.id(), e)).collect();
    let failed: HashMap<&str, _> = output.failed().iter().map(|e| (e.id(), e)).collect();
    for (index, body) in bodies.iter().enumerate() {
        let id = index.to_string();
        if let Some(failure) = failed.get(id.as_str()) {
            return Err(QueueError {
                code: failure.code().to_owned(),
                message: failure.message().unwrap_or("").to_owned(),
            });
        }
        let unconfirmed = |why: &str| QueueError {
            code: "Unconfirmed".to_owned(),
            message: why.to_owned(),
        };
        let stored = ok
            .get(id.as_str())
            .ok_or_else(|| unconfirmed("no entry for the alert in the answer"))?;
        if stored.message_id().is_empty() {
            return Err(unconfirmed("the answer names no message id"));
        }
        if !stored
            .md5_of_message_body()
            .eq_ignore_ascii_case(&md5_hex(body.as_bytes()))
        {
            return Err(unconfirmed(
                "MD5OfMessageBody is not the MD5 of the body sent",
            ));
        }
    }
    Ok(())
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::types::{BatchResultErrorEntry, SendMessageBatchResultEntry};

    fn ok(id: &str, md5: &str, message_id: &str) -> SendMessageBatchResultEntry {
        SendMessageBatchResultEntry::builder()
            .id(id)
            .message_id(message_id)
            .md5_of_message_body(md5)
            .build()
            .unwrap()
    }

    #[test]
    fn the_md5_is_hex_of_the_body() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn an_alert_is_stored_only_with_a_message_id_and_the_right_md5() {
        let bodies = vec!["a".to_owned()];
        let good = SendMessageBatchOutput::builder()
            .successful(ok("0", &md5_hex(b"a"), "m-1"))
            .set_failed(Some(vec![]))
            .build()
            .unwrap();
        assert_eq!(confirm(&bodies, &good), Ok(()));
        let wrong_md5 = SendMessageBatchOutput::builder()
            .successful(ok("0", &md5_hex(b"b"), "m-1"))
            .set_failed(Some(vec![]))
            .build()
            .unwrap();
        assert_eq!(
            confirm(&bodies, &wrong_md5).unwrap_err().code,
            "Unconfirmed"
        );
        let no_id = SendMessageBatchOutput::builder()
            .successful(ok("0", &md5_hex(b"a"), ""))
            .set_failed(Some(vec![]))
            .build()
            .unwrap();
        assert_eq!(confirm(&bodies, &no_id).unwrap_err().code, "Unconfirmed");
        let missing = SendMessageBatchOutput::builder()
            .set_successful(Some(vec![]))
            .set_failed(Some(vec![]))
            .build()
            .unwrap();
        assert_eq!(confirm(&bodies, &missing).unwrap_err().code, "Unconfirmed");
        let refused = SendMessageBatchOutput::builder()
            .set_successful(Some(vec![]))
            .failed(
                BatchResultErrorEntry::builder()
                    .id("0")
                    .code("InvalidMessageContents")
                    .sender_fault(true)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(
            confirm(&bodies, &refused).unwrap_err().code,
            "InvalidMessageContents"
        );
    }
}
