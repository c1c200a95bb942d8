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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use aws_sdk_sqs::operation::send_message::{SendMessageError, SendMessageOutput};
    use aws_sdk_sqs::types::error::QueueDoesNotExist;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::error_class::ErrorClass;

    fn letter(class: ErrorClass) -> DeadLetter {
        DeadLetter {
            class,
            body: "{\"Username\":\"alice\"}".into(),
            attributes: BTreeMap::from([
                ("ErrorClass", class.as_str().to_owned()),
                ("ErrorCode", "X".into()),
            ]),
            group_id: "us-east-1_P".into(),
            deduplication_id: "m-1".into(),
        }
    }

    fn routes() -> DeadLetterRoutes {
        DeadLetterRoutes::new(
            "https://sqs.us-east-1.amazonaws.com/1/failed".into(),
            BTreeMap::from([(
                ErrorClass::Malformed,
                "https://sqs.us-east-1.amazonaws.com/1/bad.fifo".into(),
            )]),
        )
    }

    #[tokio::test]
    async fn standard_queue_gets_body_and_string_attributes_without_fifo_ids() {
        let rule = mock!(Client::send_message)
            .match_requests(|req| {
                req.queue_url() == Some("https://sqs.us-east-1.amazonaws.com/1/failed")
                    && req.message_body() == Some("{\"Username\":\"alice\"}")
                    && req.message_group_id().is_none()
                    && req.message_deduplication_id().is_none()
                    && req.message_attributes().is_some_and(|a| {
                        a.len() == 2
                            && a["ErrorClass"].data_type() == "String"
                            && a["ErrorClass"].string_value() == Some("user-not-found")
                    })
            })
            .then_output(|| SendMessageOutput::builder().build());
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&rule]);
        let adapter = SqsDeadLetters::from_client(client, routes());
        adapter
            .send(&letter(ErrorClass::UserNotFound))
            .await
            .unwrap();
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn fifo_queue_gets_group_and_deduplication_ids() {
        let rule = mock!(Client::send_message)
            .match_requests(|req| {
                req.queue_url() == Some("https://sqs.us-east-1.amazonaws.com/1/bad.fifo")
                    && req.message_group_id() == Some("us-east-1_P")
                    && req.message_deduplication_id() == Some("m-1")
            })
            .then_output(|| SendMessageOutput::builder().build());
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&rule]);
        let adapter = SqsDeadLetters::from_client(client, routes());
        adapter.send(&letter(ErrorClass::Malformed)).await.unwrap();
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_refused_send_is_an_error() {
        let rule = mock!(Client::send_message).then_error(|| {
            SendMessageError::QueueDoesNotExist(QueueDoesNotExist::builder().build())
        });
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&rule]);
        let adapter = SqsDeadLetters::from_client(client, routes());
        let err = adapter
            .send(&letter(ErrorClass::Invalid))
            .await
            .unwrap_err();
        assert!(matches!(err, DeadLetterError::Sqs(_)));
    }
}
