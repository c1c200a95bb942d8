//! Property: every record of any batch, of any mix of bodies and of Cognito and dead-letter
//! outcomes, ends in exactly one outcome, and that outcome is backed by what the ports saw.

use std::collections::{BTreeMap, BTreeSet};

use cognito_signout_responder::invocation::{respond, Response};
use cognito_signout_responder::OutcomeKind;
use cognito_signout_responder::{Batch, Record, Source};
use proptest::prelude::*;

use crate::helpers::*;

const USERS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(USERS.to_vec()).prop_map(request),
        1 => prop::sample::select(USERS.to_vec()).prop_map(|u| format!(r#"{{"detail-type":"x","source":"y","detail":{{"userPoolId":"{POOL}","username":"{u}"}}}}"#)),
        1 => Just(r#"{"UserPoolId":"us-east-1_Other","Username":"alice"}"#.to_owned()),
        1 => Just(request(&"x".repeat(129))),
        1 => any::<String>(),
        1 => Just(r#"{"Username": 7}"#.to_owned()),
        1 => Just("[[[[[[[[[[".to_owned()),
    ]
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        3 => Just(Answer::Ok),
        1 => prop::sample::select(COGNITO_CLASSES.to_vec()).prop_map(Answer::Fail),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    records: Vec<(String, Option<String>, u32)>,
    answers: Vec<Answer>,
    refused: BTreeSet<usize>,
    fifo: bool,
    user_not_found_ignore: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(
            (
                body(),
                prop::option::of(prop::sample::select(vec!["g1", "g2", "g3"])),
                1u32..8,
            ),
            0..40,
        ),
        prop::collection::vec(answer(), USERS.len()),
        prop::collection::btree_set(0usize..40, 0..6),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(records, answers, refused, fifo, user_not_found_ignore)| Case {
                records: records
                    .into_iter()
                    .map(|(b, g, c)| (b, g.map(str::to_owned), c))
                    .collect(),
                answers,
                refused,
                fifo,
                user_not_found_ignore,
            },
        )
}

fn check(case: Case) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async move {
        let mut cognito = FakeCognito::new();
        for (user, answer) in USERS.iter().zip(&case.answers) {
            cognito = cognito.answer(user, *answer);
        }
        let mut dead_letters = FakeDeadLetters::new();
        for index in &case.refused {
            dead_letters = dead_letters.refuse(&format!("m{index}"));
        }
        let mut vars = vec![("MAX_RECEIVE_COUNT", "5"), ("ALLOWED_USER_POOL_IDS", POOL)];
        if case.user_not_found_ignore {
            vars.push(("USER_NOT_FOUND", "ignore"));
        }
        let app = TestApp::spawn(cognito, dead_letters.clone(), &vars);
        let batch = Batch {
            source: Source::Sqs { fifo: case.fifo },
            records: case
                .records
                .iter()
                .enumerate()
                .map(|(i, (body, group, count))| Record {
                    message_id: format!("m{i}"),
                    body: body.clone(),
                    receive_count: Some(*count),
                    group_id: group.clone(),
                    source_arn: None,
                    origin: Default::default(),
                    provenance: Default::default(),
                })
                .collect(),
        };
        let report = app.settle(&batch).await;

        // Exactly one settlement per record, in order.
        let ids: Vec<_> = report
            .settlements
            .iter()
            .map(|s| s.message_id().to_owned())
            .collect();
        let expected: Vec<_> = batch.records.iter().map(|r| r.message_id.clone()).collect();
        prop_assert_eq!(&ids, &expected);

        let sent: Vec<String> = dead_letters.sent_ids();
        let sent_set: BTreeSet<_> = sent.iter().cloned().collect();
        prop_assert_eq!(
            sent.len(),
            sent_set.len(),
            "a record was dead-lettered twice"
        );
        let Ok(Response::Sqs(response)) = respond(&report) else {
            return Err(TestCaseError::fail(
                "an SQS batch answers with batch item failures",
            ));
        };
        let retried: BTreeSet<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        let calls: BTreeMap<String, usize> = USERS
            .iter()
            .map(|u| (u.to_string(), app.cognito().calls_for(u)))
            .collect();

        for s in &report.settlements {
            let in_dlq = sent_set.contains(s.message_id());
            let in_retry = retried.contains(s.message_id());
            match s.kind() {
                OutcomeKind::Ignored => prop_assert!(false, "no alert here is ignored: {:?}", s),
                OutcomeKind::SignedOut => {
                    prop_assert!(!in_dlq && !in_retry);
                    let target = s.target().expect("a signed-out alert names its user");
                    prop_assert_eq!(calls[target.user.as_str()], 1, "signed out without a call");
                }
                OutcomeKind::DeadLettered => {
                    prop_assert!(
                        in_dlq && !in_retry,
                        "dead-lettered {} without a stored letter",
                        s.message_id()
                    );
                    let class = s.class();
                    prop_assert!(class.is_some_and(|c| !c.is_retryable()));
                }
                OutcomeKind::Retry => {
                    prop_assert!(in_retry && !in_dlq);
                }
            }
        }
        // Every user is called at most once per batch.
        prop_assert!(calls.values().all(|n| *n <= 1));
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_record_ends_in_exactly_one_backed_outcome(case in case()) {
        check(case)?;
    }
}
