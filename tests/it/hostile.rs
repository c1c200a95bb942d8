//! Hostile input, by property tests over the alert decoder, the payload reader and the whole
//! responder: arbitrary text and JSON, deep nesting, bodies at SQS's 256 KiB limit, huge
//! numbers, duplicate keys, control and bidirectional characters, usernames around 128
//! characters, look-alike pool ids, escapes that are no character. Never a panic, and always
//! exactly one outcome per record.

use cognito_signout_responder::invocation::{respond, Response};
use cognito_signout_responder::AlertDecoder;
use cognito_signout_responder::Batch;
use cognito_signout_responder::ErrorClass;
use cognito_signout_responder::OutcomeKind;
use cognito_signout_responder::{UserPoolId, Username};
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::helpers::*;

/// Characters an attacker reaches for: controls, bidi overrides, zero-width and look-alike
/// characters, surrogate-pair emoji, combining marks, quotes and backslashes.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        Just('\u{0}'),
        Just('\u{1b}'),
        Just('\u{7f}'),
        Just('\u{202e}'),
        Just('\u{2066}'),
        Just('\u{200b}'),
        Just('\u{feff}'),
        Just('\u{fffd}'),
        Just('\u{0430}'), // Cyrillic a
        Just('\u{2010}'), // hyphen
        Just('\u{ff3f}'), // full-width low line
        Just('\u{1F600}'),
        Just('\u{301}'),
        Just('"'),
        Just('\\'),
        Just(' '),
        any::<char>(),
        "[a-zA-Z0-9_-]".prop_map(|s| s.chars().next().unwrap()),
    ]
}

fn tricky_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..max).prop_map(|c| c.into_iter().collect())
}

/// Usernames from 120 to 135 characters, one or more bytes each.
fn long_username() -> impl Strategy<Value = String> {
    (
        120usize..136,
        prop::sample::select(vec!["a", "é", "用", "\u{1F600}"]),
    )
        .prop_map(|(n, c)| c.repeat(n))
}

