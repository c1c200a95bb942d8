//! End to end against a real local AWS (moto over HTTP): the real Cognito and SQS adapters,
//! real user pools with signed-in users, real queues. The proof of a sign-out is that the
//! user's old refresh token is refused afterwards while other users' tokens keep working.

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::Client as Cognito;
use aws_sdk_sqs::Client as Sqs;
use cognito_signout_responder::invocation::{respond, Response};
use cognito_signout_responder::ErrorClass;
use cognito_signout_responder::OutcomeKind;
use cognito_signout_responder::Timeouts;
use cognito_signout_responder::{aws_responder, AwsResponder};
use cognito_signout_responder::{Batch, Record, Source};

use crate::helpers::moto::*;
use crate::helpers::{config, far_deadline};

struct World {
    _moto: Moto,
    cognito: Cognito,
    sqs: Sqs,
    pool: Pool,
    sessions: HashMap<String, String>,
    responder: AwsResponder,
    queues: HashMap<&'static str, String>,
}

/// A moto server with one pool of signed-in `users`, three dead-letter queues (a default
/// one, a FIFO one for bad alerts, one for unknown users), and a responder wired to them.
async fn world(users: &[&str]) -> World {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = Cognito::new(&sdk);
    let sqs = Sqs::new(&sdk);
    let pool = create_pool(&cognito, "customers").await;
    let mut sessions = HashMap::new();
    for user in users {
        sessions.insert(
            user.to_string(),
            user_with_session(&cognito, &pool, user).await,
        );
    }
    let queues = HashMap::from([
        ("failed", create_queue(&sqs, "failed-alerts").await),
        ("bad", create_queue(&sqs, "bad-alerts.fifo").await),
        ("unknown-users", create_queue(&sqs, "unknown-users").await),
    ]);
    let config = config(&[
        ("DLQ_URL", &queues["failed"]),
        ("DLQ_URL_MALFORMED", &queues["bad"]),
        ("DLQ_URL_INVALID", &queues["bad"]),
        ("DLQ_URL_FORBIDDEN_POOL", &queues["bad"]),
        ("DLQ_URL_USER_NOT_FOUND", &queues["unknown-users"]),
    ]);
    let responder = aws_responder(&sdk, &config, Timeouts::default());
    World {
        _moto: moto,
        cognito,
        sqs,
        pool,
        sessions,
        responder,
        queues,
    }
}

fn sqs_record(id: &str, body: String, group: Option<&str>) -> Record {
    Record {
        message_id: id.to_owned(),
        body,
        receive_count: Some(2),
        group_id: group.map(str::to_owned),
        source_arn: Some("arn:aws:sqs:us-east-1:123456789012:alerts".to_owned()),
        origin: Default::default(),
        provenance: Default::default(),
    }
}

