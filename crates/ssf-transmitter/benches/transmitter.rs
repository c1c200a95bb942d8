//! The transmitter's benchmark: from the responder's event to the receiver's 202 (the real
//! function on the memory table and queue, a memory signing key and a loopback receiver on
//! a thread of its own), beside its two unavoidable parts (one push round trip of a signed
//! SET, one signature), so that the transmitter's own overhead is their difference; a fan-out
//! to many streams under the `Sign` cap, beside the time the cap alone sets; cold start of the
//! release binary; the binary's size. Prints figures; asserts nothing about speed.
//!
//! Run: `cargo bench -p ssf-transmitter --bench transmitter` (knobs: BENCH_EVENTS,
//! BENCH_STREAMS, BENCH_SIGNS_PER_SECOND, BENCH_COLD_STARTS). The arm64 size is read from
//! `target/lambda/ssf-transmitter/bootstrap` when `cargo lambda build --release --arm64`
//! built it (`scripts/bench` does).

use std::time::{Duration, Instant};

use jsonwebtoken::EncodingKey;
use serde_json::{json, Value};
use ssf_transmitter::*;
use test_support::bench::{self, knob, percentile, stub_on_own_thread};
use test_support::http_stub::StubReply;

const KEY: &str = include_str!("../tests/keys/test-only-rsa-private.pem");

fn signer() -> MemorySigner {
    MemorySigner::from_key(EncodingKey::from_rsa_pem(KEY.as_bytes()).expect("the test key"))
        .expect("an RSA key")
}

fn event(n: usize) -> Value {
    json!({"id": format!("evt-{n}"), "detail-type": SIGNED_OUT, "source": "cognito-signout-responder",
        "detail": {"userPoolId": "eu-west-1_BenchPool1", "username": format!("user-{n}"), "sub": format!("sub-{n}"),
                   "revokedBefore": unix_now().get(), "signedOutAt": "2027-01-15T08:00:00Z", "alertMessageIds": ["m"], "actions": ["sign-out"]}})
}

fn settings() -> TransmitterSettings {
    TransmitterSettings {
        endpoints: Endpoints::new("https://ssf.example.com"),
        allow_loopback: true,
        push_retry_seconds: 86_400,
        poll_retention_seconds: 3600,
        max_streams_per_client: 10_000,
    }
}

fn push_stream(id: usize, url: &str) -> Stream {
    Stream {
        stream_id: format!("{id:032x}"),
        client_id: "benchclient".to_owned(),
        delivery: Delivery::Push {
            endpoint_url: url.to_owned(),
            authorization_header: Some("Bearer bench".to_owned()),
        },
        events_requested: vec![SESSION_REVOKED.to_owned()],
        description: None,
        status: Status::Enabled,
        reason: None,
        version: 0,
    }
}

async fn transmitter(
    streams: usize,
    url: &str,
    signs_per_second: u32,
) -> Transmitter<MemorySigner, MemoryStreams, MemoryDeliveryQueue> {
    let table = MemoryStreams::new();
    for id in 0..streams {
        table
            .create(&push_stream(id + 1, url), usize::MAX)
            .await
            .expect("kept")
            .expect("under the limit");
    }
    Transmitter::new(
        settings(),
        signer(),
        table,
        MemoryDeliveryQueue::new(),
        signs_per_second,
    )
}

fn p(samples: &[Duration], q: usize) -> f64 {
    bench::ms(percentile(samples, q))
}

