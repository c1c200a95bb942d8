//! End to end against moto: real Cognito tokens, the real JWKS, the real table, the built
//! binary under the Runtime API emulator.

use std::time::{Duration, SystemTime};

use aws_sdk_cognitoidentityprovider::Client as Cognito;
use aws_sdk_dynamodb::Client as DynamoDb;
use cognito_revocation::{
    Cutoff, CutoffStore, DynamoDbCutoffStore, Raise, Subject, UnixSeconds, UserPoolId,
    DEFAULT_RETENTION,
};

use crate::helpers::moto::{self, Moto};
use crate::helpers::runtime_api::{run_function, Answer, Run};
use crate::helpers::*;

const TABLE: &str = "revocation-cutoffs";

fn env(moto: &Moto, pool: &moto::Pool, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = moto.env();
    for (k, v) in [
        ("USER_POOL_IDS", pool.id.as_str()),
        ("APP_CLIENT_IDS", pool.client_id.as_str()),
        ("TOKEN_USE", "any"),
        ("REVOCATION_TABLE", TABLE),
        ("REVOCATION_CACHE_SECONDS", "0"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
    ]
    .iter()
    .chain(extra)
    {
        env.retain(|(name, _)| name != k);
        env.push((k.to_string(), v.to_string()));
    }
    env
}

fn response(run: &Run, id: &str) -> serde_json::Value {
    match run.answers.get(id) {
        Some(Answer::Response(value)) => value.clone(),
        other => panic!(
            "{id}: expected a response, got {other:?}\nstdout: {}\nstderr: {}",
            run.stdout, run.stderr
        ),
    }
}

fn assert_no_token_in_output(run: &Run, tokens: &[&str]) {
    for token in tokens {
        let signature = token.rsplit('.').next().unwrap_or(token);
        let payload = token.split('.').nth(1).unwrap_or(token);
        for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(!text.contains(signature), "{name} holds a token signature");
            assert!(!text.contains(payload), "{name} holds a token payload");
        }
    }
}

