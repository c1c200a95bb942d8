//! A scriptable HTTP/1.1 server on 127.0.0.1: it answers each request as its handler says,
//! after a delay, or hangs, or drops the connection. It records every request. The fault
//! tests, the Lambda Runtime API emulator and the benchmark's stub Cognito are built on it.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request as the stub saw it.
#[derive(Debug, Clone)]
pub struct StubRequest {
    /// The HTTP method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body as received.
    pub body: Bytes,
    /// When the request arrived.
    pub at: Instant,
}

impl StubRequest {
    /// The first value of header `name` (any letter case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy UTF-8).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the stub does with one request.
#[derive(Debug, Clone)]
pub enum StubReply {
    /// Answer after `delay`.
    Respond {
        /// The status code.
        status: u16,
        /// The headers.
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
        /// How long to wait before answering.
        delay: Duration,
    },
    /// Close the connection without an answer.
    Reset,
    /// Never answer.
    Hang,
}

impl StubReply {
    /// A JSON answer with no delay.
    pub fn json(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        StubReply::Respond {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// The same answer, after `delay`.
    pub fn after(self, delay: Duration) -> Self {
        match self {
            StubReply::Respond {
                status,
                headers,
                body,
                ..
            } => StubReply::Respond {
                status,
                headers,
                body,
                delay,
            },
            other => other,
        }
    }
}

type Handler = dyn Fn(&StubRequest) -> StubReply + Send + Sync;

/// The running server; it stops when dropped.
pub struct HttpStub {
    /// Where the stub listens (127.0.0.1, a free port).
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<StubRequest>>>,
    connections: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl HttpStub {
    /// Starts a stub on 127.0.0.1 that answers every request with `handler`'s reply.
    pub async fn start(
        handler: impl Fn(&StubRequest) -> StubReply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let seen = requests.clone();
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::Relaxed);
                // Answers go out at once, as a real service's do: no Nagle delay on a reply
                // written in more than one segment.
                let _ = stream.set_nodelay(true);
                let handler = handler.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let handler = handler.clone();
                        let seen = seen.clone();
                        async move { serve(req, handler, seen).await }
                    });
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            requests,
            connections,
            task,
        }
    }

    /// The connections accepted so far (a client that reuses its connections opens few).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    /// The live count of connections accepted, for a stub served from another thread.
    pub fn connection_counter(&self) -> Arc<AtomicUsize> {
        self.connections.clone()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<StubRequest> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for HttpStub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the stub")
    }
}

impl std::error::Error for ConnectionDropped {}

async fn serve(
    req: Request<Incoming>,
    handler: Arc<Handler>,
    seen: Arc<Mutex<Vec<StubRequest>>>,
) -> Result<Response<Full<Bytes>>, ConnectionDropped> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let request = StubRequest {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        at: Instant::now(),
    };
    let reply = handler(&request);
    seen.lock().unwrap().push(request);
    match reply {
        StubReply::Respond {
            status,
            headers,
            body,
            delay,
        } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let mut response = Response::new(Full::new(Bytes::from(body)));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) = (
                    hyper::header::HeaderName::from_bytes(name.as_bytes()),
                    hyper::header::HeaderValue::from_str(&value),
                ) {
                    response.headers_mut().insert(name, value);
                }
            }
            Ok(response)
        }
        StubReply::Reset => Err(ConnectionDropped),
        StubReply::Hang => {
            std::future::pending::<()>().await;
            Err(ConnectionDropped)
        }
    }
}
