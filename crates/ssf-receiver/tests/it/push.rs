//! The push table of docs/ssf-receiver.md, answer by answer, against the test transmitter on
//! 127.0.0.1 and the in-memory fakes.

use cognito_names::Action;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use ssf_receiver::unix_now;
use ssf_receiver::ReplayKey;
use ssf_receiver::MAX_SET_BYTES;

use crate::helpers::*;

fn alice(app: &App) -> Value {
    claims(
        &app.issuer,
        "jti-1",
        SESSION_REVOKED,
        iss_sub(&pool_issuer(), "sub-alice"),
    )
}

fn header(alg: &str, kid: &str) -> Value {
    json!({"typ": "secevent+jwt", "alg": alg, "kid": kid})
}

async fn assert_refused(app: &App, set: &str, err: &str) {
    let answer = app.push(set).await;
    assert_eq!(answer.status(), 400, "{:?}", answer.0);
    assert_eq!(answer.err(), err, "{:?}", answer.0);
    assert_eq!(answer.header("Content-Type"), Some("application/json"));
    assert_eq!(answer.header("Content-Language"), Some("en"));
    assert!(answer.body()["description"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    assert!(
        app.function.receiver().queue().sent().is_empty(),
        "nothing queued"
    );
    assert_eq!(app.last_metrics()[format!("SetsRejected.{err}")], 1);
}

#[tokio::test]
async fn a_good_set_is_answered_202_after_its_alert_is_stored() {
    let transmitter = transmitter().await;
    let app = App::on(&transmitter, Options::default());
    let answer = app.push(&sign(&alice(&app))).await;
    assert_eq!(answer.status(), 202, "{:?}", answer.0);
    let sent = app.function.receiver().queue().sent();
    assert_eq!(sent.len(), 1);
    let body = serde_json::to_value(&sent[0]).unwrap();
    assert_eq!(
        body,
        json!({
            "UserPoolId": POOL, "Username": "alice", "Actions": ["sign-out"],
            "Source": "ssf", "Issuer": app.issuer, "EventType": SESSION_REVOKED,
            "SetId": "jti-1",
        })
    );
    let keys = app.function.receiver().replays().keys();
    let expires = keys[&ReplayKey::new(&app.issuer, "jti-1")];
    assert!(expires >= unix_now() + 86_000);
    let metrics = app.last_metrics();
    assert_eq!(metrics["SetsAccepted"], 1);
    assert_eq!(metrics["AlertsQueued"], 1);
    assert_eq!(metrics["SubjectsUnknown"], 0);
}

#[tokio::test]
async fn an_es256_set_is_accepted_and_a_base64_body_too() {
    let transmitter = transmitter().await;
    let app = App::on(&transmitter, Options::default());
    let set = sign_with(
        header("ES256", EC_KID),
        &alice(&app),
        &ec(),
        Algorithm::ES256,
    );
    let event = json!({
        "version": "2.0",
        "headers": {"content-type": "application/secevent+jwt"},
        "requestContext": {"http": {"method": "POST"}},
        "body": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &set),
        "isBase64Encoded": true,
    });
    let answer = Answer(app.function.handle(&event, "r").await.unwrap());
    assert_eq!(answer.status(), 202, "{:?}", answer.0);
    assert_eq!(app.function.receiver().queue().sent().len(), 1);
}

#[tokio::test]
async fn key_and_signature_faults_are_invalid_key() {
    let transmitter = transmitter().await;
    let app = App::on(&transmitter, Options::default());
    let claims = alice(&app);
    // Wrong signature: a known kid, signed by a key the transmitter never published.
    let forged = sign_with(
        header("RS256", RSA_KID),
        &claims,
        &other_rsa(),
        Algorithm::RS256,
    );
    assert_refused(&app, &forged, "invalid_key").await;
    let unknown = sign_with(header("RS256", "rsa-9"), &claims, &rsa(), Algorithm::RS256);
    assert_refused(&app, &unknown, "invalid_key").await;
    let none = unsigned(json!({"typ": "secevent+jwt", "alg": "none"}), &claims);
    assert_refused(&app, &none, "invalid_key").await;
    // HS256 with the transmitter's public JWKS text as the secret.
    let hmac = jsonwebtoken::EncodingKey::from_secret(jwks().as_bytes());
    let hs = sign_with(header("HS256", RSA_KID), &claims, &hmac, Algorithm::HS256);
    assert_refused(&app, &hs, "invalid_key").await;
    // A header bringing its own key, signed by that key.
    let own = jsonwebtoken::jwk::Jwk::from_encoding_key(&other_rsa(), Algorithm::RS256).unwrap();
    let with_jwk = sign_with(
        json!({"typ": "secevent+jwt", "alg": "RS256", "kid": RSA_KID, "jwk": own}),
        &claims,
        &other_rsa(),
        Algorithm::RS256,
    );
    assert_refused(&app, &with_jwk, "invalid_key").await;
    // An EC-signed SET naming the RSA key.
    let crossed = sign_with(header("ES256", RSA_KID), &claims, &ec(), Algorithm::ES256);
    assert_refused(&app, &crossed, "invalid_key").await;
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_at_most_once_a_minute() {
    let transmitter = transmitter().await;
    let app = App::on(&transmitter, Options::default());
    let claims = alice(&app);
    for kid in ["rsa-8", "rsa-9", "rsa-10"] {
        let set = sign_with(header("RS256", kid), &claims, &rsa(), Algorithm::RS256);
        assert_refused(&app, &set, "invalid_key").await;
    }
    let fetches = transmitter
        .requests()
        .iter()
        .filter(|r| r.path == "/jwks")
        .count();
    assert_eq!(fetches, 1);
}

#[tokio::test]
async fn a_wrong_issuer_or_audience_is_refused_as_such() {
    let transmitter = transmitter().await;
    let app = App::on(&transmitter, Options::default());
    let mut wrong_iss = alice(&app);
    wrong_iss["iss"] = json!("https://evil.example.com/");
    assert_refused(&app, &sign(&wrong_iss), "invalid_issuer").await;
    let mut wrong_aud = alice(&app);
    wrong_aud["aud"] = json!(["https://other-receiver.example.com/"]);
    assert_refused(&app, &sign(&wrong_aud), "invalid_audience").await;
}

#[tokio::test]
async fn malformed_or_unacceptable_sets_are_invalid_request() {
    let transmitter = transmitter().await;
    let app = App::on(&transmitter, Options::default());
    let claims = alice(&app);
    let wrong_typ = sign_with(
        json!({"typ": "JWT", "alg": "RS256", "kid": RSA_KID}),
        &claims,
        &rsa(),
        Algorithm::RS256,
    );
    assert_refused(&app, &wrong_typ, "invalid_request").await;
    let mut no_events = claims.clone();
    no_events.as_object_mut().unwrap().remove("events");
    assert_refused(&app, &sign(&no_events), "invalid_request").await;
    let mut no_jti = claims.clone();
    no_jti.as_object_mut().unwrap().remove("jti");
    assert_refused(&app, &sign(&no_jti), "invalid_request").await;
    let mut old = claims.clone();
    old["iat"] = json!(unix_now() - 24 * 3600 - 60);
    assert_refused(&app, &sign(&old), "invalid_request").await;
    let mut ahead = claims.clone();
    ahead["iat"] = json!(unix_now() + 600);
    assert_refused(&app, &sign(&ahead), "invalid_request").await;
    let mut expired = claims.clone();
    expired["exp"] = json!(unix_now() - 1);
    assert_refused(&app, &sign(&expired), "invalid_request").await;
    let mut big = claims.clone();
    big["padding"] = json!("x".repeat(MAX_SET_BYTES));
    assert_refused(&app, &sign(&big), "invalid_request").await;
    assert_refused(&app, "not-a-jws", "invalid_request").await;
}

#[tokio::test]
async fn a_missing_or_wrong_authorization_is_401_before_any_key_fetch() {
    let transmitter = transmitter().await;
    let app = App::on(
        &transmitter,
        Options {
            authorization: Some("Bearer stream-secret"),
            ..Options::default()
        },
    );
    let set = sign(&alice(&app));
    for headers in [json!({}), json!({"authorization": "Bearer wrong"})] {
        let answer = app.push_with(&set, headers).await;
        assert_eq!(answer.status(), 401, "{:?}", answer.0);
        assert_eq!(answer.err(), "authentication_failed");
        assert_eq!(answer.header("Content-Language"), Some("en"));
        assert_eq!(app.last_metrics()["SetsRejected.authentication_failed"], 1);
    }
    assert!(transmitter.requests().is_empty(), "no key fetched");
    assert!(app.function.receiver().queue().sent().is_empty());
    let answer = app
        .push_with(&set, json!({"Authorization": "Bearer stream-secret"}))
        .await;
    assert_eq!(answer.status(), 202, "{:?}", answer.0);
    // A SET fault with the right credential is still a 400, never a 401.
    let forged = sign_with(
        header("RS256", RSA_KID),
        &alice(&app),
        &other_rsa(),
        Algorithm::RS256,
    );
    let answer = app
        .push_with(&forged, json!({"authorization": "Bearer stream-secret"}))
        .await;
    assert_eq!(answer.status(), 400);
}

#[tokio::test]
async fn a_replayed_jti_is_answered_202_with_no_second_alert() {
    let transmitter = transmitter().await;
    let app = App::on(&transmitter, Options::default());
    let set = sign(&alice(&app));
    assert_eq!(app.push(&set).await.status(), 202);
    let again = app.push(&set).await;
    assert_eq!(again.status(), 202);
    assert_eq!(app.function.receiver().queue().sent().len(), 1);
    assert_eq!(app.last_metrics()["SetsReplayed"], 1);
}

#[tokio::test]
async fn verification_and_unknown_events_are_acknowledged_with_nothing_queued() {
    let transmitter = transmitter().await;
    let app = App::on(&transmitter, Options::default());
    let mut verification = claims(
        &app.issuer,
        "jti-v",
        VERIFICATION,
        json!({"format": "opaque", "id": "stream-1"}),
    );
    verification["events"][VERIFICATION] = json!({"state": "VGhpcyBpcyBhbiBleGFtcGxl"});
    assert_eq!(app.push(&sign(&verification)).await.status(), 202);
    let unknown = claims(
        &app.issuer,
        "jti-u",
        "https://schemas.openid.net/secevent/caep/event-type/token-claims-change",
        iss_sub(&pool_issuer(), "sub-alice"),
    );
    assert_eq!(app.push(&sign(&unknown)).await.status(), 202);
    assert_eq!(app.last_metrics()["EventsIgnored"], 1);
    assert!(app.function.receiver().queue().sent().is_empty());
    assert!(
        app.function.receiver().users().lookups().is_empty(),
        "nothing looked up"
    );
}

#[tokio::test]
async fn subjects_map_to_users_and_unknown_ones_are_counted() {
    let transmitter = transmitter().await;
    let app = App::on(&transmitter, Options::default());
    // The transmitter's own user, federated as Okta_<sub>, compromised: the lock actions.
    let carol = claims(
        &app.issuer,
        "c",
        CREDENTIAL_COMPROMISE,
        iss_sub(&app.issuer, "00u-carol"),
    );
    assert_eq!(app.push(&sign(&carol)).await.status(), 202);
    // An email: verified users only, sign-out only.
    let alice = claims(
        &app.issuer,
        "a",
        CREDENTIAL_COMPROMISE,
        email("alice@example.com"),
    );
    assert_eq!(app.push(&sign(&alice)).await.status(), 202);
    let bob = claims(&app.issuer, "b", SESSION_REVOKED, email("bob@example.com"));
    assert_eq!(app.push(&sign(&bob)).await.status(), 202);
    assert_eq!(app.last_metrics()["SubjectsUnknown"], 1);
    let other = claims(
        &app.issuer,
        "o",
        SESSION_REVOKED,
        iss_sub("https://other.example/", "x"),
    );
    assert_eq!(app.push(&sign(&other)).await.status(), 202);
    assert_eq!(app.last_metrics()["SubjectsUnknown"], 1);
    let sent = app.function.receiver().queue().sent();
    let summary: Vec<(&str, &Vec<Action>)> = sent
        .iter()
        .map(|a| (a.username.as_str(), &a.actions))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("Okta_00u-carol", &vec![Action::SignOut, Action::Disable]),
            ("alice", &vec![Action::SignOut]),
        ]
    );
}

