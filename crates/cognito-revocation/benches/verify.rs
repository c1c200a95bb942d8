//! CPU per verification with a warm JWKS: the verifier on a real RS256 access token signed
//! with the committed test-only key, keys already cached (the source is in memory, so no
//! network is measured). Also the refusal paths an attacker can drive, and the whole check
//! with an in-memory cutoff store. Prints figures; asserts nothing about speed.
//!
//! Run: `cargo bench -p cognito-revocation --bench verify` (knob: BENCH_ITERATIONS).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cognito_revocation::{
    AcceptedTokenUse, AppClientId, JwksError, KeySource, MemoryCutoffStore, OnLookupError,
    RevocationCheck, TokenPolicy, UserPoolId, Verifier,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

const POOL: &str = "eu-west-1_BenchPool1";
const CLIENT: &str = "benchclient1";
const PRIVATE_KEY: &str = include_str!("../tests/testdata/test-only-rsa-private.pem");
const OTHER_PRIVATE_KEY: &str = include_str!("../tests/testdata/test-only-rsa-other-private.pem");
const JWKS: &str = include_str!("../tests/testdata/jwks.json");

/// The key set, from memory.
struct InMemory;

impl KeySource for InMemory {
    async fn fetch(&self, _pool: &UserPoolId) -> Result<Vec<u8>, JwksError> {
        Ok(JWKS.as_bytes().to_vec())
    }
}

fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn sign(private: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
        "sub": "0b7c5b1e-1b2c-4c7e-9f0a-3d4e5f6a7b8c",
        "client_id": CLIENT,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": now - 60,
        "iat": now - 60,
        "exp": now + 3600,
        "jti": "bench",
        "username": "bench-user",
        "origin_jti": "bench-origin",
        "event_id": "bench-event",
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-key-1".to_owned());
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn policy() -> TokenPolicy {
    TokenPolicy::new(
        [UserPoolId::parse(POOL).unwrap()],
        [AppClientId::parse(CLIENT).unwrap()],
        AcceptedTokenUse::Access,
    )
    .unwrap()
}

async fn measure<F, Fut>(label: &str, iterations: u32, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let (wall, cpu) = (Instant::now(), cpu_time());
    let mut expected = 0u32;
    for _ in 0..iterations {
        expected += u32::from(f().await);
    }
    let (wall, cpu) = (wall.elapsed(), cpu_time() - cpu);
    assert_eq!(expected, iterations, "{label}: an unexpected outcome");
    let per = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(iterations);
    println!(
        "{label:<58} {iterations:>6} runs: {:>7.2} us CPU, {:>7.2} us wall per call",
        per(cpu),
        per(wall)
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench targets too, in debug and without `--bench`:
        // there is nothing to test here, and debug figures would only mislead.
        println!("verify: run with `cargo bench -p cognito-revocation --bench verify`");
        return;
    }
    let iterations: u32 = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let verifier = Verifier::new(policy(), InMemory);
    let token = sign(PRIVATE_KEY);
    // Warm the key cache.
    verifier
        .verify(&token)
        .await
        .expect("the bench token verifies");
    println!("token: {} bytes", token.len());

    measure(
        "verify: genuine access token (warm JWKS)",
        iterations,
        || async { verifier.verify(&token).await.is_ok() },
    )
    .await;
    let forged = sign(OTHER_PRIVATE_KEY);
    measure(
        "verify: wrong signature (refused after RSA)",
        iterations,
        || async { verifier.verify(&forged).await.is_err() },
    )
    .await;
    let none = {
        let parts: Vec<&str> = token.split('.').collect();
        format!("eyJhbGciOiJub25lIn0.{}.", parts[1])
    };
    measure(
        "verify: alg none (refused before any key)",
        iterations,
        || async { verifier.verify(&none).await.is_err() },
    )
    .await;
    let huge = "A".repeat(5 * 1024 * 1024);
    measure(
        "verify: 5 MiB token (refused by the size cap)",
        iterations,
        || async { verifier.verify(&huge).await.is_err() },
    )
    .await;
    let check = RevocationCheck::new(
        Verifier::new(policy(), InMemory),
        MemoryCutoffStore::new(),
        Duration::ZERO,
        OnLookupError::Deny,
    );
    measure(
        "check: verify + in-memory cutoff lookup, cache off",
        iterations,
        || async { check.check(&token).await.is_allowed() },
    )
    .await;
}
