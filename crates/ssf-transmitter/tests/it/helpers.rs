//! What the tests share: the test keys (the SETs' signing key, the management tokens'
//! issuer), the token issuer's JWKS on loopback, a transmitter on the memory adapters, and
//! the requests and events it is given.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cognito_revocation::{HttpsKeySource, JwksEndpoint};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use lambda_edge::MetricsSink;
use serde_json::{json, Value};
use ssf_transmitter::*;
use test_support::http_stub::{HttpStub, StubReply, StubRequest};
use test_support::runtime_api::{Answer as Ran, Run};

pub const SIGNING_KEY: &str = include_str!("../keys/test-only-rsa-private.pem");
pub const TOKEN_KEY: &str = include_str!("../keys/test-only-rsa-other-private.pem");
pub const AUTH_POOL: &str = "us-east-1_AuthPool1";
pub const USER_POOL: &str = "eu-west-1_PoolA1";
pub const ISSUER: &str = "https://ssf.example.com";
pub const TOKEN_KID: &str = "token-key-1";
pub const MANAGE: &str = "ssf/ssf.manage";
pub const READ: &str = "ssf/ssf.read";

pub fn now() -> u64 {
    ssf_transmitter::unix_now().get()
}

fn jwk_of(key: &EncodingKey) -> Jwk {
    Jwk::from_encoding_key(key, Algorithm::RS256).expect("an RSA JWK")
}

/// The in-memory signer of the PEM key `pem`.
fn signer_of(pem: &str) -> MemorySigner {
    MemorySigner::from_key(EncodingKey::from_rsa_pem(pem.as_bytes()).expect("a test key"))
        .expect("an RSA key of 2048 bits")
}

/// The public half of a PEM key, as the transmitter publishes it.
pub fn public_of(pem: &str) -> PublicJwk {
    signer_of(pem).public()[0].clone()
}

pub fn signer() -> MemorySigner {
    signer_of(SIGNING_KEY)
}

/// A run's answer to the invocation `id`.
pub fn ran(run: &Run, id: &str) -> Value {
    match run.answers.get(id) {
        Some(Ran::Response(value)) => value.clone(),
        other => panic!("{id}: {other:?}\n{}\n{}", run.stdout, run.stderr),
    }
}

/// A KMS key as the template makes it: RSA_2048, SIGN_VERIFY.
pub async fn rsa_key(kms: &aws_sdk_kms::Client) -> String {
    kms.create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Rsa2048)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .expect("a KMS key")
        .key_metadata()
        .expect("metadata")
        .key_id()
        .to_owned()
}

/// The management tokens' issuer: its JWKS at `/<pool>/.well-known/jwks.json`, as Cognito
/// (and moto) serve it.
pub async fn token_issuer() -> HttpStub {
    let mut jwk = jwk_of(&EncodingKey::from_rsa_pem(TOKEN_KEY.as_bytes()).expect("the token key"));
    jwk.common.key_id = Some(TOKEN_KID.to_owned());
    let jwks = serde_json::to_string(&JwkSet { keys: vec![jwk] }).expect("a JWKS");
    HttpStub::start(move |request: &StubRequest| {
        if request.path == format!("/{AUTH_POOL}/.well-known/jwks.json") {
            StubReply::json(200, "application/json", jwks.clone())
        } else {
            StubReply::json(404, "application/json", "{}")
        }
    })
    .await
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A client-credentials access token of `client` with `scope`, as Cognito issues one.
pub fn token(client: &str, scope: &str) -> String {
    token_with(client, scope, TOKEN_KEY, TOKEN_KID)
}

pub fn token_with(client: &str, scope: &str, pem: &str, kid: &str) -> String {
    let now = now();
    token_of(
        json!({
            "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{AUTH_POOL}"),
            "sub": client, "client_id": client, "token_use": "access", "scope": scope,
            "iat": now, "exp": now + 3600, "version": 2, "jti": "t-1",
        }),
        pem,
        kid,
    )
}

