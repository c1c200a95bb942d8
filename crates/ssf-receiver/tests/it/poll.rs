//! Poll delivery (RFC 8936) against a test transmitter's `/poll` on 127.0.0.1: what is
//! stored is acknowledged, what is refused is reported in `setErrs` with its code, what
//! failed is neither (delivered again), and the last request only acknowledges.

use serde_json::{json, Value};
use ssf_receiver::InvocationError;

use crate::helpers::*;

fn session_revoked(app: &App, jti: &str, sub: &str) -> Value {
    claims(
        &app.issuer,
        jti,
        SESSION_REVOKED,
        iss_sub(&pool_issuer(), sub),
    )
}

async fn polling_app(transmitter: &PollTransmitter) -> App {
    // The test transmitter's issuer is `<url>/tenant`, as App::on makes it.
    App::on(&transmitter.stub, Options::default()).polling(&transmitter.stub)
}

#[tokio::test]
async fn stored_sets_are_acknowledged_refused_ones_reported_and_the_last_poll_only_acknowledges() {
    let transmitter = PollTransmitter::start().await;
    let app = polling_app(&transmitter).await;
    let forged = sign_with(
        json!({"typ": "secevent+jwt", "alg": "RS256", "kid": RSA_KID}),
        &session_revoked(&app, "jti-forged", "sub-alice"),
        &other_rsa(),
        jsonwebtoken::Algorithm::RS256,
    );
    {
        let mut batches = transmitter.batches.lock().unwrap();
        batches.push_back(vec![
            (
                "jti-alice".into(),
                Value::String(sign(&session_revoked(&app, "jti-alice", "sub-alice"))),
            ),
            ("jti-forged".into(), Value::String(forged)),
        ]);
        batches.push_back(vec![
            (
                "jti-carol".into(),
                Value::String(sign(&claims(
                    &app.issuer,
                    "jti-carol",
                    SESSION_REVOKED,
                    iss_sub(&app.issuer, "00u-carol"),
                ))),
            ),
            // Delivered under another name than its jti.
            (
                "jti-renamed".into(),
                Value::String(sign(&session_revoked(&app, "jti-other", "sub-alice"))),
            ),
            ("jti-number".into(), json!(7)),
        ]);
    }

    let report = app.scheduled().await.expect("a complete poll");

    let polls = transmitter.polls();
    assert_eq!(
        polls.len(),
        3,
        "two polls and the acknowledgement: {polls:?}"
    );
    assert_eq!(polls[0]["ack"], json!([]));
    assert_eq!(polls[0]["returnImmediately"], true);
    assert!(polls[0]["maxEvents"].as_u64().unwrap_or(0) > 0);
    assert_eq!(polls[1]["ack"], json!(["jti-alice"]));
    assert_eq!(polls[1]["setErrs"]["jti-forged"]["err"], "invalid_key");
    assert_eq!(
        polls[2]["maxEvents"], 0,
        "the last request only acknowledges"
    );
    assert_eq!(polls[2]["ack"], json!(["jti-carol"]));
    assert_eq!(polls[2]["setErrs"]["jti-renamed"]["err"], "invalid_request");
    assert_eq!(polls[2]["setErrs"]["jti-number"]["err"], "invalid_request");

    let sent = app.function.receiver().queue().sent();
    let users: Vec<String> = sent.iter().map(|a| a.username.clone()).collect();
    assert_eq!(
        users,
        vec!["alice".to_owned(), format!("{PROVIDER}_00u-carol")]
    );
    assert_eq!(report["received"], 5);
    assert_eq!(report["acknowledged"], 2);
    assert_eq!(report["refused"], 3);
    assert_eq!(report["alertsQueued"], 2);
    assert_eq!(report["moreAvailable"], false);
}

#[tokio::test]
async fn a_set_whose_alerts_were_not_stored_is_never_acknowledged() {
    let transmitter = PollTransmitter::start().await;
    let app = polling_app(&transmitter).await;
    transmitter.batches.lock().unwrap().push_back(vec![(
        "jti-alice".into(),
        Value::String(sign(&session_revoked(&app, "jti-alice", "sub-alice"))),
    )]);
    app.function.receiver().queue().fail(true);

    let err = app.scheduled().await.expect_err("an incomplete poll");

    assert!(matches!(err, InvocationError::PollIncomplete(_)), "{err}");
    for poll in transmitter.polls() {
        assert_eq!(poll["ack"], json!([]), "{poll}");
        assert_eq!(poll["setErrs"], json!({}), "{poll}");
    }
    assert!(app.function.receiver().replays().keys().is_empty());

    // The transmitter delivers it again; the queue is back: stored, then acknowledged.
    app.function.receiver().queue().fail(false);
    transmitter.batches.lock().unwrap().push_back(vec![(
        "jti-alice".into(),
        Value::String(sign(&session_revoked(&app, "jti-alice", "sub-alice"))),
    )]);
    app.scheduled().await.expect("a complete poll");
    assert_eq!(
        transmitter.polls().last().unwrap()["ack"],
        json!(["jti-alice"])
    );
    assert_eq!(app.function.receiver().queue().sent().len(), 1);
}

#[tokio::test]
async fn a_failing_poll_endpoint_is_an_error_and_acknowledges_nothing() {
    let transmitter = PollTransmitter::start().await;
    let app = polling_app(&transmitter).await;
    *transmitter.poll_status.lock().unwrap() = 500;
    let err = app.scheduled().await.expect_err("an incomplete poll");
    let InvocationError::PollIncomplete(report) = err else {
        panic!("{err}")
    };
    assert!(report.contains("HTTP status 500"), "{report}");
    assert_eq!(transmitter.polls().len(), 1);
    assert!(app.function.receiver().queue().sent().is_empty());
}

#[tokio::test]
async fn an_empty_poll_ends_at_once_and_a_schedule_without_a_poll_url_is_an_error() {
    let transmitter = PollTransmitter::start().await;
    let app = polling_app(&transmitter).await;
    let report = app.scheduled().await.expect("a complete poll");
    assert_eq!(report["polls"], 1);
    assert_eq!(report["received"], 0);
    assert_eq!(
        transmitter.polls().len(),
        1,
        "nothing to acknowledge: no second request"
    );

    let push_only = App::on(&transmitter.stub, Options::default());
    assert_eq!(
        push_only.scheduled().await,
        Err(InvocationError::PollNotConfigured)
    );
    let unknown = push_only
        .function
        .handle(&json!({"Records": []}), "req-x")
        .await;
    assert_eq!(unknown, Err(InvocationError::Unrecognised));
}
