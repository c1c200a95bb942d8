//! The HTTP edge: a payload format 2.0 request (function URL or HTTP API) read, authorised,
//! routed to the runner, and answered. The configuration document and the JWKS are public;
//! every other endpoint needs a Cognito access token of `SSF_TRANSMITTER_AUTH_ISSUER` with the
//! scope its route asks (management: `<prefix>/ssf.manage`; reads and polls: `ssf.read` or
//! `ssf.manage`), and a stream is its creating client's alone: another client is answered
//! 404, as if it did not exist. No token, body or `authorization_header` is ever logged.

use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cognito_revocation::jwks::KeySource;
use cognito_revocation::refusal::Refusal;
use cognito_revocation::{VerifiedToken, Verifier};
use serde_json::{json, Value};

use crate::core::api::{subject_key, verification_state, PollRequest, Route};
use crate::core::jwk::jwks;
use crate::core::set::{stream_subject, verification, PendingSet};
use crate::core::stream::{
    read_status, refuse_changed_supplied, stream_id_of, Delivery, RequestRefusal, Requested,
    MIN_VERIFICATION_INTERVAL,
};
use crate::deliveries::DeliveryQueue;
use crate::signer::Signer;
use crate::streams::{Kept, Streams, Waiting};
use crate::transmitter::{random_id, Report, Transmitter, TransmitterFailure};

/// The largest request body read: larger is 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A request, as the edge reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, upper-case.
    pub method: String,
    /// The path.
    pub path: String,
    /// The `stream_id` query parameter.
    pub stream_id: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The body, decoded; the status refusing it (413 over [`MAX_BODY_BYTES`], 400 when it
    /// is not base64) otherwise.
    pub body: Result<Vec<u8>, u16>,
}

impl Request {
    /// Reads a payload format 2.0 event.
    pub fn read(event: &Value) -> Self {
        let method = event
            .pointer("/requestContext/http/method")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_uppercase();
        let path = event
            .get("rawPath")
            .or_else(|| event.pointer("/requestContext/http/path"))
            .and_then(Value::as_str)
            .unwrap_or("/")
            .to_owned();
        let stream_id = event
            .pointer("/queryStringParameters/stream_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let authorization = event
            .get("headers")
            .and_then(Value::as_object)
            .and_then(|headers| {
                headers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                    .and_then(|(_, value)| value.as_str())
                    .map(str::to_owned)
            });
        let raw = event
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let encoded = event.get("isBase64Encoded").and_then(Value::as_bool) == Some(true);
        let body = if raw.len() > MAX_BODY_BYTES * 4 / 3 + 4 {
            Err(413)
        } else if encoded {
            STANDARD.decode(raw).map_err(|_| 400)
        } else {
            Ok(raw.as_bytes().to_vec())
        };
        let body = body.and_then(|b| {
            if b.len() > MAX_BODY_BYTES {
                Err(413)
            } else {
                Ok(b)
            }
        });
        Self {
            method,
            path,
            stream_id,
            authorization,
            body,
        }
    }

    fn json(&self) -> Result<Value, Answer> {
        match &self.body {
            Err(413) => Err(Answer::error(
                413,
                "invalid_request",
                "the body is over 64 KiB",
            )),
            Err(_) => Err(Answer::error(
                400,
                "invalid_request",
                "the body is not valid base64",
            )),
            Ok(bytes) => serde_json::from_slice(bytes).map_err(|e| {
                Answer::error(
                    400,
                    "invalid_request",
                    &format!("the body is not JSON: {e}"),
                )
            }),
        }
    }
}

/// An answer: status, headers, JSON body (or none).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Option<Value>,
}

impl Answer {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    fn error(status: u16, error: &str, description: &str) -> Self {
        Self::json(
            status,
            json!({"error": error, "error_description": description}),
        )
    }

    fn refused(refusal: RequestRefusal) -> Self {
        Self::error(400, "invalid_request", &refusal.to_string())
    }

    fn not_found() -> Self {
        Self::error(404, "not_found", "no such stream")
    }