/// `claims` signed as the token issuer signs (or with `pem` and `kid`).
pub fn token_of(claims: Value, pem: &str, kid: &str) -> String {
    let header = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
    let input = format!("{}.{}", b64(&header), b64(&claims));
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("a key");
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::RS256).expect("signed");
    format!("{input}.{signature}")
}

/// The settings of a test transmitter: loopback receivers allowed, a retry window of
/// `window` seconds.
pub fn test_settings(window: u64) -> TransmitterSettings {
    TransmitterSettings {
        endpoints: Endpoints::new(ISSUER),
        allow_loopback: true,
        push_retry_seconds: window,
        poll_retention_seconds: 3600,
        max_streams_per_client: 3,
    }
}

pub type TestFunction =
    Function<HttpsKeySource, MemorySigner, MemoryStreams, Arc<MemoryDeliveryQueue>>;

/// A transmitter on the memory adapters, its management tokens checked against `issuer`.
pub struct App {
    pub function: TestFunction,
    pub queue: Arc<MemoryDeliveryQueue>,
    pub metrics: Arc<std::sync::Mutex<Vec<u8>>>,
    _issuer: HttpStub,
}

impl App {
    pub async fn start() -> Self {
        Self::with_window(86_400).await
    }

    pub async fn with_window(window: u64) -> Self {
        Self::with_token_issuer(window, token_issuer().await).await
    }

    /// A transmitter whose management tokens' keys are served by `issuer`.
    pub async fn with_token_issuer(window: u64, issuer: HttpStub) -> Self {
        let queue = Arc::new(MemoryDeliveryQueue::new());
        let metrics = Arc::new(std::sync::Mutex::new(Vec::new()));
        let lines = metrics.clone();
        let keys = HttpsKeySource::new(JwksEndpoint::from_vars(Some(issuer.url()), None));
        let policy = cognito_revocation::TokenPolicy::any_client(
            [cognito_revocation::UserPoolId::parse(AUTH_POOL).expect("a pool")],
            cognito_revocation::AcceptedTokenUse::Access,
        )
        .expect("a policy");
        let function = Function {
            transmitter: Transmitter::new(
                test_settings(window),
                signer(),
                MemoryStreams::new(),
                queue.clone(),
                1000,
            ),
            api: Api::new(
                cognito_revocation::Verifier::new(policy, keys),
                MANAGE.to_owned(),
                READ.to_owned(),
            ),
            metrics: MetricsSink::with_writer(
                "SsfTransmitter",
                "ssf-transmitter",
                move |line: &str| {
                    lines
                        .lock()
                        .expect("metrics")
                        .extend_from_slice(line.as_bytes());
                    lines.lock().expect("metrics").push(b'\n');
                },
            ),
        };
        Self {
            function,
            queue,
            metrics,
            _issuer: issuer,
        }
    }

