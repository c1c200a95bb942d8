//! A credential kept in Secrets Manager and rotated while instances run: a push carrying the
//! rotated value is admitted after one read of the secret, the old value is then refused, and a
//! flood of wrong values costs at most one read a minute; a poll endpoint that refuses the old
//! value gets the same request again with the rotated one.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use ssf_receiver::HttpsClient;
use ssf_receiver::PollEndpoint;
use ssf_receiver::{MemorySecrets, Rotating};
use test_support::http_stub::{HttpStub, StubReply};

use crate::helpers::*;

const PUSH_SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ssf-push-AbCdEf";

/// The push's secret, holding `value`.
fn holding(value: &str) -> Arc<MemorySecrets> {
    let secret = Arc::new(MemorySecrets::new());
    secret.set(PUSH_SECRET, Ok(value));
    secret
}

fn rotating<T: Clone + std::str::FromStr + PartialEq>(
    old: &str,
    secret: &Arc<MemorySecrets>,
    interval: Duration,
) -> Rotating<T>
where
    T::Err: std::fmt::Debug,
{
    Rotating::from_secret(
        old.parse().expect("a header value"),
        PUSH_SECRET.parse().expect("a secret ARN"),
        "SSF_AUTHORIZATION_SECRET_ARN",
        secret.clone(),
        interval,
    )
}

/// Long enough that a test's burst of requests fits in it, short enough to wait out.
const INTERVAL: Duration = Duration::from_millis(400);

