//! One push (RFC 8935) to a receiver: the endpoint's host resolved and every address checked
//! ([`ReceiverEndpoint::connect_to`]), a connection opened to the checked address itself (DNS
//! cannot answer differently between the check and the connection), TLS verified for the
//! host's name with the system's roots (rustls on aws-lc-rs, the SDK's stack), one `POST`,
//! [`PUSH_TIMEOUT`] for all of it (the wait for the SET's signature excluded), at most [`MAX_ANSWER_BYTES`] of answer read, and no
//! redirect followed (a 3xx is a failed attempt). One connection per attempt: nothing pooled
//! outlives the check it was made under.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::core::endpoint::{EndpointRefusal, ReceiverEndpoint};

/// The time one attempt may take on the network: resolving, connecting and TLS, then sending
/// and reading the answer, together (the wait for the SET's signature between them is the
/// transmitter's, not the receiver's, and not counted).
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(5);
/// The most bytes of a receiver's answer read.
pub const MAX_ANSWER_BYTES: usize = 8 * 1024;

/// The `err` codes of RFC 8935 (and SSF's `access_denied`) a refusal is counted under; any
/// other is counted as `other`.
const KNOWN_ERRS: [&str; 6] = [
    "invalid_request",
    "invalid_key",
    "invalid_issuer",
    "invalid_audience",
    "authentication_failed",
    "access_denied",
];

/// What a receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushAnswer {
    /// 202: delivered.
    Accepted,
    /// 400 with `err`: the receiver refused the SET for good; not retried.
    Refused {
        /// The `err`, one of RFC 8935's or `other`.
        err: &'static str,
    },
    /// Anything else (401, 403, 5xx, a 3xx, a timeout, a connection failure, an endpoint that
    /// now resolves to a refused address): tried again.
    Failed {
        /// What happened, for the log and the dead letter: never the SET or a credential.
        answer: String,
    },
}

impl PushAnswer {
    /// The answer as the log line and the dead letter say it.
    pub fn describe(&self) -> String {
        match self {
            PushAnswer::Accepted => "202".to_owned(),
            PushAnswer::Refused { err } => format!("400 {err}"),
            PushAnswer::Failed { answer } => answer.clone(),
        }
    }
}

/// The push client. Its TLS configuration is built on the first push.
#[derive(Default)]
pub struct PushClient {
    tls: OnceLock<Result<tokio_rustls::TlsConnector, String>>,
}

impl std::fmt::Debug for PushClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushClient").finish_non_exhaustive()
    }
}

impl PushClient {
    /// A client; nothing is built until the first push.
    pub fn new() -> Self {
        Self::default()
    }

