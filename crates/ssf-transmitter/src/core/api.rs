//! The transmitter's HTTP surface, as data: where each endpoint is (below the issuer), which
//! request goes to which [`Route`], the configuration document, and the reading of the
//! subject and poll requests.

use serde_json::{json, Value};

use super::stream::{is_stream_id, object, RequestRefusal, POLL, PUSH};

/// The most SETs one poll answers.
pub const MAX_POLL_EVENTS: usize = 100;
/// The most `ack`s and `setErrs` one poll carries.
pub const MAX_POLL_ACKS: usize = 1000;
/// The longest `state` of a verification request, in characters.
pub const MAX_STATE_CHARS: usize = 256;
/// The longest `sub` of a subject, in bytes.
pub const MAX_SUB_BYTES: usize = 256;

/// What a request asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /.well-known/ssf-configuration[issuer path]`.
    Configuration,
    /// `GET` of the JWKS.
    Jwks,
    /// `POST` of the configuration endpoint.
    CreateStream,
    /// `GET` of the configuration endpoint, with or without `stream_id`.
    ReadStreams(Option<String>),
    /// `PATCH` (false) or `PUT` (true) of the configuration endpoint.
    UpdateStream {
        /// `PUT`: every receiver-supplied member replaced.
        replace: bool,
    },
    /// `DELETE` of the configuration endpoint with `stream_id`.
    DeleteStream(String),
    /// `GET` of the status endpoint with `stream_id`.
    ReadStatus(String),
    /// `POST` of the status endpoint.
    UpdateStatus,
    /// `POST` of the add-subject endpoint.
    AddSubject,
    /// `POST` of the remove-subject endpoint.
    RemoveSubject,
    /// `POST` of the verification endpoint.
    Verify,
    /// `POST` of a poll stream's endpoint.
    Poll(String),
    /// A path this transmitter serves, with a method it does not.
    MethodNotAllowed,
    /// Anything else.
    NotFound,
    /// A query parameter that cannot be a stream id.
    BadStreamId,
}

/// The transmitter's paths, below its issuer's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    issuer: String,
    /// The issuer's path, without a trailing slash (empty at the root).
    base: String,
}

const JWKS: &str = "/jwks.json";
const STREAM: &str = "/ssf/stream";
const STATUS: &str = "/ssf/status";
const ADD_SUBJECT: &str = "/ssf/subjects:add";
const REMOVE_SUBJECT: &str = "/ssf/subjects:remove";
const VERIFY: &str = "/ssf/verify";
const POLL_PREFIX: &str = "/ssf/poll/";
const WELL_KNOWN: &str = "/.well-known/ssf-configuration";