fn pool_id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(POOL.to_owned()),
        Just("us-east-1_Other".to_owned()),
        tricky_string(12).prop_map(|s| format!("us-east-1_{s}")),
        tricky_string(12).prop_map(|s| format!("{s}_Example1")),
        "[a-z]{2}-[a-z]{3,9}-[0-9]_[A-Za-z0-9]{1,50}",
        Just(format!(
            "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/{POOL}"
        )),
        Just(format!(
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/{POOL}"
        )),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        tricky_string(20).prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("Username".to_owned()),
                    Just("UserPoolId".to_owned()),
                    Just("detail".to_owned()),
                    Just("Message".to_owned()),
                    tricky_string(8)
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An alert body as text: from well-formed requests with hostile names to raw junk.
fn hostile_body() -> impl Strategy<Value = String> {
    prop_oneof![
        (tricky_string(20), pool_id())
            .prop_map(|(u, p)| json!({"UserPoolId": p, "Username": u}).to_string()),
        (long_username(), pool_id())
            .prop_map(|(u, p)| json!({"UserPoolId": p, "Username": u}).to_string()),
        json_value().prop_map(|v| v.to_string()),
        tricky_string(64),
        prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        (1usize..400).prop_map(|depth| format!(
            "{}{}",
            "{\"detail\":".repeat(depth),
            "1".to_owned() + &"}".repeat(depth)
        )),
        (1usize..400).prop_map(|depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth))),
        Just(format!(
            r#"{{"UserPoolId":"{POOL}","Username":"alice","Username":"mallory"}}"#
        )),
        Just(format!(
            r#"{{"UserPoolId":"{POOL}","Username":"alice","risk":1e999}}"#
        )),
        Just(format!(
            r#"{{"UserPoolId":"{POOL}","Username":"alice","risk":123456789012345678901234567890123456789}}"#
        )),
        Just(format!(
            r#"{{"UserPoolId":"{POOL}","Username":"ali\u0000ce"}}"#
        )),
        Just(format!(
            r#"{{"UserPoolId":"{POOL}","Username":"alice","pad":"{}"}}"#,
            "x".repeat(256 * 1024 - 60)
        )),
        Just(format!(
            r#"{{"Type":"Notification","Message":"{{\"UserPoolId\":\"{POOL}\",\"Username\":\"alice\",\"Username\":\"bob\"}}"}}"#
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// The decoder never panics; what it accepts is exactly what the API would accept.
    #[test]
    fn decoder_never_panics_and_accepts_only_valid_names(body in hostile_body()) {
        match AlertDecoder::default().decode(&body) {
            Ok(target) => {
                prop_assert!(Username::parse(target.user.as_str()).is_ok());
                prop_assert!(target.user.as_str().chars().count() <= 128);
                prop_assert!(UserPoolId::parse(target.pool.as_str()).is_ok());
                prop_assert!(target.pool.as_str().chars().count() <= 55);
            }
            Err(failure) => {
                prop_assert!(matches!(failure.class(), ErrorClass::Malformed | ErrorClass::Invalid));
                prop_assert!(failure.to_string().len() < 2048);
            }
        }
    }
}

/// An SQS event whose records carry `bodies`, some records with odd fields of their own.
fn sqs_event(bodies: &[String], odd: &[u8]) -> String {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut record = json!({
                "messageId": format!("m{i}"),
                "receiptHandle": "h",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts",
            });
            match odd.get(i).copied().unwrap_or(0) % 5 {
                1 => record["attributes"]["ApproximateReceiveCount"] = json!(1e300),
                2 => {
                    record["messageAttributes"] =
                        json!({"x": {"stringValue": "\u{202e}", "dataType": "String"}})
                }
                3 => record["attributes"] = json!("not an object"),
                _ => {}
            }
            record
        })
        .collect();
    let mut text = json!({"Records": records}).to_string();
    if odd.first().is_some_and(|b| b % 7 == 0) {
        // An escape that is no character, which a strict reader of the whole event refuses.
        text = text.replacen(
            "\"receiptHandle\":\"h\"",
            "\"receiptHandle\":\"\\ud800\"",
            1,
        );
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// The whole responder, from the event's text: one outcome per record, in order; what is
    /// signed out has valid names; what is dead-lettered is in the queue with its body.
    #[test]
    fn responder_settles_every_hostile_record_exactly_once(
        bodies in prop::collection::vec(hostile_body(), 1..12),
        odd in prop::collection::vec(any::<u8>(), 0..12),
    ) {
        let event = sqs_event(&bodies, &odd);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        runtime.block_on(async {
            let dead_letters = FakeDeadLetters::new();
            let app = TestApp::spawn(FakeCognito::new(), dead_letters.clone(), &[("ALLOWED_USER_POOL_IDS", POOL)]);
            let batch = batch_from_json(&event);
            prop_assert_eq!(batch.records.len(), bodies.len());
            let report = app.settle(&batch).await;
            let ids: Vec<_> = report.settlements.iter().map(|s| s.message_id().to_owned()).collect();
            let expected: Vec<_> = (0..bodies.len()).map(|i| format!("m{i}")).collect();
            prop_assert_eq!(ids, expected);
            let sent = dead_letters.sent();
            for (i, s) in report.settlements.iter().enumerate() {
                match s.kind() {
                    OutcomeKind::Ignored => prop_assert!(false, "no alert here is ignored: {:?}", s),
                    OutcomeKind::SignedOut => prop_assert!(s.target().is_some()),
                    OutcomeKind::DeadLettered => {
                        let letter = sent.iter().find(|l| l.deduplication_id == s.message_id());
                        prop_assert!(letter.is_some());
                        prop_assert_eq!(&original_body(letter.unwrap()), &bodies[i]);
                    }
                    OutcomeKind::Retry => prop_assert!(false, "nothing here is retryable: {:?}", s),
                }
            }
            for call in app.cognito().calls() {
                prop_assert_eq!(call.pool.as_str(), POOL);
                prop_assert!(call.user.as_str().chars().count() <= 128);
            }
            prop_assert!(matches!(respond(&report), Ok(Response::Sqs(_))));
            Ok(())
        })?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Any JSON payload at all is read as some batch without a panic.
    #[test]
    fn any_payload_is_read_as_a_batch(payload in json_value()) {
        let text = payload.to_string();
        let raw: Box<serde_json::value::RawValue> = serde_json::from_str(&text).unwrap();
        let batch = Batch::from_payload(&raw, "req");
        prop_assert!(!batch.records.is_empty());
    }
}

/// A store or a bus that answers with a 1 MB error message (a broken proxy, a hostile
/// endpoint) must not become a 4 MB log line or a 4 MB `errorMessage`: the adapters bound the
/// text and never carry the SDK's dump of the raw response.
#[tokio::test]
async fn a_huge_error_from_the_table_or_the_bus_stays_bounded() {
    use crate::helpers::fake_aws::{fault_timeouts, sdk_for};
    use crate::helpers::http_stub::{HttpStub, StubReply};
    use cognito_signout_responder::{
        AwsRevocations, Failure, RevocationTargets, Revocations, SignedOut, Target,
    };

    let huge = "x".repeat(1_000_000);
    let stub = HttpStub::start(move |_| {
        StubReply::json(
            500,
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"InternalServerError","message":"{huge}"}}"#),
        )
    })
    .await;
    let sdk = sdk_for(&format!("http://{}", stub.addr), 1).await;
    let adapter = AwsRevocations::new(
        &sdk,
        &fault_timeouts(),
        RevocationTargets {
            table: Some("cutoffs".into()),
            bus: Some("security".into()),
            source: "cognito-signout-responder".into(),
            retention: std::time::Duration::from_secs(86_400),
        },
    );
    let user = SignedOut {
        target: Target {
            pool: UserPoolId::parse("us-east-1_Pool1").unwrap(),
            user: Username::parse("alice").unwrap(),
        },
        sub: cognito_revocation::Subject::parse("sub-alice").unwrap(),
        signed_out_at: std::time::SystemTime::now(),
        alert_message_ids: vec!["m1".into()],
        actions: cognito_signout_responder::Actions::SIGN_OUT,
    };
    let cutoff = adapter.record(&user).await.unwrap_err();
    let event = adapter.publish(std::slice::from_ref(&user)).await;
    let event = event[0].clone().unwrap_err();
    for err in [cutoff, event] {
        let text = Failure::Revocation(std::sync::Arc::new(err.clone())).to_string();
        assert!(text.len() < 1_024, "{} bytes: {err:?}", text.len());
        assert!(err.class().is_retryable(), "{err:?}");
        assert!(!text.contains("HttpResponse"), "{text}");
        assert!(
            format!("{err:?}").len() < 2_048,
            "the Debug form is bounded too"
        );
    }
}
