//! The responder driven through in-memory fakes of its two ports: every row of the
//! contract's class table, deduplication, concurrency, the rate cap, FIFO groups, the
//! deadline, dry runs and dead-letter failures.

use std::time::Duration;

use cognito_signout_responder::invocation::{respond, Response};
use cognito_signout_responder::ErrorClass;
use cognito_signout_responder::{Batch, Source};
use cognito_signout_responder::{OutcomeKind, Report};
use tokio::time::Instant;

use crate::helpers::*;

fn outcomes(report: &Report) -> Vec<(String, OutcomeKind, Option<ErrorClass>)> {
    report
        .settlements
        .iter()
        .map(|s| (s.message_id().to_owned(), s.kind(), s.class()))
        .collect()
}

fn only(report: &Report) -> (OutcomeKind, Option<ErrorClass>) {
    assert_eq!(report.settlements.len(), 1);
    let s = &report.settlements[0];
    (s.kind(), s.class())
}

/// Settles one alert for `user` against a Cognito that answers `answer`.
async fn settle_one(
    answer: Answer,
    vars: &[(&str, &str)],
    receive_count: u32,
) -> (OutcomeKind, Option<ErrorClass>, FakeDeadLetters) {
    let dead_letters = FakeDeadLetters::new();
    let app = TestApp::spawn(
        FakeCognito::new().answer("alice", answer),
        dead_letters.clone(),
        vars,
    );
    let mut batch = sqs_batch(&[("m1", &request("alice"))]);
    batch.records[0].receive_count = Some(receive_count);
    let report = app.settle(&batch).await;
    let (outcome, class) = only(&report);
    (outcome, class, dead_letters)
}

#[tokio::test]
async fn mixed_sample_batch_settles_every_record_on_its_own() {
    let dead_letters = FakeDeadLetters::new();
    let cognito = FakeCognito::new();
    let app = TestApp::spawn(
        cognito,
        dead_letters.clone(),
        &[("ALLOWED_USER_POOL_IDS", POOL)],
    );
    let batch = batch_from_json(include_str!("../../events/sqs-mixed-batch.json"));
    let report = app.settle(&batch).await;
    let got: Vec<_> = outcomes(&report)
        .into_iter()
        .map(|(_, o, c)| (o, c))
        .collect();
    assert_eq!(
        got,
        [
            (OutcomeKind::SignedOut, None),
            (OutcomeKind::DeadLettered, Some(ErrorClass::Malformed)),
            (OutcomeKind::DeadLettered, Some(ErrorClass::Malformed)),
            (OutcomeKind::DeadLettered, Some(ErrorClass::Invalid)),
            (OutcomeKind::DeadLettered, Some(ErrorClass::ForbiddenPool)),
            (OutcomeKind::SignedOut, None),
            (OutcomeKind::SignedOut, None),
            (OutcomeKind::DeadLettered, Some(ErrorClass::Invalid)),
        ]
    );
    // alice twice, grace once: one call each.
    assert_eq!(app.cognito().calls().len(), 2);
    assert_eq!(app.cognito().calls_for("alice"), 1);
    assert_eq!(dead_letters.sent().len(), 5);
    let bodies: Vec<_> = dead_letters.sent().into_iter().map(|l| l.body).collect();
    assert!(bodies.contains(&"user alice@example.com looks compromised".to_owned()));
    assert_eq!(respond(&report), Ok(Response::Sqs(Default::default())));
}

#[tokio::test]
async fn malformed_alert_is_dead_lettered_with_its_body_and_reason() {
    let dead_letters = FakeDeadLetters::new();
    let app = TestApp::spawn(FakeCognito::new(), dead_letters.clone(), &[]);
    let report = app.settle(&sqs_batch(&[("m1", "{\"Username\": ")])).await;
    assert_eq!(
        only(&report),
        (OutcomeKind::DeadLettered, Some(ErrorClass::Malformed))
    );
    let letter = &dead_letters.sent()[0];
    assert_eq!(letter.body, "{\"Username\": ");
    assert_eq!(letter.attributes["ErrorClass"], "malformed");
    assert_eq!(letter.attributes["ErrorCode"], "MalformedMessage");
    assert_eq!(letter.attributes["SourceMessageId"], "m1");
    assert_eq!(letter.attributes["ReceiveCount"], "1");
    assert!(app.cognito().calls().is_empty());
}

