//! End to end, the three binaries under the Runtime API emulator on moto: an IdP pushes a
//! CAEP `session-revoked` SET for a federated user; `ssf-receiver` verifies it and queues the
//! alert; the responder, fed that queue message, signs the user out (the refresh token is
//! refused afterwards) and records the cutoff; the authorizer refuses the user's old access
//! token and still accepts everyone else's. At every log level, TRACE included, neither the
//! SET nor an `Authorization` value (the expected one or a wrong guess) reaches the logs.

use serde_json::{json, Value};
use test_support::api_gateway::{http_allowed, http_event};
use test_support::moto::{self, Moto};
use test_support::runtime_api::{run_binary, Answer, Run};

use crate::helpers::*;

const TABLE: &str = "revocation-cutoffs";

/// Another binary of the workspace, built beside this one.
fn sibling(name: &str) -> String {
    test_support::runtime_api::sibling_binary(env!("CARGO_BIN_EXE_ssf-receiver"), name)
}

fn answer(run: &Run, id: &str) -> Value {
    match run.answers.get(id) {
        Some(Answer::Response(value)) => value.clone(),
        other => panic!(
            "{id}: expected a response, got {other:?}\nstdout: {}\nstderr: {}",
            run.stdout, run.stderr
        ),
    }
}

fn with(mut env: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    for (k, v) in extra {
        env.retain(|(name, _)| name != k);
        env.push((k.to_string(), v.to_string()));
    }
    env.push(("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into()));
    env
}

/// A function URL's payload format 2.0 event carrying `set`.
fn push_event(set: &str) -> String {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "headers": {"content-type": "application/secevent+jwt", "host": "abc.lambda-url.us-east-1.on.aws"},
        "requestContext": {"http": {"method": "POST", "path": "/", "sourceIp": "192.0.2.1"}},
        "body": set,
        "isBase64Encoded": false,
    })
    .to_string()
}

#[tokio::test]
async fn a_pushed_session_revoked_signs_the_federated_user_out_and_their_old_token_is_refused() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let pool = moto::create_pool(&cognito, "app-users").await;
    // The IdP's user 00u-alice signs in to the app through provider Okta: Cognito names
    // them Okta_00u-alice. (moto lets a test give that user a password to get tokens.)
    let alice = format!("{PROVIDER}_00u-alice");
    let alice_refresh = moto::user_with_session(&cognito, &pool, &alice).await;
    let bob_refresh = moto::user_with_session(&cognito, &pool, "bob").await;
    let alice_old = moto::sign_in(&cognito, &pool, &alice).await;
    let bob_tokens = moto::sign_in(&cognito, &pool, "bob").await;
    let alice_sub = moto::sub_of(&cognito, &pool, &alice).await;
    moto::create_cutoff_table(&dynamodb, TABLE).await;
    let alerts = moto::create_queue(&sqs, "alerts").await;
    let dlq = moto::create_queue(&sqs, "failed-alerts").await;

    // 1. The IdP pushes "session revoked" for its user 00u-alice.
    let idp = transmitter().await;
    let issuer = format!("{}/tenant", idp.url());
    let set = sign(&claims(
        &issuer,
        "e2e-jti-1",
        SESSION_REVOKED,
        iss_sub(&issuer, "00u-alice"),
    ));
    let receiver_env = with(
        moto.env(),
        &[
            ("SSF_ISSUER", issuer.as_str()),
            ("SSF_AUDIENCE", AUDIENCE),
            ("SSF_USER_POOL_IDS", pool.id.as_str()),
            ("SSF_IDENTITY_PROVIDER", PROVIDER),
            ("ALERT_QUEUE_URL", alerts.as_str()),
            ("REVOCATION_TABLE", TABLE),
        ],
    );
    let received = run_binary(
        &sibling("ssf-receiver"),
        "ssf-receiver",
        &receiver_env,
        &[("push-1".into(), push_event(&set))],
        20_000,
    )
    .await;
    let pushed = answer(&received, "push-1");
    assert_eq!(pushed["statusCode"], 202, "{pushed}\n{}", received.stdout);
    let signature = set.rsplit('.').next().unwrap_or(&set);
    let claims_part = set.split('.').nth(1).unwrap_or(&set);
    for text in [&received.stdout, &received.stderr] {
        assert!(!text.contains(signature), "the SET's signature is logged");
        assert!(!text.contains(claims_part), "the SET's claims are logged");
    }
    assert!(
        received.stdout.contains("e2e-jti-1"),
        "the log line names the jti"
    );

    // 2. The alert is on the queue, for alice only.
    let queued = moto::drain(&sqs, &alerts).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    let alert: Value = serde_json::from_str(&queued[0].body).expect("a JSON alert");
    assert_eq!(alert["Username"], alice.as_str());
    assert_eq!(alert["UserPoolId"], pool.id.as_str());
    assert_eq!(alert["Source"], "ssf");
    assert_eq!(alert["SetId"], "e2e-jti-1");

    // 3. The responder consumes it, as its SQS event source mapping delivers it.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let batch = json!({"Records": [{
        "messageId": "3b1c9a52-0000-4000-8000-000000000001",
        "body": queued[0].body,
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts",
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": now_ms.to_string()},
    }]});
    let responder_env = with(
        moto.env(),
        &[
            ("DLQ_URL", dlq.as_str()),
            ("ALLOWED_USER_POOL_IDS", pool.id.as_str()),
            ("REVOCATION_TABLE", TABLE),
        ],
    );
    let responded = run_binary(
        &sibling("cognito-signout-responder"),
        "cognito-signout-responder",
        &responder_env,
        &[("batch-1".into(), batch.to_string())],
        30_000,
    )
    .await;
    let failures = answer(&responded, "batch-1");
    assert_eq!(failures["batchItemFailures"], json!([]), "{failures}");
    assert!(
        moto::drain(&sqs, &dlq).await.is_empty(),
        "nothing dead-lettered"
    );

    // Alice's sessions ended; bob's did not.
    assert!(
        moto::refresh(&cognito, &pool, &alice_refresh)
            .await
            .is_err(),
        "alice's refresh token is refused after the sign-out"
    );
    moto::refresh(&cognito, &pool, &bob_refresh)
        .await
        .expect("bob's refresh token still works");

    // The cutoff is recorded under alice's sub.
    let item = moto::cutoff_item(&dynamodb, TABLE, &pool.id, &alice_sub).await;
    assert!(item.is_some(), "alice's cutoff is recorded");

    // 4. The authorizer refuses alice's old access token and accepts bob's.
    let authorizer_env = with(
        moto.env(),
        &[
            ("USER_POOL_IDS", pool.id.as_str()),
            ("APP_CLIENT_IDS", pool.client_id.as_str()),
            ("TOKEN_USE", "any"),
            ("REVOCATION_TABLE", TABLE),
            ("REVOCATION_CACHE_SECONDS", "0"),
        ],
    );
    let checked = run_binary(
        &sibling("revocation-authorizer"),
        "revocation-authorizer",
        &authorizer_env,
        &[
            (
                "alice".into(),
                http_event(&format!("Bearer {}", alice_old.access)),
            ),
            (
                "bob".into(),
                http_event(&format!("Bearer {}", bob_tokens.access)),
            ),
        ],
        10_000,
    )
    .await;
    assert!(
        !http_allowed(&answer(&checked, "alice")),
        "alice's stolen access token is refused"
    );
    assert!(
        http_allowed(&answer(&checked, "bob")),
        "bob is not affected"
    );
}