#[tokio::test]
async fn several_entries_for_one_user_make_one_alert() {
    let transmitter = transmitter().await;
    let app = App::on(&transmitter, Options::default());
    let mut set = alice(&app);
    set["events"][CREDENTIAL_CHANGE] = json!({"change_type": "update"});
    set["events"][CREDENTIAL_COMPROMISE] = json!({"credential_type": "password"});
    assert_eq!(app.push(&sign(&set)).await.status(), 202);
    let sent = app.function.receiver().queue().sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].actions, vec![Action::SignOut, Action::Disable]);
    assert_eq!(sent[0].event_type, CREDENTIAL_COMPROMISE);
}

#[tokio::test]
async fn failures_that_are_not_the_sets_are_5xx_and_nothing_is_remembered() {
    let transmitter = transmitter().await;
    let app = App::on(&transmitter, Options::default());
    let set = sign(&alice(&app));
    app.function.receiver().queue().fail(true);
    let answer = app.push(&set).await;
    assert_eq!(answer.status(), 503, "{:?}", answer.0);
    assert!(
        app.function.receiver().replays().keys().is_empty(),
        "not remembered"
    );
    assert_eq!(app.last_metrics()["SetsFailed"], 1);
    app.function.receiver().queue().fail(false);
    app.function.receiver().users().fail(true);
    assert_eq!(app.push(&set).await.status(), 503);
    app.function.receiver().users().fail(false);
    app.function.receiver().replays().fail(true);
    assert_eq!(app.push(&set).await.status(), 503);
    app.function.receiver().replays().fail(false);
    // Delivered again once things work: accepted.
    assert_eq!(app.push(&set).await.status(), 202);
    assert_eq!(app.function.receiver().queue().sent().len(), 1);
}

