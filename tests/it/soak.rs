//! The soak: 10,000 alerts in 100 batches through the real adapters, against a stub Cognito
//! and SQS that inject faults at random (throttling, 5xx, resets, slow answers, permanent
//! errors, unreadable answers, failed dead-letter sends). At the end, per message id:
//! signed-out + dead-lettered + retried equals what went in, and every acknowledged alert is
//! backed by a call the stub answered with success.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cognito_signout_responder::invocation::{respond, Response};
use cognito_signout_responder::OutcomeKind;
use cognito_signout_responder::{Batch, Record, Source};

use crate::helpers::fake_aws::*;
use crate::helpers::http_stub::StubReply;
use crate::helpers::{config, far_deadline, POOL};

const ALERTS: usize = 10_000;
const BATCH: usize = 100;

/// A small deterministic generator (SplitMix64), so a failing soak can be replayed.
struct Dice(AtomicU64);

impl Dice {
    fn roll(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::SeqCst)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn percent(&self) -> u64 {
        self.roll() % 100
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_alerts_under_random_faults_are_all_accounted_for() {
    let dice = Arc::new(Dice(AtomicU64::new(20261124)));
    // What the stub answered with success: signed-out users, stored dead letters by source id.
    let signed_out: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let stored: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let faults: Arc<Mutex<BTreeMap<&'static str, usize>>> = Arc::default();

    let (d1, s1, f1) = (dice.clone(), signed_out.clone(), faults.clone());
    let (d2, s2, f2) = (dice.clone(), stored.clone(), faults.clone());
    let stub = fake_aws(
        move |req| {
            let (name, reply) = match d1.percent() {
                0..=69 => ("cognito ok", cognito_ok()),
                70..=77 => ("throttled", cognito_error(400, "TooManyRequestsException")),
                78..=81 => (
                    "500 InternalErrorException",
                    cognito_error(500, "InternalErrorException"),
                ),
                82..=83 => (
                    "503 page",
                    StubReply::json(503, "text/html", "<html>down</html>"),
                ),
                84..=86 => ("connection reset", StubReply::Reset),
                87..=88 => (
                    "slower than the timeout",
                    cognito_ok().after(Duration::from_millis(600)),
                ),
                89..=92 => (
                    "UserNotFoundException",
                    cognito_error(400, "UserNotFoundException"),
                ),
                93..=94 => (
                    "ResourceNotFoundException",
                    cognito_error(400, "ResourceNotFoundException"),
                ),
                95..=96 => (
                    "NotAuthorizedException",
                    cognito_error(400, "NotAuthorizedException"),
                ),
                _ => (
                    "unreadable answer",
                    StubReply::json(400, "application/x-amz-json-1.1", "}{"),
                ),
            };
            *f1.lock().unwrap().entry(name).or_default() += 1;
            if name == "cognito ok" {
                s1.lock().unwrap().insert(
                    json_body(req)["Username"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
            reply
        },
        move |req| {
            let (name, reply) = match d2.percent() {
                0..=89 => ("dead letter stored", sqs_sent(req)),
                90..=94 => ("dead letter 500", sqs_error(500, "InternalError")),
                _ => ("dead letter reset", StubReply::Reset),
            };
            *f2.lock().unwrap().entry(name).or_default() += 1;
            if name == "dead letter stored" {
                for letter in letters_in(req) {
                    let id = source_message_id(&letter).to_owned();
                    *s2.lock().unwrap().entry(id).or_default() += 1;
                }
            }
            reply
        },
    )
    .await;

    let config = config(&[
        (
            "DLQ_URL",
            "https://sqs.us-east-1.amazonaws.com/123456789012/failed-alerts",
        ),
        ("MAX_CONCURRENCY", "50"),
        ("MAX_REQUESTS_PER_SECOND", "unlimited"),
        ("MAX_RECEIVE_COUNT", "5"),
    ]);
    let responder = real_responder(&stub.url(), &config, 1).await;

    let mut outcomes: BTreeMap<String, OutcomeKind> = BTreeMap::new();
    let mut signed_out_users: BTreeMap<String, String> = BTreeMap::new();
    for b in 0..ALERTS / BATCH {
        let records = (0..BATCH)
            .map(|i| {
                let n = b * BATCH + i;
                let body = match dice.percent() {
                    0..=2 => "not json".to_owned(),
                    3..=4 => format!(
                        r#"{{"UserPoolId":"{POOL}","Username":"{}"}}"#,
                        "x".repeat(129)
                    ),
                    // 3,000 users for 10,000 alerts: duplicates within batches.
                    _ => format!(
                        r#"{{"UserPoolId":"{POOL}","Username":"user{}"}}"#,
                        dice.roll() % 3000
                    ),
                };
                Record {
                    message_id: format!("m{n}"),
                    body,
                    receive_count: Some(1 + (dice.roll() % 6) as u32),
                    group_id: None,
                    source_arn: Some("arn:aws:sqs:us-east-1:123456789012:alerts".into()),
                    origin: Default::default(),
                    provenance: Default::default(),
                }
            })
            .collect();
        let batch = Batch {
            source: Source::Sqs { fifo: false },
            records,
        };
        let report = responder.settle(&batch, far_deadline()).await;
        let Ok(Response::Sqs(response)) = respond(&report) else {
            panic!("batch {b}: no batch response")
        };
        let retried: BTreeSet<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        assert_eq!(report.settlements.len(), BATCH);
        for s in report.settlements {
            assert_eq!(
                retried.contains(s.message_id()),
                s.kind() == OutcomeKind::Retry,
                "{}",
                s.message_id()
            );
            if s.kind() == OutcomeKind::SignedOut {
                signed_out_users.insert(
                    s.message_id().to_owned(),
                    s.target().unwrap().user.as_str().to_owned(),
                );
            }
            assert!(
                outcomes
                    .insert(s.message_id().to_owned(), s.kind())
                    .is_none(),
                "{} settled twice",
                s.message_id()
            );
        }
    }

    // Conservation, per message id.
    assert_eq!(outcomes.len(), ALERTS);
    let count = |o: OutcomeKind| outcomes.values().filter(|x| **x == o).count();
    let (done, dead, retry) = (
        count(OutcomeKind::SignedOut),
        count(OutcomeKind::DeadLettered),
        count(OutcomeKind::Retry),
    );
    assert_eq!(done + dead + retry, ALERTS);

    // Every acknowledged alert is backed by a success the stub gave.
    let stored = stored.lock().unwrap();
    let users_out = signed_out.lock().unwrap();
    for (id, outcome) in &outcomes {
        match outcome {
            OutcomeKind::Ignored => panic!("{id} ignored: no alert here is a log record"),
            OutcomeKind::DeadLettered => assert_eq!(
                stored.get(id),
                Some(&1),
                "{id} dead-lettered without exactly one stored letter"
            ),
            OutcomeKind::SignedOut => assert!(
                users_out.contains(&signed_out_users[id]),
                "{id} signed out without a successful call"
            ),
            OutcomeKind::Retry => assert_eq!(
                stored.get(id),
                None,
                "{id} is retried although its dead letter was stored"
            ),
        }
    }
    let faults = faults.lock().unwrap();
    eprintln!("soak: {ALERTS} alerts: {done} signed out, {dead} dead-lettered, {retry} retried; injected: {faults:?}");
    assert!(
        done > 0 && dead > 0 && retry > 0,
        "the soak exercised every outcome"
    );
}
