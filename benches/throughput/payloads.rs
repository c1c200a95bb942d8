//! Big payloads: each read and settled in a process of its own, its peak resident memory
//! printed.

use super::*;
use test_support::threat_log::activity_log;

/// The big asynchronous payloads, each read and settled in a fresh process (peak resident
/// memory is a process's high-water mark): a 10,000-event user-activity log, 10,000 distinct
/// takeovers, and a Security Hub event of 1,000 findings, against an in-process stub of
/// Cognito and SQS. The template gives the function 256 MB.
pub(crate) fn payload_peaks() {
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

/// The child of [`payload_peaks`]: builds the payload `kind`, settles it, prints its row.
pub(crate) async fn payload_peak(kind: &str) {
    let (payload, gzipped, expected) = match kind {
        // Mostly quiet sign-ins, one takeover in a hundred: a busy pool's log.
        "activity-log" => {
            let (payload, gzipped) = activity_log(POOL, 10_000, false);
            (payload, gzipped, 10_000)
        }
        "takeovers" => {
            let (payload, gzipped) = activity_log(POOL, 10_000, true);
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
