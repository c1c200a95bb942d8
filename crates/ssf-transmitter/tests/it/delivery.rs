//! Deliveries on loopback receivers: what a pushed SET holds (checked against the published
//! key), 202, 400 (not retried), 500 and a timeout (retried with backoff through the
//! delivery queue, then dead-lettered after the window), a receiver that never answers
//! beside one that does, paused then enabled, poll, and a duplicate responder event.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use ssf_transmitter::*;
use test_support::http_stub::{HttpStub, StubReply, StubRequest};

use crate::helpers::*;

fn sqs_records(retries: &[(Retry, u64)]) -> Value {
    let records: Vec<Value> = retries
        .iter()
        .enumerate()
        .map(|(i, (retry, _))| json!({"messageId": format!("m-{i}"), "eventSource": "aws:sqs", "body": serde_json::to_string(retry).unwrap()}))
        .collect();
    json!({"Records": records})
}

#[tokio::test]
async fn each_action_is_one_signed_set_naming_the_pools_user() {
    let app = App::start().await;
    let receiver = receiver(202, Duration::ZERO).await;
    let id = app.push_stream(&format!("{}/events", receiver.url())).await;
    let answer = app
        .signed_out(
            "evt-100",
            "sub-carol",
            &["disable", "reset-password", "sign-out"],
        )
        .await;
    assert_eq!(answer["delivered"], 3);
    let pushed = receiver.requests();
    assert_eq!(pushed.len(), 3);
    let mut types = Vec::new();
    for push in &pushed {
        assert_eq!(push.path, "/events");
        let (header, claims) = verified(&push.body_text());
        assert_eq!(header["alg"], "RS256");
        let events = claims["events"].as_object().unwrap();
        assert_eq!(events.len(), 1, "one event per SET");
        types.push(events.keys().next().unwrap().clone());
        assert_eq!(claims["iss"], ISSUER);
        assert_eq!(claims["aud"], "clienta1");
        assert_eq!(claims["txn"], "evt-100");
        assert_eq!(
            claims["sub_id"],
            json!({"format": "iss_sub", "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{USER_POOL}"), "sub": "sub-carol"})
        );
        assert!(claims.get("sub").is_none() && claims.get("exp").is_none());
        assert!(claims["iat"].as_u64().unwrap() + 5 >= now());
        let event_type = types.last().unwrap();
        assert_eq!(claims["jti"], jti("evt-100", &id, event_type));
    }
    types.sort();
    let mut expected = vec![
        ACCOUNT_DISABLED.to_owned(),
        CREDENTIAL_CHANGE.to_owned(),
        SESSION_REVOKED.to_owned(),
    ];
    expected.sort();
    assert_eq!(types, expected);
    let metrics = app.metrics_text();
    assert!(metrics.contains("\"SetsDelivered\":3"), "{metrics}");
    assert!(
        metrics.contains("DeliveryLatency") && metrics.contains("\"Streams\":1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_400_is_counted_and_not_retried() {
    let app = App::start().await;
    let receiver = receiver(400, Duration::ZERO).await;
    app.push_stream(&receiver.url()).await;
    app.signed_out("evt-1", "sub-carol", &["sign-out"]).await;
    assert_eq!(receiver.requests().len(), 1);
    assert!(app.queue.take_retries().is_empty());
    assert!(app
        .metrics_text()
        .contains("\"SetsRefused.invalid_audience\":1"));
}

#[tokio::test]
async fn a_500_is_retried_with_backoff_then_dead_lettered_after_the_window() {
    let app = App::with_window(2).await;
    let receiver = receiver(500, Duration::ZERO).await;
    let id = app.push_stream(&receiver.url()).await;
    app.signed_out("evt-1", "sub-carol", &["sign-out"]).await;
    let retries = app.queue.take_retries();
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0].1, 1, "the first retry within a second");
    assert_eq!(
        (retries[0].0.attempts, retries[0].0.last_answer.as_str()),
        (1, "500")
    );
    let first_iat = verified(&receiver.requests()[0].body_text()).1["iat"]
        .as_u64()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let answer = app
        .function
        .handle(&sqs_records(&retries), "req-3")
        .await
        .unwrap();
    assert_eq!(answer["batchItemFailures"], json!([]));
    let again = app.queue.take_retries();
    assert_eq!(again.len(), 1, "still inside the window");
    assert_eq!(again[0].0.attempts, 2);
    let second = verified(&receiver.requests()[1].body_text()).1;
    assert!(second["iat"].as_u64().unwrap() > first_iat, "signed afresh");
    assert_eq!(second["jti"], jti("evt-1", &id, SESSION_REVOKED));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.function
        .handle(&sqs_records(&again), "req-4")
        .await
        .unwrap();
    assert!(app.queue.take_retries().is_empty());
    let dead = app.queue.dead_letters();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (
            dead[0].stream_id.as_str(),
            dead[0].last_answer.as_str(),
            dead[0].attempts
        ),
        (id.as_str(), "500", 3)
    );
    assert!(!serde_json::to_string(&dead[0])
        .unwrap()
        .contains("receiver-secret"));
    assert!(app.metrics_text().contains("\"SetsDeadLettered\":1"));
}

