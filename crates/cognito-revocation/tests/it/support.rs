//! The shared fixture: tokens signed with the committed TEST-ONLY keys, a loopback JWKS
//! server (on the workspace's one HTTP stub) that counts its requests, and a builder of verifiers and checks pointed at it.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_revocation::{
    AcceptedTokenUse, AppClientId, HttpsKeySource, JwksEndpoint, MemoryCutoffStore,
    RevocationCheck, TokenPolicy, UserPoolId, Verifier,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use test_support::http_stub::{HttpStub, StubReply, StubRequest};

pub const POOL: &str = "eu-west-1_TestPool1";
pub const OTHER_POOL: &str = "eu-west-1_OtherPool";
pub const CLIENT: &str = "testclient1";
pub const KID: &str = "test-key-1";
pub const OTHER_KID: &str = "test-key-2";

pub const PRIVATE_KEY: &str = include_str!("../testdata/test-only-rsa-private.pem");
pub const PUBLIC_KEY: &str = include_str!("../testdata/test-only-rsa-public.pem");
pub const OTHER_PRIVATE_KEY: &str = include_str!("../testdata/test-only-rsa-other-private.pem");
pub const JWKS: &str = include_str!("../testdata/jwks.json");
pub const JWKS_ROTATED: &str = include_str!("../testdata/jwks-rotated.json");

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn issuer(pool: &str) -> String {
    format!("https://cognito-idp.eu-west-1.amazonaws.com/{pool}")
}

/// The claims of a current access token of `POOL`, `CLIENT`, user `sub-1`, authenticated
/// 10 minutes ago.
pub fn access_claims() -> Value {
    let now = now();
    json!({
        "iss": issuer(POOL),
        "sub": "sub-1",
        "client_id": CLIENT,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": now - 600,
        "iat": now - 60,
        "exp": now + 3000,
        "jti": "j-1",
        "username": "alice",
    })
}

/// The claims of a current ID token of the same user and client.
pub fn id_claims() -> Value {
    let now = now();
    json!({
        "iss": issuer(POOL),
        "sub": "sub-1",
        "aud": CLIENT,
        "token_use": "id",
        "auth_time": now - 600,
        "iat": now - 60,
        "exp": now + 3000,
        "cognito:username": "alice",
        "email": "alice@example.com",
    })
}

/// `claims` signed RS256 with the test key, header `kid`.
pub fn sign(claims: &Value, kid: &str) -> String {
    sign_with(claims, kid, PRIVATE_KEY)
}

/// `claims` signed RS256 with `private_pem`, header `kid`.
pub fn sign_with(claims: &Value, kid: &str, private_pem: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).expect("the test key parses");
    jsonwebtoken::encode(&header, claims, &key).expect("signing works")
}

/// A loopback HTTP server (the workspace's one stub) that serves a JWKS document at
/// `/<pool>/.well-known/jwks.json` and counts the requests it gets.
pub struct JwksServer {
    stub: HttpStub,
    document: Arc<Mutex<String>>,
}

impl JwksServer {
    pub async fn start(document: &str) -> Self {
        let document = Arc::new(Mutex::new(document.to_owned()));
        let served = document.clone();
        let stub = HttpStub::start(move |request: &StubRequest| {
            if request.path.ends_with("/.well-known/jwks.json") {
                let body = served.lock().unwrap().clone();
                StubReply::json(200, "application/json", body)
            } else {
                StubReply::json(404, "application/json", "")
            }
        })
        .await;
        Self { stub, document }
    }

    /// The endpoint to point a key source at.
    pub fn endpoint(&self) -> JwksEndpoint {
        JwksEndpoint::Custom(self.stub.url())
    }

    /// Requests served so far.
    pub fn requests(&self) -> usize {
        self.stub.requests().len()
    }

    /// Serves `document` from now on (a key rotation).
    pub fn publish(&self, document: &str) {
        *self.document.lock().unwrap() = document.to_owned();
    }
}

pub fn policy(token_use: AcceptedTokenUse) -> TokenPolicy {
    TokenPolicy::new(
        [UserPoolId::parse(POOL).unwrap()],
        [AppClientId::parse(CLIENT).unwrap()],
        token_use,
    )
    .unwrap()
}

/// A verifier of `POOL` / `CLIENT` tokens fetching keys from `server`.
pub fn verifier(server: &JwksServer, token_use: AcceptedTokenUse) -> Verifier<HttpsKeySource> {
    Verifier::new(policy(token_use), HttpsKeySource::new(server.endpoint()))
}

/// A check with an in-memory store.
pub fn check(
    server: &JwksServer,
    cache: Duration,
    on_error: cognito_revocation::OnLookupError,
) -> RevocationCheck<HttpsKeySource, MemoryCutoffStore> {
    RevocationCheck::new(
        verifier(server, AcceptedTokenUse::Any),
        MemoryCutoffStore::new(),
        cache,
        on_error,
    )
}
