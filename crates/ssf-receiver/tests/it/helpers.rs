//! The shared fixture: a test transmitter (the committed TEST-ONLY keys, its JWKS and its
//! `/.well-known/ssf-configuration/tenant` served on 127.0.0.1), SETs signed by it, and
//! [`App`]: the function under test on in-memory fakes, with verb methods.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cognito_names::Action;
use cognito_names::UserPoolId;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey};
use lambda_edge::MetricsSink;
use serde_json::{json, Value};
use ssf_receiver::Authorization;
use ssf_receiver::Directory;
use ssf_receiver::Expected;
use ssf_receiver::Function;
use ssf_receiver::HttpsClient;
use ssf_receiver::{unix_now, Receiver, ReceiverSettings};
use ssf_receiver::{AlertQueue, MemoryAlertQueue};
use ssf_receiver::{HttpsTransmitterKeySource, JwksLocation};
use ssf_receiver::{MemoryReplays, Replays};
use ssf_receiver::{MemoryUser, MemoryUsers, Users};
pub use test_support::http_stub::{HttpStub, StubReply, StubRequest};

pub const RSA_KEY: &str = include_str!("../keys/test-only-rsa-private.pem");
pub const OTHER_RSA_KEY: &str = include_str!("../keys/test-only-rsa-other-private.pem");
pub const EC_KEY: &str = include_str!("../keys/test-only-ec-private.pem");
pub const RSA_KID: &str = "rsa-1";
pub const EC_KID: &str = "ec-1";
pub const AUDIENCE: &str = "https://receiver.example.com/ssf";
pub const POOL: &str = "eu-west-1_TestPool1";
pub const PROVIDER: &str = "Okta";

pub const SESSION_REVOKED: &str =
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
pub const CREDENTIAL_CHANGE: &str =
    "https://schemas.openid.net/secevent/caep/event-type/credential-change";
pub const CREDENTIAL_COMPROMISE: &str =
    "https://schemas.openid.net/secevent/risc/event-type/credential-compromise";
pub const VERIFICATION: &str = "https://schemas.openid.net/secevent/ssf/event-type/verification";

pub fn rsa() -> EncodingKey {
    EncodingKey::from_rsa_pem(RSA_KEY.as_bytes()).expect("the test RSA key")
}

pub fn other_rsa() -> EncodingKey {
    EncodingKey::from_rsa_pem(OTHER_RSA_KEY.as_bytes()).expect("the other test RSA key")
}

pub fn ec() -> EncodingKey {
    EncodingKey::from_ec_pem(EC_KEY.as_bytes()).expect("the test EC key")
}

/// The transmitter's JWKS: the RSA key (`rsa-1`) and the EC key (`ec-1`).
pub fn jwks() -> String {
    let mut rsa = Jwk::from_encoding_key(&rsa(), Algorithm::RS256).expect("an RSA JWK");
    rsa.common.key_id = Some(RSA_KID.to_owned());
    let mut ec = Jwk::from_encoding_key(&ec(), Algorithm::ES256).expect("an EC JWK");
    ec.common.key_id = Some(EC_KID.to_owned());
    serde_json::to_string(&JwkSet {
        keys: vec![rsa, ec],
    })
    .expect("a JWKS")
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// `header.claims` signed with `key` by `alg` (any header, so tests can forge).
pub fn sign_with(header: Value, claims: &Value, key: &EncodingKey, alg: Algorithm) -> String {
    let input = format!("{}.{}", b64(&header), b64(claims));
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).expect("a signature");
    format!("{input}.{signature}")
}

/// `claims` as the transmitter signs them: RS256, `rsa-1`, `typ` `secevent+jwt`.
pub fn sign(claims: &Value) -> String {
    sign_with(
        json!({"typ": "secevent+jwt", "alg": "RS256", "kid": RSA_KID}),
        claims,
        &rsa(),
        Algorithm::RS256,
    )
}

/// `header.claims.` with no signature (`alg: none`).
pub fn unsigned(header: Value, claims: &Value) -> String {
    format!("{}.{}.", b64(&header), b64(claims))
}

/// The claims of a current SET of `issuer` to this receiver, with one `events` entry.
pub fn claims(issuer: &str, jti: &str, event: &str, sub_id: Value) -> Value {
    json!({
        "iss": issuer,
        "aud": AUDIENCE,
        "jti": jti,
        "iat": unix_now() - 5,
        "sub_id": sub_id,
        "events": {event: {"event_timestamp": unix_now() - 10}},
    })
}

pub fn iss_sub(iss: &str, sub: &str) -> Value {
    json!({"format": "iss_sub", "iss": iss, "sub": sub})
}

pub fn email(address: &str) -> Value {
    json!({"format": "email", "email": address})
}

/// The issuer of the pool `POOL`.
pub fn pool_issuer() -> String {
    format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}")
}