#[tokio::test]
async fn invalid_names_are_dead_lettered_before_any_call() {
    let dead_letters = FakeDeadLetters::new();
    let app = TestApp::spawn(FakeCognito::new(), dead_letters.clone(), &[]);
    let long = request(&"u".repeat(129));
    let spaced = request("alice smith");
    let batch = sqs_batch(&[("m1", &long), ("m2", &spaced)]);
    let report = app.settle(&batch).await;
    for (_, outcome, class) in outcomes(&report) {
        assert_eq!(
            (outcome, class),
            (OutcomeKind::DeadLettered, Some(ErrorClass::Invalid))
        );
    }
    assert!(app.cognito().calls().is_empty());
    assert_eq!(
        dead_letters.sent()[0].attributes["ErrorCode"],
        "InvalidParameter"
    );
}

#[tokio::test]
async fn cognito_invalid_parameter_is_dead_lettered_as_invalid() {
    let (outcome, class, dead_letters) =
        settle_one(Answer::Fail(ErrorClass::Invalid), &[], 1).await;
    assert_eq!(
        (outcome, class),
        (OutcomeKind::DeadLettered, Some(ErrorClass::Invalid))
    );
    let letter = &dead_letters.sent()[0];
    assert_eq!(letter.attributes["ErrorCode"], "InvalidParameterException");
    assert_eq!(letter.attributes["UserPoolId"], POOL);
    assert_eq!(letter.attributes["Username"], "alice");
}

#[tokio::test]
async fn pool_outside_the_allow_list_is_dead_lettered_as_forbidden_pool() {
    let dead_letters = FakeDeadLetters::new();
    let app = TestApp::spawn(
        FakeCognito::new(),
        dead_letters.clone(),
        &[("ALLOWED_USER_POOL_IDS", "us-east-1_Other")],
    );
    let report = app.settle(&sqs_batch(&[("m1", &request("alice"))])).await;
    assert_eq!(
        only(&report),
        (OutcomeKind::DeadLettered, Some(ErrorClass::ForbiddenPool))
    );
    assert!(app.cognito().calls().is_empty());
    assert_eq!(dead_letters.sent()[0].attributes["UserPoolId"], POOL);
}

#[tokio::test]
async fn unknown_user_is_dead_lettered_or_ignored_as_configured() {
    let (outcome, class, dead_letters) =
        settle_one(Answer::Fail(ErrorClass::UserNotFound), &[], 1).await;
    assert_eq!(
        (outcome, class),
        (OutcomeKind::DeadLettered, Some(ErrorClass::UserNotFound))
    );
    assert_eq!(dead_letters.sent().len(), 1);

    let (outcome, class, dead_letters) = settle_one(
        Answer::Fail(ErrorClass::UserNotFound),
        &[("USER_NOT_FOUND", "ignore")],
        1,
    )
    .await;
    assert_eq!(
        (outcome, class),
        (OutcomeKind::SignedOut, Some(ErrorClass::UserNotFound))
    );
    assert!(dead_letters.sent().is_empty());
}

#[tokio::test]
async fn unknown_pool_is_dead_lettered_as_pool_not_found() {
    let (outcome, class, _) = settle_one(Answer::Fail(ErrorClass::PoolNotFound), &[], 1).await;
    assert_eq!(
        (outcome, class),
        (OutcomeKind::DeadLettered, Some(ErrorClass::PoolNotFound))
    );
}

#[tokio::test]
async fn refused_call_is_dead_lettered_as_not_authorized() {
    let (outcome, class, dead_letters) =
        settle_one(Answer::Fail(ErrorClass::NotAuthorized), &[], 1).await;
    assert_eq!(
        (outcome, class),
        (OutcomeKind::DeadLettered, Some(ErrorClass::NotAuthorized))
    );
    assert_eq!(
        dead_letters.sent()[0].attributes["ErrorCode"],
        "NotAuthorizedException"
    );
}

#[tokio::test]
async fn retryable_failures_are_retried_and_never_dead_lettered() {
    for class in [
        ErrorClass::Throttled,
        ErrorClass::Internal,
        ErrorClass::Transport,
        ErrorClass::Unknown,
    ] {
        let (outcome, got, dead_letters) =
            settle_one(Answer::Fail(class), &[("MAX_RECEIVE_COUNT", "5")], 4).await;
        assert_eq!((outcome, got), (OutcomeKind::Retry, Some(class)));
        assert!(dead_letters.sent().is_empty(), "{class} was dead-lettered");
    }
}