#[tokio::test]
async fn a_receiver_that_never_answers_is_dead_lettered_after_the_window_as_a_timeout() {
    // A window of 8 s: the first attempt's 5 s timeout leaves room for one retry, whose own
    // timeout ends past the window.
    let app = App::with_window(8).await;
    let silent = HttpStub::start(|_: &StubRequest| StubReply::Hang).await;
    let id = app.push_stream(&silent.url()).await;
    app.signed_out("evt-1", "sub-carol", &["sign-out"]).await;
    let retries = app.queue.take_retries();
    assert_eq!(
        (retries.len(), retries[0].0.last_answer.as_str()),
        (1, "timeout")
    );
    // The retry's attempt times out too, past the window: dead-lettered, not retried.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.function
        .handle(&sqs_records(&retries), "req-2")
        .await
        .unwrap();
    assert!(app.queue.take_retries().is_empty());
    let dead = app.queue.dead_letters();
    assert_eq!(
        (
            dead.len(),
            dead[0].stream_id.as_str(),
            dead[0].last_answer.as_str(),
            dead[0].attempts
        ),
        (1, id.as_str(), "timeout", 2)
    );
    assert_eq!(
        silent.requests().len(),
        2,
        "each attempt reached the receiver"
    );
}

#[tokio::test]
async fn a_receiver_that_never_answers_does_not_delay_another() {
    let app = App::start().await;
    let silent = HttpStub::start(|_: &StubRequest| StubReply::Hang).await;
    let prompt = receiver(202, Duration::ZERO).await;
    app.push_stream(&silent.url()).await;
    app.push_stream(&prompt.url()).await;
    let started = Instant::now();
    let answer = app.signed_out("evt-1", "sub-carol", &["sign-out"]).await;
    let took = started.elapsed();
    let heard = prompt.requests()[0].at.duration_since(started);
    assert!(
        heard < Duration::from_secs(1),
        "the prompt receiver heard after {heard:?}"
    );
    assert!(
        took >= PUSH_TIMEOUT && took < PUSH_TIMEOUT + Duration::from_secs(2),
        "{took:?}"
    );
    assert_eq!(
        (answer["delivered"].as_u64(), answer["retried"].as_u64()),
        (Some(1), Some(1))
    );
    let retries = app.queue.take_retries();
    assert_eq!(retries[0].0.last_answer, "timeout");
}