#[tokio::test]
async fn signed_out_users_old_tokens_are_refused_and_everyone_else_is_not() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = Cognito::new(&sdk);
    let dynamodb = DynamoDb::new(&sdk);
    let pool = moto::create_pool(&cognito, "app-users").await;
    for user in ["alice", "bob"] {
        moto::create_user(&cognito, &pool, user).await;
    }
    moto::create_cutoff_table(&dynamodb, TABLE).await;
    let alice_old = moto::sign_in(&cognito, &pool, "alice").await;
    let bob = moto::sign_in(&cognito, &pool, "bob").await;
    let alice_sub = moto::sub_of(&cognito, &pool, "alice").await;

    // Before the sign-out: every genuine token is accepted, in both shapes.
    let bearer = |t: &str| format!("Bearer {t}");
    let before = run_function(
        &env(&moto, &pool, &[]),
        &[
            ("http-access".into(), http_event(&bearer(&alice_old.access))),
            ("http-id".into(), http_event(&alice_old.id)),
            ("rest-access".into(), rest_event(&bearer(&alice_old.access))),
            ("http-bob".into(), http_event(&bearer(&bob.access))),
        ],
        5_000,
    )
    .await;
    for id in ["http-access", "http-id", "http-bob"] {
        assert!(
            http_allowed(&response(&before, id)),
            "{id}: {}",
            before.stdout
        );
    }
    let alice_answer = response(&before, "http-access");
    assert_eq!(alice_answer["context"]["sub"], alice_sub.as_str());
    assert_eq!(alice_answer["context"]["username"], "alice");
    assert_eq!(alice_answer["context"]["userPoolId"], pool.id.as_str());
    assert_eq!(alice_answer["context"]["tokenUse"], "access");
    let rest = response(&before, "rest-access");
    assert_eq!(rest_effect(&rest), "Allow");
    assert_eq!(rest["principalId"], alice_sub.as_str());

    // The responder signs alice out: it records her cutoff through the library.
    let store = DynamoDbCutoffStore::new(dynamodb.clone(), TABLE);
    let cutoff = Cutoff::new(
        UserPoolId::parse(&pool.id).expect("moto's pool id"),
        Subject::parse(&alice_sub).expect("moto's sub"),
        "alice",
        SystemTime::now(),
        DEFAULT_RETENTION,
        "alert-message-1",
    );
    assert_eq!(
        store.raise(&cutoff).await.expect("write the cutoff"),
        Raise::Recorded
    );
    // A new sign-in after the cutoff: wait until the clock has reached revokedBefore.
    while UnixSeconds::now() < cutoff.revoked_before() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let alice_new = moto::sign_in(&cognito, &pool, "alice").await;

    let after = run_function(
        &env(&moto, &pool, &[]),
        &[
            ("old-access".into(), http_event(&bearer(&alice_old.access))),
            ("old-id".into(), http_event(&bearer(&alice_old.id))),
            ("old-rest".into(), rest_event(&alice_old.access)),
            ("bob".into(), http_event(&bearer(&bob.access))),
            ("bob-rest".into(), rest_event(&bearer(&bob.id))),
            ("new-access".into(), http_event(&bearer(&alice_new.access))),
            ("new-id".into(), http_event(&bearer(&alice_new.id))),
        ],
        5_000,
    )
    .await;
    assert!(!http_allowed(&response(&after, "old-access")));
    assert!(!http_allowed(&response(&after, "old-id")));
    let old_rest = response(&after, "old-rest");
    assert_eq!(rest_effect(&old_rest), "Deny");
    assert_eq!(old_rest["principalId"], alice_sub.as_str());
    assert_eq!(old_rest["context"], serde_json::json!({}));
    assert!(http_allowed(&response(&after, "bob")));
    assert_eq!(rest_effect(&response(&after, "bob-rest")), "Allow");
    assert!(
        http_allowed(&response(&after, "new-access")),
        "{}",
        after.stdout
    );
    assert!(http_allowed(&response(&after, "new-id")));

    // One metrics line per decision, the revocations counted by reason.
    let revoked_lines = after
        .stdout
        .lines()
        .filter(|l| l.contains("\"Denied.Revoked\":1"))
        .count();
    assert_eq!(revoked_lines, 3, "{}", after.stdout);
    assert_no_token_in_output(&before, &[&alice_old.access, &alice_old.id, &bob.access]);
    assert_no_token_in_output(
        &after,
        &[
            &alice_old.access,
            &alice_old.id,
            &bob.access,
            &bob.id,
            &alice_new.access,
        ],
    );
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_refused_by_the_binary() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = Cognito::new(&sdk);
    let dynamodb = DynamoDb::new(&sdk);
    let pool = moto::create_pool(&cognito, "app-users").await;
    let other_pool = moto::create_pool(&cognito, "other-users").await;
    moto::create_user(&cognito, &pool, "carol").await;
    moto::create_user(&cognito, &other_pool, "mallory").await;
    moto::create_cutoff_table(&dynamodb, TABLE).await;
    let carol = moto::sign_in(&cognito, &pool, "carol").await;
    // Moto signs every pool's tokens with the same key: only the issuer tells them apart.
    let foreign = moto::sign_in(&cognito, &other_pool, "mallory").await;
    let parts: Vec<&str> = carol.access.split('.').collect();
    let forged_payload = {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims: serde_json::Value =
            serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
        claims["username"] = serde_json::json!("admin");
        engine.encode(claims.to_string())
    };
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    let huge = format!("{}.{}.{}", parts[0], "A".repeat(3 * 1024 * 1024), parts[2]);

    let run = run_function(
        &env(&moto, &pool, &[("TOKEN_USE", "access")]),
        &[
            (
                "genuine".into(),
                http_event(&format!("Bearer {}", carol.access)),
            ),
            (
                "id-token".into(),
                http_event(&format!("Bearer {}", carol.id)),
            ),
            ("forged".into(), http_event(&format!("Bearer {forged}"))),
            ("foreign".into(), rest_event(&foreign.access)),
            ("huge".into(), http_event(&huge)),
            ("none".into(), http_event("")),
            ("garbage".into(), rest_event("Bearer not-a-token")),
        ],
        5_000,
    )
    .await;
    assert!(http_allowed(&response(&run, "genuine")));
    for id in ["id-token", "forged", "huge", "none"] {
        assert!(!http_allowed(&response(&run, id)), "{id}");
    }
    for id in ["foreign", "garbage"] {
        let answer = response(&run, id);
        assert_eq!(rest_effect(&answer), "Deny", "{id}");
        assert_eq!(answer["principalId"], "anonymous");
    }
    for reason in [
        "Denied.TokenUse",
        "Denied.Signature",
        "Denied.Issuer",
        "Denied.TooLarge",
        "Denied.MissingToken",
        "Denied.Malformed",
    ] {
        assert!(
            run.stdout.contains(&format!("\"{reason}\":1")),
            "no {reason} line in\n{}",
            run.stdout
        );
    }
    assert_no_token_in_output(&run, &[&carol.access, &carol.id, &forged, &foreign.access]);
}

