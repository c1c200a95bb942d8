//! Shared test equipment: the local AWS (moto), the HTTP stub, the Lambda Runtime API
//! emulator, and builders of the two API Gateway events and of the function's environment.

#![allow(dead_code)]

pub use test_support::moto;

/// The authorizer's binary under the workspace's one Lambda Runtime API emulator.
pub mod runtime_api {
    pub use test_support::runtime_api::{Answer, Run};

    /// Runs the authorizer's binary against the emulator.
    pub async fn run_function(
        env: &[(String, String)],
        events: &[(String, String)],
        timeout_ms: u64,
    ) -> Run {
        test_support::runtime_api::run_binary(
            env!("CARGO_BIN_EXE_revocation-authorizer"),
            "revocation-authorizer",
            env,
            events,
            timeout_ms,
        )
        .await
    }
}

use serde_json::{json, Value};

/// An HTTP API (payload format 2.0) authorizer event carrying `authorization`.
pub fn http_event(authorization: &str) -> String {
    json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/pets",
        "identitySource": [authorization],
        "routeKey": "GET /pets",
        "rawPath": "/pets",
        "rawQueryString": "",
        "headers": {"authorization": authorization, "host": "abcdef123.execute-api.us-east-1.amazonaws.com"},
        "requestContext": {"accountId": "123456789012", "apiId": "abcdef123", "http": {"method": "GET", "path": "/pets"}},
    })
    .to_string()
}

pub const METHOD_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/pets";

/// A REST API `TOKEN` authorizer event carrying `authorization`.
pub fn rest_event(authorization: &str) -> String {
    json!({
        "type": "TOKEN",
        "authorizationToken": authorization,
        "methodArn": METHOD_ARN,
    })
    .to_string()
}

/// Whether an HTTP API answer authorizes.
pub fn http_allowed(answer: &Value) -> bool {
    answer["isAuthorized"]
        .as_bool()
        .expect("a simple response has isAuthorized")
}

/// The effect of a REST answer's single statement.
pub fn rest_effect(answer: &Value) -> &str {
    let statements = answer["policyDocument"]["Statement"]
        .as_array()
        .expect("a policy with statements");
    assert_eq!(statements.len(), 1, "one statement: {answer}");
    assert_eq!(statements[0]["Action"], "execute-api:Invoke");
    assert_eq!(statements[0]["Resource"], METHOD_ARN);
    statements[0]["Effect"].as_str().expect("an effect")
}
