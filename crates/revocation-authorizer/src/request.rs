//! The two requests API Gateway sends an authorizer, told apart by shape, and the token in
//! each.
//!
//! - **HTTP API**, Lambda authorizer, payload format 2.0 (`"version": "2.0"`): the token is
//!   the `authorization` header (API Gateway lower-cases header names), else the first
//!   `identitySource` value; answered with a simple response.
//! - **REST API**, `TOKEN` authorizer (`"type": "TOKEN"`, `authorizationToken`,
//!   `methodArn`); a REST `REQUEST` authorizer (`methodArn` and `headers`) is read the same
//!   way from its `Authorization` header. Answered with an IAM policy on `methodArn`.
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
    /// A REST API request.
    Rest {
        /// The bearer token, if the request carried one.
        token: Option<String>,
        /// The method the caller wants to invoke; the answer's policy names it.
        method_arn: String,
    },
}

impl Request {
    /// The token to check.
    pub fn token(&self) -> Option<&str> {
        match self {
            Request::Http { token } | Request::Rest { token, .. } => token.as_deref(),
        }
    }

    /// `http` or `rest`, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Http { .. } => "http",
            Request::Rest { .. } => "rest",
        }
    }
}

/// An event that is neither shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an API Gateway authorizer request (HTTP API payload 2.0, or REST with methodArn)")]
pub struct UnrecognisedEvent;

/// Reads `event`. Only the fields named above are read; nothing else of the event is kept.
pub fn parse(event: &Value) -> Result<Request, UnrecognisedEvent> {
    if let Some(method_arn) = text(event.get("methodArn")) {
        let token = text(event.get("authorizationToken"))
            .or_else(|| header(event, "authorization"))
            .and_then(bare_token);
        return Ok(Request::Rest {
            token,
            method_arn: method_arn.to_owned(),
        });
    }
    if text(event.get("version")) == Some("2.0") {
        let token = header(event, "authorization")
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
    Err(UnrecognisedEvent)
}

/// A string field's value.
fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str)
}

/// The value of header `name`, whatever its case.
fn header<'a>(event: &'a Value, name: &str) -> Option<&'a str> {
    event
        .get("headers")?
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
                parse(&event).unwrap(),
                Request::Http {
                    token: Some("abc.def.ghi".to_owned())
                }
            );
        }
    }

    #[test]
    fn http_api_falls_back_to_the_identity_source() {
        let event = json!({"version": "2.0", "identitySource": ["Bearer t.o.k"], "headers": {}});
        assert_eq!(parse(&event).unwrap().token(), Some("t.o.k"));
    }

    #[test]
    fn http_api_without_a_token_has_none() {
        let event = json!({"version": "2.0", "headers": {"authorization": "Bearer "}});
        assert_eq!(parse(&event).unwrap(), Request::Http { token: None });
    }

    #[test]
    fn rest_token_authorizer_reads_authorization_token_and_method_arn() {
        let event = json!({"type": "TOKEN", "authorizationToken": "Bearer a.b.c",
            "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/pets"});
        assert_eq!(
            parse(&event).unwrap(),
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
        assert_eq!(parse(&event).unwrap().token(), Some("a.b.c"));
        assert_eq!(parse(&event).unwrap().kind(), "rest");
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
            assert_eq!(parse(&event), Err(UnrecognisedEvent), "{event}");
        }
    }
}
