//! Faults on the way to Cognito and to the dead-letter queue, injected by a stub that speaks
//! their wire protocols over loopback. For each, the contract's outcome follows and nothing
//! is lost: a record is acknowledged only when the stub saw its user signed out or its body
//! stored in the dead-letter queue; everything else is in `batchItemFailures`.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cognito_signout_responder::invocation::{respond, Response};
use cognito_signout_responder::ErrorClass;
use cognito_signout_responder::{
    AwsResponder, CognitoSignOut, SignOut, Target, UserPoolId, Username,
};
use cognito_signout_responder::{OutcomeKind, Report};
use tokio::time::Instant;

use crate::helpers::fake_aws::*;
use crate::helpers::http_stub::{HttpStub, StubReply};
use crate::helpers::{config, far_deadline, request, sqs_batch, users_batch};

const DLQ: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/failed-alerts";

async fn responder_at(stub: &HttpStub, attempts: u32) -> AwsResponder {
    let config = config(&[("DLQ_URL", DLQ), ("MAX_REQUESTS_PER_SECOND", "unlimited")]);
    real_responder(&stub.url(), &config, attempts).await
}

/// Settles alice's alert and a malformed one; checks that every acknowledged record is
/// backed by what the stub saw, and returns alice's outcome and class.
async fn settle(stub: &HttpStub, attempts: u32) -> (Report, (OutcomeKind, Option<ErrorClass>)) {
    let responder = responder_at(stub, attempts).await;
    let alice = request("alice");
    let report = responder
        .settle(
            &sqs_batch(&[("alice", &alice), ("junk", "not json")]),
            far_deadline(),
        )
        .await;
    assert_nothing_lost(stub, &report);
    let s = &report.settlements[0];
    let got = (s.kind(), s.class());
    (report, got)
}

/// Every record not listed for retry is backed by a successful call the stub answered.
fn assert_nothing_lost(stub: &HttpStub, report: &Report) {
    let Ok(Response::Sqs(response)) = respond(report) else {
        panic!("an SQS batch answers with batch item failures")
    };
    let retried: BTreeSet<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    let requests = stub.requests();
    for s in &report.settlements {
        let acknowledged = !retried.contains(s.message_id());
        assert_eq!(
            acknowledged,
            s.kind() != OutcomeKind::Retry,
            "{}",
            s.message_id()
        );
        if !acknowledged {
            continue;
        }
        let backed = match s.kind() {
            // No alert here is a log record or a control message.
            OutcomeKind::Ignored => false,
            OutcomeKind::SignedOut => {
                let user = s
                    .target()
                    .map(|t| t.user.as_str().to_owned())
                    .unwrap_or_default();
                requests.iter().any(|r| {
                    operation(r) == "AdminUserGlobalSignOut"
                        && json_body(r)["Username"] == user.as_str()
                })
            }
            OutcomeKind::DeadLettered => requests.iter().any(|r| {
                operation(r) == "SendMessageBatch"
                    && letters_in(r)
                        .iter()
                        .any(|l| source_message_id(l) == s.message_id())
            }),
            OutcomeKind::Retry => unreachable!(),
        };
        assert!(
            backed,
            "{} was acknowledged without a call that backs it",
            s.message_id()
        );
    }
}

fn count(stub: &HttpStub, op: &str) -> usize {
    stub.requests()
        .iter()
        .filter(|r| operation(r) == op)
        .count()
}