#[tokio::test]
async fn an_unreadable_table_denies_by_default_and_allows_when_configured() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = Cognito::new(&sdk);
    let pool = moto::create_pool(&cognito, "app-users").await;
    moto::create_user(&cognito, &pool, "dave").await;
    let dave = moto::sign_in(&cognito, &pool, "dave").await;
    // No table was created: every lookup fails with ResourceNotFoundException.
    let events = [(
        "dave".to_owned(),
        http_event(&format!("Bearer {}", dave.access)),
    )];
    let deny = run_function(&env(&moto, &pool, &[]), &events, 5_000).await;
    assert!(!http_allowed(&response(&deny, "dave")));
    assert!(
        deny.stdout.contains("\"Denied.LookupFailed\":1"),
        "{}",
        deny.stdout
    );
    assert!(deny.stdout.contains("\"LookupErrors\":1"));
    let allow = run_function(
        &env(&moto, &pool, &[("ON_LOOKUP_ERROR", "allow")]),
        &events,
        5_000,
    )
    .await;
    assert!(http_allowed(&response(&allow, "dave")));
    assert!(
        allow.stdout.contains("\"AllowedUnchecked\":1"),
        "{}",
        allow.stdout
    );
    assert!(allow.stdout.contains("\"LookupErrors\":1"));
}

#[tokio::test]
async fn a_bad_variable_stops_the_function_naming_it() {
    for (name, value) in [
        ("USER_POOL_IDS", "not-a-pool"),
        ("APP_CLIENT_IDS", ""),
        ("TOKEN_USE", "refresh"),
        ("REVOCATION_CACHE_SECONDS", "soon"),
        ("ON_LOOKUP_ERROR", "maybe"),
    ] {
        let mut env: Vec<(String, String)> = [
            ("AWS_REGION", "us-east-1"),
            ("USER_POOL_IDS", "us-east-1_AbC"),
            ("APP_CLIENT_IDS", "client1"),
            ("REVOCATION_TABLE", TABLE),
        ]
        .into_iter()
        .filter(|(k, _)| *k != name)
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        env.push((name.to_owned(), value.to_owned()));
        let run = run_function(&env, &[("x".into(), http_event("t"))], 1_000).await;
        assert_eq!(run.exit_code, Some(1), "{name}={value:?}");
        assert!(run.stderr.contains(name), "{name}: {}", run.stderr);
        assert!(run.answers.is_empty());
    }
}