#[tokio::test]
async fn named_users_lose_their_sessions_while_others_keep_theirs() {
    let users = ["alice", "bob", "carol", "dave", "erin", "frank"];
    let w = world(&users).await;
    for user in users {
        assert_eq!(
            refresh(&w.cognito, &w.pool, &w.sessions[user]).await,
            Ok(()),
            "{user} starts signed in"
        );
    }
    let pool = &w.pool.id;
    let arn = format!("arn:aws:cognito-idp:us-east-1:123456789012:userpool/{pool}");
    let batch = Batch {
        source: Source::Sqs { fifo: false },
        records: vec![
            sqs_record(
                "m1",
                format!(r#"{{"UserPoolId":"{pool}","Username":"alice"}}"#),
                None,
            ),
            sqs_record(
                "m2",
                format!(r#"{{"userPoolArn":"{arn}","username":"bob"}}"#),
                None,
            ),
            sqs_record(
                "m3",
                format!(
                    r#"{{"detail-type":"Cognito User Compromised","source":"security.alerts","detail":{{"UserPoolId":"{pool}","Username":"carol"}}}}"#
                ),
                None,
            ),
            sqs_record(
                "m4",
                format!(r#"{{"UserPoolId":"{pool}","Username":"alice"}}"#),
                None,
            ),
        ],
    };
    let report = w.responder.settle(&batch, far_deadline()).await;
    assert!(
        report
            .settlements
            .iter()
            .all(|s| s.kind() == OutcomeKind::SignedOut),
        "{:?}",
        report.settlements
    );
    assert_eq!(report.call_latencies.len(), 3, "alice is signed out once");

    for user in ["alice", "bob", "carol"] {
        assert_eq!(
            refresh(&w.cognito, &w.pool, &w.sessions[user]).await,
            Err("NotAuthorizedException".to_owned()),
            "{user}'s refresh token still works"
        );
    }
    for user in ["dave", "erin", "frank"] {
        assert_eq!(
            refresh(&w.cognito, &w.pool, &w.sessions[user]).await,
            Ok(()),
            "{user} lost a session"
        );
    }
    for queue in w.queues.values() {
        assert!(
            drain(&w.sqs, queue).await.is_empty(),
            "nothing is dead-lettered"
        );
    }
}

#[tokio::test]
async fn unknown_user_and_unknown_pool_are_classified_as_cognito_reports_them() {
    let w = world(&["alice"]).await;
    let pool = &w.pool.id;
    let batch = Batch {
        source: Source::Sqs { fifo: false },
        records: vec![
            sqs_record(
                "ghost",
                format!(r#"{{"UserPoolId":"{pool}","Username":"ghost"}}"#),
                None,
            ),
            sqs_record(
                "nopool",
                r#"{"UserPoolId":"us-east-1_NoSuchPool","Username":"alice"}"#.to_owned(),
                None,
            ),
        ],
    };
    let report = w.responder.settle(&batch, far_deadline()).await;
    let classes: Vec<_> = report
        .settlements
        .iter()
        .map(|s| (s.kind(), s.class()))
        .collect();
    assert_eq!(
        classes,
        [
            (OutcomeKind::DeadLettered, Some(ErrorClass::UserNotFound)),
            (OutcomeKind::DeadLettered, Some(ErrorClass::PoolNotFound)),
        ]
    );
    let unknown = drain(&w.sqs, &w.queues["unknown-users"]).await;
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].attributes["ErrorCode"], "UserNotFoundException");
    let failed = drain(&w.sqs, &w.queues["failed"]).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attributes["ErrorClass"], "pool-not-found");
    assert_eq!(
        failed[0].attributes["ErrorCode"],
        "ResourceNotFoundException"
    );
    assert_eq!(
        refresh(&w.cognito, &w.pool, &w.sessions["alice"]).await,
        Ok(())
    );
}

#[tokio::test]
async fn dead_letters_keep_the_body_byte_for_byte_with_every_attribute_in_their_class_queue() {
    let w = world(&["alice"]).await;
    let pool = &w.pool.id;
    let odd_body = "  {\"note\": \"caf\u{e9} \u{1F600} \\u0000\", \"Username\" : \"alice\" }\n";
    let long_user = format!(
        r#"{{"UserPoolId":"{pool}","Username":"{}"}}"#,
        "u".repeat(129)
    );
    let ghost = format!(r#"{{"UserPoolId":"{pool}","Username":"ghost"}}"#);
    let batch = Batch {
        source: Source::Sqs { fifo: true },
        records: vec![
            sqs_record("m-malformed", odd_body.to_owned(), Some("tenant-a")),
            sqs_record("m-invalid", long_user.clone(), None),
            sqs_record("m-ghost", ghost.clone(), Some("tenant-b")),
        ],
    };
    let report = w.responder.settle(&batch, far_deadline()).await;
    assert!(
        report
            .settlements
            .iter()
            .all(|s| s.kind() == OutcomeKind::DeadLettered),
        "{:?}",
        report.settlements
    );
    assert_eq!(respond(&report), Ok(Response::Sqs(Default::default())));

    let mut bad = drain(&w.sqs, &w.queues["bad"]).await;
    bad.sort_by(|a, b| a.attributes["SourceMessageId"].cmp(&b.attributes["SourceMessageId"]));
    assert_eq!(bad.len(), 2);
    let (invalid, malformed) = (&bad[0], &bad[1]);
    assert_eq!(malformed.body, odd_body, "the body is stored byte for byte");
    assert_eq!(
        malformed.group_id.as_deref(),
        Some("tenant-a"),
        "FIFO group is the source group"
    );
    assert_eq!(malformed.attributes["ErrorClass"], "malformed");
    assert_eq!(malformed.attributes["ErrorCode"], "MissingUserPoolId");
    assert!(!malformed.attributes["ErrorMessage"].is_empty());
    assert_eq!(
        malformed.attributes["SourceArn"],
        "arn:aws:sqs:us-east-1:123456789012:alerts"
    );
    assert_eq!(malformed.attributes["ReceiveCount"], "2");
    assert!(!malformed.attributes.contains_key("Username"));

    assert_eq!(invalid.body, long_user);
    assert_eq!(invalid.attributes["ErrorClass"], "invalid");
    assert_eq!(invalid.attributes["ErrorCode"], "InvalidParameter");
    assert_eq!(
        invalid.group_id.as_deref(),
        Some("invalid"),
        "no source group and no valid pool: the class"
    );

    let unknown = drain(&w.sqs, &w.queues["unknown-users"]).await;
    assert_eq!(unknown.len(), 1);
    let letter = &unknown[0];
    assert_eq!(letter.body, ghost);
    let mut names: Vec<_> = letter.attributes.keys().cloned().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Actions",
            "ErrorClass",
            "ErrorCode",
            "ErrorMessage",
            "ReceiveCount",
            "SourceArn",
            "SourceMessageId",
            "UserPoolId",
            "Username"
        ]
    );
    // docs/containment.md: what the alert asked; nothing was taken (the sign-out failed).
    assert_eq!(letter.attributes["Actions"], "sign-out");
    assert_eq!(letter.attributes["UserPoolId"], *pool);
    assert_eq!(letter.attributes["Username"], "ghost");
    assert_eq!(letter.attributes["SourceMessageId"], "m-ghost");
    assert!(drain(&w.sqs, &w.queues["failed"]).await.is_empty());
}