    fn tls(&self) -> Result<&tokio_rustls::TlsConnector, String> {
        self.tls
            .get_or_init(|| {
                use hyper_rustls::ConfigBuilderExt;
                let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| format!("no TLS client: {e}"))?
                    .with_native_roots()
                    .map_err(|e| format!("no TLS client: {e}"))?
                    .with_no_client_auth();
                Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Pushes `set` (a compact SET) to `endpoint` with `authorization`.
    pub async fn push(
        &self,
        endpoint: &ReceiverEndpoint,
        authorization: Option<&str>,
        set: &str,
    ) -> PushAnswer {
        match self.connect(endpoint).await {
            Ok(connection) => connection.send(endpoint, authorization, set).await,
            Err(answer) => answer,
        }
    }

    /// A connection to `endpoint`, its host resolved and checked and TLS done, within
    /// [`PUSH_TIMEOUT`]: made before the SET is signed, so that an endpoint that cannot be
    /// reached costs no `Sign`.
    pub async fn connect(&self, endpoint: &ReceiverEndpoint) -> Result<Connection, PushAnswer> {
        let started = tokio::time::Instant::now();
        match tokio::time::timeout(PUSH_TIMEOUT, self.open(endpoint)).await {
            Err(_) => Err(PushAnswer::Failed {
                answer: "timeout".to_owned(),
            }),
            Ok(Err(answer)) => Err(PushAnswer::Failed { answer }),
            Ok(Ok(io)) => Ok(Connection {
                io,
                left: PUSH_TIMEOUT.saturating_sub(started.elapsed()),
            }),
        }
    }

    /// Whether `endpoint` may be pushed to now: its host resolved (within [`PUSH_TIMEOUT`])
    /// and every address checked, as before each delivery; nothing is connected to. A stream
    /// is created or changed only when this holds, so that a name resolving to a private
    /// address is a 400 at once, not a delivery that fails for a day.
    pub async fn check(&self, endpoint: &ReceiverEndpoint) -> Result<(), EndpointRefusal> {
        let addresses = tokio::time::timeout(PUSH_TIMEOUT, resolve(endpoint))
            .await
            .map_err(|_| EndpointRefusal::Unresolved)?
            .map_err(|_| EndpointRefusal::Unresolved)?;
        endpoint.connect_to(&addresses).map(|_| ())
    }

    async fn open(&self, endpoint: &ReceiverEndpoint) -> Result<Io, String> {
        let addresses = resolve(endpoint).await?;
        let ip = endpoint.connect_to(&addresses).map_err(|e| e.to_string())?;
        let tcp = TcpStream::connect((ip, endpoint.port()))
            .await
            .map_err(|e| format!("connection failed: {e}"))?;
        tcp.set_nodelay(true)
            .map_err(|e| format!("connection failed: {e}"))?;
        if !endpoint.is_https() {
            return Ok(Io::Plain(tcp));
        }
        let name = rustls::pki_types::ServerName::try_from(endpoint.host().to_owned())
            .map_err(|e| format!("not a TLS name: {e}"))?;
        let tls = self
            .tls()?
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS failed: {e}"))?;
        Ok(Io::Tls(Box::new(tls)))
    }
}

/// An open connection to a receiver, to the address that was checked, and what is left of
/// the attempt's [`PUSH_TIMEOUT`].
#[derive(Debug)]
pub struct Connection {
    io: Io,
    left: Duration,
}

#[derive(Debug)]
enum Io {
    /// `http` (loopback receivers, tests only).
    Plain(TcpStream),
    /// `https`.
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Connection {
    /// Sends `set` with `authorization` and reads the answer, within what is left of
    /// [`PUSH_TIMEOUT`] after connecting.
    pub async fn send(
        self,
        endpoint: &ReceiverEndpoint,
        authorization: Option<&str>,
        set: &str,
    ) -> PushAnswer {
        let request = match request(endpoint, authorization, set) {
            Ok(request) => request,
            Err(answer) => return PushAnswer::Failed { answer },
        };
        let left = self.left;
        let exchange = async move {
            match self.io {
                Io::Plain(io) => send(io, request).await,
                Io::Tls(io) => send(*io, request).await,
            }
        };
        match tokio::time::timeout(left, exchange).await {
            Err(_) => PushAnswer::Failed {
                answer: "timeout".to_owned(),
            },
            Ok(Err(answer)) => PushAnswer::Failed { answer },
            Ok(Ok((202, _))) => PushAnswer::Accepted,
            Ok(Ok((400, body))) => match err_of(&body) {
                Some(err) => PushAnswer::Refused { err },
                // A 400 that is not an RFC 8935 refusal (a proxy's, a firewall's page) says
                // nothing about the SET: tried again.
                None => PushAnswer::Failed {
                    answer: "400 without an RFC 8935 err".to_owned(),
                },
            },
            Ok(Ok((status, _))) => PushAnswer::Failed {
                answer: status.to_string(),
            },
        }
    }
}

/// The addresses `endpoint`'s host resolves to (a literal address resolves to itself).
async fn resolve(endpoint: &ReceiverEndpoint) -> Result<Vec<IpAddr>, String> {
    if let Ok(ip) = endpoint.host().parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    Ok(tokio::net::lookup_host((endpoint.host(), endpoint.port()))
        .await
        .map_err(|e| format!("resolution failed: {e}"))?
        .map(|address| address.ip())
        .collect())
}

fn request(
    endpoint: &ReceiverEndpoint,
    authorization: Option<&str>,
    set: &str,
) -> Result<http::Request<Full<Bytes>>, String> {
    let host = match (endpoint.host().contains(':'), endpoint.port()) {
        (true, port) => format!("[{}]:{port}", endpoint.host()),
        (false, port) => format!("{}:{port}", endpoint.host()),
    };
    let mut request = http::Request::post(endpoint.path_and_query())
        .header(http::header::HOST, host)
        .header(http::header::CONTENT_TYPE, "application/secevent+jwt")
        .header(http::header::ACCEPT, "application/json");
    if let Some(value) = authorization {
        request = request.header(http::header::AUTHORIZATION, value);
    }
    request
        .body(Full::new(Bytes::from(set.to_owned())))
        .map_err(|e| format!("unusable request: {e}"))
}

async fn send<IO>(io: IO, request: http::Request<Full<Bytes>>) -> Result<(u16, Vec<u8>), String>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP failed: {e}"))?;
    let driver = tokio::spawn(connection);
    let exchanged = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("HTTP failed: {e}"))?;
        let status = response.status().as_u16();
        // An answer over the limit is read no further; its status stands.
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        Ok((status, body))
    }
    .await;
    driver.abort();
    exchanged
}

