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

#[path = "../tests/it/helpers/fake_aws.rs"]
mod fake_aws;
/// The one HTTP stub, as `fake_aws` names it.
mod http_stub {
    pub use test_support::http_stub::*;
}

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region};
use cognito_signout_responder::Config;
use cognito_signout_responder::OutcomeKind;
use cognito_signout_responder::Timeouts;
use cognito_signout_responder::{aws_responder, AwsResponder};
use cognito_signout_responder::{Batch, Record, Source};
use http_stub::{HttpStub, StubReply};
use test_support::bench::knob;

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

/// Peak resident set size of this process, from /proc (kB).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
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

/// What each containment action set costs: 100 unique alerts asking it, no cap,
/// `MAX_CONCURRENCY=10`, revocation off; every call (the actions, the reset's status read)
/// answered after the same latency.
async fn containment_cost(stub: &StubProcess, url: &str, latency_ms: u64) {
    println!("## What containment adds (100 unique alerts, no cap, MAX_CONCURRENCY=10, every call {latency_ms} ms)");
    println!();
    println!("| actions | user-update calls | time (ms) | per alert, wall (ms) | CPU/alert (us) |");
    println!("|---|---|---|---|---|");
    let allowed = [("ALLOWED_ACTIONS", "sign-out,reset-password,disable")];
    for (round, actions) in [
        "sign-out",
        "disable",
        "reset-password",
        "reset-password,disable",
    ]
    .into_iter()
    .enumerate()
    {
        let responder = responder_with(url, 10, None, &allowed).await;
        let records: Vec<Record> = (0..100)
            .map(|i| Record {
                message_id: format!("c{round}-{i}"),
                body: serde_json::json!({"UserPoolId": "us-east-1_Bench", "Username": format!("contain{round}-{i}"), "Actions": actions}).to_string(),
                receive_count: Some(1),
                group_id: None,
                source_arn: None,
                origin: Default::default(),
                provenance: Default::default(),
            })
            .collect();
        let batch = Batch {
            source: Source::Sqs { fifo: false },
            records,
        };
        let cpu_before = process_cpu_time();
        let started = Instant::now();
        let report = responder.settle(&batch, far()).await;
        let elapsed = started.elapsed();
        let cpu = process_cpu_time() - cpu_before;
        assert_eq!(
            report.count(OutcomeKind::SignedOut),
            100,
            "every alert signed out"
        );
        let calls = stub.arrivals().len();
        println!(
            "| {actions} | {calls} | {:.0} | {:.1} | {:.0} |",
            elapsed.as_secs_f64() * 1000.0,
            elapsed.as_secs_f64() * 1000.0 / 100.0,
            cpu.as_secs_f64() * 1e6 / 100.0,
        );
    }
}

/// An alert storm: 100 users, each named by one alert in each of 10 invocations of one
/// instance (a detector firing at every sign-in attempt). Alerts that carry the time they were
/// raised (SQS `SentTimestamp`, before the first sign-out) are skipped once their user is
/// signed out; alerts without a time (the behaviour before issue 18, where nothing was
/// remembered) cost one call each per invocation.
async fn storm(stub: &StubProcess, url: &str, latency_ms: u64) {
    println!("## An alert storm (100 users x 10 alerts over 10 invocations of one instance, MAX_CONCURRENCY=10, no cap, every call {latency_ms} ms)");
    println!();
    println!("| alerts carry their time | sign-out calls | time for the 10 invocations (ms) | already signed out |");
    println!("|---|---|---|---|");
    let raised = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
        .saturating_sub(60_000);
    for timed in [false, true] {
        let responder = responder(url, 10, None).await;
        stub.arrivals();
        let started = Instant::now();
        let mut skipped = 0;
        for round in 0..10 {
            let records: Vec<serde_json::Value> = (0..100)
                .map(|u| {
                    let mut attributes = serde_json::json!({"ApproximateReceiveCount": "1"});
                    if timed {
                        attributes["SentTimestamp"] = serde_json::json!(raised.to_string());
                    }
                    serde_json::json!({
                        "messageId": format!("s{timed}-{round}-{u}"),
                        "eventSource": "aws:sqs",
                        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts",
                        "body": serde_json::json!({"UserPoolId": "us-east-1_Bench", "Username": format!("storm{timed}-{u}")}).to_string(),
                        "attributes": attributes,
                    })
                })
                .collect();
            let payload = serde_json::json!({"Records": records}).to_string();
            let raw: Box<serde_json::value::RawValue> =
                serde_json::from_str(&payload).expect("JSON");
            let batch = Batch::from_payload(&raw, "storm");
            let report = responder.settle(&batch, far()).await;
            assert_eq!(report.count(OutcomeKind::SignedOut), 100);
            skipped += report.already_signed_out;
        }
        let elapsed = started.elapsed();
        println!(
            "| {} | {} | {:.0} | {skipped} |",
            if timed {
                "yes (SentTimestamp)"
            } else {
                "no (as before)"
            },
            stub.arrivals().len(),
            elapsed.as_secs_f64() * 1000.0,
        );
    }
}