#[tokio::test]
async fn a_paused_stream_holds_its_sets_and_delivers_them_in_order_when_enabled() {
    let app = App::start().await;
    let receiver = receiver(202, Duration::ZERO).await;
    let id = app.push_stream(&receiver.url()).await;
    let heard = || -> Vec<(String, Value)> {
        pushed_since(&receiver, 0)
            .into_iter()
            .map(|claims| {
                let (kind, body) = claims["events"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .next()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap();
                (
                    kind,
                    if body.get("status").is_some() {
                        body
                    } else {
                        claims["txn"].clone()
                    },
                )
            })
            .collect()
    };
    assert_eq!(app.set_status(&id, "paused").await.status(), 200);
    // Announced before the stream stops delivering.
    assert_eq!(
        heard(),
        [(STREAM_UPDATED.to_owned(), json!({"status": "paused"}))]
    );
    for event in ["evt-1", "evt-2", "evt-3"] {
        app.signed_out(event, "sub-carol", &["sign-out"]).await;
    }
    assert_eq!(heard().len(), 1, "held");
    assert_eq!(app.set_status(&id, "enabled").await.status(), 200);
    let after: Vec<(String, Value)> = heard().into_iter().skip(1).collect();
    assert_eq!(
        after,
        [
            (STREAM_UPDATED.to_owned(), json!({"status": "enabled"})),
            (SESSION_REVOKED.to_owned(), json!("evt-1")),
            (SESSION_REVOKED.to_owned(), json!("evt-2")),
            (SESSION_REVOKED.to_owned(), json!("evt-3")),
        ],
        "the announcement, then what was held, in the order it was made"
    );
    // Enabled again: nothing more was held, nothing is pushed twice.
    assert_eq!(app.set_status(&id, "enabled").await.status(), 200);
    assert_eq!(heard().len(), 5);
}

#[tokio::test]
async fn a_resume_that_stopped_half_way_is_finished_by_asking_again() {
    let app = App::start().await;
    let receiver = receiver(202, Duration::ZERO).await;
    let id = app.push_stream(&receiver.url()).await;
    app.set_status(&id, "paused").await;
    app.signed_out("evt-1", "sub-carol", &["sign-out"]).await;
    // The status was written, then the invocation ended before the held SETs were released.
    let streams = app.function.transmitter.streams();
    let mut stream = streams.get(&id).await.unwrap().unwrap().stream;
    stream.status = Status::Enabled;
    stream.version += 1;
    assert!(streams.put(&stream).await.unwrap());
    let before = receiver.requests().len();
    app.set_status(&id, "enabled").await;
    let released: Vec<Value> = pushed_since(&receiver, before);
    assert_eq!(
        released.len(),
        1,
        "the held SET, without an announcement of a change that was not one"
    );
    assert!(released[0]["events"].get(SESSION_REVOKED).is_some());
}

#[tokio::test]
async fn two_changes_racing_cannot_undo_one_another() {
    let app = App::start().await;
    let id = app.poll_stream().await;
    let transmitter = &app.function.transmitter;
    let stale = transmitter.streams().get(&id).await.unwrap().unwrap();
    // A description changed meanwhile (PATCH), then a pause made from the stale read.
    let patched = app
        .manage(
            "PATCH",
            "/ssf/stream",
            None,
            Some(json!({"stream_id": id, "description": "new"})),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let paused = transmitter
        .change_status(&stale, Status::Paused, None, Instant::now())
        .await;
    assert_eq!(
        paused.err(),
        Some(ssf_transmitter::TransmitterFailure::Conflict)
    );
    let kept = transmitter
        .streams()
        .get(&id)
        .await
        .unwrap()
        .unwrap()
        .stream;
    assert_eq!(
        (kept.status, kept.description.as_deref()),
        (Status::Enabled, Some("new")),
        "the PATCH stands"
    );
    // Through the API, from a fresh read, it applies.
    let paused = app.set_status(&id, "paused").await;
    assert_eq!(paused.body()["status"], "paused");
    let stale = Kept {
        stream: kept,
        excluded: Vec::new(),
    };
    let stale_patch = Requested::read(&json!({"description": "late"}), false)
        .unwrap()
        .apply(&stale.stream, false)
        .unwrap();
    assert!(
        !transmitter.streams().put(&stale_patch).await.unwrap(),
        "a write from a stale read is refused"
    );
}

#[tokio::test]
async fn a_disabled_stream_is_told_first_and_keeps_nothing() {
    let app = App::start().await;
    let receiver = receiver(202, Duration::ZERO).await;
    let id = app.push_stream(&receiver.url()).await;
    app.set_status(&id, "paused").await;
    app.signed_out("evt-1", "sub-carol", &["sign-out"]).await;
    app.set_status(&id, "disabled").await;
    app.signed_out("evt-2", "sub-carol", &["sign-out"]).await;
    let before = receiver.requests().len();
    app.set_status(&id, "enabled").await;
    let heard: Vec<Value> = pushed_since(&receiver, before);
    assert_eq!(
        heard.len(),
        1,
        "only the announcement: nothing held survived the disable"
    );
    assert_eq!(heard[0]["events"][STREAM_UPDATED]["status"], "enabled");
    // A poll stream's waiting SETs are forgotten too.
    let poll = app.poll_stream().await;
    app.signed_out("evt-3", "sub-carol", &["sign-out"]).await;
    app.set_status(&poll, "disabled").await;
    app.set_status(&poll, "enabled").await;
    let polled = app
        .call(
            "POST",
            &format!("/ssf/poll/{poll}"),
            None,
            Some(&token("clienta1", READ)),
            Some(json!({})),
        )
        .await
        .body();
    let kinds: Vec<String> = polled["sets"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| {
            verified(s.as_str().unwrap()).1["events"]
                .as_object()
                .unwrap()
                .keys()
                .next()
                .unwrap()
                .clone()
        })
        .collect();
    assert_eq!(
        kinds,
        [STREAM_UPDATED.to_owned()],
        "only the enabled announcement waits"
    );
}

#[tokio::test]
async fn a_poll_stream_turned_push_pushes_what_waited() {
    let app = App::start().await;
    let receiver = receiver(202, Duration::ZERO).await;
    let id = app.poll_stream().await;
    app.signed_out("evt-1", "sub-carol", &["sign-out"]).await;
    let update =
        json!({"stream_id": id, "delivery": {"method": PUSH, "endpoint_url": receiver.url()}});
    assert_eq!(
        app.manage("PATCH", "/ssf/stream", None, Some(update))
            .await
            .status(),
        200
    );
    let heard: Vec<Value> = pushed_since(&receiver, 0);
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0]["txn"], "evt-1");
}