/// The `err` of an RFC 8935 refusal (a JSON body with a string `err`), as a metric's name.
fn err_of(body: &[u8]) -> Option<&'static str> {
    let answer = serde_json::from_slice::<Value>(body).ok()?;
    answer.get("err").and_then(Value::as_str).map(known_err)
}

/// `err` when it is one of the known codes (a metric's name), else `other`.
pub fn known_err(err: &str) -> &'static str {
    KNOWN_ERRS
        .into_iter()
        .find(|known| *known == err)
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusals_err_is_one_of_the_known_codes_or_other() {
        assert_eq!(
            err_of(br#"{"err":"invalid_key","description":"x"}"#),
            Some("invalid_key")
        );
        assert_eq!(err_of(br#"{"err":"rm -rf"}"#), Some("other"));
        assert_eq!(err_of(b"\xff\xfe"), None);
        assert_eq!(err_of(b"<html>Bad Request</html>"), None);
    }

    #[test]
    fn the_request_names_the_host_and_keeps_the_path_and_query() {
        let endpoint =
            ReceiverEndpoint::parse("https://app.example.com:8443/ssf/events?t=1#frag", false)
                .unwrap();
        let request = request(&endpoint, Some("Bearer x"), "a.b.c").unwrap();
        assert_eq!(request.uri(), "/ssf/events?t=1");
        assert_eq!(request.headers()["host"], "app.example.com:8443");
        assert_eq!(
            request.headers()["content-type"],
            "application/secevent+jwt"
        );
        let bare = ReceiverEndpoint::parse("https://app.example.com", false).unwrap();
        assert_eq!(bare.path_and_query(), "/");
        assert!(bare.is_https());
    }

    #[tokio::test]
    async fn a_name_resolving_to_a_private_address_is_never_connected_to() {
        // `localhost` passes the text check (a name), and is refused once resolved.
        let endpoint = ReceiverEndpoint::parse("https://localhost:9/x", false).unwrap();
        let answer = PushClient::new().push(&endpoint, None, "a.b.c").await;
        assert!(answer.describe().contains("public address"), "{answer:?}");
        assert!(
            matches!(
                PushClient::new().check(&endpoint).await,
                Err(EndpointRefusal::NotGlobal(ip)) if ip.is_loopback()
            ),
            "and refused by the check made when a stream is created"
        );
        // Loopback allowed (tests): the closed port is a failed attempt, tried again.
        let endpoint = ReceiverEndpoint::parse("http://127.0.0.1:9/x", true).unwrap();
        let answer = PushClient::new().push(&endpoint, None, "a.b.c").await;
        assert!(
            answer.describe().starts_with("connection failed"),
            "{answer:?}"
        );
    }
}
