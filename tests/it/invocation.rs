//! The return values of docs/alerts-and-dead-letters.md#return-values, for each sample payload in `events/`.

use cognito_signout_responder::invocation::{respond, Response};
use cognito_signout_responder::ErrorClass;
use cognito_signout_responder::Source;
use lambda_runtime::Diagnostic;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn every_sqs_sample_settles_with_batch_item_failures_only_for_retries() {
    for (name, json) in [
        ("sqs-request", include_str!("../../events/sqs-request.json")),
        (
            "sqs-eventbridge-envelope",
            include_str!("../../events/sqs-eventbridge-envelope.json"),
        ),
        (
            "sqs-sns-notification",
            include_str!("../../events/sqs-sns-notification.json"),
        ),
    ] {
        let app = TestApp::spawn(FakeCognito::new(), FakeDeadLetters::new(), &[]);
        let batch = batch_from_json(json);
        assert_eq!(batch.source, Source::Sqs { fifo: false }, "{name}");
        let report = app.settle(&batch).await;
        let response = serde_json::to_value(respond(&report).unwrap()).unwrap();
        assert_eq!(response, json!({"batchItemFailures": []}), "{name}");
        assert_eq!(app.cognito().calls().len(), 1, "{name} signed nobody out");
    }
}

#[tokio::test]
async fn retried_sqs_records_are_listed_by_message_id() {
    let app = TestApp::spawn(
        FakeCognito::new().answer("alice", Answer::Fail(ErrorClass::Throttled)),
        FakeDeadLetters::new(),
        &[],
    );
    let report = app
        .settle_by(
            &batch_from_json(include_str!("../../events/sqs-request.json")),
            far_deadline(),
        )
        .await;
    let response = serde_json::to_value(respond(&report).unwrap()).unwrap();
    assert_eq!(
        response,
        json!({"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]})
    );
}

#[tokio::test]
async fn eventbridge_event_returns_a_summary() {
    let app = TestApp::spawn(FakeCognito::new(), FakeDeadLetters::new(), &[]);
    let batch = batch_from_json(include_str!("../../events/eventbridge.json"));
    assert_eq!(batch.source, Source::EventBridge);
    let report = app.settle(&batch).await;
    let response = serde_json::to_value(respond(&report).unwrap()).unwrap();
    assert_eq!(
        response,
        json!({
            "outcome": "signed-out",
            "class": null,
            "messageId": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "userPoolId": POOL,
            "username": "bob",
            "actions": ["sign-out"],
            "dryRun": false
        })
    );
}

#[tokio::test]
async fn direct_payload_that_is_dead_lettered_says_so_with_its_class() {
    let dead_letters = FakeDeadLetters::new();
    let app = TestApp::spawn(
        FakeCognito::new().answer("alice", Answer::Fail(ErrorClass::PoolNotFound)),
        dead_letters.clone(),
        &[],
    );
    let json = include_str!("../../events/direct.json");
    let batch = batch_from_json(json);
    assert_eq!(batch.source, Source::Direct);
    let report = app.settle(&batch).await;
    let Ok(Response::Summary(summary)) = respond(&report) else {
        panic!("a direct payload answers with a summary")
    };
    assert_eq!(
        (summary.outcome, summary.class),
        ("dead-lettered", Some("pool-not-found"))
    );
    assert_eq!(summary.message_id, "request-1");
    assert_eq!(
        dead_letters.sent()[0].body,
        json.trim_end(),
        "the payload is dead-lettered as received"
    );
}

#[tokio::test]
async fn single_alert_to_be_retried_fails_the_invocation_with_its_class_as_error_type() {
    let app = TestApp::spawn(
        FakeCognito::new().answer("bob", Answer::Fail(ErrorClass::Throttled)),
        FakeDeadLetters::new(),
        &[],
    );
    let report = app
        .settle_by(
            &batch_from_json(include_str!("../../events/eventbridge.json")),
            far_deadline(),
        )
        .await;
    let err = respond(&report).unwrap_err();
    let diagnostic = Diagnostic::from(err);
    assert_eq!(diagnostic.error_type, "throttled");
    assert!(
        diagnostic
            .error_message
            .contains("TooManyRequestsException"),
        "{}",
        diagnostic.error_message
    );
}
