//! The authorizer's benchmark: cold start of the release binary (process start to its first
//! poll of the Lambda Runtime API), time and CPU per authorization with the lookup cache off
//! (the real handler, real RS256 token, warm JWKS, one `GetItem` per request) against a stub
//! DynamoDB on loopback and against moto when `$MOTO_SERVER` is set, and the binary's size.
//! Prints figures; asserts nothing about speed.
//!
//! Run: `cargo bench -p revocation-authorizer --bench authorizer` (knobs: BENCH_COLD_STARTS,
//! BENCH_AUTHORIZATIONS per round, BENCH_ROUNDS, BENCH_WARM_UP, BENCH_INLINE_STUB=1 to also
//! measure with the stub on the bench's own thread, as earlier runs did). Time per authorization is
//! reported per round (p50, p99, CPU, involuntary context switches, new connections) and as
//! the spread over the rounds: one median of one run hides what moves.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region};
use cognito_revocation::{
    AcceptedTokenUse, AppClientId, DynamoDbCutoffStore, HttpsKeySource, JwksEndpoint,
    OnLookupError, RevocationCheck, TokenPolicy, UserPoolId, Verifier,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use revocation_authorizer::Authorizer;
use revocation_authorizer::MetricsSink;
use serde_json::{json, Value};
use test_support::bench::{self, cpu_time, involuntary_switches, knob, percentile, us, Spread};
use test_support::http_stub::{HttpStub, StubReply, StubRequest};

const POOL: &str = "us-east-1_BenchPool1";
const CLIENT: &str = "benchclient1";
const PRIVATE_KEY: &str =
    include_str!("../../cognito-revocation/tests/testdata/test-only-rsa-private.pem");
const JWKS: &str = include_str!("../../cognito-revocation/tests/testdata/jwks.json");

fn token() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL}"),
        "sub": "0b7c5b1e-1b2c-4c7e-9f0a-3d4e5f6a7b8c",
        "client_id": CLIENT, "token_use": "access", "scope": "aws.cognito.signin.user.admin",
        "auth_time": now - 60, "iat": now - 60, "exp": now + 3600, "jti": "bench",
        "username": "bench-user",
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-key-1".to_owned());
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn http_event(token: &str) -> String {
    json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/pets",
        "identitySource": [format!("Bearer {token}")],
        "headers": {"authorization": format!("Bearer {token}")},
    })
    .to_string()
}

/// Process start to the first poll of the Runtime API, for the release binary.
async fn cold_start() {
    bench::cold_start(
        env!("CARGO_BIN_EXE_revocation-authorizer"),
        "revocation-authorizer",
        &[
            ("AWS_REGION", "us-east-1"),
            ("USER_POOL_IDS", POOL),
            ("APP_CLIENT_IDS", CLIENT),
            ("REVOCATION_TABLE", "cutoffs"),
        ],
        knob("BENCH_COLD_STARTS", 20) as usize,
    )
    .await;
}

