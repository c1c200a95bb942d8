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

/// A REST API `REQUEST` authorizer's event: `headers` and `query` as given.
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

/// The `methodArn` of a WebSocket API's `$connect` route.
pub const CONNECT_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:wsapi12345/prod/$connect";

/// A WebSocket API's `$connect` `REQUEST` authorizer event, as API Gateway sends it (no
/// path or method; the route and event type in the request context): `query` as given.
pub fn websocket_connect_event(query: Value) -> String {
    json!({
        "type": "REQUEST",
        "methodArn": CONNECT_ARN,
        "headers": {
            "Host": "wsapi12345.execute-api.us-east-1.amazonaws.com",
            "Sec-WebSocket-Key": "x3JJHMbDL1EzLkh9GBhXDw==",
            "Sec-WebSocket-Version": "13",
        },
        "multiValueHeaders": {"Host": ["wsapi12345.execute-api.us-east-1.amazonaws.com"]},
        "queryStringParameters": query,
        "stageVariables": {},
        "requestContext": {
            "routeKey": "$connect", "eventType": "CONNECT", "messageDirection": "IN",
            "extendedRequestId": "Kx1aBFxyoAMFbTg=", "requestTime": "07/Dec/2026:21:00:00 +0000",
            "stage": "prod", "connectedAt": 1_796_677_200_000u64,
            "requestTimeEpoch": 1_796_677_200_000u64, "identity": {"sourceIp": "198.51.100.7"},
            "requestId": "Kx1aBFxyoAMFbTg=", "domainName": "wsapi12345.execute-api.us-east-1.amazonaws.com",
            "connectionId": "Kx1aBdJUoAMCJbg=", "apiId": "wsapi12345",
        },
    })
    .to_string()
}

/// The effect of a `$connect` answer's single statement.
pub fn connect_effect(answer: &Value) -> &str {
    effect_on(answer, CONNECT_ARN)
}

/// Whether an HTTP API answer authorizes.
pub fn http_allowed(answer: &Value) -> bool {
    answer["isAuthorized"]
        .as_bool()
        .expect("a simple response has isAuthorized")
}

/// The effect of a REST answer's single statement.
pub fn rest_effect(answer: &Value) -> &str {
    effect_on(answer, METHOD_ARN)
}

/// The effect of an answer's single statement, which must name `method_arn`.
fn effect_on<'a>(answer: &'a Value, method_arn: &str) -> &'a str {
    let statements = answer["policyDocument"]["Statement"]
        .as_array()
        .expect("a policy with statements");
    assert_eq!(statements.len(), 1, "one statement: {answer}");
    assert_eq!(statements[0]["Action"], "execute-api:Invoke");
    assert_eq!(statements[0]["Resource"], method_arn);
    statements[0]["Effect"].as_str().expect("an effect")
}