/// The test transmitter: `/jwks` and `/.well-known/ssf-configuration/tenant` (issuer
/// `http://<host>/tenant`, `jwks_uri` `http://<host>/jwks`); anything else 404.
pub async fn transmitter() -> HttpStub {
    let jwks = jwks();
    HttpStub::start(move |request: &StubRequest| {
        let host = request.header("host").unwrap_or("127.0.0.1").to_owned();
        match request.path.as_str() {
            "/jwks" => StubReply::json(200, "application/json", jwks.clone()),
            "/.well-known/ssf-configuration/tenant" => StubReply::json(
                200,
                "application/json",
                json!({
                    "issuer": format!("http://{host}/tenant"),
                    "jwks_uri": format!("http://{host}/jwks"),
                    "delivery_methods_supported": ["urn:ietf:rfc:8935"],
                })
                .to_string(),
            ),
            _ => StubReply::json(404, "application/json", "{}"),
        }
    })
    .await
}

/// The users of the fake directory: `alice` (sub `sub-alice`, verified email
/// `alice@example.com`), `bob` (unverified `bob@example.com`), and the federated
/// `Okta_00u-carol`.
pub fn users() -> Vec<MemoryUser> {
    vec![
        MemoryUser {
            pool: pool_id(),
            username: "alice".into(),
            sub: "sub-alice".into(),
            email: Some("alice@example.com".into()),
            email_verified: true,
        },
        MemoryUser {
            pool: pool_id(),
            username: "bob".into(),
            sub: "sub-bob".into(),
            email: Some("bob@example.com".into()),
            email_verified: false,
        },
        MemoryUser {
            pool: pool_id(),
            username: format!("{PROVIDER}_00u-carol"),
            sub: "sub-carol".into(),
            email: None,
            email_verified: false,
        },
    ]
}

pub fn pool_id() -> UserPoolId {
    POOL.parse().expect("a pool id")
}

/// How to build an [`App`].
pub struct Options {
    pub authorization: Option<&'static str>,
    pub discover: bool,
    pub compromise_actions: Vec<Action>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            authorization: None,
            discover: false,
            compromise_actions: vec![Action::SignOut, Action::Disable],
        }
    }
}

/// The function under test, on in-memory fakes, against a transmitter.
pub struct App<U: Users = MemoryUsers, Q: AlertQueue = MemoryAlertQueue, R: Replays = MemoryReplays>
{
    pub function: Function<HttpsTransmitterKeySource, U, Q, R>,
    pub issuer: String,
    pub metrics: Arc<Mutex<Vec<Value>>>,
}

/// The settings of a receiver of `issuer`.
pub fn settings(issuer: &str, compromise_actions: Vec<Action>) -> ReceiverSettings {
    ReceiverSettings {
        expected: Expected {
            issuer: issuer.to_owned(),
            audience: AUDIENCE.to_owned(),
        },
        directory: Directory {
            issuer: issuer.to_owned(),
            pools: vec![pool_id()],
            identity_provider: Some(PROVIDER.to_owned()),
        },
        compromise_actions,
    }
}

impl App {
    /// The function on fakes, its keys at `transmitter` (`/jwks`, or discovered).
    pub fn on(transmitter: &HttpStub, options: Options) -> Self {
        App::with(
            transmitter,
            options,
            MemoryUsers::new(users()),
            MemoryAlertQueue::new(),
            MemoryReplays::new(),
        )
    }
}

impl<U: Users, Q: AlertQueue, R: Replays> App<U, Q, R> {
    /// The function on these adapters.
    pub fn with(transmitter: &HttpStub, options: Options, users: U, queue: Q, replays: R) -> Self {
        let issuer = format!("{}/tenant", transmitter.url());
        let location = if options.discover {
            JwksLocation::Discovered {
                issuer: issuer.clone(),
                issuer_url: issuer.parse().expect("a loopback URL"),
            }
        } else {
            JwksLocation::Configured(
                format!("{}/jwks", transmitter.url())
                    .parse()
                    .expect("a loopback URL"),
            )
        };
        let receiver = Receiver::new(
            settings(&issuer, options.compromise_actions),
            HttpsTransmitterKeySource::new(Arc::new(HttpsClient::new()), location),
            users,
            queue,
            replays,
        );
        let metrics = Arc::new(Mutex::new(Vec::new()));
        let kept = metrics.clone();
        let sink = MetricsSink::with_writer("Test", "ssf-receiver", move |line| {
            if let Ok(doc) = serde_json::from_str(line) {
                kept.lock().unwrap().push(doc);
            }
        });
        let authorization = options
            .authorization
            .map(|value| value.parse::<Authorization>().expect("a header value"));
        Self {
            function: Function::new(receiver, authorization, sink),
            issuer,
            metrics,
        }
    }

