//! docs/alert-sources.md#cognito-threat-protection through the responder on fakes: Cognito threat-protection logs arriving
//! as CloudWatch Logs subscription payloads, and Security Hub findings, from the samples in
//! `events/`.

use cognito_signout_responder::invocation::{respond, Response};
use cognito_signout_responder::metrics::document;
use cognito_signout_responder::{ErrorClass, OutcomeKind, Report, Source};
use lambda_runtime::Diagnostic;
use serde_json::{json, Value};

use crate::helpers::*;

const THREAT_LOG: &str = include_str!("../../events/cwl-userauthevents.json");
const THREAT_LOG_DECODED: &str = include_str!("../../events/cwl-userauthevents.decoded.json");
const HUB_IMPORTED: &str = include_str!("../../events/securityhub-imported.json");
const HUB_CUSTOM_ACTION: &str = include_str!("../../events/securityhub-custom-action.json");
const SAMPLE_POOL: &str = "eu-west-1_AbC123xyz";

/// `(outcome, class)` of each settlement, in record order.
fn outcomes(report: &Report) -> Vec<(&'static str, Option<&'static str>)> {
    report
        .settlements
        .iter()
        .map(|s| (s.kind().as_str(), s.class().map(|c| c.as_str())))
        .collect()
}

fn called(app: &TestApp) -> Vec<String> {
    let mut users: Vec<String> = app
        .cognito()
        .calls()
        .iter()
        .map(|t| t.user.to_string())
        .collect();
    users.sort();
    users
}

/// An SQS event delivering `(message id, body)` messages, as the runtime hands it over: a
/// Security Hub event in a body is expanded by the payload reader.
fn sqs_event(messages: &[(&str, &str)]) -> String {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| {
            json!({"eventSource": "aws:sqs", "messageId": id, "body": body,
                   "attributes": {"ApproximateReceiveCount": "1"},
                   "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts"})
        })
        .collect();
    json!({ "Records": records }).to_string()
}

fn summary(report: &Report) -> Value {
    serde_json::to_value(respond(report).expect("no retry")).unwrap()
}