#[tokio::test]
async fn a_400_that_is_not_an_rfc_8935_refusal_is_tried_again() {
    let app = App::start().await;
    let proxy = HttpStub::start(|_: &StubRequest| {
        StubReply::json(400, "text/html", "<html>Bad Request</html>")
    })
    .await;
    app.push_stream(&proxy.url()).await;
    app.signed_out("evt-1", "sub-carol", &["sign-out"]).await;
    let retries = app.queue.take_retries();
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0].0.last_answer, "400 without an RFC 8935 err");
}

#[tokio::test]
async fn a_retry_this_transmitter_did_not_make_is_never_signed() {
    let app = App::start().await;
    let receiver = receiver(202, Duration::ZERO).await;
    let id = app.push_stream(&receiver.url()).await;
    let genuine = PendingSet::new(
        ISSUER,
        "clienta1",
        &id,
        "evt-1",
        json!({"format": "iss_sub", "iss": "i", "sub": "s"}),
        (SESSION_REVOKED, json!({})),
    );
    let mut forged = genuine.clone();
    forged.claims["aud"] = json!("someone-else");
    let mut other_jti = genuine.clone();
    other_jti.jti = "0".repeat(32);
    other_jti.claims["jti"] = json!("0".repeat(32));
    let retries: Vec<(Retry, u64)> = [genuine, forged, other_jti]
        .into_iter()
        .map(|set| {
            (
                Retry {
                    set,
                    first_attempt_at: now(),
                    attempts: 1,
                    last_answer: "503".into(),
                },
                1,
            )
        })
        .collect();
    app.function
        .handle(&sqs_records(&retries), "r")
        .await
        .unwrap();
    assert_eq!(
        receiver.requests().len(),
        1,
        "only the genuine retry is pushed"
    );
    let dead = app.queue.dead_letters();
    assert_eq!(dead.len(), 2);
    assert!(dead
        .iter()
        .all(|d| d.reason == "not a SET this transmitter made for the stream"));
}

