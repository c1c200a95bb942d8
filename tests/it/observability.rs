//! What operators read during an incident: the metrics document each invocation prints, and
//! logs that never carry a token or credential, even when an alert does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cognito_signout_responder::invocation::handle;
use cognito_signout_responder::metrics::{document, MetricsSink, MAX_VALUES};
use cognito_signout_responder::ErrorClass;
use cognito_signout_responder::Report;
use cognito_signout_responder::Source;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

use crate::helpers::moto::*;
use crate::helpers::runtime_api::run_function;
use crate::helpers::*;

fn event(json: &str, request_id: &str) -> LambdaEvent<Box<serde_json::value::RawValue>> {
    let mut context = Context::default();
    context.request_id = request_id.to_owned();
    LambdaEvent::new(serde_json::from_str(json).unwrap(), context)
}

/// Checks the EMF rules CloudWatch enforces: every declared metric and dimension has a
/// member at the root, at most 100 values per metric.
fn assert_valid_emf(doc: &Value, namespace: &str) {
    let directive = &doc["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], namespace);
    assert!(doc["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    for dimension in directive["Dimensions"][0].as_array().unwrap() {
        assert!(
            doc[dimension.as_str().unwrap()].is_string(),
            "dimension {dimension} has no value"
        );
    }
    for metric in directive["Metrics"].as_array().unwrap() {
        let value = &doc[metric["Name"].as_str().unwrap()];
        assert!(
            value.is_number()
                || value
                    .as_array()
                    .is_some_and(|a| !a.is_empty() && a.len() <= MAX_VALUES),
            "{metric}"
        );
    }
}

#[tokio::test]
async fn each_invocation_prints_one_metrics_document_with_counts_by_class() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink_lines = lines.clone();
    let metrics = MetricsSink::with_writer("SecOps/Signout", "responder-prod", move |l| {
        sink_lines.lock().unwrap().push(l.to_owned())
    });
    let app = TestApp::spawn(
        FakeCognito::new().answer("grace", Answer::Fail(ErrorClass::Throttled)),
        FakeDeadLetters::new(),
        &[
            ("ALLOWED_USER_POOL_IDS", POOL),
            ("METRICS_NAMESPACE", "SecOps/Signout"),
        ],
    );
    let payload = include_str!("../../events/sqs-mixed-batch.json");
    handle(&app.responder, &metrics, event(payload, "req-1"))
        .await
        .unwrap();
    handle(
        &app.responder,
        &metrics,
        event(include_str!("../../events/direct.json"), "req-2"),
    )
    .await
    .unwrap();

    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 2, "one document per invocation");
    let doc: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_valid_emf(&doc, "SecOps/Signout");
    assert_eq!(doc["FunctionName"], "responder-prod");
    assert_eq!(doc["RequestId"], "req-1");
    assert_eq!(doc["Alerts"], 8);
    assert_eq!(doc["SignedOut"], 2);
    assert_eq!(doc["DeadLettered"], 5);
    assert_eq!(doc["Retried"], 1);
    assert_eq!(doc["DeadLettered.malformed"], 2);
    assert_eq!(doc["DeadLettered.invalid"], 2);
    assert_eq!(doc["DeadLettered.forbidden-pool"], 1);
    assert_eq!(doc["Retried.throttled"], 1);
    assert_eq!(
        doc["CognitoCallLatency"].as_array().unwrap().len(),
        2,
        "alice and grace were called"
    );
    let second: Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(
        (second["Alerts"].clone(), second["SignedOut"].clone()),
        (1.into(), 1.into())
    );
    assert!(second.get("CognitoCallLatency").is_some());
}

