//! The two queues in SQS: a retry is a message of the delivery queue delayed by its wait
//! (`DelaySeconds`, at most 900); a dead letter is a message of the dead-letter queue.

use cognito_revocation::sdk_error::describe;

use super::{DeadLetter, DeliveryQueue, QueueError};
use crate::core::retry::{Retry, MAX_DELAY_SECONDS};

/// The delivery queue (`SSF_DELIVERY_QUEUE_URL`) and the dead-letter queue
/// (`SSF_DEAD_LETTER_QUEUE_URL`).
#[derive(Debug, Clone)]
pub struct SqsDeliveryQueue {
    client: aws_sdk_sqs::Client,
    delivery_url: String,
    dead_letter_url: String,
}

impl SqsDeliveryQueue {
    /// The two queues.
    pub fn new(client: aws_sdk_sqs::Client, delivery_url: String, dead_letter_url: String) -> Self {
        Self {
            client,
            delivery_url,
            dead_letter_url,
        }
    }

    async fn send(&self, url: &str, body: String, delay: Option<u64>) -> Result<(), QueueError> {
        let delay = delay.map(|d| d.min(MAX_DELAY_SECONDS) as i32);
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .set_delay_seconds(delay)
            .send()
            .await
            .map_err(|e| QueueError(describe(&e)))?;
        Ok(())
    }
}

impl DeliveryQueue for SqsDeliveryQueue {
    async fn retry(&self, retry: &Retry, delay_seconds: u64) -> Result<(), QueueError> {
        let body = serde_json::to_string(retry).map_err(|e| QueueError(e.to_string()))?;
        self.send(&self.delivery_url, body, Some(delay_seconds))
            .await
    }

    async fn dead_letter(&self, letter: &DeadLetter) -> Result<(), QueueError> {
        let body = serde_json::to_string(letter).map_err(|e| QueueError(e.to_string()))?;
        self.send(&self.dead_letter_url, body, None).await
    }
}
