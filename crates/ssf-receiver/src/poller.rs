//! The transmitter's poll endpoint (RFC 8936), reached with the bounded client
//! ([`HttpsClient`]): one `POST` per poll, its answer read as a [`Batch`].
//!
//! The `Authorization` value (`SSF_POLL_AUTHORIZATION`) goes into the request's header and
//! nowhere else; an answer other than 200 (RFC 8936's error answer is a 400 with `err`) is a
//! [`FetchError`], never the SETs' fault: nothing is acknowledged, and the next invocation
//! polls again. A 401 or 403 to a credential read from a secret reads the secret again (at
//! most once a minute) and, when that gives a value, sends the same request once more.

use std::sync::Arc;

use serde_json::Value;

use crate::core::authorization::Credential;
use crate::poll::{Batch, MAX_ANSWER_BYTES};
use crate::secrets::Rotating;
use crate::transmitter::{Answer, FetchError, HttpsClient, TransmitterUrl};

/// The poll endpoint: `SSF_POLL_URL` and its credential.
#[derive(Debug)]
pub struct PollEndpoint {
    client: Arc<HttpsClient>,
    url: TransmitterUrl,
    authorization: Option<Rotating<Credential>>,
}

impl PollEndpoint {
    /// The endpoint at `url`, polled with `authorization` when given.
    pub fn new(
        client: Arc<HttpsClient>,
        url: TransmitterUrl,
        authorization: Option<Credential>,
    ) -> Self {
        Self {
            client,
            url,
            authorization: authorization.map(Rotating::fixed),
        }
    }

    /// The same endpoint, polled with `credential` (a secret's value, read again when the
    /// endpoint refuses it).
    pub fn authorized_by(mut self, credential: Rotating<Credential>) -> Self {
        self.authorization = Some(credential);
        self
    }

    /// Sends one poll `request` (a body of `crate::poll::Verdicts::request`); the SETs
    /// returned.
    pub async fn poll(&self, request: &Value) -> Result<Batch, FetchError> {
        let mut answer = self.send(request).await?;
        if matches!(answer.status, 401 | 403) {
            if let Some(credential) = &self.authorization {
                if credential.reread().await {
                    answer = self.send(request).await?;
                }
            }
        }
        if answer.status != 200 {
            return Err(FetchError::Status(answer.status));
        }
        Batch::read(&answer.body).map_err(|reason| FetchError::Document(reason.to_owned()))
    }

    /// One `POST` of `request` with the current credential.
    async fn send(&self, request: &Value) -> Result<Answer, FetchError> {
        let credential = self.authorization.as_ref().map(Rotating::current);
        self.client
            .post_json(
                &self.url,
                credential.as_ref().map(Credential::header_value),
                request.to_string().into_bytes(),
                MAX_ANSWER_BYTES,
            )
            .await
    }
}