/// The real handler, lookup cache off, keys from `jwks_base`, the table at `table_endpoint`:
/// a warm-up, then `BENCH_ROUNDS` rounds of `BENCH_AUTHORIZATIONS` each, one line per round
/// (p50, p99, CPU per authorization, involuntary context switches, connections the stub
/// accepted) and a summary over the rounds.
async fn authorizations(
    label: &str,
    jwks_base: &str,
    table_endpoint: &str,
    connections: Option<&AtomicUsize>,
) {
    let n = knob("BENCH_AUTHORIZATIONS", 500) as usize;
    let rounds = knob("BENCH_ROUNDS", 10) as usize;
    let warm_up = knob("BENCH_WARM_UP", 200) as usize;
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(table_endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            aws_sdk_dynamodb::config::Credentials::new("bench", "bench", None, None, "bench"),
        ))
        .build();
    // The binary's own client settings: the shared SDK timeouts.
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .timeout_config(lambda_edge::sdk_timeouts(
                Duration::from_secs(1),
                Duration::from_secs(1),
                Duration::from_secs(2),
            ))
            .build(),
    );
    let policy = TokenPolicy::new(
        [UserPoolId::parse(POOL).unwrap()],
        [AppClientId::parse(CLIENT).unwrap()],
        AcceptedTokenUse::Access,
    )
    .unwrap();
    let check = RevocationCheck::new(
        Verifier::new(
            policy,
            HttpsKeySource::new(JwksEndpoint::Custom(jwks_base.to_owned())),
        ),
        DynamoDbCutoffStore::new(dynamodb, "cutoffs"),
        Duration::ZERO,
        OnLookupError::Deny,
    );
    let authorizer = Authorizer::new(check, MetricsSink::with_writer("Bench", "bench", |_| {}));
    let event: Value = serde_json::from_str(&http_event(&token())).unwrap();
    let once = || async {
        let answer = authorizer.handle(&event, "bench").await.unwrap();
        assert_eq!(answer["isAuthorized"], true, "{answer}");
    };
    // Warm: the JWKS fetch, the TLS configuration, the connection pool, the allocator.
    for _ in 0..warm_up {
        once().await;
    }
    let connected = || connections.map_or(0, |c| c.load(Ordering::Relaxed));
    let (mut p50s, mut p99s) = (Spread::default(), Spread::default());
    for round in 1..=rounds {
        let mut samples = Vec::with_capacity(n);
        let (cpu, switches, opened) = (cpu_time(), involuntary_switches(), connected());
        for _ in 0..n {
            let started = Instant::now();
            once().await;
            samples.push(started.elapsed());
        }
        let cpu = cpu_time() - cpu;
        samples.sort();
        let (p50, p99) = (percentile(&samples, 50), percentile(&samples, 99));
        println!(
            "  {label}, round {round}/{rounds}, {n} authorizations: p50 {:.0} us, p99 {:.0} us, max {:.0} us; CPU {:.0} us each; {} involuntary context switches; {} new connections",
            us(p50),
            us(p99),
            us(samples[n - 1]),
            us(cpu) / n as f64,
            involuntary_switches() - switches,
            connected() - opened,
        );
        p50s.push(p50);
        p99s.push(p99);
    }
    println!(
        "authorization, cache off, {label}: over {rounds} rounds of {n} (after {warm_up} to warm up): p50 {}, p99 {}; {} connections opened in all",
        p50s.us(),
        p99s.us(),
        connected(),
    );
}

/// The stub's answers: the JWKS, and "no item" to every `GetItem`.
fn stub_answer(req: &StubRequest) -> StubReply {
    if req.path.ends_with("/.well-known/jwks.json") {
        StubReply::json(200, "application/json", JWKS)
    } else if req.header("x-amz-target") == Some("DynamoDB_20120810.GetItem") {
        StubReply::json(200, "application/x-amz-json-1.0", "{}")
    } else {
        StubReply::json(
            400,
            "application/x-amz-json-1.0",
            r#"{"__type":"Unexpected"}"#,
        )
    }
}

async fn stub_server() -> HttpStub {
    HttpStub::start(stub_answer).await
}

/// Moto on a free port, with the table created; `None` without `$MOTO_SERVER`.
async fn moto() -> Option<(std::process::Child, String)> {
    let program = std::env::var("MOTO_SERVER").ok()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new(program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let endpoint = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "bench", "bench", None, None, "bench",
        ))
        .load()
        .await;
    use aws_sdk_dynamodb::types::*;
    aws_sdk_dynamodb::Client::new(&sdk)
        .create_table()
        .table_name("cutoffs")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .ok()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .ok()?,
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .ok()?;
    Some((child, endpoint))
}

fn size() {
    let binary = env!("CARGO_BIN_EXE_revocation-authorizer");
    match std::fs::metadata(binary) {
        Ok(m) => println!(
            "x86_64 release binary {binary}: {:.2} MiB ({} bytes)",
            m.len() as f64 / 1048576.0,
            m.len()
        ),
        Err(e) => println!("x86_64 release binary {binary}: {e}"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench targets too, in debug and without `--bench`:
        // there is nothing to test here, and debug figures would only mislead.
        println!("authorizer: run with `cargo bench -p revocation-authorizer --bench authorizer`");
        return;
    }
    cold_start().await;
    let (stub, connections) = bench::stub_on_own_thread(stub_answer);
    authorizations(
        "stub DynamoDB and JWKS on loopback (stub on its own thread)",
        &stub,
        &stub,
        Some(&connections),
    )
    .await;
    if std::env::var("BENCH_INLINE_STUB").is_ok_and(|v| v == "1") {
        // The earlier set-up, for comparison: the stub served from the bench's own thread.
        let inline = stub_server().await;
        let counter = inline.connection_counter();
        authorizations(
            "stub DynamoDB and JWKS on loopback (stub on the bench's own thread)",
            &inline.url(),
            &inline.url(),
            Some(&counter),
        )
        .await;
    }
    match moto().await {
        Some((mut child, endpoint)) => {
            authorizations(
                "moto DynamoDB, JWKS from the loopback stub",
                &stub,
                &endpoint,
                None,
            )
            .await;
            let _ = child.kill();
            let _ = child.wait();
        }
        None => println!("authorization against moto: skipped (set MOTO_SERVER)"),
    }
    size();
}