    /// `method path` with `body` and a token of `client` with `scope`.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut headers = serde_json::Map::new();
        if let Some(token) = token {
            headers.insert("authorization".into(), json!(format!("Bearer {token}")));
        }
        let mut event = json!({
            "version": "2.0", "rawPath": path, "headers": headers,
            "requestContext": {"http": {"method": method, "path": path}},
            "isBase64Encoded": false,
        });
        if let Some(id) = query {
            event["queryStringParameters"] = json!({"stream_id": id});
        }
        if let Some(body) = body {
            event["body"] = json!(body.to_string());
        }
        self.raw(event).await
    }

    pub async fn raw(&self, event: Value) -> Reply {
        let answer = self
            .function
            .handle(&event, "req-1")
            .await
            .expect("an HTTP answer");
        Reply(answer)
    }

    pub async fn manage(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let token = token("clienta1", MANAGE);
        self.call(method, path, query, Some(&token), body).await
    }

    /// Asks `status` for `clienta1`'s stream `id` (`POST /ssf/status`).
    pub async fn set_status(&self, id: &str, status: &str) -> Reply {
        self.manage(
            "POST",
            "/ssf/status",
            None,
            Some(json!({"stream_id": id, "status": status})),
        )
        .await
    }

    /// Asks a verification of `clienta1`'s stream `id`, carrying `state` when given
    /// (`POST /ssf/verify`).
    pub async fn verify(&self, id: &str, state: Option<&str>) -> Reply {
        let mut body = json!({"stream_id": id});
        if let Some(state) = state {
            body["state"] = json!(state);
        }
        self.manage("POST", "/ssf/verify", None, Some(body)).await
    }

    /// Creates a push stream of `clienta1` to `url` for every event type; its id.
    pub async fn push_stream(&self, url: &str) -> String {
        let reply = self
            .manage("POST", "/ssf/stream", None, Some(json!({
                "delivery": {"method": PUSH, "endpoint_url": url, "authorization_header": "Bearer receiver-secret-9f3c"},
                "events_requested": [SESSION_REVOKED, CREDENTIAL_CHANGE, ACCOUNT_DISABLED],
            })))
            .await;
        assert_eq!(reply.status(), 201, "{:?}", reply.body());
        reply.body()["stream_id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    pub async fn poll_stream(&self) -> String {
        let reply = self
            .manage(
                "POST",
                "/ssf/stream",
                None,
                Some(json!({
                    "delivery": {"method": POLL},
                    "events_requested": [SESSION_REVOKED, CREDENTIAL_CHANGE, ACCOUNT_DISABLED],
                })),
            )
            .await;
        assert_eq!(reply.status(), 201, "{:?}", reply.body());
        reply.body()["stream_id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    /// The responder's event for `sub` with `actions`.
    pub async fn signed_out(&self, event_id: &str, sub: &str, actions: &[&str]) -> Value {
        self.function
            .handle(&signed_out_event(event_id, sub, actions), "req-2")
            .await
            .expect("handled")
    }

    pub fn metrics_text(&self) -> String {
        String::from_utf8_lossy(&self.metrics.lock().expect("metrics")).into_owned()
    }
}

pub fn signed_out_event(event_id: &str, sub: &str, actions: &[&str]) -> Value {
    json!({
        "version": "0", "id": event_id, "detail-type": "Cognito User Signed Out",
        "source": "cognito-signout-responder", "time": "2027-01-15T08:00:00Z",
        "detail": {"userPoolId": USER_POOL, "username": "carol", "sub": sub,
                   "revokedBefore": now(), "signedOutAt": "2027-01-15T08:00:00Z",
                   "alertMessageIds": ["m-1"], "actions": actions}
    })
}

pub struct Reply(pub Value);

impl Reply {
    pub fn status(&self) -> u64 {
        self.0["statusCode"].as_u64().expect("a status")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.0["headers"][name].as_str()
    }
    pub fn body(&self) -> Value {
        let text = self.0["body"].as_str().unwrap_or_default();
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(text).expect("a JSON body")
        }
    }
}

/// A receiver on loopback answering `status` after `delay`, recording every push.
pub async fn receiver(status: u16, delay: Duration) -> HttpStub {
    HttpStub::start(move |_: &StubRequest| {
        let body = if status == 400 {
            r#"{"err":"invalid_audience","description":"not ours"}"#
        } else {
            ""
        };
        StubReply::json(status, "application/json", body).after(delay)
    })
    .await
}

/// The claims of every SET `receiver` was pushed from its request number `from` on, each
/// verified as [`verified`] does.
pub fn pushed_since(receiver: &HttpStub, from: usize) -> Vec<Value> {
    receiver.requests()[from..]
        .iter()
        .map(|r| verified(&r.body_text()).1)
        .collect()
}

/// The claims of a pushed SET, verified against the transmitter's published key: RS256,
/// `typ` `secevent+jwt`, the `kid` of the key.
pub fn verified(set: &str) -> (Value, Value) {
    let public = public_of(SIGNING_KEY).to_json();
    let key = DecodingKey::from_rsa_components(
        public["n"].as_str().expect("n"),
        public["e"].as_str().expect("e"),
    )
    .expect("a key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<Value>(set, &key, &validation)
        .expect("a SET signed by the published key");
    let (header, _) = set.split_once('.').expect("a JWS");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("json");
    assert_eq!(header["typ"], "secevent+jwt");
    assert_eq!(header["kid"], public["kid"]);
    (header, data.claims)
}