/// The responder's event to the receiver's 202, beside one round trip and one signature.
async fn latency(url: &str) {
    let n = knob("BENCH_EVENTS", 300) as usize;
    let one = transmitter(1, url, 10_000).await;
    let endpoint = ReceiverEndpoint::parse(url, true).expect("a loopback endpoint");
    let client = PushClient::new();
    let signer = signer();
    let set = one
        .sign(&PendingSet::new(
            "i",
            "a",
            "s",
            "t",
            json!({}),
            (SESSION_REVOKED, json!({})),
        ))
        .await
        .expect("signed");
    let (mut whole, mut trips, mut signs) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n + 20 {
        let user = SignedOutUser::read(&event(i)).expect("an event");
        let started = Instant::now();
        let report = one.on_signed_out(&user, started).await.expect("delivered");
        let took = started.elapsed();
        assert_eq!(report.delivered, 1, "the bench receiver answers 202");
        let started = Instant::now();
        assert_eq!(
            client.push(&endpoint, Some("Bearer bench"), &set).await,
            PushAnswer::Accepted
        );
        let trip = started.elapsed();
        let started = Instant::now();
        signer.sign(set.as_bytes()).await.expect("signed");
        let sign = started.elapsed();
        if i >= 20 {
            whole.push(took);
            trips.push(trip);
            signs.push(sign);
        }
    }
    let overhead: Vec<Duration> = whole
        .iter()
        .zip(&trips)
        .zip(&signs)
        .map(|((w, t), s)| w.saturating_sub(*t + *s))
        .collect();
    let mut overhead = overhead;
    overhead.sort();
    println!(
        "event to 202, {n} events, one push stream (loopback receiver, memory key and table):"
    );
    println!(
        "  whole: p50 {:.3} ms, p99 {:.3} ms",
        p(&whole, 50),
        p(&whole, 99)
    );
    println!(
        "  one push round trip alone: p50 {:.3} ms; one RS256 signature alone: p50 {:.3} ms",
        p(&trips, 50),
        p(&signs, 50)
    );
    println!("  the transmitter's own overhead (whole - round trip - signature): p50 {:.3} ms, p99 {:.3} ms (goal: under 50 ms)", p(&overhead, 50), p(&overhead, 99));
}

/// A fan-out to many streams under the `Sign` cap.
async fn fan_out(url: &str) {
    let streams = knob("BENCH_STREAMS", 100) as usize;
    let cap = knob("BENCH_SIGNS_PER_SECOND", 100) as u32;
    let many = transmitter(streams, url, cap).await;
    let user = SignedOutUser::read(&event(1)).expect("an event");
    // Warm: the pace starts empty, as on a fresh instance.
    let started = Instant::now();
    let report = many.on_signed_out(&user, started).await.expect("delivered");
    let took = started.elapsed();
    let floor = Duration::from_secs_f64((streams.saturating_sub(1)) as f64 / f64::from(cap));
    println!("fan-out: one event to {streams} push streams at SSF_SIGNS_PER_SECOND={cap}: {} delivered in {:.1} ms; the cap alone sets {:.1} ms (signs / cap); ratio {:.2} (goal: within 1.5)",
        report.delivered, bench::ms(took), bench::ms(floor), took.as_secs_f64() / floor.as_secs_f64().max(1e-9));
}

async fn cold_start() {
    bench::cold_start(
        env!("CARGO_BIN_EXE_ssf-transmitter"),
        "ssf-transmitter",
        &[
            ("AWS_REGION", "eu-west-1"),
            ("SSF_TRANSMITTER_ISSUER", "https://ssf.example.com"),
            (
                "SSF_TRANSMITTER_AUTH_ISSUER",
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_BenchPool1",
            ),
            (
                "SSF_SIGNING_KEY_IDS",
                "arn:aws:kms:eu-west-1:123456789012:key/bench",
            ),
            ("SSF_STREAMS_TABLE", "streams"),
            (
                "SSF_DELIVERY_QUEUE_URL",
                "https://sqs.eu-west-1.amazonaws.com/123456789012/d",
            ),
            (
                "SSF_DEAD_LETTER_QUEUE_URL",
                "https://sqs.eu-west-1.amazonaws.com/123456789012/dl",
            ),
        ],
        knob("BENCH_COLD_STARTS", 20) as usize,
    )
    .await;
}

fn sizes() {
    let binary = env!("CARGO_BIN_EXE_ssf-transmitter");
    let arm64 = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/lambda/ssf-transmitter/bootstrap");
    for (label, path) in [
        ("x86_64 release binary", std::path::PathBuf::from(binary)),
        (
            "arm64 bootstrap (cargo lambda build --release --arm64)",
            arm64,
        ),
    ] {
        match std::fs::metadata(&path) {
            Ok(m) => println!(
                "{label} {}: {:.2} MiB ({} bytes)",
                path.display(),
                m.len() as f64 / 1_048_576.0,
                m.len()
            ),
            Err(e) => println!("{label} {}: {e}", path.display()),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench targets too, in debug and without `--bench`.
        println!("transmitter: run with `cargo bench -p ssf-transmitter --bench transmitter`");
        return;
    }
    let (url, _) = stub_on_own_thread(|_| StubReply::json(202, "application/json", ""));
    cold_start().await;
    latency(&url).await;
    fan_out(&url).await;
    sizes();
}