#[tokio::test]
async fn healthy_services_sign_out_and_dead_letter_with_the_original_body() {
    let stub = fake_aws(|_| cognito_ok(), sqs_sent).await;
    let (report, alice) = settle(&stub, 3).await;
    assert_eq!(alice, (OutcomeKind::SignedOut, None));
    assert_eq!(report.settlements[1].kind(), OutcomeKind::DeadLettered);
    let sent = stub
        .requests()
        .into_iter()
        .find(|r| operation(r) == "SendMessageBatch")
        .unwrap();
    assert_eq!(json_body(&sent)["QueueUrl"], DLQ);
    let body = &letters_in(&sent)[0];
    assert_eq!(body["MessageBody"], "not json");
    assert_eq!(
        body["MessageAttributes"]["ErrorClass"]["StringValue"],
        "malformed"
    );
    let call = stub
        .requests()
        .into_iter()
        .find(|r| operation(r) == "AdminUserGlobalSignOut")
        .unwrap();
    assert!(call
        .header("authorization")
        .unwrap()
        .contains("/us-east-1/cognito-idp/aws4_request"));
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_then_left_to_the_event_source() {
    let stub = fake_aws(|_| cognito_error(400, "TooManyRequestsException"), sqs_sent).await;
    let (_, alice) = settle(&stub, 3).await;
    assert_eq!(alice, (OutcomeKind::Retry, Some(ErrorClass::Throttled)));
    assert_eq!(
        count(&stub, "AdminUserGlobalSignOut"),
        3,
        "the SDK's standard retries make three attempts"
    );
}

#[tokio::test]
async fn a_throttle_that_clears_within_the_sdks_retries_signs_the_user_out() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let stub = fake_aws(
        move |_| match seen.fetch_add(1, Ordering::SeqCst) {
            0 => cognito_error(400, "TooManyRequestsException"),
            _ => cognito_ok(),
        },
        sqs_sent,
    )
    .await;
    let (_, alice) = settle(&stub, 3).await;
    assert_eq!(alice, (OutcomeKind::SignedOut, None));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn other_throttling_codes_are_throttled() {
    let stub = fake_aws(|_| cognito_error(400, "ThrottlingException"), sqs_sent).await;
    assert_eq!(
        settle(&stub, 1).await.1,
        (OutcomeKind::Retry, Some(ErrorClass::Throttled))
    );
}

#[tokio::test]
async fn internal_error_is_retried_as_internal() {
    let stub = fake_aws(|_| cognito_error(500, "InternalErrorException"), sqs_sent).await;
    assert_eq!(
        settle(&stub, 2).await.1,
        (OutcomeKind::Retry, Some(ErrorClass::Internal))
    );
}

#[tokio::test]
async fn a_5xx_page_from_a_proxy_is_retried_as_internal() {
    for status in [502, 503, 504] {
        let stub = fake_aws(
            move |_| StubReply::Respond {
                status,
                headers: vec![("content-type".into(), "text/html".into())],
                body: b"<html><body>Service Unavailable</body></html>".to_vec(),
                delay: Duration::ZERO,
            },
            sqs_sent,
        )
        .await;
        assert_eq!(
            settle(&stub, 1).await.1,
            (OutcomeKind::Retry, Some(ErrorClass::Internal)),
            "{status}"
        );
    }
}

#[tokio::test]
async fn an_answer_slower_than_the_attempt_timeout_is_retried_as_transport() {
    let stub = fake_aws(|_| cognito_ok().after(Duration::from_secs(5)), sqs_sent).await;
    let started = Instant::now();
    let (report, alice) = settle(&stub, 1).await;
    assert_eq!(alice, (OutcomeKind::Retry, Some(ErrorClass::Transport)));
    assert_eq!(
        report.settlements[0].outcome().failure().unwrap().code(),
        "Timeout"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the 300 ms attempt timeout applies"
    );
}

#[tokio::test]
async fn a_hung_connection_is_retried_as_transport() {
    let stub = fake_aws(|_| StubReply::Hang, sqs_sent).await;
    assert_eq!(
        settle(&stub, 1).await.1,
        (OutcomeKind::Retry, Some(ErrorClass::Transport))
    );
}

#[tokio::test]
async fn a_reset_connection_is_retried_as_transport() {
    let stub = fake_aws(|_| StubReply::Reset, sqs_sent).await;
    let (report, alice) = settle(&stub, 2).await;
    assert_eq!(alice, (OutcomeKind::Retry, Some(ErrorClass::Transport)));
    assert_eq!(
        report.settlements[0].outcome().failure().unwrap().code(),
        "ConnectionFailure"
    );
    assert_eq!(
        count(&stub, "AdminUserGlobalSignOut"),
        2,
        "connection failures are retried by the SDK too"
    );
}

#[tokio::test]
async fn a_refused_connection_is_retried_as_transport_and_the_dead_letter_too() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = format!("http://127.0.0.1:{port}");
    let config = config(&[("DLQ_URL", DLQ)]);
    let responder = real_responder(&closed, &config, 1).await;
    let alice = request("alice");
    let report = responder
        .settle(
            &sqs_batch(&[("alice", &alice), ("junk", "not json")]),
            far_deadline(),
        )
        .await;
    assert!(report
        .settlements
        .iter()
        .all(|s| s.kind() == OutcomeKind::Retry));
    assert_eq!(
        report.settlements[0].outcome().failure().unwrap().class(),
        ErrorClass::Transport
    );
    assert!(report.settlements[1].dead_letter_error().is_some());
}