impl Endpoints {
    /// The endpoints of `issuer` (an `https` URL without a trailing slash).
    pub fn new(issuer: &str) -> Self {
        let issuer = issuer.trim_end_matches('/').to_owned();
        let after_scheme = issuer.split_once("://").map_or("", |(_, rest)| rest);
        let base = after_scheme
            .find('/')
            .map_or(String::new(), |at| after_scheme[at..].to_owned());
        Self { issuer, base }
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The URL a poll stream is read at.
    pub fn poll_url(&self, stream_id: &str) -> String {
        self.url(&format!("{POLL_PREFIX}{stream_id}"))
    }

    /// The configuration document (SSF 1.0 section 7.1).
    pub fn configuration(&self) -> Value {
        json!({
            "spec_version": "1_0",
            "issuer": self.issuer,
            "jwks_uri": self.url(JWKS),
            "delivery_methods_supported": [PUSH, POLL],
            "configuration_endpoint": self.url(STREAM),
            "status_endpoint": self.url(STATUS),
            "add_subject_endpoint": self.url(ADD_SUBJECT),
            "remove_subject_endpoint": self.url(REMOVE_SUBJECT),
            "verification_endpoint": self.url(VERIFY),
            "authorization_schemes": [{"spec_urn": "urn:ietf:rfc:6749"}],
            "default_subjects": "ALL",
        })
    }

    /// The route of `method` on `path` with `stream_id` the query's, if any.
    pub fn route(&self, method: &str, path: &str, stream_id: Option<&str>) -> Route {
        if path == format!("{WELL_KNOWN}{}", self.base) {
            return only(method, "GET", Route::Configuration);
        }
        let Some(path) = path.strip_prefix(self.base.as_str()) else {
            return Route::NotFound;
        };
        let stream_id = match stream_id {
            Some(id) if is_stream_id(id) => Some(id.to_owned()),
            Some(_) => return Route::BadStreamId,
            None => None,
        };
        match path {
            JWKS => only(method, "GET", Route::Jwks),
            STREAM => match (method, stream_id) {
                ("POST", _) => Route::CreateStream,
                ("GET", id) => Route::ReadStreams(id),
                ("PATCH", _) => Route::UpdateStream { replace: false },
                ("PUT", _) => Route::UpdateStream { replace: true },
                ("DELETE", Some(id)) => Route::DeleteStream(id),
                ("DELETE", None) => Route::BadStreamId,
                _ => Route::MethodNotAllowed,
            },
            STATUS => match (method, stream_id) {
                ("GET", Some(id)) => Route::ReadStatus(id),
                ("GET", None) => Route::BadStreamId,
                ("POST", _) => Route::UpdateStatus,
                _ => Route::MethodNotAllowed,
            },
            ADD_SUBJECT => only(method, "POST", Route::AddSubject),
            REMOVE_SUBJECT => only(method, "POST", Route::RemoveSubject),
            VERIFY => only(method, "POST", Route::Verify),
            _ => match path.strip_prefix(POLL_PREFIX) {
                Some(id) if is_stream_id(id) => only(method, "POST", Route::Poll(id.to_owned())),
                _ => Route::NotFound,
            },
        }
    }
}

fn only(method: &str, expected: &str, route: Route) -> Route {
    if method == expected {
        route
    } else {
        Route::MethodNotAllowed
    }
}

/// The most bytes of a subject, as JSON.
pub const MAX_SUBJECT_BYTES: usize = 4096;

/// The subject of an add or remove request, as the key the stream's exclusions are kept
/// under (`<iss> <sub>`) when it names a Cognito pool's user (`iss_sub`, the issuer spelt
/// exactly); `None` for any other well-formed subject (an `email`, another issuer's user):
/// accepted, as SSF lets a transmitter accept a subject silently, and without effect, since
/// this transmitter's SETs name pool users only.
pub fn subject_key(body: &Value) -> Result<Option<String>, RequestRefusal> {
    let refusal = |why: &str| RequestRefusal::Member(format!("subject {why}"));
    let subject = object(body)?
        .get("subject")
        .ok_or_else(|| refusal("is required"))?;
    let members = subject
        .as_object()
        .ok_or_else(|| refusal("must be an object"))?;
    let format = members
        .get("format")
        .and_then(Value::as_str)
        .ok_or_else(|| refusal("must have a format"))?;
    if subject.to_string().len() > MAX_SUBJECT_BYTES {
        return Err(refusal("must be at most 4096 bytes"));
    }
    if format != "iss_sub" {
        return Ok(None);
    }
    let (Some(iss), Some(sub)) = (
        members.get("iss").and_then(Value::as_str),
        members.get("sub").and_then(Value::as_str),
    ) else {
        return Err(refusal("of format iss_sub must have iss and sub strings"));
    };
    if sub.is_empty() || sub.len() > MAX_SUB_BYTES || sub.chars().any(char::is_control) {
        return Err(refusal(
            "sub must be 1-256 bytes without control characters",
        ));
    }
    Ok(cognito_names::UserPoolId::from_issuer(iss).map(|_| subject_key_of(iss, sub)))
}

/// The exclusion key of the user `sub` of the pool whose issuer is `iss`.
pub fn subject_key_of(iss: &str, sub: &str) -> String {
    format!("{iss} {sub}")
}

/// A verification request's `state`.
pub fn verification_state(body: &Value) -> Result<Option<String>, RequestRefusal> {
    match object(body)?.get("state") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(state)) if state.chars().count() <= MAX_STATE_CHARS => {
            Ok(Some(state.clone()))
        }
        Some(_) => Err(RequestRefusal::Member(format!(
            "state must be a string of at most {MAX_STATE_CHARS} characters"
        ))),
    }
}