#[tokio::test]
async fn retryable_failure_at_max_receive_count_is_dead_lettered_as_retries_exhausted() {
    let (outcome, class, dead_letters) = settle_one(
        Answer::Fail(ErrorClass::Throttled),
        &[("MAX_RECEIVE_COUNT", "5")],
        5,
    )
    .await;
    assert_eq!(
        (outcome, class),
        (
            OutcomeKind::DeadLettered,
            Some(ErrorClass::RetriesExhausted)
        )
    );
    let letter = &dead_letters.sent()[0];
    assert_eq!(letter.attributes["ErrorClass"], "retries-exhausted");
    assert_eq!(letter.attributes["ErrorCode"], "TooManyRequestsException");
    assert_eq!(letter.attributes["ReceiveCount"], "5");
}

#[tokio::test]
async fn without_max_receive_count_retries_go_on() {
    let (outcome, class, _) = settle_one(Answer::Fail(ErrorClass::Internal), &[], 50).await;
    assert_eq!(
        (outcome, class),
        (OutcomeKind::Retry, Some(ErrorClass::Internal))
    );
}

#[tokio::test]
async fn failed_dead_letter_send_leaves_the_record_to_be_retried() {
    let app = TestApp::spawn(FakeCognito::new(), FakeDeadLetters::refusing_all(), &[]);
    let batch = sqs_batch(&[("bad", "not json"), ("good", &request("alice"))]);
    let report = app.settle(&batch).await;
    assert_eq!(
        outcomes(&report),
        [
            (
                "bad".to_owned(),
                OutcomeKind::Retry,
                Some(ErrorClass::Malformed)
            ),
            ("good".to_owned(), OutcomeKind::SignedOut, None),
        ]
    );
    assert!(report.settlements[0].dead_letter_error().is_some());
    let Ok(Response::Sqs(response)) = respond(&report) else {
        panic!("an SQS batch answers with batch item failures")
    };
    let ids: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(ids, ["bad"]);
}

#[tokio::test]
async fn one_user_named_by_several_records_is_signed_out_once_and_they_share_the_outcome() {
    let app = TestApp::spawn(
        FakeCognito::new().answer("alice", Answer::Fail(ErrorClass::Throttled)),
        FakeDeadLetters::new(),
        &[],
    );
    let alice = request("alice");
    let bob = request("bob");
    let batch = sqs_batch(&[("a1", &alice), ("b1", &bob), ("a2", &alice), ("a3", &alice)]);
    let report = app.settle(&batch).await;
    assert_eq!(app.cognito().calls_for("alice"), 1);
    assert_eq!(app.cognito().calls_for("bob"), 1);
    let retried: Vec<_> = outcomes(&report)
        .into_iter()
        .filter(|(_, o, _)| *o == OutcomeKind::Retry)
        .map(|(id, _, _)| id)
        .collect();
    assert_eq!(retried, ["a1", "a2", "a3"]);
}

#[tokio::test(start_paused = true)]
async fn no_more_than_max_concurrency_calls_are_in_flight() {
    let batch = users_batch(40);
    let app = TestApp::spawn(
        FakeCognito::with_delay(Duration::from_millis(50)),
        FakeDeadLetters::new(),
        &[
            ("MAX_CONCURRENCY", "4"),
            ("MAX_REQUESTS_PER_SECOND", "unlimited"),
        ],
    );
    let started = Instant::now();
    let report = app.settle(&batch).await;
    assert!(report
        .settlements
        .iter()
        .all(|s| s.kind() == OutcomeKind::SignedOut));
    assert_eq!(app.cognito().max_in_flight(), 4);
    // 40 calls of 50 ms, four at a time: ten rounds.
    assert_eq!(started.elapsed(), Duration::from_millis(500));
}