/// Two cases a user feels: a small batch on an idle instance at the default settings
/// (`MAX_CONCURRENCY=10`, `MAX_REQUESTS_PER_SECOND=20`), and a flood of 1,000 junk alerts in
/// one invocation (every one dead-lettered).
async fn defaults_and_floods(stub: &StubProcess, url: &str, latency_ms: u64) {
    println!("## At the default settings (MAX_CONCURRENCY=10, MAX_REQUESTS_PER_SECOND=20)");
    println!();
    println!("| case | time (ms) | Cognito calls | SQS requests | letters |");
    println!("|---|---|---|---|---|");
    for round in 0..3 {
        // A fresh instance each round: its rate window is empty, as on an idle instance.
        let responder = responder(url, 10, Some(20)).await;
        let (batch, unique) = batch(10, false, 5_000 + round);
        let started = Instant::now();
        let report = responder.settle(&batch, far()).await;
        let elapsed = started.elapsed();
        assert_eq!(
            report.count(OutcomeKind::SignedOut),
            10,
            "every alert signed out"
        );
        let calls = stub.arrivals().len();
        assert_eq!(calls, unique);
        println!(
            "| 10 alerts, idle instance, run {} (one round trip is {latency_ms} ms) | {:.0} | {calls} | 0 | 0 |",
            round + 1,
            elapsed.as_secs_f64() * 1000.0
        );
    }
    for round in 0..3 {
        let responder = responder(url, 10, Some(20)).await;
        let junk = Batch {
            source: Source::Sqs { fifo: false },
            records: (0..1000)
                .map(|i| Record {
                    message_id: format!("junk{round}-{i}"),
                    body: format!("not an alert {i}"),
                    receive_count: Some(1),
                    group_id: None,
                    source_arn: Some("arn:aws:sqs:us-east-1:123456789012:alerts".into()),
                    origin: Default::default(),
                    provenance: Default::default(),
                })
                .collect(),
        };
        stub.dead_letters();
        let started = Instant::now();
        let report = responder.settle(&junk, far()).await;
        let elapsed = started.elapsed();
        assert_eq!(
            report.count(OutcomeKind::DeadLettered),
            1000,
            "every junk alert dead-lettered"
        );
        let (requests, letters) = stub.dead_letters();
        assert_eq!(letters, 1000, "every letter reached the queue");
        println!(
            "| 1,000 junk alerts, run {} | {:.0} | 0 | {requests} | {letters} |",
            round + 1,
            elapsed.as_secs_f64() * 1000.0
        );
    }
}

