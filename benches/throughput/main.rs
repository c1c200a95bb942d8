//! The benchmark of issue 4: the real handler (the real Cognito and SQS adapters) against a
//! stub Cognito in a separate process that answers over loopback HTTP with a fixed latency.
//!
//! For batches of 10, 100 and 1,000 alerts, all unique or with 30% duplicates, without the
//! rate cap and with it, it prints: the time per batch next to its limit
//! (`ceil(unique / MAX_CONCURRENCY) x latency`, and `unique / MAX_REQUESTS_PER_SECOND` when
//! capped) and their ratio; the calls per second the stub saw and the most it saw in any one
//! second; the handler's CPU time per alert (the process's CPU time, which excludes the
//! network wait; the stub runs in another process); and peak resident memory. Then the cold
//! start of the release binary (process start to its first poll of the Lambda Runtime API)
//! and the binary sizes.
//!
//! `cargo bench --bench throughput` (or `scripts/bench`). Knobs: `BENCH_LATENCY_MS` (50),
//! `BENCH_CONCURRENCY` (10), `BENCH_RPS` (100), `BENCH_COLD_STARTS` (20).

mod payloads;
mod sections;

use test_support::fake_aws;
use test_support::http_stub;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use payloads::{payload_peak, payload_peaks};
use sections::{
    containment_cost, defaults_and_floods, first_call_into_an_account, revocation_cost, storm,
};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region};
use cognito_signout_responder::Config;
use cognito_signout_responder::OutcomeKind;
use cognito_signout_responder::Timeouts;
use cognito_signout_responder::{aws_responder, AwsResponder};
use cognito_signout_responder::{Batch, Record, Source};
use http_stub::{HttpStub, StubReply};
use test_support::bench::{knob, peak_rss_kb};
use test_support::threat_log::{activity_line, log_payload};

const POOL: &str = "us-east-1_BenchPool1";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--payload") {
        let kind = args.get(2).cloned().unwrap_or_default();
        return tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(payload_peak(&kind));
    }
    if args.get(1).map(String::as_str) == Some("--stub") {
        let latency = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(50);
        return run_stub(Duration::from_millis(latency));
    }
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench targets too, in debug and without `--bench`:
        // there is nothing to test here, and debug figures would only mislead.
        println!("throughput: run with `cargo bench --bench throughput` (or scripts/bench)");
        return;
    }
    // The function's own runtime (current-thread, see main.rs); BENCH_RUNTIME=multi measures
    // on tokio's multi-thread scheduler instead.
    let runtime = if std::env::var("BENCH_RUNTIME").as_deref() == Ok("multi") {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .expect("runtime");
    runtime.block_on(bench());
}

// --- the stub Cognito, in its own process -------------------------------------------------

/// Serves `AdminUserGlobalSignOut` after `latency`, records when each call arrived, and
/// answers `GET /stats` with those arrival times (microseconds since the Unix epoch), then
/// forgets them. Prints its port on the first line of standard output.
fn run_stub(latency: Duration) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let arrivals: Arc<Mutex<Vec<u64>>> = Arc::default();
        let seen = arrivals.clone();
        let letters: Arc<Mutex<(u64, u64)>> = Arc::default();
        let stored = letters.clone();
        let stub = HttpStub::start(move |req| {
            if req.method == "GET" && req.path == "/stats" {
                let list = std::mem::take(&mut *seen.lock().unwrap());
                return StubReply::json(
                    200,
                    "application/json",
                    serde_json::to_vec(&list).unwrap_or_default(),
                );
            }
            if req.method == "GET" && req.path == "/sqs-stats" {
                let (requests, entries) = std::mem::take(&mut *stored.lock().unwrap());
                return StubReply::json(200, "application/json", format!("[{requests},{entries}]"));
            }
            if fake_aws::operation(req) == "SendMessageBatch" {
                let mut counts = stored.lock().unwrap();
                counts.0 += 1;
                counts.1 += fake_aws::letters_in(req).len() as u64;
                return fake_aws::sqs_sent(req);
            }
            // What follows a sign-out when revocation is on: the sub, the cutoff, the events;
            // each answered after the same latency as a sign-out.
            match fake_aws::operation(req) {
                "AdminGetUser" => {
                    let user = fake_aws::json_body(req)["Username"].as_str().unwrap_or("u").to_owned();
                    return StubReply::json(
                        200,
                        "application/x-amz-json-1.1",
                        serde_json::json!({"Username": user, "UserAttributes": [{"Name": "sub", "Value": format!("sub-{user}")}]}).to_string(),
                    )
                    .after(latency);
                }
                "UpdateItem" => {
                    return StubReply::json(200, "application/x-amz-json-1.0", "{}").after(latency);
                }
                "PutEvents" => {
                    let n = fake_aws::json_body(req)["Entries"].as_array().map_or(0, Vec::len);
                    let entries: Vec<serde_json::Value> =
                        (0..n).map(|i| serde_json::json!({"EventId": format!("e{i}")})).collect();
                    return StubReply::json(
                        200,
                        "application/x-amz-json-1.1",
                        serde_json::json!({"FailedEntryCount": 0, "Entries": entries}).to_string(),
                    )
                    .after(latency);
                }
                _ => {}
            }
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_micros() as u64)
                .unwrap_or(0);
            seen.lock().unwrap().push(now);
            StubReply::json(200, "application/x-amz-json-1.1", "{}").after(latency)
        })
        .await;
        println!("{}", stub.addr.port());
        std::io::stdout().flush().ok();
        // Until the benchmark closes our standard input.
        let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await;
        drop(arrivals);
    });
}

