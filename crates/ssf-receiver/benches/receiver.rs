//! The receiver's benchmark: cold start of the release binary (process start to its first
//! poll of the Lambda Runtime API), time and CPU per pushed SET with a warm JWKS (the real
//! function: payload format 2.0 event, RS256 check, claims, event and subject mapping, on
//! in-memory users, queue and replay table, so that only the receiver's own work is
//! measured), and the binary's size. Prints figures; asserts nothing about speed.
//!
//! Run: `cargo bench -p ssf-receiver --bench receiver` (knobs: BENCH_COLD_STARTS, BENCH_SETS
//! per round, BENCH_ROUNDS, BENCH_WARM_UP). The arm64 size is read from
//! `target/lambda/ssf-receiver/bootstrap` when `cargo lambda build --release --arm64` built it
//! (`scripts/bench` does).

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cognito_names::Action;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey};
use lambda_edge::MetricsSink;
use serde_json::{json, Value};
use ssf_receiver::Directory;
use ssf_receiver::Expected;
use ssf_receiver::Function;
use ssf_receiver::HttpsClient;
use ssf_receiver::MemoryAlertQueue;
use ssf_receiver::MemoryReplays;
use ssf_receiver::{HttpsTransmitterKeySource, JwksLocation};
use ssf_receiver::{MemoryUser, MemoryUsers};
use ssf_receiver::{Receiver, ReceiverSettings};
use test_support::bench::{self, cpu_time, knob, percentile, us, Spread};
use test_support::http_stub::StubReply;

const RSA_KEY: &str = include_str!("../tests/keys/test-only-rsa-private.pem");
const KID: &str = "bench-rsa-1";
const POOL: &str = "eu-west-1_BenchPool1";
const AUDIENCE: &str = "https://receiver.example.com/ssf";
const SESSION_REVOKED: &str = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn key() -> EncodingKey {
    EncodingKey::from_rsa_pem(RSA_KEY.as_bytes()).expect("the test RSA key")
}

/// A session-revoked SET of `issuer` for the pool user `sub-<n>`, signed RS256.
fn set(issuer: &str, n: usize) -> String {
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let header = json!({"typ": "secevent+jwt", "alg": "RS256", "kid": KID});
    let claims = json!({
        "iss": issuer, "aud": AUDIENCE, "jti": format!("bench-{n}"), "iat": now(),
        "sub_id": {"format": "iss_sub", "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"), "sub": format!("sub-{}", n % 100)},
        "events": {SESSION_REVOKED: {"event_timestamp": now()}},
    });
    let input = format!("{}.{}", b64(&header), b64(&claims));
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &key(), Algorithm::RS256).expect("signed");
    format!("{input}.{signature}")
}

fn push(set: &str) -> Value {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/",
        "headers": {"content-type": "application/secevent+jwt"},
        "requestContext": {"http": {"method": "POST", "path": "/"}},
        "body": set, "isBase64Encoded": false,
    })
}

/// The transmitter's JWKS on a thread and runtime of its own: its base URL.
fn transmitter() -> String {
    let mut jwk = Jwk::from_encoding_key(&key(), Algorithm::RS256).expect("a JWK");
    jwk.common.key_id = Some(KID.to_owned());
    let jwks = serde_json::to_string(&JwkSet { keys: vec![jwk] }).expect("a JWKS");
    bench::stub_on_own_thread(move |_| StubReply::json(200, "application/json", jwks.clone())).0
}