/// A poll request (RFC 8936 section 2.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PollRequest {
    /// The most SETs to answer (at most [`MAX_POLL_EVENTS`]).
    pub max_events: usize,
    /// The `jti`s acknowledged.
    pub acks: Vec<String>,
    /// The `jti`s the receiver refused, with its `err`: removed like acknowledgements.
    pub errors: Vec<(String, String)>,
}

impl PollRequest {
    /// Reads a poll body. `returnImmediately` is read and always honoured: a Lambda
    /// function answers at once rather than hold an instance open.
    pub fn read(body: &Value) -> Result<Self, RequestRefusal> {
        let body = object(body)?;
        let bad = |what: &str| RequestRefusal::Member(what.to_owned());
        let max_events = match body.get("maxEvents") {
            None => MAX_POLL_EVENTS,
            Some(n) => n
                .as_u64()
                .map(|n| (n as usize).min(MAX_POLL_EVENTS))
                .ok_or_else(|| bad("maxEvents must be a non-negative integer"))?,
        };
        if body
            .get("returnImmediately")
            .is_some_and(|v| !v.is_boolean())
        {
            return Err(bad("returnImmediately must be a boolean"));
        }
        let acks = match body.get("ack") {
            None => Vec::new(),
            Some(Value::Array(acks)) if acks.len() <= MAX_POLL_ACKS => acks
                .iter()
                .map(|a| a.as_str().filter(|a| is_jti(a)).map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("ack must be an array of jti strings"))?,
            Some(_) => return Err(bad("ack must be an array of at most 1000 jti strings")),
        };
        let errors = match body.get("setErrs") {
            None => Vec::new(),
            Some(Value::Object(errs)) if errs.len() <= MAX_POLL_ACKS => errs
                .iter()
                .map(|(jti, err)| {
                    let code = err.get("err").and_then(Value::as_str)?;
                    is_jti(jti).then(|| (jti.clone(), code.chars().take(64).collect()))
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("setErrs must map jti strings to objects with err"))?,
            Some(_) => return Err(bad("setErrs must be an object of at most 1000 members")),
        };
        Ok(Self {
            max_events,
            acks,
            errors,
        })
    }
}

/// Whether `jti` has the shape of a `jti` this transmitter makes (32 hex digits).
pub fn is_jti(jti: &str) -> bool {
    is_stream_id(jti)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn the_configuration_names_every_endpoint_below_the_issuer() {
        let endpoints = Endpoints::new("https://ssf.example.com/tenant/");
        let config = endpoints.configuration();
        assert_eq!(config["issuer"], "https://ssf.example.com/tenant");
        assert_eq!(config["spec_version"], "1_0");
        assert_eq!(
            config["jwks_uri"],
            "https://ssf.example.com/tenant/jwks.json"
        );
        assert_eq!(config["delivery_methods_supported"], json!([PUSH, POLL]));
        assert_eq!(config["default_subjects"], "ALL");
        assert_eq!(
            endpoints.route("GET", "/.well-known/ssf-configuration/tenant", None),
            Route::Configuration
        );
        assert_eq!(
            endpoints.route("GET", "/.well-known/ssf-configuration", None),
            Route::NotFound
        );
        for (name, route) in [
            ("configuration_endpoint", Route::CreateStream),
            ("add_subject_endpoint", Route::AddSubject),
            ("remove_subject_endpoint", Route::RemoveSubject),
            ("verification_endpoint", Route::Verify),
            ("status_endpoint", Route::UpdateStatus),
        ] {
            let url = config[name].as_str().unwrap();
            let path = url.strip_prefix("https://ssf.example.com").unwrap();
            assert_eq!(endpoints.route("POST", path, None), route, "{name}");
        }
    }

    #[test]
    fn routes_need_their_method_and_a_well_formed_stream_id() {
        let endpoints = Endpoints::new("https://ssf.example.com");
        assert_eq!(
            endpoints.route("GET", "/ssf/stream", Some(ID)),
            Route::ReadStreams(Some(ID.to_owned()))
        );
        assert_eq!(
            endpoints.route("GET", "/ssf/stream", None),
            Route::ReadStreams(None)
        );
        assert_eq!(
            endpoints.route("DELETE", "/ssf/stream", Some(ID)),
            Route::DeleteStream(ID.to_owned())
        );
        assert_eq!(
            endpoints.route("DELETE", "/ssf/stream", None),
            Route::BadStreamId
        );
        assert_eq!(
            endpoints.route("GET", "/ssf/stream", Some("x' OR 1")),
            Route::BadStreamId
        );
        assert_eq!(endpoints.route("GET", "/jwks.json", None), Route::Jwks);
        assert_eq!(
            endpoints.route("POST", "/jwks.json", None),
            Route::MethodNotAllowed
        );
        assert_eq!(
            endpoints.route("POST", &format!("/ssf/poll/{ID}"), None),
            Route::Poll(ID.to_owned())
        );
        assert_eq!(
            endpoints.route("POST", "/ssf/poll/../stream", None),
            Route::NotFound
        );
        assert_eq!(endpoints.route("GET", "/anything", None), Route::NotFound);
        assert_eq!(
            endpoints.poll_url(ID),
            format!("https://ssf.example.com/ssf/poll/{ID}")
        );
    }

    #[test]
    fn a_pool_users_subject_is_a_key_any_other_is_accepted_without_one() {
        let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolA1";
        let body =
            json!({"stream_id": ID, "subject": {"format": "iss_sub", "iss": iss, "sub": "s-1"}});
        assert_eq!(subject_key(&body).unwrap(), Some(format!("{iss} s-1")));
        for other in [
            json!({"subject": {"format": "email", "email": "a@b.c"}}),
            json!({"subject": {"format": "iss_sub", "iss": "https://evil.example/", "sub": "s"}}),
            // Another spelling of the pool's issuer names no user of it.
            json!({"subject": {"format": "iss_sub", "iss": "https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_PoolA1", "sub": "s"}}),
        ] {
            assert_eq!(subject_key(&other).unwrap(), None, "{other}");
        }
        for bad in [
            json!({"subject": {"format": "iss_sub", "iss": iss, "sub": ""}}),
            json!({"subject": {"format": "iss_sub", "iss": iss, "sub": "s".repeat(MAX_SUB_BYTES + 1)}}),
            json!({"subject": {"format": "iss_sub", "iss": iss}}),
            json!({"subject": {"format": "email", "email": "e".repeat(MAX_SUBJECT_BYTES)}}),
            json!({"subject": {"email": "a@b.c"}}),
            json!({"subject": "x"}),
            json!({}),
        ] {
            assert!(subject_key(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn polls_are_bounded_and_read_strictly() {
        let poll = PollRequest::read(&json!({"maxEvents": 5000, "returnImmediately": true,
            "ack": [ID], "setErrs": {ID: {"err": "invalid_key", "description": "x"}}}))
        .unwrap();
        assert_eq!(poll.max_events, MAX_POLL_EVENTS);
        assert_eq!(poll.acks, [ID]);
        assert_eq!(poll.errors, [(ID.to_owned(), "invalid_key".to_owned())]);
        assert_eq!(
            PollRequest::read(&json!({})).unwrap().max_events,
            MAX_POLL_EVENTS
        );
        for bad in [
            json!({"maxEvents": -1}),
            json!({"returnImmediately": "yes"}),
            json!({"ack": "x"}),
            json!({"ack": ["not a jti"]}),
            json!({"setErrs": {ID: "x"}}),
            json!([]),
        ] {
            assert!(PollRequest::read(&bad).is_err(), "{bad}");
        }
        assert_eq!(
            verification_state(&json!({"state": "abc"}))
                .unwrap()
                .as_deref(),
            Some("abc")
        );
        assert!(verification_state(&json!({"state": "s".repeat(MAX_STATE_CHARS + 1)})).is_err());
    }
}
