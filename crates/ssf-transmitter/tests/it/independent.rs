//! Independent checks of what the transmitter sends, by code written only from the
//! specifications (Python, standard library and `cryptography`, under `tests/independent/`):
//! a verifier of its SETs against the published JWKS (RFCs 7515, 7517, 8417 and SSF), and an
//! RFC 8935 push receiver that accepts a stream's SETs and refuses another audience's.

use std::time::Duration;

use serde_json::{json, Value};
use ssf_transmitter::*;

use crate::helpers::*;

/// The Python next to `MOTO_SERVER` (scripts/test's .venv, which has `cryptography`), else
/// `python3` from the PATH.
fn python() -> String {
    std::env::var("MOTO_SERVER")
        .ok()
        .and_then(|moto| {
            let python = std::path::Path::new(&moto).with_file_name("python");
            python.exists().then(|| python.display().to_string())
        })
        .unwrap_or_else(|| "python3".to_owned())
}

#[tokio::test]
async fn an_independent_verifier_accepts_the_sets_against_the_published_jwks_and_refuses_a_forgery()
{
    let app = App::start().await;
    let receiver = receiver(202, Duration::ZERO).await;
    app.push_stream(&receiver.url()).await;
    app.signed_out(
        "evt-py",
        "sub-carol",
        &["disable", "reset-password", "sign-out"],
    )
    .await;
    let mut sets: Vec<String> = receiver.requests().iter().map(|r| r.body_text()).collect();
    assert_eq!(sets.len(), 3);
    let jwks = app.call("GET", "/jwks.json", None, None, None).await.body();
    // A forgery: the first SET's claims with another user's sub, under the same signature.
    let (header, rest) = sets[0].split_once('.').unwrap();
    let (claims, signature) = rest.split_once('.').unwrap();
    let mut forged: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims).unwrap(),
    )
    .unwrap();
    forged["sub_id"]["sub"] = json!("sub-mallory");
    let forged = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        forged.to_string(),
    );
    sets.push(format!("{header}.{forged}.{signature}"));
    let case = json!({"jwks": jwks, "iss": ISSUER, "aud": "clienta1", "sets": sets});
    let file = std::env::temp_dir().join(format!("ssf-sets-{}.json", std::process::id()));
    std::fs::write(&file, case.to_string()).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/independent/verify_sets.py"
    );
    let output = std::process::Command::new(python())
        .arg(script)
        .arg(&file)
        .output()
        .expect("python runs");
    let _ = std::fs::remove_file(&file);
    let printed = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(
        lines.len(),
        4,
        "{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut verified: Vec<&str> = lines[..3]
        .iter()
        .map(|line| {
            line.strip_prefix("ok ")
                .and_then(|l| l.split(' ').nth(1))
                .unwrap_or(line)
        })
        .collect();
    verified.sort();
    let mut expected = [ACCOUNT_DISABLED, CREDENTIAL_CHANGE, SESSION_REVOKED];
    expected.sort();
    assert_eq!(verified, expected, "{printed}");
    assert_eq!(lines[3], "refused 3 bad signature");
    assert_eq!(output.status.code(), Some(1), "the forgery fails the run");
}

#[tokio::test]
async fn a_receiver_written_only_from_rfc_8935_accepts_the_sets_and_refuses_another_audience() {
    use std::io::BufRead;
    let app = App::start().await;
    let jwks = app.call("GET", "/jwks.json", None, None, None).await.body();
    let case = json!({"jwks": jwks, "iss": ISSUER, "aud": "clienta1", "authorization": "Bearer receiver-secret-9f3c", "expect": 3});
    let file = std::env::temp_dir().join(format!("ssf-rfc8935-{}.json", std::process::id()));
    std::fs::write(&file, case.to_string()).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/independent/rfc8935_receiver.py"
    );
    let mut receiver = std::process::Command::new(python())
        .arg(script)
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    let mut lines = std::io::BufReader::new(receiver.stdout.take().unwrap()).lines();
    let port = lines.next().unwrap().unwrap();
    let url = format!(
        "http://127.0.0.1:{}/events",
        port.strip_prefix("port ").unwrap()
    );
    // clienta1's stream, and clientb2's to the same receiver: its SETs name another audience.
    app.push_stream(&url).await;
    let other = app
        .call("POST", "/ssf/stream", None, Some(&token("clientb2", MANAGE)), Some(json!({
            "delivery": {"method": PUSH, "endpoint_url": url, "authorization_header": "Bearer receiver-secret-9f3c"},
            "events_requested": [SESSION_REVOKED]})))
        .await;
    assert_eq!(other.status(), 201);
    let answer = app
        .signed_out("evt-rfc", "sub-carol", &["disable", "sign-out"])
        .await;
    let _ = std::fs::remove_file(&file);
    let printed: Vec<String> = lines.map_while(Result::ok).collect();
    let _ = receiver.wait();
    let mut accepted: Vec<&str> = printed
        .iter()
        .filter_map(|l| l.strip_prefix("accepted "))
        .map(|l| l.split(' ').nth(1).unwrap())
        .collect();
    accepted.sort();
    assert_eq!(accepted, [SESSION_REVOKED, ACCOUNT_DISABLED], "{printed:?}");
    assert_eq!(
        printed
            .iter()
            .filter(|l| *l == "refused invalid_audience")
            .count(),
        1,
        "{printed:?}"
    );
    assert_eq!(
        (answer["delivered"].as_u64(), answer["retried"].as_u64()),
        (Some(2), Some(0))
    );
    assert!(app
        .metrics_text()
        .contains("\"SetsRefused.invalid_audience\":1"));
}