#[tokio::test]
async fn appsync_rest_request_and_websocket_connect_are_checked_as_the_operator_opened_them() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = Cognito::new(&sdk);
    let dynamodb = DynamoDb::new(&sdk);
    let pool = moto::create_pool(&cognito, "appsync-users").await;
    for user in ["alice", "bob"] {
        moto::create_user(&cognito, &pool, user).await;
    }
    moto::create_cutoff_table(&dynamodb, TABLE).await;
    let alice = moto::sign_in(&cognito, &pool, "alice").await;
    let bob = moto::sign_in(&cognito, &pool, "bob").await;
    let alice_sub = moto::sub_of(&cognito, &pool, "alice").await;
    // alice is signed out: her cutoff is recorded.
    let store = DynamoDbCutoffStore::new(dynamodb.clone(), TABLE);
    let cutoff = Cutoff::new(
        UserPoolId::parse(&pool.id).expect("moto's pool id"),
        Subject::parse(&alice_sub).expect("moto's sub"),
        "alice",
        SystemTime::now() + Duration::from_secs(1),
        DEFAULT_RETENTION,
        "alert-message-1",
    );
    store.raise(&cutoff).await.expect("write the cutoff");
    let api = "abcdefghijklmnopqrstuvwxyz";
    let bearer = |t: &str| format!("Bearer {t}");
    let json = |v: serde_json::Value| v;
    let run = run_function(
        &env(
            &moto,
            &pool,
            &[("APPSYNC_API_IDS", api), ("TOKEN_QUERY_PARAMETER", "token")],
        ),
        &[
            ("appsync-bob".into(), appsync_event(&bob.access, api, None)),
            (
                "appsync-bob-op".into(),
                appsync_event(&bearer(&bob.id), api, Some("ListPets")),
            ),
            (
                "appsync-alice".into(),
                appsync_event(&alice.access, api, None),
            ),
            (
                "appsync-other-api".into(),
                appsync_event(&bob.access, "otherapi123", None),
            ),
            (
                "appsync-malformed".into(),
                appsync_event("not-a-token", api, None),
            ),
            (
                "rest-header-case".into(),
                rest_request_event(
                    json(serde_json::json!({"AuThOrIzAtIoN": bearer(&bob.access)})),
                    serde_json::Value::Null,
                ),
            ),
            (
                "ws-query".into(),
                websocket_connect_event(serde_json::json!({"token": bob.access})),
            ),
            (
                "ws-query-revoked".into(),
                websocket_connect_event(serde_json::json!({"token": alice.access})),
            ),
            (
                "ws-no-token".into(),
                websocket_connect_event(serde_json::json!({"other": bob.access})),
            ),
            (
                "rest-query".into(),
                rest_request_event(
                    serde_json::json!({}),
                    serde_json::json!({"token": bob.access}),
                ),
            ),
            (
                "unknown".into(),
                serde_json::json!({"hello": "world"}).to_string(),
            ),
        ],
        5_000,
    )
    .await;
    let bob_answer = response(&run, "appsync-bob");
    assert_eq!(bob_answer["isAuthorized"], true, "{}", run.stdout);
    assert_eq!(bob_answer["ttlOverride"], 0);
    assert_eq!(bob_answer["resolverContext"]["username"], "bob");
    assert_eq!(bob_answer["resolverContext"]["tokenUse"], "access");
    assert!(bob_answer["resolverContext"]["sub"].is_string());
    assert!(bob_answer["resolverContext"]["clientId"].is_string());
    assert_eq!(response(&run, "appsync-bob-op")["isAuthorized"], true);
    for refused in ["appsync-alice", "appsync-other-api", "appsync-malformed"] {
        assert_eq!(
            response(&run, refused),
            serde_json::json!({"isAuthorized": false}),
            "{refused}"
        );
    }
    assert_eq!(rest_effect(&response(&run, "rest-header-case")), "Allow");
    assert_eq!(connect_effect(&response(&run, "ws-query")), "Allow");
    assert_eq!(connect_effect(&response(&run, "ws-query-revoked")), "Deny");
    assert_eq!(connect_effect(&response(&run, "ws-no-token")), "Deny");
    assert_eq!(rest_effect(&response(&run, "rest-query")), "Allow");
    assert!(
        matches!(run.answers.get("unknown"), Some(Answer::Error { error_type, .. }) if error_type == "UnrecognisedEvent"),
        "{:?}",
        run.answers.get("unknown")
    );
    assert!(
        !run.stdout.contains("hello") && !run.stderr.contains("hello"),
        "an unknown event is logged without its content"
    );
    assert_no_token_in_output(&run, &[&alice.access, &bob.access, &bob.id]);

    // Without TOKEN_QUERY_PARAMETER, a token in the query string is never read.
    let closed = run_function(
        &env(&moto, &pool, &[]),
        &[(
            "ws-query".into(),
            websocket_connect_event(serde_json::json!({"token": bob.access})),
        )],
        5_000,
    )
    .await;
    assert_eq!(connect_effect(&response(&closed, "ws-query")), "Deny");
}