/// Time and CPU per pushed SET with a warm JWKS, on in-memory adapters.
async fn sets() {
    let n = knob("BENCH_SETS", 1000) as usize;
    let rounds = knob("BENCH_ROUNDS", 5) as usize;
    let warm_up = knob("BENCH_WARM_UP", 200) as usize;
    let base = transmitter();
    let issuer = format!("{base}/tenant");
    let users = (0..100)
        .map(|i| MemoryUser {
            pool: POOL.parse().expect("a pool id"),
            username: format!("user-{i}"),
            sub: format!("sub-{i}"),
            email: None,
            email_verified: false,
        })
        .collect();
    let receiver = Receiver::new(
        ReceiverSettings {
            expected: Expected {
                issuer: issuer.clone(),
                audience: AUDIENCE.to_owned(),
            },
            directory: Directory {
                issuer: issuer.clone(),
                pools: vec![POOL.parse().expect("a pool id")],
                identity_provider: None,
            },
            compromise_actions: vec![Action::SignOut],
        },
        HttpsTransmitterKeySource::new(
            Arc::new(HttpsClient::new()),
            JwksLocation::Configured(format!("{base}/jwks").parse().expect("a loopback URL")),
        ),
        MemoryUsers::new(users),
        MemoryAlertQueue::new(),
        MemoryReplays::new(),
    );
    let function = Function::new(
        receiver,
        None,
        MetricsSink::with_writer("Bench", "bench", |_| {}),
    );
    // Signed beforehand: the transmitter's signing is not the receiver's cost.
    let events: Vec<Value> = (0..warm_up + rounds * n)
        .map(|i| push(&set(&issuer, i)))
        .collect();
    let mut events = events.iter();
    let mut once = async || {
        let event = events.next().expect("enough SETs");
        let answer = function.handle(event, "bench").await.expect("a push");
        assert_eq!(answer["statusCode"], 202, "{answer}");
    };
    for _ in 0..warm_up {
        once().await;
    }
    let (mut p50s, mut p99s, mut cpus) = (Spread::default(), Spread::default(), Spread::default());
    for round in 1..=rounds {
        let mut samples = Vec::with_capacity(n);
        let cpu = cpu_time();
        for _ in 0..n {
            let started = Instant::now();
            once().await;
            samples.push(started.elapsed());
        }
        let cpu = (cpu_time() - cpu) / n as u32;
        samples.sort();
        let (p50, p99) = (percentile(&samples, 50), percentile(&samples, 99));
        println!(
            "  round {round}/{rounds}, {n} SETs: p50 {:.0} us, p99 {:.0} us, max {:.0} us; CPU {:.0} us each",
            us(p50),
            us(p99),
            us(samples[n - 1]),
            us(cpu)
        );
        p50s.push(p50);
        p99s.push(p99);
        cpus.push(cpu);
    }
    println!(
        "time per pushed SET, warm JWKS, in-memory users/queue/replays: over {rounds} rounds of {n} (after {warm_up} to warm up): p50 {}, p99 {}, CPU per SET {}",
        p50s.us(),
        p99s.us(),
        cpus.us(),
    );
}

/// Process start to the first poll of the Runtime API, for the release binary.
async fn cold_start() {
    bench::cold_start(
        env!("CARGO_BIN_EXE_ssf-receiver"),
        "ssf-receiver",
        &[
            ("AWS_REGION", "eu-west-1"),
            ("SSF_ISSUER", "https://idp.example.com/"),
            ("SSF_AUDIENCE", AUDIENCE),
            ("SSF_USER_POOL_IDS", POOL),
            (
                "ALERT_QUEUE_URL",
                "https://sqs.eu-west-1.amazonaws.com/123456789012/alerts",
            ),
            ("REVOCATION_TABLE", "cutoffs"),
        ],
        knob("BENCH_COLD_STARTS", 20) as usize,
    )
    .await;
}

fn sizes() {
    let binary = env!("CARGO_BIN_EXE_ssf-receiver");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/lambda/ssf-receiver/bootstrap");
    for (label, path) in [
        ("x86_64 release binary", std::path::PathBuf::from(binary)),
        (
            "arm64 bootstrap (cargo lambda build --release --arm64)",
            root,
        ),
    ] {
        match std::fs::metadata(&path) {
            Ok(m) => println!(
                "{label} {}: {:.2} MiB ({} bytes)",
                path.display(),
                m.len() as f64 / 1048576.0,
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
        println!("receiver: run with `cargo bench -p ssf-receiver --bench receiver`");
        return;
    }
    cold_start().await;
    sets().await;
    sizes();
}