#[tokio::test]
async fn unreachable_keys_are_5xx_not_400() {
    let down = HttpStub::start(|_| StubReply::json(503, "text/plain", "down")).await;
    let app = App::on(&down, Options::default());
    let answer = app.push(&sign(&alice(&app))).await;
    assert_eq!(answer.status(), 503, "{:?}", answer.0);
    assert!(app.function.receiver().users().lookups().is_empty());
}

#[tokio::test]
async fn only_post_delivers() {
    let transmitter = transmitter().await;
    let app = App::on(&transmitter, Options::default());
    let event = json!({"version": "2.0", "requestContext": {"http": {"method": "GET"}}});
    let answer = Answer(app.function.handle(&event, "r").await.unwrap());
    assert_eq!(answer.status(), 405);
    assert!(app
        .function
        .handle(&json!({"Records": []}), "r")
        .await
        .is_err());
}

/// The transmitter's JWKS before a rotation: the EC key alone.
fn jwks_before_rotation() -> String {
    let mut ec = jsonwebtoken::jwk::Jwk::from_encoding_key(&ec(), Algorithm::ES256).unwrap();
    ec.common.key_id = Some(EC_KID.to_owned());
    serde_json::to_string(&jsonwebtoken::jwk::JwkSet { keys: vec![ec] }).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_new_key_during_a_jwks_outage_is_a_503_and_the_same_set_is_202_once_it_recovers() {
    use lambda_edge::MetricsSink;
    use ssf_receiver::FetchError;
    use ssf_receiver::Function;
    use ssf_receiver::MemoryReplays;
    use ssf_receiver::MemoryUsers;
    use ssf_receiver::Receiver;
    use ssf_receiver::{StaticKeySource, REFETCH_INTERVAL, RETRY_AFTER_FAILURE};

    let issuer = "https://transmitter.example.com/tenant";
    let receiver = Receiver::new(
        settings(issuer, Vec::new()),
        StaticKeySource::scripted(vec![
            Ok(jwks_before_rotation().into_bytes()),
            Err(FetchError::Status(503)),
            Ok(jwks().into_bytes()),
        ]),
        MemoryUsers::new(users()),
        ssf_receiver::MemoryAlertQueue::new(),
        MemoryReplays::new(),
    );
    let function = Function::new(receiver, None, MetricsSink::with_writer("T", "f", |_| {}));
    let push = |set: String| {
        let function = &function;
        async move {
            let event = json!({
                "version": "2.0", "routeKey": "$default", "rawPath": "/",
                "headers": {"content-type": "application/secevent+jwt"},
                "requestContext": {"http": {"method": "POST", "path": "/"}},
                "body": set, "isBase64Encoded": false,
            });
            let answer = function.handle(&event, "req-1").await.unwrap();
            (answer["statusCode"].as_u64().unwrap(), answer)
        }
    };
    let subject = iss_sub(&pool_issuer(), "sub-alice");
    let before = sign_with(
        header("ES256", EC_KID),
        &claims(issuer, "jti-before", SESSION_REVOKED, subject.clone()),
        &ec(),
        Algorithm::ES256,
    );
    assert_eq!(push(before).await.0, 202);

    // A minute later the transmitter signs with a new key while its JWKS answers 503.
    tokio::time::advance(REFETCH_INTERVAL).await;
    let rotated = sign(&claims(issuer, "jti-rotated", SESSION_REVOKED, subject));
    let (status, answer) = push(rotated.clone()).await;
    assert_eq!(
        status, 503,
        "the receiver's failure, not the SET's: {answer}"
    );
    // Within the retry window, still not the SET's fault.
    assert_eq!(push(rotated.clone()).await.0, 503);
    assert_eq!(function.receiver().keys().source().fetches(), 2);
    // Retried after a few seconds, not a minute: the same SET is accepted.
    tokio::time::advance(RETRY_AFTER_FAILURE).await;
    assert_eq!(push(rotated).await.0, 202);
    assert_eq!(function.receiver().queue().sent().len(), 2);
}
