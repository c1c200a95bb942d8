//! The workspace's bounded HTTP client for documents a verifier fetches (a key set, an
//! issuer's configuration, a poll of SETs): built on the TLS stack the AWS SDK already
//! compiles (hyper 1, hyper-rustls 0.27, rustls 0.23 on aws-lc-rs, the system's root
//! certificates), so a binary carries one TLS implementation, with a time limit per request
//! ([`FETCH_TIMEOUT`], connection and body included) and a byte limit per answer: a slow,
//! huge or lying server cannot hold or exhaust the function. `http://` URLs are fetched too;
//! which URLs are allowed is the caller's rule.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Time allowed for one request, connection and body included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// A request that did not bring a usable answer: never the fault of the token being checked
/// (a key set that cannot be fetched refuses nothing by itself; the caller decides).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The HTTPS client could not be built (no root certificates).
    #[error("no TLS client: {0}")]
    Tls(String),
    /// Connection, TLS or I/O failure.
    #[error("transport: {0}")]
    Transport(String),
    /// No answer within [`FETCH_TIMEOUT`].
    #[error("timed out")]
    Timeout,
    /// An answer with an unexpected status.
    #[error("HTTP status {0}")]
    Status(u16),
    /// An answer over its byte limit.
    #[error("answer over {0} bytes")]
    TooLarge(usize),
    /// An answer that is not the document expected.
    #[error("unusable document: {0}")]
    Document(String),
}

type Inner = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The bounded client. Its TLS configuration is built on the first request, not at
/// start-up: loading the root certificates takes milliseconds a cold start should not pay
/// before its first request.
#[derive(Debug, Default)]
pub struct BoundedClient {
    client: OnceLock<Result<Inner, FetchError>>,
}

/// An answer: its status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, at most the limit asked.
    pub body: Vec<u8>,
}

impl BoundedClient {
    /// A client; nothing is built until the first request.
    pub fn new() -> Self {
        Self::default()
    }

    fn client(&self) -> Result<&Inner, FetchError> {
        self.client
            .get_or_init(|| {
                // No Nagle delay on a request (as the SDK's own client sets it).
                let mut tcp = HttpConnector::new();
                tcp.set_nodelay(true);
                tcp.enforce_http(false);
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_native_roots()
                    .map_err(|e| FetchError::Tls(e.to_string()))?
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(tcp);
                Ok(Client::builder(TokioExecutor::new()).build(connector))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `GET url`: the body of a 200 answer, at most `max_bytes`.
    pub async fn get(&self, url: &http::Uri, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
        let request = http::Request::get(url.clone())
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::new()))
            .map_err(|e| FetchError::Transport(e.to_string()))?;
        let answer = self.send(request, max_bytes).await?;
        if answer.status != 200 {
            return Err(FetchError::Status(answer.status));
        }
        Ok(answer.body)
    }

    /// `POST url` with a JSON `body` and, when given, an `Authorization` header: the answer
    /// whatever its status, its body at most `max_bytes`.
    pub async fn post_json(
        &self,
        url: &http::Uri,
        authorization: Option<&str>,
        body: Vec<u8>,
        max_bytes: usize,
    ) -> Result<Answer, FetchError> {
        let mut request = http::Request::post(url.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json");
        if let Some(value) = authorization {
            request = request.header(http::header::AUTHORIZATION, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| FetchError::Transport(e.to_string()))?;
        self.send(request, max_bytes).await
    }

    async fn send(
        &self,
        request: http::Request<Full<Bytes>>,
        max_bytes: usize,
    ) -> Result<Answer, FetchError> {
        let client = self.client()?;
        let exchange = async {
            let response = client
                .request(request)
                .await
                .map_err(|e| FetchError::Transport(e.to_string()))?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), max_bytes)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        FetchError::TooLarge(max_bytes)
                    } else {
                        FetchError::Transport(e.to_string())
                    }
                })?;
            Ok(Answer {
                status,
                body: body.to_bytes().to_vec(),
            })
        };
        tokio::time::timeout(FETCH_TIMEOUT, exchange)
            .await
            .map_err(|_| FetchError::Timeout)?
    }
}