#[tokio::test]
async fn a_verification_sooner_than_the_interval_is_429() {
    let app = App::start().await;
    let receiver = receiver(202, Duration::ZERO).await;
    let id = app.push_stream(&receiver.url()).await;
    assert_eq!(app.verify(&id, None).await.status(), 204);
    let again = app.verify(&id, None).await;
    assert_eq!(again.status(), 429);
    assert_eq!(again.header("retry-after"), Some("5"));
    assert_eq!(receiver.requests().len(), 1, "no Sign for the refused one");
}

#[tokio::test]
async fn a_duplicate_responder_event_makes_the_same_jti() {
    let app = App::start().await;
    let receiver = receiver(202, Duration::ZERO).await;
    app.push_stream(&receiver.url()).await;
    app.signed_out("evt-dup", "sub-carol", &["sign-out"]).await;
    app.signed_out("evt-dup", "sub-carol", &["sign-out"]).await;
    let jtis: Vec<Value> = receiver
        .requests()
        .iter()
        .map(|r| verified(&r.body_text()).1["jti"].clone())
        .collect();
    assert_eq!(jtis.len(), 2);
    assert_eq!(jtis[0], jtis[1]);
}

#[tokio::test]
async fn a_poll_stream_keeps_its_sets_until_acknowledged_or_refused() {
    let app = App::start().await;
    let id = app.poll_stream().await;
    app.signed_out("evt-1", "sub-carol", &["sign-out"]).await;
    app.signed_out("evt-2", "sub-dave", &["sign-out"]).await;
    app.signed_out("evt-1", "sub-carol", &["sign-out"]).await;
    let reader = token("clienta1", READ);
    let path = format!("/ssf/poll/{id}");
    let first = app
        .call(
            "POST",
            &path,
            None,
            Some(&reader),
            Some(json!({"maxEvents": 1})),
        )
        .await
        .body();
    assert_eq!(first["sets"].as_object().unwrap().len(), 1);
    assert_eq!(first["moreAvailable"], true);
    let signed_before = app.function.transmitter.signer().signed();
    let all = app
        .call("POST", &path, None, Some(&reader), Some(json!({})))
        .await
        .body();
    assert_eq!(
        app.function.transmitter.signer().signed() - signed_before,
        1,
        "polled again before its ack, a SET is answered as signed then: one new Sign, for the one not polled before"
    );
    let jtis: Vec<String> = all["sets"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(jtis.len(), 2, "the duplicate event kept once");
    let after = app
        .call("POST", &path, None, Some(&reader), Some(json!({"ack": [jtis[0]], "setErrs": {jtis[1].clone(): {"err": "invalid_key", "description": "x"}}})))
        .await
        .body();
    assert_eq!(after["sets"], json!({}));
    assert!(app.metrics_text().contains("SetsRefused.invalid_key"));
    let push_only = app
        .manage(
            "POST",
            "/ssf/stream",
            None,
            Some(json!({"delivery": {"method": PUSH, "endpoint_url": "http://127.0.0.1:9/"}})),
        )
        .await
        .body();
    let refused = app
        .call(
            "POST",
            &format!("/ssf/poll/{}", push_only["stream_id"].as_str().unwrap()),
            None,
            Some(&reader),
            Some(json!({})),
        )
        .await;
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn unknown_shapes_fail_and_unreadable_retries_are_dead_lettered() {
    let app = App::start().await;
    assert!(app
        .function
        .handle(&json!({"hello": "world"}), "r")
        .await
        .is_err());
    let broken = json!({"id": "e", "detail-type": "Cognito User Signed Out", "detail": {"userPoolId": "nope"}});
    assert!(app.function.handle(&broken, "r").await.is_err());
    let records =
        json!({"Records": [{"messageId": "m-1", "eventSource": "aws:sqs", "body": "not a retry"}]});
    let answer = app.function.handle(&records, "r").await.unwrap();
    assert_eq!(answer["batchItemFailures"], json!([]));
    assert_eq!(
        app.queue.dead_letters()[0].reason,
        "an unreadable delivery-queue message"
    );
}