#[tokio::test]
async fn a_threat_log_signs_out_takeovers_ignores_the_rest_and_dead_letters_a_bad_line_alone() {
    let app = TestApp::with_vars(&[]);
    let batch = batch_from_json(THREAT_LOG);
    assert_eq!(batch.source, Source::CloudWatchLogs);
    let report = app.settle(&batch).await;
    // dana NoRisk, alice takeover High, bob takeover Medium (below the default High),
    // carol compromised credentials, then a truncated line.
    assert_eq!(
        outcomes(&report),
        [
            ("ignored", None),
            ("signed-out", None),
            ("ignored", None),
            ("signed-out", None),
            ("dead-lettered", Some("malformed")),
        ]
    );
    assert_eq!(called(&app), ["alice", "carol"]);
    let letters = app.letters();
    assert_eq!(letters.len(), 1);
    let decoded: Value = serde_json::from_str(THREAT_LOG_DECODED).unwrap();
    let bad = &decoded["logEvents"][4];
    assert_eq!(letters[0].body, bad["message"].as_str().unwrap());
    assert_eq!(
        letters[0].attributes["SourceMessageId"],
        bad["id"].as_str().unwrap()
    );

    let answer = summary(&report);
    assert_eq!(answer["outcome"], "mixed");
    assert_eq!(answer["class"], Value::Null);
    assert!(answer.get("messageId").is_none());
    let alerts = answer["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 5);
    assert_eq!(
        alerts[0],
        json!({"outcome": "ignored", "class": null, "code": "NoRisk",
               "messageId": decoded["logEvents"][0]["id"], "userPoolId": SAMPLE_POOL, "username": "dana"})
    );
    assert_eq!(alerts[2]["code"], "BelowThreshold");
    assert_eq!(alerts[1]["username"], "alice");

    let metrics = document(&report, "ns", "fn", "req", 0);
    assert_eq!(
        (
            &metrics["Ignored"],
            &metrics["SignedOut"],
            &metrics["DeadLettered"],
            &metrics["Alerts"]
        ),
        (&json!(2), &json!(2), &json!(1), &json!(5))
    );
}

#[tokio::test]
async fn a_lower_threshold_signs_out_the_medium_takeover_too() {
    let app = TestApp::with_vars(&[("THREAT_MIN_RISK_LEVEL", "Medium")]);
    let report = app.settle(&batch_from_json(THREAT_LOG)).await;
    assert_eq!(called(&app), ["alice", "bob", "carol"]);
    assert_eq!(report.count(OutcomeKind::Ignored), 1);
}

#[tokio::test]
async fn spellings_that_vary_still_sign_out() {
    let app = TestApp::with_vars(&[]);
    let report = app
        .settle(&batch_from_json(include_str!(
            "../../events/cwl-userauthevents-variants.json"
        )))
        .await;
    assert_eq!(report.count(OutcomeKind::SignedOut), 2);
    assert_eq!(called(&app), ["frank", "grace"]);
}

#[tokio::test]
async fn takeovers_in_a_threat_log_go_through_the_allow_list_and_the_class_routes() {
    let app = TestApp::with_vars(&[
        ("ALLOWED_USER_POOL_IDS", POOL),
        (
            "DLQ_URL_FORBIDDEN_POOL",
            "https://sqs.us-east-1.amazonaws.com/123456789012/forbidden",
        ),
    ]);
    let report = app.settle(&batch_from_json(THREAT_LOG)).await;
    assert!(app.cognito().calls().is_empty());
    assert_eq!(
        outcomes(&report)[1..4],
        [
            ("dead-lettered", Some("forbidden-pool")),
            ("ignored", None),
            ("dead-lettered", Some("forbidden-pool"))
        ]
    );
    let queues = app.dead_letters().queues();
    assert_eq!(
        queues.iter().filter(|q| q.ends_with("/forbidden")).count(),
        2
    );
}

#[tokio::test]
async fn a_takeover_signed_out_by_cognito_with_a_retry_class_fails_the_invocation() {
    let app = TestApp::spawn(
        FakeCognito::new().answer("alice", Answer::Fail(ErrorClass::Throttled)),
        FakeDeadLetters::new(),
        &[],
    );
    let report = app.settle(&batch_from_json(THREAT_LOG)).await;
    let err = respond(&report).unwrap_err();
    assert_eq!(Diagnostic::from(err).error_type, "throttled");
}

#[tokio::test]
async fn a_control_message_is_acknowledged_with_nothing_called_or_stored() {
    let app = TestApp::with_vars(&[]);
    let report = app
        .settle(&batch_from_json(include_str!(
            "../../events/cwl-control-message.json"
        )))
        .await;
    assert_eq!(outcomes(&report), [("ignored", None)]);
    assert!(app.cognito().calls().is_empty());
    assert!(app.letters().is_empty());
    let answer = summary(&report);
    assert_eq!(answer["outcome"], "ignored");
}

#[tokio::test]
async fn a_log_payload_without_log_events_is_acknowledged_as_ignored() {
    use base64::Engine;
    use std::io::Write;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(br#"{"messageType":"DATA_MESSAGE","logEvents":[]}"#)
        .unwrap();
    let data = base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap());
    let app = TestApp::with_vars(&[]);
    let report = app
        .settle(&batch_from_json(
            &json!({"awslogs": {"data": data}}).to_string(),
        ))
        .await;
    assert!(report.settlements.is_empty());
    assert_eq!(
        summary(&report),
        json!({"outcome": "ignored", "class": null, "dryRun": false, "alerts": []})
    );
}

#[tokio::test]
async fn an_undecodable_payload_is_dead_lettered_whole_as_malformed() {
    for json in [
        include_str!("../../events/cwl-corrupt-not-gzip.json"),
        include_str!("../../events/cwl-corrupt-not-base64.json"),
    ] {
        let app = TestApp::with_vars(&[]);
        let report = app.settle(&batch_from_json(json)).await;
        assert_eq!(outcomes(&report), [("dead-lettered", Some("malformed"))]);
        let letters = app.letters();
        assert_eq!(letters[0].body, json.trim_end());
        assert_eq!(letters[0].attributes["ErrorCode"], "UndecodableLogPayload");
        assert_eq!(summary(&report)["outcome"], "dead-lettered");
    }
}

#[tokio::test]
async fn an_undecodable_payload_whose_letter_is_refused_fails_the_invocation() {
    let app = TestApp::spawn(FakeCognito::new(), FakeDeadLetters::refusing_all(), &[]);
    let report = app
        .settle(&batch_from_json(include_str!(
            "../../events/cwl-corrupt-not-gzip.json"
        )))
        .await;
    let err = respond(&report).unwrap_err();
    assert_eq!(Diagnostic::from(err).error_type, "malformed");
}

#[tokio::test]
async fn each_finding_of_a_security_hub_event_is_an_alert() {
    let app = TestApp::with_vars(&[]);
    let batch = batch_from_json(HUB_IMPORTED);
    assert_eq!(batch.source, Source::EventBridge);
    let report = app.settle(&batch).await;
    assert_eq!(
        outcomes(&report),
        [("signed-out", None), ("signed-out", None)]
    );
    assert_eq!(called(&app), ["alice", "bob"]);
    let answer = summary(&report);
    let event: Value = serde_json::from_str(HUB_IMPORTED).unwrap();
    assert_eq!(answer["outcome"], "signed-out");
    assert_eq!(answer["messageId"], event["id"]);
    let users: Vec<_> = answer["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].clone())
        .collect();
    assert_eq!(users, [json!("alice"), json!("bob")]);
}

#[tokio::test]
async fn a_finding_to_be_retried_fails_the_invocation_with_its_class() {
    let app = TestApp::spawn(
        FakeCognito::new().answer("bob", Answer::Fail(ErrorClass::Internal)),
        FakeDeadLetters::new(),
        &[],
    );
    let report = app.settle(&batch_from_json(HUB_IMPORTED)).await;
    assert_eq!(
        Diagnostic::from(respond(&report).unwrap_err()).error_type,
        "internal"
    );
}

#[tokio::test]
async fn findings_dead_lettered_are_stored_one_by_one_with_their_own_body() {
    let app = TestApp::spawn(
        FakeCognito::new()
            .answer("alice", Answer::Fail(ErrorClass::UserNotFound))
            .answer("bob", Answer::Fail(ErrorClass::UserNotFound)),
        FakeDeadLetters::new(),
        &[],
    );
    let report = app.settle(&batch_from_json(HUB_IMPORTED)).await;
    assert_eq!(report.count(OutcomeKind::DeadLettered), 2);
    let letters = app.letters();
    let event: Value = serde_json::from_str(HUB_IMPORTED).unwrap();
    for (letter, finding) in letters
        .iter()
        .zip(event["detail"]["findings"].as_array().unwrap())
    {
        assert_eq!(
            &serde_json::from_str::<Value>(&letter.body).unwrap(),
            finding
        );
        assert_eq!(
            letter.attributes["SourceMessageId"],
            event["id"].as_str().unwrap()
        );
    }
    assert_ne!(
        letters[0].deduplication_id, letters[1].deduplication_id,
        "a FIFO dead-letter queue must not fold two findings of one event into one"
    );
    let answer = summary(&report);
    assert_eq!(
        (answer["outcome"].clone(), answer["class"].clone()),
        (json!("dead-lettered"), json!("user-not-found"))
    );
}

#[tokio::test]
async fn the_custom_action_signs_out_the_selected_user_directly_or_through_the_queue() {
    let app = TestApp::with_vars(&[]);
    let report = app.settle(&batch_from_json(HUB_CUSTOM_ACTION)).await;
    let event: Value = serde_json::from_str(HUB_CUSTOM_ACTION).unwrap();
    assert_eq!(
        summary(&report),
        json!({"outcome": "signed-out", "class": null, "messageId": event["id"],
               "userPoolId": SAMPLE_POOL, "username": "alice", "actions": ["sign-out"],
               "dryRun": false})
    );

    // The template routes the action's events to the alert queue: each arrives as the body
    // of an SQS message.
    let app = TestApp::with_vars(&[]);
    let report = app
        .settle(&batch_from_json(&sqs_event(&[
            ("m-1", HUB_CUSTOM_ACTION),
            ("m-2", HUB_IMPORTED),
        ])))
        .await;
    assert_eq!(report.settlements.len(), 3);
    assert_eq!(
        called(&app),
        ["alice", "bob"],
        "alice's two findings share one call"
    );
    assert_eq!(
        serde_json::to_value(respond(&report).unwrap()).unwrap(),
        json!({"batchItemFailures": []})
    );
}

#[tokio::test]
async fn an_sqs_message_of_several_findings_is_reported_once_for_retry() {
    let app = TestApp::spawn(
        FakeCognito::new()
            .answer("alice", Answer::Fail(ErrorClass::Throttled))
            .answer("bob", Answer::Fail(ErrorClass::Throttled)),
        FakeDeadLetters::new(),
        &[],
    );
    let report = app
        .settle(&batch_from_json(&sqs_event(&[
            ("m-1", HUB_IMPORTED),
            ("m-2", &request("carol")),
        ])))
        .await;
    let Ok(Response::Sqs(response)) = respond(&report) else {
        panic!("an SQS batch answers with batch item failures")
    };
    let ids: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(ids, ["m-1"]);
}
