//! Push delivery (RFC 8935) over a function URL or an HTTP API: the payload format 2.0
//! request read, and the answer written, pure.
//!
//! The answers (docs/ssf-receiver.md): **202** once the SET's alerts are stored (or its `jti`
//! was accepted before); **400** for a SET not accepted, and **401** for a missing or wrong
//! `Authorization`, both with `Content-Type: application/json`, `Content-Language: en`
//! (RFC 8935 section 2.3) and `{"err", "description"}`; **503** when what failed is not the
//! SET's fault, so the transmitter delivers again; **405** for a method other than `POST`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::core::set::{ErrCode, SetRefusal, MAX_SET_BYTES};
use crate::receiver::Receipt;

/// A push request, as far as the receiver reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest {
    /// `requestContext.http.method`.
    pub method: String,
    /// The `Authorization` header, when present.
    pub authorization: Option<String>,
    /// The body, decoded (base64 when `isBase64Encoded`), or why it cannot be a SET.
    pub body: Result<String, SetRefusal>,
}

impl PushRequest {
    /// The request in `event`, when `event` is a payload format 2.0 HTTP event.
    pub fn read(event: &Value) -> Option<PushRequest> {
        let method = event
            .pointer("/requestContext/http/method")
            .and_then(Value::as_str)?
            .to_ascii_uppercase();
        let authorization = header(event, "authorization").map(str::to_owned);
        let raw = event.get("body").and_then(Value::as_str).unwrap_or("");
        let base64 = event
            .get("isBase64Encoded")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Some(PushRequest {
            method,
            authorization,
            body: body(raw, base64),
        })
    }
}

/// The header `name` (2.0 events lower-case header names; compared without case anyway).
fn header<'a>(event: &'a Value, name: &str) -> Option<&'a str> {
    event
        .get("headers")
        .and_then(Value::as_object)?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .and_then(|(_, value)| value.as_str())
}

/// The SET text of a body: the size is checked before base64 is decoded, and again after;
/// surrounding white space (a trailing newline) is dropped.
fn body(raw: &str, base64: bool) -> Result<String, SetRefusal> {
    let text = if base64 {
        if raw.len() > MAX_SET_BYTES.div_ceil(3) * 4 + 4 {
            return Err(SetRefusal::TooLarge);
        }
        let bytes = STANDARD
            .decode(raw.trim())
            .map_err(|_| SetRefusal::Malformed)?;
        String::from_utf8(bytes).map_err(|_| SetRefusal::Malformed)?
    } else {
        raw.to_owned()
    };
    let text = text.trim();
    if text.len() > MAX_SET_BYTES {
        return Err(SetRefusal::TooLarge);
    }
    Ok(text.to_owned())
}

/// An answer in the payload format 2.0 response shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    /// The status code.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body (empty for 202).
    pub body: String,
}

impl HttpAnswer {
    /// 202, no body.
    pub fn accepted() -> Self {
        Self {
            status: 202,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// 400 for `refusal`.
    pub fn refused(refusal: SetRefusal) -> Self {
        Self::error(400, refusal.err(), &refusal.to_string())
    }

    /// 401 `authentication_failed`, with `WWW-Authenticate` naming `scheme`.
    pub fn unauthenticated(scheme: &str) -> Self {
        let mut answer = Self::error(
            401,
            ErrCode::AuthenticationFailed,
            "the Authorization header is missing or wrong",
        );
        answer.headers.push((
            "WWW-Authenticate",
            format!("{scheme} realm=\"ssf-receiver\""),
        ));
        answer
    }

    /// 503: a failure that is not the SET's; deliver again.
    pub fn unavailable() -> Self {
        Self {
            status: 503,
            headers: vec![
                ("Content-Type", "application/json".to_owned()),
                ("Content-Language", "en".to_owned()),
                ("Retry-After", "30".to_owned()),
            ],
            body: json!({"description": "temporarily unable to process the SET; deliver it again"})
                .to_string(),
        }
    }

    /// 405: only `POST` delivers a SET.
    pub fn method_not_allowed() -> Self {
        Self {
            status: 405,
            headers: vec![("Allow", "POST".to_owned())],
            body: String::new(),
        }
    }

    fn error(status: u16, err: ErrCode, description: &str) -> Self {
        Self {
            status,
            headers: vec![
                ("Content-Type", "application/json".to_owned()),
                ("Content-Language", "en".to_owned()),
            ],
            body: json!({"err": err.as_str(), "description": description}).to_string(),
        }
    }

    /// The answer to `receipt`.
    pub fn of(receipt: &Receipt) -> Self {
        match receipt {
            Receipt::Accepted(_) | Receipt::Replayed { .. } => Self::accepted(),
            Receipt::Refused(refusal) => Self::refused(*refusal),
            Receipt::Failed { .. } => Self::unavailable(),
        }
    }

    /// The 2.0 response document.
    pub fn to_value(&self) -> Value {
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), Value::String(value.clone())))
            .collect();
        json!({
            "statusCode": self.status,
            "headers": headers,
            "body": self.body,
            "isBase64Encoded": false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(method: &str, headers: Value, body: &str, base64: bool) -> Value {
        json!({
            "version": "2.0",
            "requestContext": {"http": {"method": method, "path": "/"}},
            "headers": headers,
            "body": body,
            "isBase64Encoded": base64,
        })
    }

    #[test]
    fn a_2_0_event_yields_method_authorization_and_body() {
        let e = event(
            "POST",
            json!({"authorization": "Bearer x"}),
            "a.b.c\n",
            false,
        );
        let request = PushRequest::read(&e).unwrap();
        assert_eq!(request.method, "POST");
        assert_eq!(request.authorization.as_deref(), Some("Bearer x"));
        assert_eq!(request.body, Ok("a.b.c".to_owned()));
        let encoded = event("POST", json!({}), &STANDARD.encode("a.b.c"), true);
        assert_eq!(
            PushRequest::read(&encoded).unwrap().body,
            Ok("a.b.c".to_owned())
        );
        assert!(PushRequest::read(&json!({"Records": []})).is_none());
    }

    #[test]
    fn a_body_over_64_kib_is_refused_before_its_base64_is_decoded() {
        let big = "a".repeat(MAX_SET_BYTES + 1);
        assert_eq!(body(&big, false), Err(SetRefusal::TooLarge));
        let encoded = STANDARD.encode(&big);
        assert_eq!(body(&encoded, true), Err(SetRefusal::TooLarge));
        assert_eq!(body("!!", true), Err(SetRefusal::Malformed));
    }

    #[test]
    fn a_refusal_is_json_with_content_language() {
        let answer = HttpAnswer::refused(SetRefusal::Issuer).to_value();
        assert_eq!(answer["statusCode"], 400);
        assert_eq!(answer["headers"]["Content-Type"], "application/json");
        assert_eq!(answer["headers"]["Content-Language"], "en");
        let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["err"], "invalid_issuer");
        assert!(body["description"].as_str().unwrap().contains("iss"));
    }

    #[test]
    fn a_missing_authorization_is_401_authentication_failed() {
        let answer = HttpAnswer::unauthenticated("Bearer").to_value();
        assert_eq!(answer["statusCode"], 401);
        assert_eq!(answer["headers"]["Content-Language"], "en");
        assert_eq!(
            answer["headers"]["WWW-Authenticate"],
            "Bearer realm=\"ssf-receiver\""
        );
        let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["err"], "authentication_failed");
    }
}
