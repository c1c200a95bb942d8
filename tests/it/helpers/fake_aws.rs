//! The real adapters wired to the fault-injecting stand-in for Cognito and SQS
//! (`test_support::fake_aws`, their real wire protocols over loopback). Each test scripts the answer to every call; the stub records what it was sent, so a
//! test can prove an alert was signed out or dead-lettered, not merely reported so.

#![allow(dead_code)]

use std::time::Duration;

use cognito_signout_responder::Config;
use cognito_signout_responder::Timeouts;
use cognito_signout_responder::{aws_responder, AwsResponder};

use super::http_stub::{HttpStub, StubReply, StubRequest};
pub use test_support::fake_aws::*;

/// Time limits short enough that a slow answer fails fast.
pub fn fault_timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_millis(300),
        cognito_attempt: Duration::from_millis(300),
        cognito_operation: Duration::from_secs(2),
        dead_letter_attempt: Duration::from_millis(300),
        dead_letter_operation: Duration::from_secs(1),
        return_margin: Duration::ZERO,
    }
}

/// The real responder, its Cognito and its dead-letter queue at `endpoint`.
pub async fn real_responder(endpoint: &str, config: &Config, attempts: u32) -> AwsResponder {
    aws_responder(&sdk_for(endpoint, attempts).await, config, fault_timeouts())
}

/// One stub answering both services: `cognito` decides `AdminUserGlobalSignOut`, `sqs`
/// decides `SendMessageBatch`.
pub async fn fake_aws(
    cognito: impl Fn(&StubRequest) -> StubReply + Send + Sync + 'static,
    sqs: impl Fn(&StubRequest) -> StubReply + Send + Sync + 'static,
) -> HttpStub {
    HttpStub::start(move |req| match operation(req) {
        "AdminUserGlobalSignOut" => cognito(req),
        "SendMessageBatch" => sqs(req),
        other => StubReply::json(
            400,
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"UnknownOperationException","message":"{other}"}}"#),
        ),
    })
    .await
}
