//! The proof of docs/revocation.md, docs/revocation.md#the-authorizer-revocation-authorizer, end to end against moto with both binaries under
//! the Runtime API emulator: tokens accepted before an alert; the alert signs one user out;
//! the table holds the cutoff and the event reaches a queue through a rule; the authorizer
//! now refuses that user's old access and ID tokens, still accepts everyone else's, and
//! accepts the same user's new sign-in made after the cutoff.

use std::time::Duration;

use serde_json::Value;
use test_support::api_gateway::{http_allowed, http_event, rest_effect, rest_event};
use test_support::moto::{self, Moto};
use test_support::runtime_api::{run_binary, Answer, Run};

use crate::helpers::runtime_api::{run_function, sibling_binary};

const TABLE: &str = "revocation-cutoffs";

fn response(run: &Run, id: &str) -> Value {
    match run.answers.get(id) {
        Some(Answer::Response(value)) => value.clone(),
        other => panic!(
            "{id}: expected a response, got {other:?}\nstdout: {}\nstderr: {}",
            run.stdout, run.stderr
        ),
    }
}

#[tokio::test]
async fn a_signed_out_users_old_tokens_are_refused_within_the_second_and_nobody_elses_are() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let pool = moto::create_pool(&cognito, "app-users").await;
    for user in ["alice", "bob"] {
        moto::create_user(&cognito, &pool, user).await;
    }
    moto::create_cutoff_table(&dynamodb, TABLE).await;
    let dlq = moto::create_queue(&sqs, "failed-alerts").await;
    let signed_out_events = moto::create_queue(&sqs, "signed-out-events").await;
    moto::route_events_to_queue(&events, &sqs, "Cognito User Signed Out", &signed_out_events).await;
    let alice_old = moto::sign_in(&cognito, &pool, "alice").await;
    let bob = moto::sign_in(&cognito, &pool, "bob").await;
    let alice_sub = moto::sub_of(&cognito, &pool, "alice").await;

    let mut authorizer_env = moto.env();
    for (k, v) in [
        ("USER_POOL_IDS", pool.id.as_str()),
        ("APP_CLIENT_IDS", pool.client_id.as_str()),
        ("TOKEN_USE", "any"),
        ("REVOCATION_TABLE", TABLE),
        ("REVOCATION_CACHE_SECONDS", "0"),
    ] {
        authorizer_env.push((k.to_owned(), v.to_owned()));
    }
    let authorizer = sibling_binary("revocation-authorizer");
    let authorize = |tokens: Vec<(&str, String)>| {
        let events: Vec<(String, String)> = tokens
            .into_iter()
            .flat_map(|(name, token)| {
                [
                    (
                        format!("{name}-http"),
                        http_event(&format!("Bearer {token}")),
                    ),
                    (format!("{name}-rest"), rest_event(&token)),
                ]
            })
            .collect();
        let env = authorizer_env.clone();
        let binary = authorizer.clone();
        async move { run_binary(&binary, "revocation-authorizer", &env, &events, 10_000).await }
    };
    let allowed = |run: &Run, name: &str| {
        let http = http_allowed(&response(run, &format!("{name}-http")));
        let rest = rest_effect(&response(run, &format!("{name}-rest"))) == "Allow";
        assert_eq!(http, rest, "{name}: both shapes agree");
        http
    };

    // Before the alert: every genuine token is accepted.
    let before = authorize(vec![
        ("alice-access", alice_old.access.clone()),
        ("alice-id", alice_old.id.clone()),
        ("bob-access", bob.access.clone()),
    ])
    .await;
    for name in ["alice-access", "alice-id", "bob-access"] {
        assert!(allowed(&before, name), "{name} before the alert");
    }

    // The alert: the responder's binary signs alice out.
    let mut responder_env = moto.env();
    for (k, v) in [
        ("DLQ_URL", dlq.as_str()),
        ("ALLOWED_USER_POOL_IDS", pool.id.as_str()),
        ("REVOCATION_TABLE", TABLE),
        ("EVENT_BUS_NAME", "default"),
    ] {
        responder_env.push((k.to_owned(), v.to_owned()));
    }
    let alert = format!(r#"{{"UserPoolId":"{}","Username":"alice"}}"#, pool.id);
    let run = run_function(&responder_env, &[("alert-1".into(), alert)], 30_000).await;
    let summary = response(&run, "alert-1");
    assert_eq!(summary["outcome"], "signed-out", "{summary}");

    // The table holds the cutoff, keyed by pool and sub.
    let item = moto::cutoff_item(&dynamodb, TABLE, &pool.id, &alice_sub)
        .await
        .expect("alice's cutoff");
    let number = |name: &str| -> u64 {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {item:?}"))
    };
    let revoked_before = number("revokedBefore");
    assert_eq!(number("expiresAt"), revoked_before + 86_400);
    assert_eq!(
        item.get("username")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str),
        Some("alice")
    );
    assert_eq!(
        item.get("alertMessageId")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str),
        Some("alert-1")
    );

    // The event reached the queue through the rule.
    let delivered = moto::drain(&sqs, &signed_out_events).await;
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let event: Value = serde_json::from_str(&delivered[0].body).expect("an event");
    assert_eq!(event["detail-type"], "Cognito User Signed Out");
    assert_eq!(event["source"], "cognito-signout-responder");
    assert_eq!(event["detail"]["sub"], alice_sub.as_str());
    assert_eq!(event["detail"]["username"], "alice");
    assert_eq!(event["detail"]["revokedBefore"], revoked_before);
    assert_eq!(
        event["detail"]["alertMessageIds"],
        serde_json::json!(["alert-1"])
    );

    // A new sign-in after the cutoff: its auth_time is at or after revokedBefore.
    let wait = revoked_before as f64
        - std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
    if wait > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(wait + 0.05)).await;
    }
    let alice_new = moto::sign_in(&cognito, &pool, "alice").await;

    let after = authorize(vec![
        ("alice-access", alice_old.access.clone()),
        ("alice-id", alice_old.id.clone()),
        ("bob-access", bob.access.clone()),
        ("bob-id", bob.id.clone()),
        ("alice-new", alice_new.access.clone()),
    ])
    .await;
    assert!(
        !allowed(&after, "alice-access"),
        "the stolen access token is refused"
    );
    assert!(
        !allowed(&after, "alice-id"),
        "the stolen ID token is refused"
    );
    assert!(allowed(&after, "bob-access"));
    assert!(allowed(&after, "bob-id"));
    assert!(
        allowed(&after, "alice-new"),
        "alice's own new sign-in is accepted"
    );
    assert!(
        after.stdout.contains("revoked") || after.stderr.contains("revoked"),
        "the refusal is logged with its reason"
    );
}
