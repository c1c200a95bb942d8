//! The release of it: the `ssf-transmitter` binary under the Runtime API emulator, on moto,
//! invoked the three ways Lambda invokes it (function URL, the responder's event, the
//! delivery queue), at TRACE level: no SET, no management token and no
//! `authorization_header` reaches its logs; and its start-up refusals.

use std::time::Duration;

use serde_json::{json, Value};
use test_support::moto::{self, Moto};
use test_support::runtime_api::run_binary;

use crate::helpers::*;

fn http(method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> String {
    let mut headers = json!({});
    if let Some(token) = token {
        headers["authorization"] = json!(format!("Bearer {token}"));
    }
    json!({"version": "2.0", "rawPath": path, "headers": headers,
           "requestContext": {"http": {"method": method, "path": path}},
           "body": body.map(|b| b.to_string()).unwrap_or_default(), "isBase64Encoded": false})
    .to_string()
}

#[tokio::test]
async fn the_binary_serves_http_events_and_retries_and_logs_no_secret() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let kms = aws_sdk_kms::Client::new(&sdk);
    let key = rsa_key(&kms).await;
    crate::moto::streams_table(&aws_sdk_dynamodb::Client::new(&sdk), "streams").await;
    let deliveries = moto::create_queue(&sqs, "deliveries").await;
    let dead = moto::create_queue(&sqs, "dead").await;
    let issuer = token_issuer().await;
    let app = receiver(202, Duration::ZERO).await;
    let failing = receiver(503, Duration::ZERO).await;
    let token = token("clienta1", MANAGE);
    let secret = "Bearer app-secret-5d1e77";
    let mut env = moto.env();
    env.extend(
        [
            ("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", issuer.url()),
            ("SSF_TRANSMITTER_ISSUER", ISSUER.to_owned()),
            (
                "SSF_TRANSMITTER_AUTH_ISSUER",
                format!("https://cognito-idp.us-east-1.amazonaws.com/{AUTH_POOL}"),
            ),
            ("SSF_SIGNING_KEY_IDS", key.clone()),
            ("SSF_STREAMS_TABLE", "streams".to_owned()),
            ("SSF_DELIVERY_QUEUE_URL", deliveries.clone()),
            ("SSF_DEAD_LETTER_QUEUE_URL", dead.clone()),
            ("SSF_ALLOW_LOOPBACK_RECEIVERS", "true".to_owned()),
            ("AWS_LAMBDA_LOG_LEVEL", "TRACE".to_owned()),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    let stream = |url: String| {
        json!({"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": url, "authorization_header": secret},
               "events_requested": ["https://schemas.openid.net/secevent/caep/event-type/session-revoked"]})
    };
    let events = vec![
        (
            "config".to_owned(),
            http("GET", "/.well-known/ssf-configuration", None, None),
        ),
        ("jwks".to_owned(), http("GET", "/jwks.json", None, None)),
        (
            "no-token".to_owned(),
            http("POST", "/ssf/stream", None, Some(stream(app.url()))),
        ),
        (
            "create".to_owned(),
            http("POST", "/ssf/stream", Some(&token), Some(stream(app.url()))),
        ),
        (
            "create-failing".to_owned(),
            http(
                "POST",
                "/ssf/stream",
                Some(&token),
                Some(stream(failing.url())),
            ),
        ),
        (
            "event".to_owned(),
            signed_out_event("evt-bin-1", "sub-carol", &["sign-out"]).to_string(),
        ),
    ];
    let run = run_binary(
        env!("CARGO_BIN_EXE_ssf-transmitter"),
        "ssf-transmitter",
        &env,
        &events,
        20_000,
    )
    .await;
    assert_eq!(ran(&run, "config")["statusCode"], 200);
    let jwks: Value = serde_json::from_str(ran(&run, "jwks")["body"].as_str().unwrap()).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(ran(&run, "no-token")["statusCode"], 401);
    assert_eq!(ran(&run, "create")["statusCode"], 201);
    assert_eq!(ran(&run, "event")["delivered"], 1, "{}", run.stdout);
    assert_eq!(ran(&run, "event")["retried"], 1);
    let pushed = app.requests();
    assert_eq!(pushed.len(), 1);
    let set = pushed[0].body_text();
    // The failing receiver's retry is on the delivery queue, delayed a second; handed back as
    // SQS delivers it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let retries = moto::drain(&sqs, &deliveries).await;
    assert_eq!(retries.len(), 1);
    let batch = json!({"Records": [{"messageId": "m-1", "eventSource": "aws:sqs", "body": retries[0].body}]}).to_string();
    let retried = run_binary(
        env!("CARGO_BIN_EXE_ssf-transmitter"),
        "ssf-transmitter",
        &env,
        &[("retry".to_owned(), batch)],
        20_000,
    )
    .await;
    assert_eq!(ran(&retried, "retry")["batchItemFailures"], json!([]));
    assert_eq!(failing.requests().len(), 2, "tried again");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        moto::drain(&sqs, &deliveries).await.len(),
        1,
        "and queued again, inside the window"
    );
    let signature = set.rsplit('.').next().unwrap();
    let claims = set.split('.').nth(1).unwrap();
    let token_signature = token.rsplit('.').next().unwrap();
    for text in [&run.stdout, &run.stderr, &retried.stdout, &retried.stderr] {
        assert!(
            !text.contains(signature) && !text.contains(claims),
            "a SET is logged"
        );
        assert!(
            !text.contains(token_signature),
            "the management token is logged"
        );
        assert!(
            !text.contains("app-secret-5d1e77"),
            "the authorization_header is logged"
        );
        // Nor the claims in another form: the SET's subject is nowhere in the logs.
        assert!(
            !text.contains("sub-carol") && !text.contains("sub_id"),
            "a SET's claims are logged"
        );
    }
    assert!(
        run.stdout.contains("\"answer\":\"202\"") && run.stdout.contains("\"attempt\":1"),
        "one line per attempt:\n{}",
        run.stdout
    );
    assert!(
        retried.stdout.contains("\"answer\":\"503\"") && retried.stdout.contains("\"attempt\":2"),
        "{}",
        retried.stdout
    );
}

