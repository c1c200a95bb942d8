//! The SQS adapter: [`SqsDeadLetters`] implements [`DeadLetters`] with `SendMessage`.

use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use aws_sdk_sqs::types::MessageAttributeValue;
use aws_sdk_sqs::Client;

use crate::dead_letter::{
    is_fifo_queue, DeadLetter, DeadLetterError, DeadLetterRoutes, DeadLetters,
};
use crate::timeouts::Timeouts;

/// Sends dead letters to the queues the routes name.
#[derive(Debug, Clone)]
pub struct SqsDeadLetters {
    client: Client,
    routes: DeadLetterRoutes,
}

impl SqsDeadLetters {
    /// Builds the adapter from the start-up SDK configuration.
    pub fn new(sdk: &SdkConfig, timeouts: &Timeouts, routes: DeadLetterRoutes) -> Self {
        let timeout_config = TimeoutConfig::builder()
            .connect_timeout(timeouts.connect)
            .operation_attempt_timeout(timeouts.dead_letter_attempt)
            .operation_timeout(timeouts.dead_letter_operation)
            .build();
        let conf = aws_sdk_sqs::config::Builder::from(sdk)
            .timeout_config(timeout_config)
            .build();
        Self::from_client(Client::from_conf(conf), routes)
    }

    /// Builds the adapter around a ready client (tests pass a mocked one).
    pub fn from_client(client: Client, routes: DeadLetterRoutes) -> Self {
        Self { client, routes }
    }
}

impl DeadLetters for SqsDeadLetters {
    async fn send(&self, letter: &DeadLetter) -> Result<(), DeadLetterError> {
        let url = self.routes.url_for(letter.class);
        let mut request = self
            .client
            .send_message()
            .queue_url(url)
            .message_body(&letter.body);
        for (name, value) in &letter.attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| DeadLetterError::Other(e.to_string()))?;
            request = request.message_attributes(*name, value);
        }
        if is_fifo_queue(url) {
            request = request
                .message_group_id(&letter.group_id)
                .message_deduplication_id(&letter.deduplication_id);
        }
        request
            .send()
            .await
            .map(|_| ())
            .map_err(|e| DeadLetterError::Sqs(Box::new(e)))
    }
}