/// Waits out the interval that follows the start-up read.
async fn a_while_after_start_up() {
    tokio::time::sleep(INTERVAL + Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_push_with_the_rotated_value_is_admitted_after_one_read_and_the_old_one_refused() {
    let transmitter = transmitter().await;
    let App {
        function,
        issuer,
        metrics,
    } = App::on(&transmitter, Options::default());
    // Started with "Bearer old"; the secret has since been rotated to "Bearer new".
    let secret = holding("Bearer new");
    let app = App {
        function: function.authorized_by(rotating("Bearer old", &secret, INTERVAL)),
        issuer,
        metrics,
    };
    let set = |jti: &str| {
        sign(&claims(
            &app.issuer,
            jti,
            SESSION_REVOKED,
            iss_sub(&pool_issuer(), "sub-alice"),
        ))
    };
    let push = |jti: &'static str, header: Option<&'static str>| {
        let headers = header.map_or(json!({}), |h| json!({"authorization": h}));
        let set = set(jti);
        let app = &app;
        async move { app.push_with(&set, headers).await.status() }
    };

    // Within the interval of the start-up read, nothing is read again.
    assert_eq!(push("jti-0", Some("Bearer new")).await, 401);
    assert_eq!(secret.reads(), 0);
    a_while_after_start_up().await;

    assert_eq!(push("jti-1", None).await, 401);
    assert_eq!(push("jti-1", Some("")).await, 401);
    assert_eq!(
        secret.reads(),
        0,
        "an absent or empty header never reads the secret"
    );

    assert_eq!(push("jti-1", Some("Bearer new")).await, 202);
    assert_eq!(secret.reads(), 1);
    assert_eq!(push("jti-2", Some("Bearer old")).await, 401);
    for _ in 0..20 {
        assert_eq!(push("jti-3", Some("Bearer guess")).await, 401);
    }
    assert_eq!(
        secret.reads(),
        1,
        "wrong values read the secret at most once an interval"
    );
    assert_eq!(app.function.receiver().queue().sent().len(), 1);
}

/// A poll endpoint that serves `accepted` and answers `refusal` to anything else.
async fn poll_endpoint(accepted: &Arc<Mutex<String>>, refusal: u16) -> HttpStub {
    let accepts = accepted.clone();
    HttpStub::start(move |req| {
        if req.header("authorization") == Some(accepts.lock().unwrap().as_str()) {
            StubReply::json(
                200,
                "application/json",
                r#"{"sets": {}, "moreAvailable": false}"#,
            )
        } else {
            StubReply::json(
                refusal,
                "application/json",
                r#"{"err": "authentication_failed"}"#,
            )
        }
    })
    .await
}

fn polling(stub: &HttpStub, credential: Rotating<ssf_receiver::Credential>) -> PollEndpoint {
    PollEndpoint::new(
        Arc::new(HttpsClient::new()),
        format!("{}/poll", stub.url())
            .parse()
            .expect("a loopback URL"),
        None,
    )
    .authorized_by(credential)
}

fn sent(stub: &HttpStub) -> Vec<Option<String>> {
    stub.requests()
        .iter()
        .map(|r| r.header("authorization").map(str::to_owned))
        .collect()
}

const REQUEST: &str = r#"{"maxEvents": 0, "returnImmediately": true, "ack": ["jti-1"]}"#;

#[tokio::test]
async fn a_poll_refused_with_the_old_value_is_sent_again_with_the_rotated_one() {
    let accepted = Arc::new(Mutex::new("Bearer new".to_owned()));
    let stub = poll_endpoint(&accepted, 401).await;
    let secret = holding("Bearer new");
    let endpoint = polling(&stub, rotating("Bearer old", &secret, INTERVAL));
    let request: serde_json::Value = serde_json::from_str(REQUEST).expect("JSON");
    a_while_after_start_up().await;

    let batch = endpoint
        .poll(&request)
        .await
        .expect("the second request is served");
    assert!(!batch.more_available);
    assert_eq!(
        sent(&stub),
        [Some("Bearer old".to_owned()), Some("Bearer new".to_owned())]
    );
    assert_eq!(secret.reads(), 1);

    // Rotated again within the interval: not read again yet, and the refusal is the poll's
    // error (a later poll reads it).
    *accepted.lock().unwrap() = "Bearer newer".to_owned();
    secret.set(PUSH_SECRET, Ok("Bearer newer"));
    assert!(endpoint.poll(&request).await.is_err());
    assert_eq!(secret.reads(), 1);
    assert_eq!(
        stub.requests().len(),
        3,
        "no second request without a new value"
    );
}

#[tokio::test]
async fn an_unchanged_secret_or_another_refusal_sends_no_second_request() {
    let request: serde_json::Value = serde_json::from_str(REQUEST).expect("JSON");
    // 403 with a secret still holding the refused value: read, unchanged, not sent again.
    let accepted = Arc::new(Mutex::new("Bearer new".to_owned()));
    let stub = poll_endpoint(&accepted, 403).await;
    let secret = holding("Bearer old");
    let endpoint = polling(&stub, rotating("Bearer old", &secret, INTERVAL));
    a_while_after_start_up().await;
    assert!(endpoint.poll(&request).await.is_err());
    assert_eq!((secret.reads(), stub.requests().len()), (1, 1));

    // A 400 or a 500 is not about the credential: nothing is read, nothing sent again.
    for status in [400, 500] {
        let stub = poll_endpoint(&accepted, status).await;
        let secret = holding("Bearer new");
        let endpoint = polling(&stub, rotating("Bearer old", &secret, INTERVAL));
        a_while_after_start_up().await;
        assert!(endpoint.poll(&request).await.is_err());
        assert_eq!((secret.reads(), stub.requests().len()), (0, 1), "{status}");
    }
}

#[tokio::test]
async fn a_401_challenge_names_a_scheme_and_never_the_credential_from_the_variable_or_the_secret() {
    let transmitter = transmitter().await;
    for (value, scheme) in [
        ("9f3c1e77a1b24c5d8e0fb3a6c2d94e11", "Bearer"),
        ("Bearer 9f3c1e77a1b24c5d8e0fb3a6c2d94e11", "Bearer"),
        ("Basic OWYzYzFlNzc6YTFiMg==", "Basic"),
        ("9f3c1e77 a1b24c5d", "Bearer"),
        ("Token 9f3c1e77", "Bearer"),
    ] {
        let credential = value.split([' ', '\t']).next_back().unwrap_or(value);
        let from_variable = App::on(
            &transmitter,
            Options {
                authorization: Some(value),
                ..Options::default()
            },
        );
        let App {
            function,
            issuer,
            metrics,
        } = App::on(&transmitter, Options::default());
        let from_secret = App {
            function: function.authorized_by(rotating(value, &holding(value), INTERVAL)),
            issuer,
            metrics,
        };
        for (source, app) in [("variable", &from_variable), ("secret", &from_secret)] {
            let answer = app
                .push_with("not-a-jws", json!({"authorization": "Bearer wrong"}))
                .await;
            assert_eq!(answer.status(), 401, "{source} {value:?}");
            let challenge = answer.header("WWW-Authenticate").unwrap_or_default();
            assert_eq!(
                challenge,
                format!("{scheme} realm=\"ssf-receiver\""),
                "{source} {value:?}"
            );
            let printed = answer.0.to_string();
            for part in [value, credential, "9f3c1e77"] {
                assert!(!printed.contains(part), "{source} {value:?}: {printed}");
            }
        }
    }
}