#[tokio::test]
async fn an_error_answer_the_sdk_cannot_read_is_retried_as_unknown() {
    let stub = fake_aws(
        |_| StubReply::json(400, "application/x-amz-json-1.1", "<<<not json"),
        sqs_sent,
    )
    .await;
    assert_eq!(
        settle(&stub, 1).await.1,
        (OutcomeKind::Retry, Some(ErrorClass::Unknown))
    );
}

#[tokio::test]
async fn a_success_answer_with_an_unreadable_body_is_retried_as_unknown() {
    // The SDK refuses a response it cannot read, even a 200; signing out again is harmless
    // (the call is idempotent), so the alert is retried rather than counted as done.
    let stub = fake_aws(
        |_| StubReply::json(200, "application/x-amz-json-1.1", "{\"trunc"),
        sqs_sent,
    )
    .await;
    let (_, alice) = settle(&stub, 1).await;
    assert_eq!(alice, (OutcomeKind::Retry, Some(ErrorClass::Unknown)));
}

#[tokio::test]
async fn a_failed_dead_letter_send_leaves_the_alert_for_redelivery() {
    for reply in [
        sqs_error(500, "InternalError"),
        sqs_error(400, "QueueDoesNotExist"),
        StubReply::Reset,
    ] {
        let stub = fake_aws(|_| cognito_ok(), move |_| reply.clone()).await;
        let (report, alice) = settle(&stub, 1).await;
        assert_eq!(alice, (OutcomeKind::SignedOut, None));
        let junk = &report.settlements[1];
        assert_eq!(
            junk.kind(),
            OutcomeKind::Retry,
            "not acknowledged without a stored dead letter"
        );
        assert!(junk.dead_letter_error().is_some());
    }
}

#[tokio::test]
async fn a_permanent_cognito_error_whose_dead_letter_fails_is_retried() {
    let stub = fake_aws(
        |_| cognito_error(400, "UserNotFoundException"),
        |_| sqs_error(500, "InternalError"),
    )
    .await;
    let (_, alice) = settle(&stub, 1).await;
    assert_eq!(alice, (OutcomeKind::Retry, Some(ErrorClass::UserNotFound)));
}

#[tokio::test]
async fn little_time_left_starts_no_call_and_reports_unreached_records_as_retries() {
    let stub = fake_aws(|_| cognito_ok().after(Duration::from_millis(200)), sqs_sent).await;
    let config = config(&[
        ("DLQ_URL", DLQ),
        ("MAX_CONCURRENCY", "1"),
        ("MAX_REQUESTS_PER_SECOND", "unlimited"),
    ]);
    let responder = real_responder(&stub.url(), &config, 1).await;
    let batch = users_batch(6);
    // A call needs 300 ms (one attempt) + 1 s (a dead-letter send), more than 60% of the 1.7 s
    // left: both shrink to fit 1.02 s (235 ms and 785 ms), so calls may start during the first
    // 680 ms only, and each takes 200 ms.
    let deadline = Instant::now() + Duration::from_millis(1700);
    let report = responder.settle(&batch, deadline).await;
    assert_nothing_lost(&stub, &report);
    let calls = count(&stub, "AdminUserGlobalSignOut");
    assert!((3..=4).contains(&calls), "{calls} calls started");
    let retried = report
        .settlements
        .iter()
        .filter(|s| s.kind() == OutcomeKind::Retry)
        .count();
    assert_eq!(retried, 6 - calls);
    assert!(Instant::now() < deadline);

    // With 150 ms left, even the shrunk limits (100 ms an attempt and a send, at least) do not
    // fit: no call starts.
    let none_left = responder
        .settle(&batch, Instant::now() + Duration::from_millis(150))
        .await;
    assert!(none_left
        .settlements
        .iter()
        .all(|s| s.kind() == OutcomeKind::Retry));
    assert_eq!(
        count(&stub, "AdminUserGlobalSignOut"),
        calls,
        "no call starts when even the smallest limits do not fit"
    );
}