#[tokio::test(start_paused = true)]
async fn call_starts_never_exceed_the_rate_cap_in_any_second() {
    let batch = users_batch(45);
    let app = TestApp::spawn(
        FakeCognito::with_delay(Duration::from_millis(10)),
        FakeDeadLetters::new(),
        &[("MAX_CONCURRENCY", "20"), ("MAX_REQUESTS_PER_SECOND", "10")],
    );
    app.settle(&batch).await;
    let starts = app.cognito().call_starts();
    assert_eq!(starts.len(), 45);
    let most_in_a_second = starts
        .iter()
        .map(|s| {
            starts
                .iter()
                .filter(|t| **t >= *s && **t - *s < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap();
    assert_eq!(most_in_a_second, 10);
}

#[tokio::test(start_paused = true)]
async fn a_burst_up_to_the_cap_starts_at_once_on_an_idle_instance() {
    // The defaults: MAX_CONCURRENCY=10, MAX_REQUESTS_PER_SECOND=20; Cognito answers in 20 ms.
    let app = TestApp::spawn(
        FakeCognito::with_delay(Duration::from_millis(20)),
        FakeDeadLetters::new(),
        &[],
    );
    let started = Instant::now();
    let report = app.settle(&users_batch(10)).await;
    assert_eq!(report.count(OutcomeKind::SignedOut), 10);
    assert!(app.cognito().call_starts().iter().all(|s| *s == started));
    assert_eq!(Instant::now() - started, Duration::from_millis(20));
}

#[tokio::test]
async fn a_flood_of_junk_takes_one_dead_letter_request_per_ten_alerts() {
    let app = TestApp::with_vars(&[]);
    let junk: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("j{i}"), format!("not an alert {i}")))
        .collect();
    let alerts: Vec<(&str, &str)> = junk.iter().map(|(i, b)| (i.as_str(), b.as_str())).collect();
    let report = app.send_alerts(&alerts).await;
    assert_eq!(report.count(OutcomeKind::DeadLettered), 1000);
    assert_eq!(app.letters().len(), 1000);
    assert_eq!(app.dead_letters().requests(), 100);
    assert_eq!(report.dead_letter_requests, 100);
}

#[tokio::test]
async fn letters_for_different_queues_never_share_a_request() {
    let app = TestApp::with_vars(&[(
        "DLQ_URL_MALFORMED",
        "https://sqs.us-east-1.amazonaws.com/123456789012/bad",
    )]);
    let report = app
        .send_alerts(&[
            ("m1", "junk"),
            ("m2", &request("ghost")),
            ("m3", "more junk"),
        ])
        .await;
    assert_eq!(report.count(OutcomeKind::SignedOut), 1);
    assert_eq!(report.count(OutcomeKind::DeadLettered), 2);
    let queues = app.dead_letters().queues();
    assert!(queues.iter().all(|q| q.ends_with("/bad")), "{queues:?}");
    assert_eq!(app.dead_letters().requests(), 1);
}

#[tokio::test]
async fn a_refused_entry_retries_its_own_record_only() {
    let app = TestApp::spawn(FakeCognito::new(), FakeDeadLetters::new().refuse("m2"), &[]);
    let report = app
        .send_alerts(&[("m1", "junk 1"), ("m2", "junk 2"), ("m3", "junk 3")])
        .await;
    let kinds: Vec<_> = report.settlements.iter().map(|s| s.kind()).collect();
    assert_eq!(
        kinds,
        [
            OutcomeKind::DeadLettered,
            OutcomeKind::Retry,
            OutcomeKind::DeadLettered
        ]
    );
    assert_eq!(app.dead_letters().requests(), 1);
    assert!(report.settlements[1].dead_letter_error().is_some());
}

#[tokio::test]
async fn letters_too_large_to_share_a_request_go_in_separate_ones() {
    let app = TestApp::with_vars(&[]);
    let big = format!("junk {}", "x".repeat(100_000));
    let report = app
        .send_alerts(&[("m1", &big), ("m2", &big), ("m3", &big)])
        .await;
    assert_eq!(report.count(OutcomeKind::DeadLettered), 3);
    // 3 x ~100 KB: two fit under 256 KiB, the third needs a request of its own.
    assert_eq!(app.dead_letters().requests(), 2);
}

#[tokio::test]
async fn fifo_group_behind_a_retry_is_retried_unprocessed_while_other_groups_go_on() {
    let app = TestApp::spawn(
        FakeCognito::new().answer("ivan", Answer::Fail(ErrorClass::Throttled)),
        FakeDeadLetters::new(),
        &[],
    );
    let batch = batch_from_json(include_str!("../../events/sqs-fifo.json"));
    assert_eq!(batch.source, Source::Sqs { fifo: true });
    let report = app.settle(&batch).await;
    let got: Vec<_> = outcomes(&report)
        .into_iter()
        .map(|(_, o, c)| (o, c))
        .collect();
    assert_eq!(
        got,
        [
            (OutcomeKind::Retry, Some(ErrorClass::Throttled)),
            (OutcomeKind::Retry, Some(ErrorClass::Throttled)),
            (OutcomeKind::SignedOut, None),
            (OutcomeKind::DeadLettered, Some(ErrorClass::Malformed)),
        ]
    );
    assert_eq!(
        app.cognito().calls_for("judy"),
        0,
        "judy was behind ivan in tenant-a"
    );
    assert_eq!(app.cognito().calls_for("mallory"), 1);
}

#[tokio::test(start_paused = true)]
async fn an_alert_the_deadline_never_reaches_ends_dead_lettered_on_its_last_receive() {
    let app = TestApp::spawn(
        FakeCognito::new(),
        FakeDeadLetters::new(),
        &[("MAX_RECEIVE_COUNT", "3")],
    );
    let mut batch = users_batch(1);
    batch.records[0].receive_count = Some(3);
    // No time to start a call, but time for the dead letter.
    let deadline = Instant::now() + Duration::from_millis(150);
    let report = app.settle_by(&batch, deadline).await;
    assert_eq!(
        (report.settlements[0].kind(), report.settlements[0].class()),
        (
            OutcomeKind::DeadLettered,
            Some(ErrorClass::RetriesExhausted)
        )
    );
    assert_eq!(app.letters()[0].attributes["ErrorCode"], "DeadlineReached");
    assert!(app.cognito().calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_three_second_invocation_signs_its_users_out() {
    // Lambda's default timeout, the function's real time limits, a 20 ms Cognito.
    let app = TestApp {
        responder: cognito_signout_responder::Responder::new(
            FakeCognito::with_delay(Duration::from_millis(20)),
            FakeDeadLetters::new(),
            FakeRevocations::new(),
            config(&[]).responder,
            cognito_signout_responder::Timeouts::default(),
        ),
    };
    let deadline = Instant::now() + Duration::from_secs(3);
    let report = app.settle_by(&users_batch(10), deadline).await;
    assert_eq!(report.count(OutcomeKind::SignedOut), 10);
}

#[tokio::test(start_paused = true)]
async fn no_call_starts_too_close_to_the_deadline_and_unreached_records_are_retried() {
    let batch = users_batch(10);
    let app = TestApp::spawn(
        FakeCognito::with_delay(Duration::from_millis(100)),
        FakeDeadLetters::new(),
        &[
            ("MAX_CONCURRENCY", "1"),
            ("MAX_REQUESTS_PER_SECOND", "unlimited"),
            ("MAX_RECEIVE_COUNT", "2"),
        ],
    );
    // A call needs one 100 ms attempt plus 100 ms for a dead-letter send: the last may start
    // at +450 ms.
    let deadline = Instant::now() + Duration::from_millis(650);
    let report = app.settle_by(&batch, deadline).await;
    assert_eq!(
        app.cognito().calls().len(),
        5,
        "calls start at 0, 100, 200, 300 and 400 ms"
    );
    let (done, unreached): (Vec<_>, Vec<_>) = report
        .settlements
        .iter()
        .partition(|s| s.kind() == OutcomeKind::SignedOut);
    assert_eq!(done.len(), 5);
    assert_eq!(unreached.len(), 5);
    for s in unreached {
        assert_eq!(
            s.kind(),
            OutcomeKind::Retry,
            "unreached records are retried, not dead-lettered"
        );
        assert_eq!(
            s.outcome().failure().map(|f| f.code()).as_deref(),
            Some("DeadlineReached")
        );
    }
    assert!(Instant::now() <= deadline);
}

#[tokio::test(start_paused = true)]
async fn a_call_still_running_at_the_cutoff_is_abandoned_and_retried() {
    let app = TestApp::spawn(
        FakeCognito::with_delay(Duration::from_secs(10)),
        FakeDeadLetters::new(),
        &[],
    );
    let deadline = Instant::now() + Duration::from_millis(400);
    let report = app
        .settle_by(&sqs_batch(&[("m1", &request("alice"))]), deadline)
        .await;
    assert_eq!(
        only(&report),
        (OutcomeKind::Retry, Some(ErrorClass::Transport))
    );
    // Cut off 100 ms (a dead-letter send) before the deadline.
    assert_eq!(Instant::now(), deadline - Duration::from_millis(100));
}

#[tokio::test(start_paused = true)]
async fn a_call_cut_off_at_max_receive_count_counts_as_an_attempt() {
    let app = TestApp::spawn(
        FakeCognito::with_delay(Duration::from_secs(10)),
        FakeDeadLetters::new(),
        &[("MAX_RECEIVE_COUNT", "3")],
    );
    let mut batch = sqs_batch(&[("m1", &request("alice"))]);
    batch.records[0].receive_count = Some(3);
    let report = app
        .settle_by(&batch, Instant::now() + Duration::from_millis(400))
        .await;
    assert_eq!(
        only(&report),
        (
            OutcomeKind::DeadLettered,
            Some(ErrorClass::RetriesExhausted)
        )
    );
    assert_eq!(
        app.dead_letters().sent()[0].attributes["ErrorCode"],
        "CallCutOff"
    );
}

#[tokio::test(start_paused = true)]
async fn a_dead_letter_send_still_running_at_the_deadline_is_abandoned_and_retried() {
    let app = TestApp::spawn(
        FakeCognito::new(),
        FakeDeadLetters::slow(Duration::from_secs(10)),
        &[],
    );
    let deadline = Instant::now() + Duration::from_millis(300);
    let report = app
        .settle_by(&sqs_batch(&[("m1", "not json")]), deadline)
        .await;
    assert_eq!(
        only(&report),
        (OutcomeKind::Retry, Some(ErrorClass::Malformed))
    );
    assert!(report.settlements[0].dead_letter_error().is_some());
    assert!(Instant::now() <= deadline);
}

#[tokio::test]
async fn an_invocation_already_out_of_time_calls_nothing_and_retries_all() {
    let app = TestApp::spawn(FakeCognito::new(), FakeDeadLetters::new(), &[]);
    let batch = sqs_batch(&[("m1", &request("alice")), ("m2", "not json")]);
    let report = app.settle_by(&batch, Instant::now()).await;
    assert!(app.cognito().calls().is_empty());
    assert!(app.dead_letters().sent().is_empty());
    assert!(report
        .settlements
        .iter()
        .all(|s| s.kind() == OutcomeKind::Retry));
}

#[tokio::test]
async fn dry_run_decides_and_calls_nothing() {
    let dead_letters = FakeDeadLetters::new();
    let app = TestApp::spawn(
        FakeCognito::new(),
        dead_letters.clone(),
        &[("DRY_RUN", "true")],
    );
    let batch = sqs_batch(&[("m1", &request("alice")), ("m2", "not json")]);
    let report = app.settle(&batch).await;
    assert_eq!(
        outcomes(&report),
        [
            ("m1".to_owned(), OutcomeKind::SignedOut, None),
            (
                "m2".to_owned(),
                OutcomeKind::DeadLettered,
                Some(ErrorClass::Malformed)
            ),
        ]
    );
    assert!(report.dry_run);
    assert!(app.cognito().calls().is_empty());
    assert!(dead_letters.sent().is_empty());
}

#[tokio::test]
async fn default_pool_and_pointers_come_from_the_configuration() {
    let app = TestApp::spawn(
        FakeCognito::new(),
        FakeDeadLetters::new(),
        &[
            ("USERNAME_POINTER", "/subject/login"),
            ("USER_POOL_ID_POINTER", "/subject/tenant/cognitoPool"),
            ("DEFAULT_USER_POOL_ID", "eu-west-1_Fallback"),
        ],
    );
    let batch = batch_from_json(include_str!("../../events/sqs-custom-shape.json"));
    let plain = Batch {
        records: vec![record("m2", r#"{"Username":"zed"}"#)],
        ..batch.clone()
    };
    let report = app.settle(&batch).await;
    assert_eq!(only(&report), (OutcomeKind::SignedOut, None));
    app.settle(&plain).await;
    let calls = app.cognito().calls();
    assert_eq!(
        (calls[0].pool.as_str(), calls[0].user.as_str()),
        (POOL, "erin")
    );
    assert_eq!(
        (calls[1].pool.as_str(), calls[1].user.as_str()),
        ("eu-west-1_Fallback", "zed")
    );
}
