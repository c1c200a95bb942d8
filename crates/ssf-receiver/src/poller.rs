//! The transmitter's poll endpoint (RFC 8936), reached with the bounded client
//! ([`HttpsClient`]): one `POST` per poll, its answer read as a [`Batch`].
//!
//! The `Authorization` value (`SSF_POLL_AUTHORIZATION`) goes into the request's header and
//! nowhere else; an answer other than 200 (RFC 8936's error answer is a 400 with `err`) is a
//! [`FetchError`], never the SETs' fault: nothing is acknowledged, and the next invocation
//! polls again.

use std::sync::Arc;

use serde_json::Value;

use crate::authorization::Credential;
use crate::poll::{Batch, MAX_ANSWER_BYTES};
use crate::transmitter::{FetchError, HttpsClient, TransmitterUrl};

/// The poll endpoint: `SSF_POLL_URL` and its credential.
#[derive(Debug)]
pub struct PollEndpoint {
    client: Arc<HttpsClient>,
    url: TransmitterUrl,
    authorization: Option<Credential>,
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
            authorization,
        }
    }

    /// Sends one poll `request` (a body of [`crate::poll::Verdicts::request`]); the SETs
    /// returned.
    pub async fn poll(&self, request: &Value) -> Result<Batch, FetchError> {
        let answer = self
            .client
            .post_json(
                &self.url,
                self.authorization.as_ref().map(Credential::header_value),
                request.to_string().into_bytes(),
                MAX_ANSWER_BYTES,
            )
            .await?;
        if answer.status != 200 {
            return Err(FetchError::Status(answer.status));
        }
        Batch::read(&answer.body).map_err(|reason| FetchError::Document(reason.to_owned()))
    }
}
