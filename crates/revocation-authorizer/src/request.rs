//! The requests an authorizer is sent, told apart by shape, and the token in each.
//!
//! - **HTTP API**, Lambda authorizer, payload format 2.0 (`"version": "2.0"`): the token is
//!   the `authorization` header (API Gateway lower-cases header names), else the first
//!   `identitySource` value; answered with a simple response.
//! - **REST API**, `TOKEN` authorizer (`"type": "TOKEN"`, `authorizationToken`,
//!   `methodArn`); a REST `REQUEST` authorizer or a WebSocket API's `$connect` (`methodArn`
//!   and `headers`) is read from its `Authorization` header (any letter case), else, only
//!   when the operator named one (`TOKEN_QUERY_PARAMETER`), from that query-string parameter
//!   (browsers cannot set headers on a WebSocket). Answered with an IAM policy on
//!   `methodArn`.
//! - **AppSync**, `AWS_LAMBDA` authorization (`authorizationToken` and a `requestContext`
//!   with an `apiId`): answered with `isAuthorized`.
//!
//! Either way the token may come with or without the `Bearer ` scheme.

use serde_json::Value;

/// One authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// An HTTP API (payload format 2.0) request.
    Http {
        /// The bearer token, if the request carried one.
        token: Option<String>,
    },
    /// A REST API request, or a WebSocket API's `$connect`.
    Rest {
        /// The bearer token, if the request carried one.
        token: Option<String>,
        /// The method the caller wants to invoke; the answer's policy names it.
        method_arn: String,
    },
    /// An AppSync request (`AWS_LAMBDA` authorization).
    AppSync {
        /// The bearer token, if the request carried one.
        token: Option<String>,
        /// The GraphQL API the request is for.
        api_id: String,
    },
}

impl Request {
    /// The token to check.
    pub fn token(&self) -> Option<&str> {
        match self {
            Request::Http { token }
            | Request::Rest { token, .. }
            | Request::AppSync { token, .. } => token.as_deref(),
        }
    }

    /// `http`, `rest` or `appsync`, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Http { .. } => "http",
            Request::Rest { .. } => "rest",
            Request::AppSync { .. } => "appsync",
        }
    }
}

/// An event that is neither shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an authorizer request (HTTP API payload 2.0, REST or WebSocket with methodArn, or AppSync)")]
pub struct UnrecognisedEvent;

/// Reads `event`, a token in the query string only from `query_parameter` (the operator's
/// `TOKEN_QUERY_PARAMETER`; `None`: never). Only the fields named above are read; nothing
/// else of the event is kept.
pub fn parse(event: &Value, query_parameter: Option<&str>) -> Result<Request, UnrecognisedEvent> {
    if let Some(method_arn) = text(event.get("methodArn")) {
        let token = text(event.get("authorizationToken"))
            .or_else(|| header(event, "headers", "authorization"))
            .or_else(|| query_parameter.and_then(|name| query(event, name)))
            .and_then(bare_token);
        return Ok(Request::Rest {
            token,
            method_arn: method_arn.to_owned(),
        });
    }
    if text(event.get("version")) == Some("2.0") {
        let token = header(event, "headers", "authorization")
            .or_else(|| {
                event
                    .get("identitySource")
                    .and_then(Value::as_array)
                    .and_then(|sources| sources.first())
                    .and_then(Value::as_str)
            })
            .and_then(bare_token);
        return Ok(Request::Http { token });
    }
    let api_id = event
        .get("requestContext")
        .and_then(|context| text(context.get("apiId")));
    if let (Some(api_id), Some(_)) = (api_id, event.get("authorizationToken")) {
        let token = text(event.get("authorizationToken")).and_then(bare_token);
        return Ok(Request::AppSync {
            token,
            api_id: api_id.to_owned(),
        });
    }
    Err(UnrecognisedEvent)
}

/// The value of the query-string parameter `name` (REST `queryStringParameters`).
fn query<'a>(event: &'a Value, name: &str) -> Option<&'a str> {
    text(event.get("queryStringParameters")?.get(name))
}

/// A string field's value.
fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str)
}

/// The value of header `name` in the event's `field` (`headers`), whatever its case.
fn header<'a>(event: &'a Value, field: &str, name: &str) -> Option<&'a str> {
    event
        .get(field)?
        .as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .and_then(|(_, value)| value.as_str())
}