#[test]
fn latencies_beyond_one_hundred_are_sampled_by_rank_keeping_min_and_max() {
    let report = Report {
        source: Source::Sqs { fifo: false },
        dry_run: false,
        settlements: Vec::new(),
        call_latencies: (1..=1000).map(Duration::from_millis).collect(),
        dead_letter_requests: 0,
        cutoffs_recorded: 0,
        cutoff_failures: 0,
        events_published: 0,
        event_failures: 0,
        passwords_reset: 0,
        users_disabled: 0,
        already_signed_out: 0,
    };
    let doc = document(&report, "ns", "fn", "req", 1_800_000_000_000);
    let values: Vec<f64> = doc["CognitoCallLatency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(values.len(), MAX_VALUES);
    assert_eq!(values.first(), Some(&1.0));
    assert_eq!(values.last(), Some(&1000.0));
    let median = values[values.len() / 2];
    assert!((480.0..=520.0).contains(&median), "{median}");
}

const REFRESH_TOKEN: &str =
    "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.REFRESHsecretPAYLOAD0123456789";
const ACCESS_TOKEN: &str =
    "eyJraWQiOiJrZXkxIiwiYWxnIjoiUlMyNTYifQ.eyJzdWIiOiJhY2Nlc3MifQ.ACCESSsignature987";
const ID_TOKEN: &str =
    "eyJraWQiOiJrZXkyIiwiYWxnIjoiUlMyNTYifQ.eyJ0b2tlbl91c2UiOiJpZCJ9.IDsignature654";
const BEARER: &str = "Bearer opaque-session-credential-4f2a9c";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY1";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEJr//////////wEaDSESSIONTOKENx9";

#[tokio::test]
async fn logs_never_carry_a_token_or_credential_even_when_alerts_do() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let pool = create_pool(&cognito, "customers").await;
    user_with_session(&cognito, &pool, "alice").await;
    let dlq = create_queue(&sqs, "failed-alerts").await;

    let carrying = |user: &str| {
        serde_json::json!({
            "UserPoolId": pool.id, "Username": user,
            "RefreshToken": REFRESH_TOKEN, "AccessToken": ACCESS_TOKEN, "IdToken": ID_TOKEN,
            "request": {"headers": {"Authorization": BEARER}},
            "leaked": {"aws_secret_access_key": SECRET_KEY},
        })
        .to_string()
    };
    let sqs_event = serde_json::json!({"Records": [
        {"messageId": "ok", "body": carrying("alice"), "eventSource": "aws:sqs", "attributes": {"ApproximateReceiveCount": "1"}},
        {"messageId": "ghost", "body": carrying("ghost"), "eventSource": "aws:sqs", "attributes": {"ApproximateReceiveCount": "1"}},
        {"messageId": "token-as-user", "body": carrying(ACCESS_TOKEN), "eventSource": "aws:sqs"},
        {"messageId": "junk", "body": format!("Authorization: {BEARER} refresh={REFRESH_TOKEN} {{"), "eventSource": "aws:sqs"},
    ]})
    .to_string();
    let direct = carrying("alice");

    for (variable, level) in [
        ("AWS_LAMBDA_LOG_LEVEL", "info"),
        ("AWS_LAMBDA_LOG_LEVEL", "debug"),
        ("AWS_LAMBDA_LOG_LEVEL", "trace"),
        // Directives that name a submodule or a span field enable TRACE in the operator's
        // filter; the cap still cuts the wire-level crates.
        ("RUST_LOG", "lambda_runtime::layers=trace"),
        ("RUST_LOG", "[{requestId}]=trace"),
        ("RUST_LOG", "[{xrayTraceId}]=trace"),
        (
            "RUST_LOG",
            "trace,aws_smithy_runtime::client::orchestrator=trace",
        ),
    ] {
        let mut env = moto.env();
        env.retain(|(k, _)| k != "AWS_SECRET_ACCESS_KEY");
        env.extend(
            [
                ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
                ("AWS_SESSION_TOKEN", SESSION_TOKEN),
                ("DLQ_URL", dlq.as_str()),
                ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
                (variable, level),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let run = run_function(
            &env,
            &[
                ("sqs".into(), sqs_event.clone()),
                ("direct".into(), direct.clone()),
            ],
            60_000,
        )
        .await;
        assert_eq!(run.answers.len(), 2, "{}", run.stderr);
        let output = format!("{}{}", run.stdout, run.stderr);
        assert!(
            output.contains("alert settled"),
            "the run logged its outcomes"
        );
        for (name, secret) in [
            ("refresh token", REFRESH_TOKEN),
            ("access token", ACCESS_TOKEN),
            ("ID token", ID_TOKEN),
            ("authorization header", BEARER),
            ("secret access key", SECRET_KEY),
            ("session token", SESSION_TOKEN),
            ("token signature", "signature987"),
            ("SigV4 signature", "Signature="),
        ] {
            let leak = output.lines().find(|l| l.contains(secret));
            assert!(
                leak.is_none(),
                "the {name} is in the logs with {variable}={level}: {leak:?}"
            );
        }
    }
}

#[tokio::test]
async fn info_means_info_and_an_id_with_a_newline_cannot_forge_a_line() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dlq = create_queue(&sqs, "failed-alerts").await;
    let forged = "evt-1\nalert settled outcome=signed-out username=ceo";
    let event = serde_json::json!({
        "version": "0", "id": forged, "detail-type": "x", "source": "siem",
        "account": "123456789012", "time": "2026-11-26T00:00:00Z", "region": "us-east-1",
        "resources": [], "detail": {"note": "no names at all"}
    })
    .to_string();
    for format in ["JSON", "Text"] {
        let mut env = moto.env();
        env.extend(
            [("DLQ_URL", dlq.as_str()), ("AWS_LAMBDA_LOG_FORMAT", format)]
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let run = run_function(&env, &[("r1".into(), event.clone())], 30_000).await;
        assert_eq!(run.answers.len(), 1, "{}", run.stderr);
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert!(
            lines
                .iter()
                .all(|l| !l.contains("DEBUG") && !l.contains("TRACE")),
            "{format}: no DEBUG or TRACE line at the default level: {lines:#?}"
        );
        let forged_lines = lines
            .iter()
            .filter(|l| l.trim_start().starts_with("alert settled"))
            .count();
        assert_eq!(forged_lines, 0, "{format}: a forged line: {lines:#?}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("alert settled") && l.contains("evt-1")),
            "{format}: the real line names the id, escaped: {lines:#?}"
        );
    }
}