/// What revocation adds: 100 unique alerts, no cap, `MAX_CONCURRENCY=10`, with the cutoff
/// table and the event bus off, then on (each of `AdminGetUser`, `UpdateItem`, `PutEvents`
/// answered after the same latency as a sign-out).
async fn revocation_cost(stub: &StubProcess, url: &str, latency_ms: u64) {
    println!("## What revocation adds (100 unique alerts, no cap, MAX_CONCURRENCY=10, every call {latency_ms} ms)");
    println!();
    println!("| revocation | time (ms) | per alert, wall (ms) | CPU/alert (us) |");
    println!("|---|---|---|---|");
    for (round, on) in [false, true, false, true].into_iter().enumerate() {
        let responder = revoking_responder(url, 10, None, on).await;
        let (batch, unique) = batch(100, false, 7_000 + round);
        let cpu_before = process_cpu_time();
        let started = Instant::now();
        let report = responder.settle(&batch, far()).await;
        let elapsed = started.elapsed();
        let cpu = process_cpu_time() - cpu_before;
        assert_eq!(
            report.count(OutcomeKind::SignedOut),
            100,
            "every alert signed out"
        );
        if on {
            assert_eq!(report.cutoffs_recorded, unique, "one cutoff per user");
            assert_eq!(report.events_published, unique, "one event per user");
        }
        stub.arrivals();
        println!(
            "| {} | {:.0} | {:.1} | {:.0} |",
            if on { "on (table and bus)" } else { "off" },
            elapsed.as_secs_f64() * 1000.0,
            elapsed.as_secs_f64() * 1000.0 / 100.0,
            cpu.as_secs_f64() * 1e6 / 100.0,
        );
    }
    // Threat-protection takeovers whose lines name the user's sub: the sub written is still
    // Cognito's own (`AdminGetUser`, made while the sign-out runs), never the line's.
    for round in 0..2 {
        let responder = revoking_responder(url, 10, None, true).await;
        let lines: Vec<String> = (0..100)
            .map(|u| activity_line(8_000 + round * 100 + u, true))
            .collect();
        let (payload, _) = log_payload(&lines);
        let raw: Box<serde_json::value::RawValue> =
            serde_json::from_str(&payload).expect("a JSON payload");
        let batch = Batch::from_payload_in(&raw, "bench", Some("123456789012"));
        let cpu_before = process_cpu_time();
        let started = Instant::now();
        let report = responder.settle(&batch, far()).await;
        let elapsed = started.elapsed();
        let cpu = process_cpu_time() - cpu_before;
        assert_eq!(
            report.count(OutcomeKind::SignedOut),
            100,
            "every takeover signed out"
        );
        assert_eq!(report.cutoffs_recorded, 100, "one cutoff per user");
        stub.arrivals();
        println!(
            "| on, 100 takeover lines naming their sub (the sub read from Cognito) | {:.0} | {:.1} | {:.0} |",
            elapsed.as_secs_f64() * 1000.0,
            elapsed.as_secs_f64() * 1000.0 / 100.0,
            cpu.as_secs_f64() * 1e6 / 100.0,
        );
    }
}