/// The token without a `Bearer ` scheme (any case) and surrounding blanks; `None` if empty.
fn bare_token(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let token = match (raw.get(..6), raw.get(6..)) {
        (Some(scheme), Some(rest))
            if scheme.eq_ignore_ascii_case("bearer")
                && (rest.is_empty() || rest.starts_with(char::is_whitespace)) =>
        {
            rest.trim_start()
        }
        _ => raw,
    };
    (!token.is_empty()).then(|| token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn http_api_reads_the_authorization_header_with_or_without_bearer() {
        for value in [
            "Bearer abc.def.ghi",
            "abc.def.ghi",
            "bearer   abc.def.ghi  ",
        ] {
            let event = json!({"version": "2.0", "type": "REQUEST",
                "routeArn": "arn:aws:execute-api:eu-west-1:1:api/$default/GET/",
                "identitySource": [value], "headers": {"authorization": value}});
            assert_eq!(
                parse(&event, None).unwrap(),
                Request::Http {
                    token: Some("abc.def.ghi".to_owned())
                }
            );
        }
    }

    #[test]
    fn http_api_falls_back_to_the_identity_source() {
        let event = json!({"version": "2.0", "identitySource": ["Bearer t.o.k"], "headers": {}});
        assert_eq!(parse(&event, None).unwrap().token(), Some("t.o.k"));
    }

    #[test]
    fn http_api_without_a_token_has_none() {
        let event = json!({"version": "2.0", "headers": {"authorization": "Bearer "}});
        assert_eq!(parse(&event, None).unwrap(), Request::Http { token: None });
    }

    #[test]
    fn rest_token_authorizer_reads_authorization_token_and_method_arn() {
        let event = json!({"type": "TOKEN", "authorizationToken": "Bearer a.b.c",
            "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/pets"});
        assert_eq!(
            parse(&event, None).unwrap(),
            Request::Rest {
                token: Some("a.b.c".to_owned()),
                method_arn: "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/pets"
                    .to_owned(),
            }
        );
    }

    #[test]
    fn rest_request_authorizer_reads_the_header() {
        let event = json!({"type": "REQUEST", "methodArn": "arn:m",
            "headers": {"Authorization": "Bearer a.b.c"}});
        assert_eq!(parse(&event, None).unwrap().token(), Some("a.b.c"));
        assert_eq!(parse(&event, None).unwrap().kind(), "rest");
    }

    #[test]
    fn appsync_reads_the_token_and_the_api_id_whatever_the_operation() {
        for (operation, token) in [(json!(null), "Bearer a.b.c"), (json!("getPets"), "a.b.c")] {
            let event = json!({"authorizationToken": token,
                "requestContext": {"apiId": "abcdefghijklmnopqrstuvwxyz", "accountId": "123456789012",
                    "requestId": "r-1", "queryString": "query { pets }", "operationName": operation,
                    "variables": {}},
                "requestHeaders": {"host": "x.appsync-api.eu-west-1.amazonaws.com"}});
            assert_eq!(
                parse(&event, None).unwrap(),
                Request::AppSync {
                    token: Some("a.b.c".to_owned()),
                    api_id: "abcdefghijklmnopqrstuvwxyz".to_owned()
                }
            );
        }
        let empty = json!({"authorizationToken": "", "requestContext": {"apiId": "a"}});
        assert_eq!(parse(&empty, None).unwrap().token(), None);
        assert_eq!(parse(&empty, None).unwrap().kind(), "appsync");
    }

    #[test]
    fn a_websocket_connect_reads_the_query_only_when_the_operator_named_the_parameter() {
        let event = json!({"type": "REQUEST",
            "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/$connect",
            "headers": {"Host": "abc.execute-api.eu-west-1.amazonaws.com"},
            "queryStringParameters": {"token": "a.b.c", "access_token": "x.y.z"}});
        assert_eq!(parse(&event, None).unwrap().token(), None);
        assert_eq!(parse(&event, Some("token")).unwrap().token(), Some("a.b.c"));
        assert_eq!(parse(&event, Some("other")).unwrap().token(), None);
        // A header wins over the query string.
        let mut with_header = event.clone();
        with_header["headers"]["AUTHORIZATION"] = json!("Bearer h.e.d");
        assert_eq!(
            parse(&with_header, Some("token")).unwrap().token(),
            Some("h.e.d")
        );
    }

    #[test]
    fn other_events_are_unrecognised() {
        for event in [
            json!({}),
            json!({"version": "1.0"}),
            json!([1]),
            json!("x"),
            json!({"methodArn": 5}),
        ] {
            assert_eq!(parse(&event, None), Err(UnrecognisedEvent), "{event}");
        }
    }
}