/// A function URL's event carrying `set` with the `Authorization` header `authorization`.
fn push_event_with(set: &str, authorization: &str) -> String {
    let mut event: Value = serde_json::from_str(&push_event(set)).expect("an event");
    event["headers"]["authorization"] = json!(authorization);
    event.to_string()
}

#[tokio::test]
async fn at_trace_level_no_set_and_no_authorization_value_from_its_secret_reaches_the_logs() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let pool = moto::create_pool(&cognito, "app-users").await;
    moto::user_with_session(&cognito, &pool, &format!("{PROVIDER}_00u-alice")).await;
    let alerts = moto::create_queue(&sqs, "alerts").await;
    let idp = transmitter().await;
    let issuer = format!("{}/tenant", idp.url());
    let expected = "Bearer push-credential-7f3a9c1e";
    // The credential comes from Secrets Manager, so the SDK's own TRACE lines of the
    // GetSecretValue answer are in the logs too.
    let secret = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name("ssf-push-authorization")
        .secret_string(expected)
        .send()
        .await
        .expect("create secret");
    let secret_arn = secret.arn().expect("an ARN").to_owned();
    let wrong = "Bearer guessed-credential-0b2d4e6f";
    let good = sign(&claims(
        &issuer,
        "trace-jti-1",
        SESSION_REVOKED,
        iss_sub(&issuer, "00u-alice"),
    ));
    let forged = sign_with(
        json!({"typ": "secevent+jwt", "alg": "RS256", "kid": RSA_KID}),
        &claims(
            &issuer,
            "trace-jti-2",
            SESSION_REVOKED,
            iss_sub(&issuer, "00u-alice"),
        ),
        &other_rsa(),
        jsonwebtoken::Algorithm::RS256,
    );
    let env = with(
        moto.env(),
        &[
            ("SSF_ISSUER", issuer.as_str()),
            ("SSF_AUDIENCE", AUDIENCE),
            ("SSF_USER_POOL_IDS", pool.id.as_str()),
            ("SSF_IDENTITY_PROVIDER", PROVIDER),
            ("SSF_AUTHORIZATION_SECRET_ARN", secret_arn.as_str()),
            ("ALERT_QUEUE_URL", alerts.as_str()),
            ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
        ],
    );
    let run = run_binary(
        &sibling("ssf-receiver"),
        "ssf-receiver",
        &env,
        &[
            ("good".into(), push_event_with(&good, expected)),
            ("wrong-credential".into(), push_event_with(&good, wrong)),
            ("forged".into(), push_event_with(&forged, expected)),
        ],
        20_000,
    )
    .await;
    assert_eq!(answer(&run, "good")["statusCode"], 202);
    assert_eq!(answer(&run, "wrong-credential")["statusCode"], 401);
    assert_eq!(answer(&run, "forged")["statusCode"], 400);
    let logs = format!("{}\n{}", run.stdout, run.stderr);
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "the run logged below INFO, so the level took effect:\n{logs}"
    );
    for set in [&good, &forged] {
        for (i, part) in set.split('.').enumerate() {
            assert!(!logs.contains(part), "segment {i} of a SET is in the logs");
        }
    }
    for credential in [expected, wrong] {
        let secret = credential.trim_start_matches("Bearer ");
        assert!(
            !logs.contains(secret),
            "an Authorization value is in the logs"
        );
    }
}
