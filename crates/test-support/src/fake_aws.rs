//! A fault-injecting stand-in for Cognito and SQS that speaks their real wire protocols
//! (`awsJson1_1` for Cognito, `awsJson1_0` for SQS) over loopback, on the [`HttpStub`](crate::http_stub::HttpStub): the
//! answers a test or a benchmark scripts, readers of what was sent, and the SDK configuration
//! that points the real adapters at it.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use serde_json::Value;

use crate::http_stub::{StubReply, StubRequest};

/// The operation a request calls, from its `x-amz-target` header.
pub fn operation(request: &StubRequest) -> &str {
    request
        .header("x-amz-target")
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("")
}

/// The request's JSON body.
pub fn json_body(request: &StubRequest) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

/// Cognito's success answer.
pub fn cognito_ok() -> StubReply {
    StubReply::json(200, "application/x-amz-json-1.1", "{}")
}

/// A Cognito error, as Cognito sends it.
pub fn cognito_error(status: u16, code: &str) -> StubReply {
    StubReply::Respond {
        status,
        headers: vec![
            ("content-type".into(), "application/x-amz-json-1.1".into()),
            ("x-amzn-errortype".into(), format!("{code}:http://internal.amazon.com/coral/com.amazonaws.cognito.identity.idp.model/")),
        ],
        body: format!(r#"{{"__type":"{code}","message":"injected {code}"}}"#).into_bytes(),
        delay: Duration::ZERO,
    }
}

/// The letters (batch entries) of a `SendMessageBatch` request.
pub fn letters_in(request: &StubRequest) -> Vec<Value> {
    json_body(request)["Entries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The `SourceMessageId` attribute of a letter.
pub fn source_message_id(letter: &Value) -> &str {
    letter["MessageAttributes"]["SourceMessageId"]["StringValue"]
        .as_str()
        .unwrap_or_default()
}

/// SQS's answer to a `SendMessageBatch` request that stored every entry: each with a message
/// id and the MD5 of its body, as SQS reports them.
pub fn sqs_sent(request: &StubRequest) -> StubReply {
    use md5::{Digest, Md5};
    let successful: Vec<Value> = letters_in(request)
        .iter()
        .enumerate()
        .map(|(n, entry)| {
            let body = entry["MessageBody"].as_str().unwrap_or_default();
            let md5: String = Md5::digest(body.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            serde_json::json!({
                "Id": entry["Id"],
                "MessageId": format!("5fea7756-0ea4-451a-a703-{n:012}"),
                "MD5OfMessageBody": md5,
            })
        })
        .collect();
    StubReply::json(
        200,
        "application/x-amz-json-1.0",
        serde_json::json!({"Successful": successful, "Failed": []}).to_string(),
    )
}

/// An SQS error, as SQS sends it.
pub fn sqs_error(status: u16, code: &str) -> StubReply {
    StubReply::Respond {
        status,
        headers: vec![
            ("content-type".into(), "application/x-amz-json-1.0".into()),
            (
                "x-amzn-query-error".into(),
                format!("AWS.SimpleQueueService.{code};Sender"),
            ),
        ],
        body: format!(r#"{{"__type":"com.amazonaws.sqs#{code}","message":"injected {code}"}}"#)
            .into_bytes(),
        delay: Duration::ZERO,
    }
}

/// SDK configuration for an endpoint: dummy credentials, the standard retry strategy with
/// `attempts` attempts and a short backoff.
pub async fn sdk_for(endpoint: &str, attempts: u32) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "AKIDSTUB",
            "stub-secret-key",
            None,
            None,
            "stub",
        ))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20)),
        )
        .load()
        .await
}
