//! A Lambda Runtime API emulator: serves queued events to the real binary through the same
//! HTTP protocol Lambda uses (`/2018-06-01/runtime/invocation/next`, `/response`, `/error`),
//! and collects what the function answers.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::http_stub::{HttpStub, StubReply};

/// What the function answered to one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The function's response document.
    Response(Value),
    /// The invocation error the function reported.
    Error {
        /// Its `errorType`.
        error_type: String,
        /// Its `errorMessage`.
        error_message: String,
    },
}

/// The run of the binary: its answers by request id, its output, and its exit status.
#[derive(Debug)]
pub struct Run {
    /// Each invocation's answer, by request id.
    pub answers: HashMap<String, Answer>,
    /// What the function printed.
    pub stdout: String,
    /// What the function logged to standard error.
    pub stderr: String,
    /// How the process ended, if it did.
    pub exit_code: Option<i32>,
}

const PREFIX: &str = "/2018-06-01/runtime/invocation/";

/// Runs the function `binary` (its Lambda name `name`) against the emulator, with exactly
/// `env` (plus the Lambda variables), feeding it `events` (request id, payload), and waits
/// until each has an answer or the process has exited. `timeout_ms` is each invocation's
/// deadline.
pub async fn run_binary(
    binary: &str,
    name: &str,
    env: &[(String, String)],
    events: &[(String, String)],
    timeout_ms: u64,
) -> Run {
    let pending: Arc<Mutex<VecDeque<(String, String)>>> =
        Arc::new(Mutex::new(events.iter().cloned().collect()));
    let answers: Arc<Mutex<HashMap<String, Answer>>> = Arc::new(Mutex::new(HashMap::new()));
    let (queue, results) = (pending.clone(), answers.clone());
    let function_arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{name}");
    let api = HttpStub::start(move |req| {
        if req.method == "GET" && req.path == format!("{PREFIX}next") {
            let Some((id, payload)) = queue.lock().unwrap().pop_front() else {
                return StubReply::Hang;
            };
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64 + timeout_ms;
            return StubReply::Respond {
                status: 200,
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("lambda-runtime-aws-request-id".into(), id),
                    ("lambda-runtime-deadline-ms".into(), deadline.to_string()),
                    (
                        "lambda-runtime-invoked-function-arn".into(),
                        function_arn.clone(),
                    ),
                    ("lambda-runtime-trace-id".into(), "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1".into()),
                ],
                body: payload.into_bytes(),
                delay: Duration::ZERO,
            };
        }
        if let Some(rest) = req.path.strip_prefix(PREFIX) {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            if let Some(id) = rest.strip_suffix("/response") {
                results.lock().unwrap().insert(id.to_owned(), Answer::Response(body));
            } else if let Some(id) = rest.strip_suffix("/error") {
                let field = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
                results.lock().unwrap().insert(
                    id.to_owned(),
                    Answer::Error {
                        error_type: field("errorType"),
                        error_message: field("errorMessage"),
                    },
                );
            }
        }
        StubReply::json(202, "application/json", r#"{"status":"OK"}"#)
    })
    .await;

    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/24/[$LATEST]test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start the function binary");
    // Drain both pipes as the function writes, so that a chatty log level cannot fill a pipe
    // and block the function.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let mut exit_code = None;
    loop {
        if answers.lock().unwrap().len() == events.len() {
            break;
        }
        if let Some(status) = child.try_wait().expect("poll the function") {
            exit_code = status.code();
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the function answered {} of {} events in 60 s\nstdout: {}\nstderr: {}",
                answers.lock().unwrap().len(),
                events.len(),
                stdout.join().unwrap_or_default(),
                stderr.join().unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if exit_code.is_none() {
        let _ = child.kill();
    }
    let status = child.wait().expect("reap the function");
    let answers = answers.lock().unwrap().clone();
    Run {
        answers,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        exit_code: exit_code.or(status.code()),
    }
}

/// Reads a child's pipe to its end on a thread of its own.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    })
}

/// Another binary of the workspace, built beside `own` (a test's `CARGO_BIN_EXE_*`) by
/// `cargo test --workspace`, as `scripts/test` runs it.
pub fn sibling_binary(own: &str, name: &str) -> String {
    let path = std::path::Path::new(own).with_file_name(name);
    assert!(
        path.exists(),
        "{} is not built: run the tests with `cargo test --workspace` (scripts/test does)",
        path.display()
    );
    path.to_string_lossy().into_owned()
}