    /// Pushes `set` with `headers` (besides the content type); the 2.0 answer.
    pub async fn push_with(&self, set: &str, headers: Value) -> Answer {
        let mut all = json!({"content-type": "application/secevent+jwt"});
        if let (Some(all), Some(extra)) = (all.as_object_mut(), headers.as_object()) {
            all.extend(extra.clone());
        }
        let event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": "/",
            "headers": all,
            "requestContext": {"http": {"method": "POST", "path": "/"}},
            "body": set,
            "isBase64Encoded": false,
        });
        Answer(
            self.function
                .handle(&event, "req-1")
                .await
                .expect("a push event"),
        )
    }

    /// Pushes `set` with no `Authorization`.
    pub async fn push(&self, set: &str) -> Answer {
        self.push_with(set, json!({})).await
    }

    /// The last metrics document.
    pub fn last_metrics(&self) -> Value {
        self.metrics
            .lock()
            .unwrap()
            .last()
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// A 2.0 answer, with readers.
#[derive(Debug, Clone)]
pub struct Answer(pub Value);

impl Answer {
    pub fn status(&self) -> u64 {
        self.0["statusCode"].as_u64().unwrap_or(0)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.0["headers"][name].as_str()
    }

    pub fn body(&self) -> Value {
        serde_json::from_str(self.0["body"].as_str().unwrap_or("")).unwrap_or(Value::Null)
    }

    /// The `err` of a 400 or 401.
    pub fn err(&self) -> String {
        self.body()["err"].as_str().unwrap_or("").to_owned()
    }
}

/// A transmitter that also serves poll delivery at `/poll`: each poll takes the next batch
/// of `(jti, SET)` from [`PollTransmitter::batches`] (none left: an empty answer), with
/// `moreAvailable` while batches remain; `/poll` answers `poll_status` when it is not 200.
/// The batches a [`PollTransmitter`] has left to deliver: `(jti, SET)` each.
pub type Batches = Arc<Mutex<std::collections::VecDeque<Vec<(String, Value)>>>>;

pub struct PollTransmitter {
    pub stub: HttpStub,
    pub batches: Batches,
    pub poll_status: Arc<Mutex<u16>>,
}

pub const POLL_AUTHORIZATION: &str = "Bearer poll-credential-7f3a";

impl PollTransmitter {
    pub async fn start() -> Self {
        let jwks = jwks();
        let batches: Batches = Arc::default();
        let poll_status = Arc::new(Mutex::new(200u16));
        let (queue, status) = (batches.clone(), poll_status.clone());
        let stub = HttpStub::start(move |request: &StubRequest| match request.path.as_str() {
            "/jwks" => StubReply::json(200, "application/json", jwks.clone()),
            "/poll" if request.method == "POST" => {
                let code = *status.lock().unwrap();
                if code != 200 {
                    return StubReply::json(code, "application/json", r#"{"err":"x"}"#);
                }
                let asked: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                let max = asked["maxEvents"].as_u64().unwrap_or(0);
                let mut queue = queue.lock().unwrap();
                let batch = if max == 0 {
                    Vec::new()
                } else {
                    queue.pop_front().unwrap_or_default()
                };
                let sets: serde_json::Map<String, Value> = batch.into_iter().collect();
                StubReply::json(
                    200,
                    "application/json",
                    json!({"sets": sets, "moreAvailable": !queue.is_empty()}).to_string(),
                )
            }
            _ => StubReply::json(404, "application/json", "{}"),
        })
        .await;
        Self {
            stub,
            batches,
            poll_status,
        }
    }

    /// The bodies of the poll requests received, in order.
    pub fn polls(&self) -> Vec<Value> {
        self.stub
            .requests()
            .iter()
            .filter(|r| r.path == "/poll")
            .map(|r| {
                assert_eq!(r.header("authorization"), Some(POLL_AUTHORIZATION));
                serde_json::from_slice(&r.body).unwrap_or(Value::Null)
            })
            .collect()
    }
}

impl<U: Users, Q: AlertQueue, R: Replays> App<U, Q, R> {
    /// The same app, polling `transmitter`'s `/poll` with [`POLL_AUTHORIZATION`].
    pub fn polling(self, transmitter: &HttpStub) -> Self {
        let url = format!("{}/poll", transmitter.url())
            .parse()
            .expect("a loopback URL");
        let endpoint = ssf_receiver::PollEndpoint::new(
            Arc::new(HttpsClient::new()),
            url,
            Some(POLL_AUTHORIZATION.parse().expect("a header value")),
        );
        Self {
            function: self.function.polling(endpoint),
            ..self
        }
    }

    /// Invokes the function as its EventBridge schedule does.
    pub async fn scheduled(&self) -> Result<Value, ssf_receiver::InvocationError> {
        let event = json!({
            "version": "0",
            "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": "2026-12-01T00:00:00Z",
            "region": "eu-west-1",
            "resources": ["arn:aws:events:eu-west-1:123456789012:rule/ssf-poll"],
            "detail": {},
        });
        self.function.handle(&event, "req-poll").await
    }
}
