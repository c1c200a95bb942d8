//! Interoperability, end to end on moto: an alert in pool A signs carol out (the responder
//! binary, publishing its `Cognito User Signed Out` event, which a rule delivers); the
//! transmitter (on KMS, DynamoDB and SQS) pushes `session-revoked` naming pool A's `iss_sub`
//! to a second deployment's `ssf-receiver` (pool B federates pool A as the OIDC provider
//! `PoolA`, `SSF_SUBJECT_ISSUER` is pool A's issuer), which finds the transmitter by discovery,
//! verifies the SET against the JWKS and queues an alert; that deployment's responder signs
//! the federated user `PoolA_<sub>` out of pool B. Both functions answer HTTP through a
//! loopback function-URL emulator, as Lambda's function URLs would.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_edge::{Env, MetricsSink};
use serde_json::{json, Value};
use ssf_transmitter::*;
use test_support::moto::{self, Moto};
use test_support::runtime_api::{run_binary, sibling_binary};
use tokio::net::TcpListener;

use crate::helpers::*;

type Handler = Arc<dyn Fn(Value) -> Pin<Box<dyn Future<Output = Value> + Send>> + Send + Sync>;

/// Lambda function URLs on loopback: `/receiver...` to one function, anything else to the
/// other, each request as a payload format 2.0 event and each answer back as HTTP.
async fn function_urls(receiver: Handler, transmitter: Handler) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (receiver, transmitter) = (receiver.clone(), transmitter.clone());
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<Incoming>| {
                    let (receiver, transmitter) = (receiver.clone(), transmitter.clone());
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let headers: serde_json::Map<String, Value> = parts
                            .headers
                            .iter()
                            .map(|(n, v)| {
                                (n.as_str().to_owned(), json!(v.to_str().unwrap_or_default()))
                            })
                            .collect();
                        let query: serde_json::Map<String, Value> = parts
                            .uri
                            .query()
                            .unwrap_or_default()
                            .split('&')
                            .filter_map(|pair| pair.split_once('='))
                            .map(|(k, v)| (k.to_owned(), json!(v)))
                            .collect();
                        let path = parts.uri.path().to_owned();
                        let event = json!({
                            "version": "2.0", "rawPath": path, "headers": headers, "queryStringParameters": query,
                            "requestContext": {"http": {"method": parts.method.as_str(), "path": path, "sourceIp": "127.0.0.1"}},
                            "body": String::from_utf8_lossy(&body), "isBase64Encoded": false,
                        });
                        let handler = if path.starts_with("/receiver") {
                            receiver
                        } else {
                            transmitter
                        };
                        let answer = handler(event).await;
                        let mut response = hyper::Response::builder()
                            .status(answer["statusCode"].as_u64().unwrap_or(500) as u16);
                        if let Some(headers) = answer["headers"].as_object() {
                            for (name, value) in headers {
                                response =
                                    response.header(name, value.as_str().unwrap_or_default());
                            }
                        }
                        let body = answer["body"].as_str().unwrap_or_default().to_owned();
                        Ok::<_, Infallible>(
                            response
                                .body(Full::new(Bytes::from(body)))
                                .expect("a response"),
                        )
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

fn with(base: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = base;
    for (k, v) in extra {
        env.retain(|(name, _)| name != k);
        env.push(((*k).to_owned(), (*v).to_owned()));
    }
    env
}

fn sibling(name: &str) -> String {
    sibling_binary(env!("CARGO_BIN_EXE_ssf-transmitter"), name)
}

#[tokio::test]
async fn a_sign_out_in_pool_a_reaches_a_receiver_that_signs_the_federated_user_out_of_pool_b() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let kms = aws_sdk_kms::Client::new(&sdk);
    let events = aws_sdk_eventbridge::Client::new(&sdk);

    // Pool A, where carol is compromised; pool B, where she signs in through pool A.
    let pool_a = moto::create_pool(&cognito, "pool-a").await;
    moto::user_with_session(&cognito, &pool_a, "carol").await;
    let carol_sub = moto::sub_of(&cognito, &pool_a, "carol").await;
    let pool_b = moto::create_pool(&cognito, "pool-b").await;
    let federated = format!("PoolA_{carol_sub}");
    let federated_refresh = moto::user_with_session(&cognito, &pool_b, &federated).await;
    let bystander_refresh = moto::user_with_session(&cognito, &pool_b, "PoolA_someone-else").await;
    let issuer_a = format!("https://cognito-idp.us-east-1.amazonaws.com/{}", pool_a.id);

    // The transmitter's resources, and the queues of both deployments.
    let key = rsa_key(&kms).await;
    crate::moto::streams_table(&dynamodb, "streams").await;
    let deliveries = moto::create_queue(&sqs, "deliveries").await;
    let dead = moto::create_queue(&sqs, "transmitter-dead").await;
    let signed_out = moto::create_queue(&sqs, "signed-out").await;
    moto::route_events_to_queue(&events, &sqs, "Cognito User Signed Out", &signed_out).await;
    let alerts_b = moto::create_queue(&sqs, "alerts-b").await;
    let dlq = moto::create_queue(&sqs, "failed-alerts").await;

    // Both functions behind loopback function URLs; the issuer is known once the port is.
    let issuer_stub = token_issuer().await;
    let cell: Arc<tokio::sync::OnceCell<(Handler, Handler)>> = Arc::default();
    let (r, t) = (cell.clone(), cell.clone());
    let receiver_url: Handler = Arc::new(move |event| {
        let cell = r.clone();
        Box::pin(async move { (cell.get().expect("started").0)(event).await })
    });
    let transmitter_url: Handler = Arc::new(move |event| {
        let cell = t.clone();
        Box::pin(async move { (cell.get().expect("started").1)(event).await })
    });
    let base = function_urls(receiver_url, transmitter_url).await;
    let issuer = format!("{base}/transmitter");

    let config = Config::from(&Env::from_vars(
        [
            ("SSF_TRANSMITTER_ISSUER", issuer.as_str()),
            (
                "SSF_TRANSMITTER_AUTH_ISSUER",
                &format!("https://cognito-idp.us-east-1.amazonaws.com/{AUTH_POOL}"),
            ),
            ("SSF_SIGNING_KEY_IDS", key.as_str()),
            ("SSF_STREAMS_TABLE", "streams"),
            ("SSF_DELIVERY_QUEUE_URL", deliveries.as_str()),
            ("SSF_DEAD_LETTER_QUEUE_URL", dead.as_str()),
            ("SSF_ALLOW_LOOPBACK_RECEIVERS", "true"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    ))
    .expect("the transmitter's configuration");
    let issuer_value: Issuer = issuer.parse().expect("an issuer");
    let transmitter = Arc::new(Function {
        transmitter: Transmitter::new(
            ssf_transmitter::settings(&config, &issuer_value),
            KmsSigner::new(kms.clone(), config.signing_keys.clone()),
            DynamoDbStreams::new(dynamodb.clone(), "streams"),
            SqsDeliveryQueue::new(sqs.clone(), deliveries.clone(), dead.clone()),
            config.signs_per_second,
        ),
        api: ssf_transmitter::api(
            &config,
            cognito_revocation::HttpsKeySource::new(cognito_revocation::JwksEndpoint::from_vars(
                Some(issuer_stub.url()),
                None,
            )),
        ),
        metrics: MetricsSink::with_writer("SsfTransmitter", "ssf-transmitter", |_| {}),
    });
    let receiver_config = ssf_receiver::Config::from(&Env::from_vars(
        [
            ("SSF_ISSUER", issuer.as_str()),
            ("SSF_AUDIENCE", "interopclient1"),
            ("SSF_USER_POOL_IDS", pool_b.id.as_str()),
            ("SSF_IDENTITY_PROVIDER", "PoolA"),
            ("SSF_SUBJECT_ISSUER", issuer_a.as_str()),
            ("SSF_AUTHORIZATION", "Bearer interop-secret-1"),
            ("ALERT_QUEUE_URL", alerts_b.as_str()),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    ))
    .expect("the receiver's configuration");
    let receiver = Arc::new(ssf_receiver::aws_function(
        &sdk,
        &receiver_config,
        ssf_receiver::NoReplays,
        MetricsSink::with_writer("SsfReceiver", "ssf-receiver", |_| {}),
    ));
    let handle_receiver: Handler = Arc::new(move |event| {
        let receiver = receiver.clone();
        Box::pin(async move {
            match receiver.handle_until(&event, "r", None).await {
                Ok(answer) => answer,
                Err(err) => json!({"statusCode": 500, "body": err.to_string()}),
            }
        })
    });
    let handle_transmitter: Handler = Arc::new(move |event| {
        let transmitter = transmitter.clone();
        Box::pin(async move {
            transmitter
                .handle(&event, "t")
                .await
                .unwrap_or_else(|e| json!({"statusCode": 500, "body": e.to_string()}))
        })
    });
    assert!(cell
        .set((handle_receiver, handle_transmitter.clone()))
        .is_ok());

    // The app (pool B's deployment) subscribes: a push stream to its receiver.
    let token = token("interopclient1", MANAGE);
    let create = json!({
        "version": "2.0", "rawPath": "/transmitter/ssf/stream",
        "headers": {"authorization": format!("Bearer {token}")},
        "requestContext": {"http": {"method": "POST"}},
        "body": json!({"delivery": {"method": PUSH, "endpoint_url": format!("{base}/receiver"), "authorization_header": "Bearer interop-secret-1"},
                       "events_requested": [SESSION_REVOKED]}).to_string(),
    });
    let created = handle_transmitter(create).await;
    assert_eq!(created["statusCode"], 201, "{created}");

    // 1. An alert in pool A: the responder signs carol out and publishes its event.
    let alert_dlq = moto::create_queue(&sqs, "pool-a-dlq").await;
    let responder_a = with(
        moto.env(),
        &[
            ("DLQ_URL", alert_dlq.as_str()),
            ("ALLOWED_USER_POOL_IDS", pool_a.id.as_str()),
            ("EVENT_BUS_NAME", "default"),
        ],
    );
    let alert = json!({"UserPoolId": pool_a.id, "Username": "carol"}).to_string();
    let run = run_binary(
        &sibling("cognito-signout-responder"),
        "cognito-signout-responder",
        &responder_a,
        &[("alert".into(), alert)],
        30_000,
    )
    .await;
    ran(&run, "alert");
    let published = moto::drain(&sqs, &signed_out).await;
    assert_eq!(
        published.len(),
        1,
        "the responder's event, as the rule delivers it"
    );
    let event: Value = serde_json::from_str(&published[0].body).expect("an EventBridge event");

    // 2. The transmitter, invoked by its rule with that event, pushes to the receiver.
    let handled = handle_transmitter(event.clone()).await;
    assert_eq!(handled["delivered"], 1, "{handled}");
    assert!(
        moto::drain(&sqs, &deliveries).await.is_empty(),
        "nothing to retry"
    );

    // 3. The receiver queued one alert, for the federated user of pool B.
    let queued = moto::drain(&sqs, &alerts_b).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    let alert_b: Value = serde_json::from_str(&queued[0].body).expect("an alert");
    assert_eq!(alert_b["Username"], federated.as_str());
    assert_eq!(alert_b["UserPoolId"], pool_b.id.as_str());
    assert_eq!(
        alert_b["SetId"],
        jti(
            event["id"].as_str().unwrap(),
            created_id(&created).as_str(),
            SESSION_REVOKED
        )
    );

    // 4. Pool B's responder signs the federated user out; the bystander keeps their session.
    let batch = json!({"Records": [{"messageId": "3b1c9a52-0000-4000-8000-000000000009", "body": queued[0].body,
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts-b",
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"}}]});
    let responder_b = with(
        moto.env(),
        &[
            ("DLQ_URL", dlq.as_str()),
            ("ALLOWED_USER_POOL_IDS", pool_b.id.as_str()),
        ],
    );
    let run = run_binary(
        &sibling("cognito-signout-responder"),
        "cognito-signout-responder",
        &responder_b,
        &[("batch".into(), batch.to_string())],
        30_000,
    )
    .await;
    assert_eq!(ran(&run, "batch")["batchItemFailures"], json!([]));
    assert!(
        moto::refresh(&cognito, &pool_b, &federated_refresh)
            .await
            .is_err(),
        "signed out of pool B"
    );
    moto::refresh(&cognito, &pool_b, &bystander_refresh)
        .await
        .expect("the bystander is not");
}

fn created_id(created: &Value) -> String {
    let body: Value =
        serde_json::from_str(created["body"].as_str().unwrap_or_default()).expect("a body");
    body["stream_id"].as_str().expect("an id").to_owned()
}