/// The cost of the first call into a new account (docs/deployment.md#pools-in-many-accounts): on moto (which
/// separates accounts by the assumed role's credentials), one pool in each of
/// `BENCH_ACCOUNTS` member accounts with two users; each account's first alert pays
/// `sts:AssumeRole` and a new regional client, its second reuses both. The own account's
/// alerts (no role) are the baseline. Skipped without `$MOTO_SERVER`.
async fn first_call_into_an_account() {
    use test_support::moto::{self, Moto};
    println!(
        "## The first call into a new account (moto: sts:AssumeRole and AdminUserGlobalSignOut)"
    );
    println!();
    if std::env::var("MOTO_SERVER").is_err() {
        println!("skipped: set MOTO_SERVER (scripts/bench does)");
        return;
    }
    let accounts = knob("BENCH_ACCOUNTS", 10) as usize;
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let own_cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let own_pool = moto::create_pool(&own_cognito, "own").await;
    let mut members = Vec::new();
    for i in 0..accounts {
        let account = format!("2222222222{i:02}");
        let member_sdk = moto::account_sdk(&sdk, &account).await;
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&member_sdk);
        let pool = moto::create_pool(&cognito, "member").await;
        for user in ["first", "second"] {
            moto::create_user(&cognito, &pool, user).await;
        }
        members.push((account, pool.id));
    }
    for user in ["first", "second"] {
        moto::create_user(&own_cognito, &own_pool, user).await;
    }
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dlq = moto::create_queue(&sqs, "bench-dlq").await;
    let mut allowed: Vec<String> = members
        .iter()
        .map(|(account, pool)| format!("arn:aws:cognito-idp:us-east-1:{account}:userpool/{pool}"))
        .collect();
    allowed.push(own_pool.id.clone());
    let config = Config::from_vars(
        [
            ("DLQ_URL", dlq),
            ("CROSS_ACCOUNT_ROLE_NAME", "member".to_owned()),
            ("ALLOWED_USER_POOL_IDS", allowed.join(",")),
            // The default cap (20 calls a second) would hold the 21st call of this quick
            // sequence for most of a second: measured here is the account's cost, not the cap.
            ("MAX_REQUESTS_PER_SECOND", "unlimited".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    )
    .expect("bench configuration");
    let responder = aws_responder(&sdk, &config, Timeouts::default());
    let alert = |body: serde_json::Value| {
        let record = serde_json::json!({"messageId": "m1", "body": body.to_string(), "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts",
            "attributes": {"ApproximateReceiveCount": "1"}});
        Batch::from_payload_in(
            &serde_json::value::to_raw_value(&serde_json::json!({"Records": [record]}))
                .expect("a payload"),
            "bench",
            Some("123456789012"),
        )
    };
    let timed = |batch: Batch| {
        let responder = &responder;
        async move {
            let started = Instant::now();
            let report = responder.settle(&batch, far()).await;
            assert_eq!(report.count(OutcomeKind::SignedOut), 1, "signed out");
            started.elapsed()
        }
    };
    // The own account first: its client, the connection to moto, the allocator.
    let mut own = Vec::new();
    for user in ["first", "second"] {
        own.push(
            timed(alert(
                serde_json::json!({"UserPoolId": own_pool.id, "Username": user}),
            ))
            .await,
        );
    }
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for (account, pool) in &members {
        let arn = format!("arn:aws:cognito-idp:us-east-1:{account}:userpool/{pool}");
        first.push(
            timed(alert(
                serde_json::json!({"UserPoolArn": arn, "Username": "first"}),
            ))
            .await,
        );
        second.push(
            timed(alert(
                serde_json::json!({"UserPoolArn": arn, "Username": "second"}),
            ))
            .await,
        );
    }
    let listed = |v: &[Duration]| {
        v.iter()
            .map(|d| format!("{:.1}", d.as_secs_f64() * 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("first alerts, in order (ms): {}", listed(&first));
    println!("second alerts, in order (ms): {}", listed(&second));
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1000.0
    };
    let max = |v: &[Duration]| v.iter().max().map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    println!("| alert | alerts | median (ms) | max (ms) |");
    println!("|---|---|---|---|");
    println!(
        "| own account, no role (second alert) | 1 | {:.1} | {:.1} |",
        own[1].as_secs_f64() * 1000.0,
        own[1].as_secs_f64() * 1000.0
    );
    println!("| first alert into a member account (AssumeRole, new client, sign-out) | {accounts} | {:.1} | {:.1} |", median(first.clone()), max(&first));
    println!("| second alert into the same account (cached credentials and client) | {accounts} | {:.1} | {:.1} |", median(second.clone()), max(&second));
    println!(
        "the first call into an account costs {:.1} ms more (median) than the next one; accounts in use: {}",
        median(first) - median(second),
        responder.signer().accounts_in_use()
    );
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

// --- big payloads: peak memory, each in a process of its own ---------------------------------

/// The big asynchronous payloads, each read and settled in a fresh process (peak resident
/// memory is a process's high-water mark): a 10,000-event user-activity log, 10,000 distinct
/// takeovers, and a Security Hub event of 1,000 findings, against an in-process stub of
/// Cognito and SQS. The template gives the function 256 MB.
fn payload_peaks() {
    println!("## Big payloads: peak resident memory (each in its own process)");
    println!();
    println!("| payload | gzip (KiB) | records | time (ms) | peak RSS (MB) |");
    println!("|---|---|---|---|---|");
    for kind in ["activity-log", "takeovers", "findings"] {
        let out = Command::new(std::env::current_exe().expect("this benchmark"))
            .args(["--payload", kind])
            .output()
            .expect("the payload child");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            println!(
                "| {kind} | failed: {} |",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// A CloudWatch Logs payload of `lines`, as the subscription delivers it; its gzip size.
fn log_payload(lines: &[String]) -> (String, usize) {
    use base64::Engine;
    let events: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| serde_json::json!({"id": format!("{i:056}"), "timestamp": 1_749_719_641_000u64 + i as u64, "message": line}))
        .collect();
    let data = serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": "123456789012",
        "logGroup": "/aws/vendedlogs/cognito/bench", "logStream": "s",
        "subscriptionFilters": ["takeover"], "logEvents": events,
    });
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(data.to_string().as_bytes()).expect("gzip");
    let gzipped = gzip.finish().expect("gzip");
    let encoded = base64::engine::general_purpose::STANDARD.encode(&gzipped);
    (
        serde_json::json!({"awslogs": {"data": encoded}}).to_string(),
        gzipped.len(),
    )
}

/// One user-activity line of `user`: an account takeover when `takeover`, else a sign-in
/// that passed (ignored).
fn activity_line(user: usize, takeover: bool) -> String {
    let (risk, decision) = if takeover {
        ("High", "AccountTakeover")
    } else {
        ("Low", "NoRisk")
    };
    serde_json::json!({
        "eventTimestamp": "1749719641000", "eventSource": "USER_ACTIVITY", "logLevel": "INFO",
        "message": {
            "version": "1", "eventId": format!("e0a1b2c3-0001-4000-8000-{user:012}"),
            "eventType": "SignIn", "userSub": format!("d4d4d4d4-1111-4000-8000-{user:012}"),
            "userName": format!("user{user}"), "userPoolId": POOL,
            "clientId": "4example5client6id7abc", "creationDate": "Thu Jun 12 09:14:01 UTC 2025",
            "eventResponse": "Pass", "riskLevel": risk, "riskDecision": decision,
            "challenges": [{"challengeName": "Password", "challengeResponse": "Success"}],
            "deviceName": "Chrome 126, Windows 10", "ipAddress": "198.51.100.10",
            "requestId": format!("7fa1b2c3-0001-4000-8000-{user:012}"), "idpName": "",
            "compromisedCredentialDetected": "false", "city": "Lisbon", "country": "Portugal",
            "eventFeedbackValue": "", "eventFeedbackDate": "", "eventFeedbackProvider": "",
            "hasContextData": "true"
        },
        "logSourceId": {"userPoolId": POOL}
    })
    .to_string()
}

/// The child of [`payload_peaks`]: builds the payload `kind`, settles it, prints its row.
async fn payload_peak(kind: &str) {
    let (payload, gzipped, expected) = match kind {
        // Mostly quiet sign-ins, one takeover in a hundred: a busy pool's log.
        "activity-log" => {
            let lines: Vec<String> = (0..10_000)
                .map(|u| activity_line(u, u % 100 == 0))
                .collect();
            let (payload, gzipped) = log_payload(&lines);
            (payload, gzipped, 10_000)
        }
        "takeovers" => {
            let lines: Vec<String> = (0..10_000).map(|u| activity_line(u, true)).collect();
            let (payload, gzipped) = log_payload(&lines);
            (payload, gzipped, 10_000)
        }
        _ => {
            let findings: Vec<serde_json::Value> = (0..1_000)
                .map(|u| serde_json::json!({
                    "SchemaVersion": "2018-10-08", "Id": format!("finding-{u}"),
                    "ProductArn": "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
                    "GeneratorId": "siem", "AwsAccountId": "123456789012",
                    "Types": ["TTPs/Initial Access"], "CreatedAt": "2026-01-01T00:00:00Z",
                    "UpdatedAt": "2026-01-01T00:00:00Z", "Severity": {"Label": "HIGH"},
                    "Title": "Cognito account compromised", "Description": "impossible travel",
                    "Resources": [{"Type": "Other", "Id": format!("user{u}")}],
                    "ProductFields": {"UserPoolId": POOL, "Username": format!("user{u}")},
                }))
                .collect();
            let event = serde_json::json!({
                "version": "0", "id": "bench", "detail-type": "Security Hub Findings - Imported",
                "source": "aws.securityhub", "account": "123456789012",
                "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
                "detail": {"findings": findings},
            })
            .to_string();
            let size = event.len();
            (event, size, 1_000)
        }
    };
    let stub = HttpStub::start(|req| match fake_aws::operation(req) {
        "SendMessageBatch" => fake_aws::sqs_sent(req),
        _ => fake_aws::cognito_ok(),
    })
    .await;
    let url = format!("http://{}", stub.addr);
    let config = Config::from_vars(
        [
            ("DLQ_URL", format!("{url}/000000000000/dlq")),
            ("ALLOWED_USER_POOL_IDS", POOL.to_owned()),
            ("MAX_REQUESTS_PER_SECOND", "unlimited".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    )
    .expect("config");
    let sdk = fake_aws::sdk_for(&url, 1).await;
    let responder = aws_responder(&sdk, &config, Timeouts::default());
    let started = Instant::now();
    let raw: Box<serde_json::value::RawValue> =
        serde_json::from_str(&payload).expect("a JSON payload");
    drop(payload);
    let batch = Batch::from_payload_in(&raw, "bench", Some("123456789012"));
    drop(raw);
    let report = responder.settle(&batch, far()).await;
    let elapsed = started.elapsed();
    assert_eq!(report.settlements.len(), expected, "every record settled");
    println!(
        "| {kind} | {} | {expected} | {:.0} | {:.0} |",
        gzipped / 1024,
        elapsed.as_secs_f64() * 1000.0,
        peak_rss_kb() as f64 / 1024.0,
    );
}