#[tokio::test]
async fn start_up_refuses_what_cannot_work_naming_the_variable() {
    // The binary under `env`, asked once: it stops at start-up, answering nothing.
    let refused = |env: Vec<(String, String)>| async move {
        let run = run_binary(
            env!("CARGO_BIN_EXE_ssf-transmitter"),
            "ssf-transmitter",
            &env,
            &[("x".into(), http("GET", "/jwks.json", None, None))],
            5_000,
        )
        .await;
        assert_eq!(run.exit_code, Some(1));
        assert!(run.answers.is_empty());
        run
    };
    let moto = Moto::start().await;
    let mut env: Vec<(String, String)> = moto.env();
    env.extend(
        [
            ("SSF_SIGNING_KEY_IDS", "k"),
            ("SSF_STREAMS_TABLE", "streams"),
            (
                "SSF_DELIVERY_QUEUE_URL",
                "http://127.0.0.1:1/000000000000/d",
            ),
            (
                "SSF_DEAD_LETTER_QUEUE_URL",
                "http://127.0.0.1:1/000000000000/dl",
            ),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let run = refused(env.clone()).await;
    assert!(
        run.stderr.contains("SSF_TRANSMITTER_AUTH_ISSUER"),
        "{}",
        run.stderr
    );
    // No issuer configured, and no function URL to read it from.
    env.push((
        "SSF_TRANSMITTER_AUTH_ISSUER".to_owned(),
        format!("https://cognito-idp.us-east-1.amazonaws.com/{AUTH_POOL}"),
    ));
    let run = refused(env.clone()).await;
    assert!(
        run.stderr.contains("SSF_TRANSMITTER_ISSUER") && run.stderr.contains("function's own URL"),
        "{:?}\n{}\n{}",
        run.exit_code,
        run.stdout,
        run.stderr
    );
}
