//! A credential kept in Secrets Manager and rotated while instances run: a push carrying the
//! rotated value is admitted after one read of the secret, the old value is then refused, and a
//! flood of wrong values costs at most one read a minute; a poll endpoint that refuses the old
//! value gets the same request again with the rotated one.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use ssf_receiver::poller::PollEndpoint;
use ssf_receiver::secrets::{Rotating, SecretError, SecretSource, REREAD_INTERVAL};
use ssf_receiver::transmitter::HttpsClient;
use test_support::http_stub::{HttpStub, StubReply};

use crate::helpers::*;

const PUSH_SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ssf-push-AbCdEf";

/// A secret holding one value, counting its reads.
struct Secret {
    value: Mutex<String>,
    reads: AtomicUsize,
}

impl Secret {
    fn holding(value: &str) -> Arc<Self> {
        Arc::new(Self {
            value: Mutex::new(value.to_owned()),
            reads: AtomicUsize::new(0),
        })
    }

    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

impl SecretSource for Secret {
    fn read<'a>(
        &'a self,
        _arn: &'a ssf_receiver::secrets::SecretArn,
    ) -> Pin<Box<dyn Future<Output = Result<String, SecretError>> + Send + 'a>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let value = self.value.lock().unwrap().clone();
        Box::pin(async move { Ok(value) })
    }
}

fn rotating<T: Clone + std::str::FromStr>(
    old: &str,
    secret: &Arc<Secret>,
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

#[tokio::test]
async fn a_push_with_the_rotated_value_is_admitted_after_one_read_and_the_old_one_refused() {
    let transmitter = transmitter().await;
    let App {
        function,
        issuer,
        metrics,
    } = App::on(&transmitter, Options::default());
    // Started with "Bearer old"; the secret has since been rotated to "Bearer new".
    let secret = Secret::holding("Bearer new");
    let app = App {
        function: function.authorized_by(rotating("Bearer old", &secret, REREAD_INTERVAL)),
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

    let missing = app.push_with(&set("jti-0"), json!({})).await;
    assert_eq!(missing.status(), 401);
    assert_eq!(secret.reads(), 0, "an absent header never reads the secret");

    let rotated = app
        .push_with(&set("jti-1"), json!({"authorization": "Bearer new"}))
        .await;
    assert_eq!(rotated.status(), 202, "{:?}", rotated.0);
    assert_eq!(secret.reads(), 1);

    let old = app
        .push_with(&set("jti-2"), json!({"authorization": "Bearer old"}))
        .await;
    assert_eq!(old.status(), 401);
    for i in 0..20 {
        let guess = app
            .push_with(
                &set("jti-3"),
                json!({"authorization": format!("Bearer guess-{i}")}),
            )
            .await;
        assert_eq!(guess.status(), 401);
    }
    assert_eq!(
        secret.reads(),
        1,
        "wrong values read the secret at most once a minute"
    );
    assert_eq!(app.function.receiver().queue().sent().len(), 1);
}

#[tokio::test]
async fn a_poll_refused_with_the_old_value_is_sent_again_with_the_rotated_one() {
    let accepted = Arc::new(Mutex::new("Bearer new".to_owned()));
    let accepts = accepted.clone();
    let stub = HttpStub::start(move |req| {
        if req.header("authorization") == Some(accepts.lock().unwrap().as_str()) {
            StubReply::json(
                200,
                "application/json",
                r#"{"sets": {}, "moreAvailable": false}"#,
            )
        } else {
            StubReply::json(
                401,
                "application/json",
                r#"{"err": "authentication_failed"}"#,
            )
        }
    })
    .await;
    let secret = Secret::holding("Bearer new");
    let endpoint = PollEndpoint::new(
        Arc::new(HttpsClient::new()),
        format!("{}/poll", stub.url())
            .parse()
            .expect("a loopback URL"),
        None,
    )
    .authorized_by(rotating("Bearer old", &secret, REREAD_INTERVAL));
    let request = json!({"maxEvents": 0, "returnImmediately": true, "ack": []});

    let batch = endpoint
        .poll(&request)
        .await
        .expect("the second request is served");
    assert!(!batch.more_available);
    let sent: Vec<Option<String>> = stub
        .requests()
        .iter()
        .map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(
        sent,
        [Some("Bearer old".to_owned()), Some("Bearer new".to_owned())]
    );
    assert_eq!(secret.reads(), 1);

    // Rotated again within the minute: the secret is not read again yet, and the refusal is
    // the poll's error (the next scheduled poll, a minute on, reads it).
    *accepted.lock().unwrap() = "Bearer newer".to_owned();
    *secret.value.lock().unwrap() = "Bearer newer".to_owned();
    assert!(endpoint.poll(&request).await.is_err());
    assert_eq!(secret.reads(), 1);
}