    fn failed(failure: &TransmitterFailure) -> Self {
        if *failure == TransmitterFailure::Conflict {
            return Self::error(
                409,
                "conflict",
                "the stream changed meanwhile: read it and try again",
            );
        }
        tracing::error!("{failure}");
        Self::error(
            500,
            "internal_error",
            "the transmitter could not complete the request; try again",
        )
    }

    /// The payload format 2.0 answer.
    pub fn to_event(&self) -> Value {
        let mut headers = serde_json::Map::new();
        headers.insert("cache-control".to_owned(), json!("no-store"));
        if self.body.is_some() {
            headers.insert("content-type".to_owned(), json!("application/json"));
        }
        for (name, value) in &self.headers {
            headers.insert((*name).to_owned(), json!(value));
        }
        json!({
            "statusCode": self.status,
            "headers": headers,
            "body": self.body.as_ref().map_or_else(String::new, Value::to_string),
            "isBase64Encoded": false,
        })
    }
}

/// What a route needs of the caller's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    Nothing,
    Read,
    Manage,
}

fn needs(route: &Route) -> Needs {
    match route {
        Route::Configuration | Route::Jwks | Route::NotFound | Route::MethodNotAllowed => {
            Needs::Nothing
        }
        // A malformed stream id is answered only to a caller who may read.
        Route::ReadStreams(_) | Route::ReadStatus(_) | Route::Poll(_) | Route::BadStreamId => {
            Needs::Read
        }
        _ => Needs::Manage,
    }
}

/// The management and poll endpoints on a runner, with the token verifier.
#[derive(Debug)]
pub struct Api<K> {
    verifier: Verifier<K>,
    manage_scope: String,
    read_scope: String,
}

impl<K: KeySource> Api<K> {
    /// The endpoints, checking tokens with `verifier` for `manage_scope` and `read_scope`.
    pub fn new(verifier: Verifier<K>, manage_scope: String, read_scope: String) -> Self {
        Self {
            verifier,
            manage_scope,
            read_scope,
        }
    }

    /// The caller's client, or the answer refusing it.
    async fn authorise(&self, request: &Request, needs: Needs) -> Result<VerifiedToken, Answer> {
        let challenge = |refused: Option<&str>| {
            let (value, description) = match refused {
                Some(reason) => (
                    "Bearer realm=\"ssf-transmitter\", error=\"invalid_token\"".to_owned(),
                    format!("the access token is refused: {reason}"),
                ),
                None => (
                    "Bearer realm=\"ssf-transmitter\"".to_owned(),
                    "an access token is required (Authorization: Bearer)".to_owned(),
                ),
            };
            Answer {
                headers: vec![("www-authenticate", value)],
                ..Answer::error(401, "invalid_token", &description)
            }
        };
        let token = request
            .authorization
            .as_deref()
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| challenge(None))?;
        let token = match self.verifier.verify(token).await {
            Ok(token) => token,
            Err(Refusal::KeysUnavailable(err)) => {
                tracing::warn!("the token issuer's keys are unavailable: {err}");
                return Err(Answer {
                    headers: vec![("retry-after", "5".to_owned())],
                    ..Answer::error(
                        503,
                        "temporarily_unavailable",
                        "the token issuer's keys cannot be read; try again",
                    )
                });
            }
            Err(refusal) => {
                tracing::info!(reason = refusal.reason(), "a management token refused");
                return Err(challenge(Some(refusal.reason())));
            }
        };
        let allowed = match needs {
            Needs::Nothing => true,
            Needs::Read => token.has_scope(&self.read_scope) || token.has_scope(&self.manage_scope),
            Needs::Manage => token.has_scope(&self.manage_scope),
        };
        if !allowed {
            let scope = if needs == Needs::Read {
                &self.read_scope
            } else {
                &self.manage_scope
            };
            return Err(Answer {
                headers: vec![(
                    "www-authenticate",
                    format!("Bearer realm=\"ssf-transmitter\", error=\"insufficient_scope\", scope=\"{scope}\""),
                )],
                ..Answer::error(403, "insufficient_scope", &format!("the token lacks the scope {scope}"))
            });
        }
        // A stream belongs to a client: only the client itself (a client-credentials token,
        // whose sub is its client_id) acts as it, never a user signed in through it.
        if token.sub().as_str() != token.client().as_str() {
            return Err(Answer {
                headers: vec![(
                    "www-authenticate",
                    "Bearer realm=\"ssf-transmitter\", error=\"insufficient_scope\"".to_owned(),
                )],
                ..Answer::error(
                    403,
                    "insufficient_scope",
                    "a client-credentials token is required: this one was issued to a user",
                )
            });
        }
        Ok(token)
    }

    /// Serves `request` on `transmitter`: the answer, and what it did with SETs.
    pub async fn serve<G: Signer, S: Streams, Q: DeliveryQueue>(
        &self,
        transmitter: &Transmitter<G, S, Q>,
        request: &Request,
        started: Instant,
    ) -> (Answer, Report) {
        let endpoints = &transmitter.settings().endpoints;
        let route = endpoints.route(&request.method, &request.path, request.stream_id.as_deref());
        let needs = needs(&route);
        let client = if needs == Needs::Nothing {
            String::new()
        } else {
            match self.authorise(request, needs).await {
                Ok(token) => token.client().as_str().to_owned(),
                Err(answer) => return (answer, Report::default()),
            }
        };
        let call = Call {
            transmitter,
            request,
            client: &client,
            started,
        };
        match Box::pin(call.answer(route)).await {
            Ok(answered) => answered,
            Err(Stop::Answer(answer)) => (answer, Report::default()),
            Err(Stop::Failed(failure)) => (Answer::failed(&failure), Report::default()),
        }
    }
}

