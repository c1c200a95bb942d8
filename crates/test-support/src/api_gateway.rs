//! API Gateway's Lambda authorizer events, and how to read the answers.

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

/// The `methodArn` of every test event: a GET on a REST API stage.
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

/// An AppSync `AWS_LAMBDA` authorization request of API `api_id`, as AppSync sends it (the
/// operation name may be null).
pub fn appsync_event(authorization: &str, api_id: &str, operation: Option<&str>) -> String {
    json!({
        "authorizationToken": authorization,
        "requestContext": {
            "apiId": api_id,
            "accountId": "123456789012",
            "requestId": "f4081827-1111-4444-5555-5cf4b7e4c4e1",
            "queryString": "query ListPets { listPets { id } }",
            "operationName": operation,
            "variables": {},
        },
        "requestHeaders": {"host": format!("{api_id}.appsync-api.us-east-1.amazonaws.com")},
    })
    .to_string()
}

/// A REST API `REQUEST` authorizer's event (or a WebSocket API's `$connect`): `headers` and
/// `query` as given.
pub fn rest_request_event(headers: Value, query: Value) -> String {
    json!({
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "resource": "/pets",
        "path": "/pets",
        "httpMethod": "GET",
        "headers": headers,
        "queryStringParameters": query,
        "requestContext": {"accountId": "123456789012", "apiId": "abcdef123", "stage": "prod"},
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