/// The Cognito adapter alone, at `endpoint`, one attempt per call.
async fn cognito_at(endpoint: &str) -> CognitoSignOut {
    CognitoSignOut::new(&sdk_for(endpoint, 1).await, &fault_timeouts())
}

fn alice_in(pool: &str) -> Target {
    Target {
        pool: UserPoolId::parse(pool).unwrap(),
        user: Username::parse("alice").unwrap(),
    }
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_connection_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = cognito_at(&format!("http://127.0.0.1:{port}"))
        .await
        .sign_out(&alice_in("us-east-1_Pool1"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.class(), err.code()),
        (ErrorClass::Transport, "ConnectionFailure")
    );
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_transport_timeout() {
    let stub = HttpStub::start(|_| StubReply::Hang).await;
    let err = cognito_at(&stub.url())
        .await
        .sign_out(&alice_in("us-east-1_Pool1"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.class(), err.code()),
        (ErrorClass::Transport, "Timeout")
    );
}

#[tokio::test]
async fn calls_are_signed_for_the_pools_region_with_one_client_per_region() {
    let stub = HttpStub::start(|_| cognito_ok()).await;
    let adapter = cognito_at(&stub.url()).await;
    for pool in ["eu-west-1_Pool1", "ap-south-1_Pool2", "eu-west-1_Pool3"] {
        adapter.sign_out(&alice_in(pool)).await.unwrap();
    }
    let scopes: Vec<String> = stub
        .requests()
        .iter()
        .map(|r| {
            let auth = r.header("authorization").unwrap_or_default();
            auth.split('/').nth(2).unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(scopes, ["eu-west-1", "ap-south-1", "eu-west-1"]);
    assert_eq!(adapter.regions_in_use(), 2);
}

#[tokio::test]
async fn a_dead_letter_answer_that_does_not_prove_storage_leaves_the_alert_for_redelivery() {
    for (what, reply) in [
        (
            "an empty object",
            StubReply::json(200, "application/x-amz-json-1.0", "{}"),
        ),
        (
            "an empty body",
            StubReply::json(200, "application/x-amz-json-1.0", ""),
        ),
        (
            "a wrong MD5",
            StubReply::json(
                200,
                "application/x-amz-json-1.0",
                r#"{"Successful":[{"Id":"0","MessageId":"m","MD5OfMessageBody":"00000000000000000000000000000000"}],"Failed":[]}"#,
            ),
        ),
        (
            "no message id",
            StubReply::json(
                200,
                "application/x-amz-json-1.0",
                r#"{"Successful":[{"Id":"0","MessageId":"","MD5OfMessageBody":"1b9b4bd3b1d06f8dbae5a4eeb0a08a1e"}],"Failed":[]}"#,
            ),
        ),
    ] {
        let stub = fake_aws(|_| cognito_ok(), move |_| reply.clone()).await;
        let (report, _) = settle(&stub, 1).await;
        let junk = &report.settlements[1];
        assert_eq!(junk.kind(), OutcomeKind::Retry, "{what}: not acknowledged");
        assert!(junk.dead_letter_error().is_some(), "{what}");
    }
}

#[tokio::test]
async fn cognitos_error_text_is_cut_before_it_reaches_a_reason_or_a_log_line() {
    let page = "x".repeat(200_000);
    let stub = fake_aws(
        move |_| {
            StubReply::json(
                400,
                "application/x-amz-json-1.1",
                format!(r#"{{"__type":"UserNotFoundException","message":"{page}"}}"#),
            )
        },
        sqs_sent,
    )
    .await;
    let (report, alice) = settle(&stub, 1).await;
    assert_eq!(
        alice,
        (OutcomeKind::DeadLettered, Some(ErrorClass::UserNotFound))
    );
    let reason = report.settlements[0]
        .outcome()
        .failure()
        .unwrap()
        .to_string();
    assert!(reason.len() <= 600, "{} bytes", reason.len());
}