/// Why a request ends before its route's answer: an answer to give (a refusal), or a failure.
enum Stop {
    Answer(Answer),
    Failed(TransmitterFailure),
}

impl From<Answer> for Stop {
    fn from(answer: Answer) -> Self {
        Stop::Answer(answer)
    }
}

impl From<RequestRefusal> for Stop {
    fn from(refusal: RequestRefusal) -> Self {
        Stop::Answer(Answer::refused(refusal))
    }
}

impl<E: Into<TransmitterFailure>> From<E> for Stop {
    fn from(failure: E) -> Self {
        Stop::Failed(failure.into())
    }
}

type Handled = Result<(Answer, Report), Stop>;

/// One authorised request of `client` on the runner.
struct Call<'a, G, S, Q> {
    transmitter: &'a Transmitter<G, S, Q>,
    request: &'a Request,
    client: &'a str,
    started: Instant,
}

fn answered(answer: Answer) -> Handled {
    Ok((answer, Report::default()))
}

impl<G: Signer, S: Streams, Q: DeliveryQueue> Call<'_, G, S, Q> {
    fn endpoints(&self) -> &crate::core::api::Endpoints {
        &self.transmitter.settings().endpoints
    }

    fn streams(&self) -> &S {
        self.transmitter.streams()
    }

    fn configuration(&self, kept: &Kept) -> Value {
        let endpoints = self.endpoints();
        kept.stream.configuration(
            endpoints.issuer(),
            &endpoints.poll_url(&kept.stream.stream_id),
        )
    }

    /// The caller's stream `id`; 404 for one that does not exist or is another client's.
    async fn own(&self, id: &str) -> Result<Kept, Stop> {
        self.streams()
            .get(id)
            .await?
            .filter(|kept| kept.stream.client_id == self.client)
            .ok_or_else(|| Stop::Answer(Answer::not_found()))
    }

    /// The caller's stream the body's `stream_id` names, and the body.
    async fn own_named(&self) -> Result<(Kept, Value), Stop> {
        let body = self.request.json()?;
        let kept = self.own(&stream_id_of(&body)?).await?;
        Ok((kept, body))
    }

    async fn answer(&self, route: Route) -> Handled {
        match route {
            Route::Configuration => answered(Answer::json(200, self.endpoints().configuration())),
            Route::Jwks => self.jwks().await,
            Route::NotFound => answered(Answer::error(404, "not_found", "no such endpoint")),
            Route::MethodNotAllowed => answered(Answer::error(
                405,
                "invalid_request",
                "method not allowed here",
            )),
            Route::BadStreamId => answered(Answer::error(
                400,
                "invalid_request",
                "stream_id must be a stream id this transmitter gave",
            )),
            Route::CreateStream => self.create().await,
            Route::ReadStreams(Some(id)) => {
                answered(Answer::json(200, self.configuration(&self.own(&id).await?)))
            }
            Route::ReadStreams(None) => {
                let mine = self.streams().list(Some(self.client)).await?;
                answered(Answer::json(
                    200,
                    Value::Array(mine.iter().map(|k| self.configuration(k)).collect()),
                ))
            }
            Route::UpdateStream { replace } => self.update(replace).await,
            Route::DeleteStream(id) => self.delete(&id).await,
            Route::ReadStatus(id) => answered(Answer::json(
                200,
                self.own(&id).await?.stream.status_answer(),
            )),
            Route::UpdateStatus => self.update_status().await,
            Route::AddSubject => self.subject(false).await,
            Route::RemoveSubject => self.subject(true).await,
            Route::Verify => self.verify().await,
            Route::Poll(id) => self.poll(&id).await,
        }
    }

    async fn jwks(&self) -> Handled {
        match self.transmitter.signer().public_keys().await {
            Ok(keys) => answered(Answer::json(200, jwks(&keys))),
            Err(err) => {
                tracing::error!("the signing keys cannot be read: {err}");
                answered(Answer::error(
                    503,
                    "temporarily_unavailable",
                    "the signing keys cannot be read; try again",
                ))
            }
        }
    }

    async fn create(&self) -> Handled {
        let body = self.request.json()?;
        let requested = Requested::read(&body, self.transmitter.settings().allow_loopback)?;
        let stream = requested.create(random_id(), self.client.to_owned());
        self.transmitter
            .check_endpoint(&stream)
            .await
            .map_err(RequestRefusal::from)?;
        let limit = self.transmitter.settings().max_streams_per_client;
        if self.streams().create(&stream, limit).await?.is_err() {
            return answered(Answer::error(
                409,
                "conflict",
                "this client has as many streams as SSF_MAX_STREAMS_PER_CLIENT allows",
            ));
        }
        tracing::info!(stream_id = %stream.stream_id, client_id = %self.client, "stream created");
        let location = format!(
            "{}?stream_id={}",
            self.endpoints().configuration()["configuration_endpoint"]
                .as_str()
                .unwrap_or_default(),
            stream.stream_id
        );
        let kept = Kept {
            stream,
            excluded: Vec::new(),
        };
        let mut answer = Answer::json(201, self.configuration(&kept));
        answer.headers.push(("location", location));
        answered(answer)
    }

    async fn update(&self, replace: bool) -> Handled {
        let (kept, body) = self.own_named().await?;
        let requested = Requested::read(&body, self.transmitter.settings().allow_loopback)?;
        let updated = Kept {
            stream: requested.apply(&kept.stream, replace)?,
            excluded: kept.excluded.clone(),
        };
        let configuration = self.configuration(&updated);
        refuse_changed_supplied(&body, &configuration)?;
        self.transmitter
            .check_endpoint(&updated.stream)
            .await
            .map_err(RequestRefusal::from)?;
        if !self.streams().put(&updated.stream).await? {
            return Err(TransmitterFailure::Conflict.into());
        }
        // A poll stream that becomes a push stream pushes what waited for a poll.
        let mut report = Report::default();
        if kept.stream.delivery == Delivery::Poll && updated.stream.delivery != Delivery::Poll {
            report = self
                .transmitter
                .release(&updated, Waiting::Poll, self.started)
                .await?;
        }
        Ok((Answer::json(200, configuration), report))
    }

    async fn delete(&self, id: &str) -> Handled {
        let kept = self.own(id).await?;
        self.streams().delete(&kept.stream.stream_id).await?;
        tracing::info!(stream_id = %kept.stream.stream_id, client_id = %self.client, "stream deleted");
        answered(Answer::empty(204))
    }

    async fn update_status(&self) -> Handled {
        let (kept, body) = self.own_named().await?;
        let (status, reason) = read_status(&body)?;
        let (now, report) = self
            .transmitter
            .change_status(&kept, status, reason, self.started)
            .await?;
        Ok((Answer::json(200, now.stream.status_answer()), report))
    }

    async fn subject(&self, remove: bool) -> Handled {
        let (kept, body) = self.own_named().await?;
        let id = &kept.stream.stream_id;
        match (subject_key(&body)?, remove) {
            (Some(key), true) => {
                if !self.streams().exclude(id, &key).await? {
                    return answered(Answer::error(
                        400,
                        "invalid_request",
                        "this stream already excludes as many subjects as it may (1000)",
                    ));
                }
            }
            (Some(key), false) => self.streams().include(id, &key).await?,
            // A subject this transmitter sends nothing about: nothing to change.
            (None, _) => {}
        }
        answered(Answer::empty(if remove { 204 } else { 200 }))
    }

    async fn verify(&self) -> Handled {
        let (kept, body) = self.own_named().await?;
        let state = verification_state(&body)?;
        let set = PendingSet::new(
            self.endpoints().issuer(),
            &kept.stream.client_id,
            &kept.stream.stream_id,
            &random_id(),
            stream_subject(&kept.stream.stream_id),
            verification(state.as_deref()),
        );
        let now = crate::unix_now().get();
        if !self
            .streams()
            .claim_verification(&kept.stream.stream_id, now, MIN_VERIFICATION_INTERVAL)
            .await?
        {
            let mut answer = Answer::error(
                429,
                "too_many_requests",
                "a verification of this stream was asked less than min_verification_interval ago",
            );
            answer
                .headers
                .push(("retry-after", MIN_VERIFICATION_INTERVAL.to_string()));
            return answered(answer);
        }
        let report = self.transmitter.route(&kept, set, self.started).await?;
        Ok((Answer::empty(204), report))
    }

    async fn poll(&self, id: &str) -> Handled {
        let body = self.request.json()?;
        let kept = self.own(id).await?;
        if kept.stream.delivery != Delivery::Poll {
            return answered(Answer::error(
                400,
                "invalid_request",
                "this stream is delivered by push",
            ));
        }
        let poll = PollRequest::read(&body)?;
        let (sets, more, report) = self.transmitter.poll(&kept, &poll).await?;
        Ok((
            Answer::json(200, json!({"sets": sets, "moreAvailable": more})),
            report,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_read_from_payload_format_2() {
        let event = json!({
            "version": "2.0", "rawPath": "/ssf/stream",
            "headers": {"Authorization": "Bearer t"},
            "queryStringParameters": {"stream_id": "abc"},
            "requestContext": {"http": {"method": "get", "path": "/ignored"}},
            "body": STANDARD.encode("{}"), "isBase64Encoded": true
        });
        let request = Request::read(&event);
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/ssf/stream");
        assert_eq!(request.stream_id.as_deref(), Some("abc"));
        assert_eq!(request.authorization.as_deref(), Some("Bearer t"));
        assert_eq!(request.body, Ok(b"{}".to_vec()));
        let huge = json!({"requestContext": {"http": {"method": "POST"}}, "body": "x".repeat(MAX_BODY_BYTES + 1)});
        assert_eq!(Request::read(&huge).body, Err(413));
        assert_eq!(Request::read(&huge).json().unwrap_err().status, 413);
        let garbage =
            json!({"requestContext": {"http": {"method": "POST"}}, "body": "{\"a\": [1,"});
        assert_eq!(Request::read(&garbage).json().unwrap_err().status, 400);
    }

    #[test]
    fn an_answer_is_never_cached() {
        let event = Answer::empty(204).to_event();
        assert_eq!(event["statusCode"], 204);
        assert_eq!(event["headers"]["cache-control"], "no-store");
        assert_eq!(event["body"], "");
    }
}
