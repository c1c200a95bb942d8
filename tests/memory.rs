//! The function's memory on the biggest asynchronous payloads it can be sent (issue 23): a
//! 10,000-event user-activity log and 10,000 distinct takeovers, each read and settled in a
//! process of its own (peak resident memory is a process's high-water mark) against a stub
//! of Cognito and SQS, must stay inside the goals set for the template's 256 MB: 200 MB and
//! 250 MB. Every group of records once started at once and held 350 MB of waiting futures.
//!
//! A test without the harness: it runs itself as a child per payload (`--payload KIND`).
//! `cargo bench --bench throughput` prints the same peaks for the release build.

use std::process::Command;
use std::time::Duration;

use cognito_signout_responder::{aws_responder, Batch, Config, Timeouts};
use test_support::bench::peak_rss_kb;
use test_support::fake_aws;
use test_support::http_stub::HttpStub;
use test_support::threat_log::activity_log;

const POOL: &str = "us-east-1_PeakPool1";

/// The payloads and their goals, in MB of peak resident memory.
const GOALS: [(&str, u64); 2] = [("activity-log", 200), ("takeovers", 250)];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(kind) = args
        .iter()
        .position(|a| a == "--payload")
        .and_then(|i| args.get(i + 1))
    {
        let settled = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(settle(kind));
        println!("settled={settled} peak_kb={}", peak_rss_kb());
        return;
    }
    let mut over = Vec::new();
    for (kind, goal_mb) in GOALS {
        let out = Command::new(std::env::current_exe().expect("this test"))
            .args(["--payload", kind])
            .output()
            .expect("the payload's process");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{kind}: {}\n{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
        let figure = |name: &str| -> u64 {
            stdout
                .split_whitespace()
                .find_map(|w| w.strip_prefix(name)?.parse().ok())
                .unwrap_or_else(|| panic!("{kind}: no {name} in {stdout:?}"))
        };
        let (settled, peak_mb) = (figure("settled="), figure("peak_kb=") / 1024);
        assert_eq!(settled, 10_000, "{kind}: every record settled");
        println!("memory: {kind}: 10,000 records settled, peak {peak_mb} MB (goal {goal_mb} MB)");
        if peak_mb >= goal_mb {
            over.push(format!("{kind}: {peak_mb} MB, goal {goal_mb} MB"));
        }
    }
    assert!(over.is_empty(), "over the memory goal: {over:?}");
}

/// Reads and settles the payload `kind` as the function would; the records settled.
async fn settle(kind: &str) -> usize {
    let (payload, _) = activity_log(POOL, 10_000, kind == "takeovers");
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
    .expect("a configuration");
    let sdk = fake_aws::sdk_for(&url, 1).await;
    let responder = aws_responder(&sdk, &config, Timeouts::default());
    let raw: Box<serde_json::value::RawValue> =
        serde_json::from_str(&payload).expect("a JSON payload");
    drop(payload);
    let batch = Batch::from_payload_in(&raw, "memory", Some("123456789012"));
    drop(raw);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3600);
    responder.settle(&batch, deadline).await.settlements.len()
}
