//! The transmitter's HTTP endpoints, reached with a bounded client: its configuration
//! (`/.well-known/ssf-configuration`), its JWKS and its poll endpoint.
//!
//! [`TransmitterUrl`] is the one rule for each of their URLs (`https`, except on a loopback
//! host, which tests use). [`HttpsClient`] is built on the SDK's TLS stack (hyper 1,
//! hyper-rustls 0.27, rustls 0.23 on aws-lc-rs, the system's root certificates), so the
//! binary carries one TLS implementation, with a time limit per request and a byte limit per
//! answer: a slow or huge answer from the transmitter cannot hold or exhaust the function.

use std::fmt;
use std::str::FromStr;
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
/// Largest configuration or JWKS document read, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// The hosts on which plain `http` is allowed (tests run the transmitter there).
const LOOPBACK_HOSTS: [&str; 2] = ["127.0.0.1", "localhost"];

/// A URL of the transmitter: `https`, or `http` on a loopback host; a host; no user info.
#[derive(Clone, PartialEq, Eq)]
pub struct TransmitterUrl {
    uri: http::Uri,
}

impl FromStr for TransmitterUrl {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let uri: http::Uri = raw
            .parse()
            .map_err(|e: http::uri::InvalidUri| format!("not a URL: {e}"))?;
        let authority = uri.authority().ok_or("a URL with a host is required")?;
        if authority.as_str().contains('@') {
            return Err("a URL with user info is refused".to_owned());
        }
        let loopback = LOOPBACK_HOSTS.contains(&authority.host());
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if loopback => {}
            _ => {
                return Err("must be an https URL (http only on 127.0.0.1 or localhost)".to_owned())
            }
        }
        Ok(Self { uri })
    }
}

impl fmt::Display for TransmitterUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.uri.fmt(f)
    }
}

impl fmt::Debug for TransmitterUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransmitterUrl({})", self.uri)
    }
}

impl TransmitterUrl {
    /// The transmitter configuration URL of this issuer (SSF 1.0 section 7): the well-known
    /// path goes between the host and the issuer's path, so `https://idp.example/tenant/1`
    /// is configured at `https://idp.example/.well-known/ssf-configuration/tenant/1`. A query
    /// in the issuer is kept.
    pub fn ssf_configuration(&self) -> TransmitterUrl {
        let path = self.uri.path().trim_end_matches('/');
        let query = self
            .uri
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let scheme = self.uri.scheme_str().unwrap_or("https");
        let authority = self.uri.authority().map_or("", |a| a.as_str());
        let raw = format!("{scheme}://{authority}/.well-known/ssf-configuration{path}{query}");
        // Built from the parts of a valid URL: it parses, and keeps the scheme rule.
        raw.parse().unwrap_or_else(|_| self.clone())
    }

    fn uri(&self) -> &http::Uri {
        &self.uri
    }
}

/// A request to the transmitter that did not bring a usable answer: never the SET's fault,
/// so a push is answered 5xx and a poll acknowledges nothing.
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
/// before its first push.
#[derive(Debug, Default)]
pub struct HttpsClient {
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

impl HttpsClient {
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
    pub async fn get(&self, url: &TransmitterUrl, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
        let request = http::Request::get(url.uri().clone())
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
        url: &TransmitterUrl,
        authorization: Option<&str>,
        body: Vec<u8>,
        max_bytes: usize,
    ) -> Result<Answer, FetchError> {
        let mut request = http::Request::post(url.uri().clone())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> TransmitterUrl {
        raw.parse().unwrap()
    }

    #[test]
    fn https_is_required_except_on_loopback_hosts() {
        assert!("https://idp.example.com/".parse::<TransmitterUrl>().is_ok());
        assert!("http://127.0.0.1:8080/x".parse::<TransmitterUrl>().is_ok());
        assert!("http://localhost/x".parse::<TransmitterUrl>().is_ok());
        for bad in [
            "http://idp.example.com/",
            "http://127.0.0.1.evil.example/",
            "ftp://idp.example.com/",
            "idp.example.com",
            "/relative",
            "https://user:pw@idp.example.com/",
            "",
        ] {
            assert!(bad.parse::<TransmitterUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_well_known_path_goes_between_host_and_issuer_path() {
        assert_eq!(
            url("https://idp.example.com")
                .ssf_configuration()
                .to_string(),
            "https://idp.example.com/.well-known/ssf-configuration"
        );
        assert_eq!(
            url("https://idp.example.com/")
                .ssf_configuration()
                .to_string(),
            "https://idp.example.com/.well-known/ssf-configuration"
        );
        assert_eq!(
            url("https://idp.example.com/tenant/1")
                .ssf_configuration()
                .to_string(),
            "https://idp.example.com/.well-known/ssf-configuration/tenant/1"
        );
        assert_eq!(
            url("http://127.0.0.1:9/t").ssf_configuration().to_string(),
            "http://127.0.0.1:9/.well-known/ssf-configuration/t"
        );
    }
}