struct StubProcess {
    child: Child,
    port: u16,
}

impl StubProcess {
    fn start(latency_ms: u64) -> Self {
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .args(["--stub", &latency_ms.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the stub");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stub stdout"))
            .read_line(&mut line)
            .expect("stub port");
        let port = line.trim().parse().expect("a port number");
        Self { child, port }
    }

    /// The arrival times of the calls since the last look, in microseconds.
    fn arrivals(&self) -> Vec<u64> {
        self.get("/stats")
    }

    /// `SendMessageBatch` requests and the letters in them since the last look.
    fn dead_letters(&self) -> (u64, u64) {
        let counts: Vec<u64> = self.get("/sqs-stats");
        (
            counts.first().copied().unwrap_or(0),
            counts.get(1).copied().unwrap_or(0),
        )
    }

    fn get(&self, path: &str) -> Vec<u64> {
        let mut stream =
            std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("stub connection");
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .expect("stats request");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("stats response");
        let body = response.split("\r\n\r\n").nth(1).unwrap_or("[]");
        serde_json::from_str(body).unwrap_or_default()
    }
}

impl Drop for StubProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- measurements ---------------------------------------------------------------------------

/// CPU time this process has used, user and system, across all threads.
fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the pointer we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The most arrivals within any one-second window starting at an arrival.
fn busiest_second(arrivals: &[u64]) -> usize {
    let mut sorted = arrivals.to_vec();
    sorted.sort_unstable();
    let mut best = 0;
    let mut start = 0;
    for end in 0..sorted.len() {
        while sorted[end] - sorted[start] >= 1_000_000 {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

fn batch(size: usize, duplicates: bool, salt: usize) -> (Batch, usize) {
    let unique = if duplicates {
        size - size * 3 / 10
    } else {
        size
    };
    let records = (0..size)
        .map(|i| {
            let user = i % unique;
            Record {
                message_id: format!("m{salt}-{i}"),
                body: format!(r#"{{"UserPoolId":"{POOL}","Username":"user{salt}-{user}"}}"#),
                receive_count: Some(1),
                group_id: None,
                source_arn: Some("arn:aws:sqs:us-east-1:123456789012:alerts".into()),
                origin: Default::default(),
                provenance: Default::default(),
            }
        })
        .collect();
    (
        Batch {
            source: Source::Sqs { fifo: false },
            records,
        },
        unique,
    )
}

async fn responder(stub: &str, concurrency: u64, rps: Option<u64>) -> AwsResponder {
    revoking_responder(stub, concurrency, rps, false).await
}

/// The responder, with revocation (a cutoff table and an event bus) on or off.
async fn revoking_responder(
    stub: &str,
    concurrency: u64,
    rps: Option<u64>,
    revocation: bool,
) -> AwsResponder {
    let extra: &[(&str, &str)] = if revocation {
        &[
            ("REVOCATION_TABLE", "cutoffs"),
            ("EVENT_BUS_NAME", "security"),
        ]
    } else {
        &[]
    };
    responder_with(stub, concurrency, rps, extra).await
}

/// The responder with `extra` variables.
async fn responder_with(
    stub: &str,
    concurrency: u64,
    rps: Option<u64>,
    extra: &[(&str, &str)],
) -> AwsResponder {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(stub)
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "AKIDBENCH",
            "bench",
            None,
            None,
            "bench",
        ))
        .load()
        .await;
    let rate = rps.map_or("unlimited".to_owned(), |r| r.to_string());
    let mut vars = vec![
        ("DLQ_URL".to_owned(), format!("{stub}/000000000000/dlq")),
        ("MAX_CONCURRENCY".to_owned(), concurrency.to_string()),
        ("MAX_REQUESTS_PER_SECOND".to_owned(), rate),
    ];
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let config = Config::from_vars(vars).expect("bench configuration");
    aws_responder(&sdk, &config, Timeouts::default())
}

/// Whether the section `name` runs: all of them, unless `BENCH_ONLY` lists some
/// (`throughput`, `defaults`, `revocation`, `containment`, `storm`, `accounts`, `cold`,
/// `sizes`).
fn runs(name: &str) -> bool {
    match std::env::var("BENCH_ONLY") {
        Ok(only) => only.split(',').any(|s| s.trim() == name),
        Err(_) => true,
    }
}

async fn bench() {
    let latency_ms = knob("BENCH_LATENCY_MS", 50);
    let concurrency = knob("BENCH_CONCURRENCY", 10);
    let rps = knob("BENCH_RPS", 100);
    let stub = StubProcess::start(latency_ms);
    let url = format!("http://127.0.0.1:{}", stub.port);

    println!("# cognito-signout-responder throughput");
    println!("stub Cognito latency {latency_ms} ms (separate process, loopback HTTP); MAX_CONCURRENCY={concurrency}");
    println!();
    println!(
        "| cap (req/s) | alerts | unique | time (ms) | limit (ms) | time/limit | calls/s | busiest 1 s | CPU/alert (us) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut salt = 0;
    let caps = if runs("throughput") {
        vec![None, Some(rps)]
    } else {
        Vec::new()
    };
    for cap in caps {
        let responder = responder(&url, concurrency, cap).await;
        // Warm up: connections, regional client, allocator.
        let (warm, _) = batch(20, false, 999_999);
        responder.settle(&warm, far()).await;
        stub.arrivals();
        for size in [10usize, 100, 1000] {
            for duplicates in [false, true] {
                salt += 1;
                let (batch, unique) = batch(size, duplicates, salt);
                let cpu_before = process_cpu_time();
                let started = Instant::now();
                let report = responder.settle(&batch, far()).await;
                let elapsed = started.elapsed();
                let cpu = process_cpu_time() - cpu_before;
                assert!(
                    report
                        .settlements
                        .iter()
                        .all(|s| s.kind() == OutcomeKind::SignedOut),
                    "every alert signed out"
                );
                let arrivals = stub.arrivals();
                assert_eq!(arrivals.len(), unique, "one call per unique user");
                let rounds = unique.div_ceil(concurrency as usize) as f64;
                // The limit: ceil(unique / MAX_CONCURRENCY) x latency, and unique /
                // MAX_REQUESTS_PER_SECOND when the cap is set, whichever is longer.
                let mut limit_ms = rounds * latency_ms as f64;
                if let Some(cap) = cap {
                    limit_ms = limit_ms.max(unique as f64 / cap as f64 * 1000.0);
                }
                let span = arrivals
                    .iter()
                    .max()
                    .zip(arrivals.iter().min())
                    .map(|(a, b)| (a - b) as f64 / 1e6)
                    .unwrap_or(0.0);
                let rate = if span > 0.0 {
                    unique as f64 / span
                } else {
                    f64::NAN
                };
                println!(
                    "| {} | {size}{} | {unique} | {:.0} | {limit_ms:.0} | {:.2} | {} | {} | {:.0} |",
                    cap.map_or("none".to_owned(), |c| c.to_string()),
                    if duplicates { " (30% dup)" } else { "" },
                    elapsed.as_secs_f64() * 1000.0,
                    elapsed.as_secs_f64() * 1000.0 / limit_ms,
                    if rate.is_finite() { format!("{rate:.0}") } else { "-".to_owned() },
                    busiest_second(&arrivals),
                    cpu.as_secs_f64() * 1e6 / size as f64,
                );
            }
        }
    }
    println!();
    if runs("defaults") {
        defaults_and_floods(&stub, &url, latency_ms).await;
        println!();
    }
    if runs("revocation") {
        revocation_cost(&stub, &url, latency_ms).await;
        println!();
    }
    if runs("containment") {
        containment_cost(&stub, &url, latency_ms).await;
        println!();
    }
    if runs("storm") {
        storm(&stub, &url, latency_ms).await;
        println!();
    }
    if runs("accounts") {
        first_call_into_an_account().await;
        println!();
    }
    println!(
        "peak resident memory of the handler process: {} MiB",
        peak_rss_kb() / 1024
    );
    drop(stub);
    if runs("payloads") {
        payload_peaks();
        println!();
    }
    if runs("cold") {
        cold_start().await;
    }
    if runs("sizes") {
        sizes();
    }
}

fn far() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(3600)
}

/// Process start to the first poll of the Runtime API, for the release binary.
async fn cold_start() {
    test_support::bench::cold_start(
        env!("CARGO_BIN_EXE_cognito-signout-responder"),
        "cognito-signout-responder",
        &[
            ("AWS_REGION", "us-east-1"),
            (
                "DLQ_URL",
                "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
            ),
            ("ALLOWED_USER_POOL_IDS", POOL),
            // Revocation on: its clients must not slow the cold start (they are built lazily).
            ("REVOCATION_TABLE", "cutoffs"),
            ("EVENT_BUS_NAME", "security"),
        ],
        knob("BENCH_COLD_STARTS", 20) as usize,
    )
    .await;
}

fn sizes() {
    let size = |path: &str| {
        std::fs::metadata(path)
            .map(|m| format!("{:.2} MiB ({} bytes)", m.len() as f64 / 1048576.0, m.len()))
    };
    let release = env!("CARGO_BIN_EXE_cognito-signout-responder");
    println!(
        "x86_64 release binary {release}: {}",
        size(release).unwrap_or_else(|_| "missing".into())
    );
    let arm = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/lambda/cognito-signout-responder/bootstrap"
    );
    match size(arm) {
        Ok(s) => println!("arm64 bootstrap (cargo lambda build --release --arm64): {s}"),
        Err(_) => println!("arm64 bootstrap: not built (scripts/bench builds it)"),
    }
}
