//! Each refusal the issue lists, on real tokens, and the tokens that must pass.

use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cognito_revocation::{AcceptedTokenUse, Refusal, TokenUse, MAX_TOKEN_BYTES};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::support::*;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn a_genuine_access_token_is_accepted() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    let token = verifier.verify(&sign(&access_claims(), KID)).await.unwrap();
    assert_eq!(token.sub().as_str(), "sub-1");
    assert_eq!(token.pool().as_str(), POOL);
    assert_eq!(token.client().as_str(), CLIENT);
    assert_eq!(token.token_use(), TokenUse::Access);
    assert_eq!(token.username(), Some("alice"));
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_genuine_id_token_is_accepted_when_id_tokens_are() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Any);
    let token = verifier.verify(&sign(&id_claims(), KID)).await.unwrap();
    assert_eq!(token.token_use(), TokenUse::Id);
    assert_eq!(token.username(), Some("alice"));
}

#[tokio::test]
async fn the_key_set_is_fetched_once_for_many_tokens() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    for _ in 0..20 {
        verifier.verify(&sign(&access_claims(), KID)).await.unwrap();
    }
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn alg_none_is_refused_without_fetching_keys() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64(access_claims().to_string().as_bytes());
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
        format!("{header}.{payload}.c2lnbmF0dXJl"),
    ] {
        let refusal = verifier.verify(&token).await.unwrap_err();
        assert!(
            matches!(refusal, Refusal::Algorithm | Refusal::Malformed),
            "{refusal:?}"
        );
    }
    assert_eq!(
        verifier
            .verify(&format!("{header}.{payload}."))
            .await
            .unwrap_err(),
        Refusal::Algorithm
    );
    assert_eq!(server.requests(), 0);
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    // Key confusion: the attacker uses the published RSA public key as an HMAC secret.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(KID.to_owned());
    for secret in [PUBLIC_KEY.as_bytes(), JWKS.as_bytes()] {
        let token =
            jsonwebtoken::encode(&header, &access_claims(), &EncodingKey::from_secret(secret))
                .unwrap();
        assert_eq!(
            verifier.verify(&token).await.unwrap_err(),
            Refusal::Algorithm
        );
    }
}

#[tokio::test]
async fn a_forged_payload_with_the_original_signature_is_refused() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    let genuine = sign(&access_claims(), KID);
    let parts: Vec<&str> = genuine.split('.').collect();
    let mut forged_claims = access_claims();
    forged_claims["sub"] = json!("admin-sub");
    forged_claims["username"] = json!("admin");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64(forged_claims.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(
        verifier.verify(&forged).await.unwrap_err(),
        Refusal::Signature
    );
    // The original still passes: the refusal is the forgery's, not the key's.
    assert!(verifier.verify(&genuine).await.is_ok());
}

#[tokio::test]
async fn a_token_signed_by_another_key_under_a_known_kid_is_refused() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    let token = sign_with(&access_claims(), KID, OTHER_PRIVATE_KEY);
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        Refusal::Signature
    );
}

#[tokio::test]
async fn another_pools_issuer_is_refused_without_fetching_its_keys() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    let mut claims = access_claims();
    claims["iss"] = json!(issuer(OTHER_POOL));
    assert_eq!(
        verifier.verify(&sign(&claims, KID)).await.unwrap_err(),
        Refusal::Issuer
    );
    for iss in [
        json!("https://evil.example.com/eu-west-1_TestPool1"),
        json!(null),
        json!(42),
    ] {
        claims["iss"] = iss;
        assert!(matches!(
            verifier.verify(&sign(&claims, KID)).await.unwrap_err(),
            Refusal::Issuer | Refusal::Malformed
        ));
    }
    assert_eq!(server.requests(), 0);
}

#[tokio::test]
async fn an_unlisted_client_is_refused() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Any);
    let mut access = access_claims();
    access["client_id"] = json!("someotherclient");
    assert_eq!(
        verifier.verify(&sign(&access, KID)).await.unwrap_err(),
        Refusal::Client
    );
    let mut id = id_claims();
    id["aud"] = json!("someotherclient");
    assert_eq!(
        verifier.verify(&sign(&id, KID)).await.unwrap_err(),
        Refusal::Client
    );
}

#[tokio::test]
async fn the_wrong_token_use_is_refused() {
    let server = JwksServer::start(JWKS).await;
    let access_only = verifier(&server, AcceptedTokenUse::Access);
    assert_eq!(
        access_only
            .verify(&sign(&id_claims(), KID))
            .await
            .unwrap_err(),
        Refusal::TokenUse
    );
    let id_only = verifier(&server, AcceptedTokenUse::Id);
    assert_eq!(
        id_only
            .verify(&sign(&access_claims(), KID))
            .await
            .unwrap_err(),
        Refusal::TokenUse
    );
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    let mut claims = access_claims();
    claims["exp"] = json!(now() - 1);
    assert_eq!(
        verifier.verify(&sign(&claims, KID)).await.unwrap_err(),
        Refusal::Expired
    );
}

#[tokio::test]
async fn an_unknown_kid_is_refused_and_refetches_at_most_once() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    verifier.verify(&sign(&access_claims(), KID)).await.unwrap();
    assert_eq!(server.requests(), 1);
    for kid in ["made-up-1", "made-up-2", "made-up-3"] {
        assert_eq!(
            verifier
                .verify(&sign(&access_claims(), kid))
                .await
                .unwrap_err(),
            Refusal::UnknownKey
        );
    }
    // The first fetch was under a minute ago: no refetch for the made-up kids.
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_first_unknown_kid_fetches_the_key_set_and_finds_a_rotated_key() {
    let server = JwksServer::start(JWKS_ROTATED).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    let token = sign_with(&access_claims(), OTHER_KID, OTHER_PRIVATE_KEY);
    assert!(verifier.verify(&token).await.is_ok());
}

#[tokio::test]
async fn a_token_without_kid_is_refused_as_unknown_key() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    let header = Header::new(Algorithm::RS256);
    let key = EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &access_claims(), &key).unwrap();
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        Refusal::UnknownKey
    );
}

#[tokio::test]
async fn a_missing_sub_is_refused() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    let mut claims = access_claims();
    claims.as_object_mut().unwrap().remove("sub");
    assert_eq!(
        verifier.verify(&sign(&claims, KID)).await.unwrap_err(),
        Refusal::MissingClaim("sub")
    );
}

#[tokio::test]
async fn bad_base64_and_bad_json_are_malformed() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    let genuine = sign(&access_claims(), KID);
    let parts: Vec<&str> = genuine.split('.').collect();
    for token in [
        "not a token".to_owned(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{}.@@@@.{}", parts[0], parts[2]),
        format!("{}.{}.{}", parts[0], b64(b"{not json"), parts[2]),
        format!("{}.{}.{}", b64(b"{\"alg\":"), parts[1], parts[2]),
        format!("{}.{}.{}!", parts[0], parts[1], parts[2]),
        format!("{genuine}.extra.segments"),
    ] {
        assert_eq!(
            verifier.verify(&token).await.unwrap_err(),
            Refusal::Malformed,
            "{token}"
        );
    }
    assert_eq!(server.requests(), 0);
}

#[tokio::test]
async fn a_token_of_several_megabytes_is_refused_before_any_decoding() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    let genuine = sign(&access_claims(), KID);
    let parts: Vec<&str> = genuine.split('.').collect();
    // A valid header and signature around 5 MB of base64url payload.
    let huge = format!("{}.{}.{}", parts[0], "A".repeat(5 * 1024 * 1024), parts[2]);
    let started = Instant::now();
    let refusal = verifier.verify(&huge).await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(refusal, Refusal::TooLarge);
    assert_eq!(server.requests(), 0);
    println!("5 MiB token refused in {elapsed:?}");
    // Just over the cap is refused too; a token at the cap is read.
    let just_over = format!("{}.{}", genuine, "A".repeat(MAX_TOKEN_BYTES));
    assert_eq!(
        verifier.verify(&just_over).await.unwrap_err(),
        Refusal::TooLarge
    );
}

#[tokio::test]
async fn a_refusal_never_shows_the_token() {
    let server = JwksServer::start(JWKS).await;
    let verifier = verifier(&server, AcceptedTokenUse::Access);
    let mut claims = access_claims();
    claims["iss"] = json!("https://evil.example.com/SECRET-MARKER");
    let token = sign(&claims, KID);
    let refusal = verifier.verify(&token).await.unwrap_err();
    let shown = format!("{refusal} {refusal:?} {}", refusal.reason());
    let signature = token.rsplit('.').next().unwrap();
    assert!(!shown.contains(signature));
    assert!(!shown.contains("SECRET-MARKER"));
}

#[tokio::test]
async fn an_unreachable_key_endpoint_refuses_as_keys_unavailable() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let verifier = cognito_revocation::Verifier::new(
        policy(AcceptedTokenUse::Access),
        cognito_revocation::HttpsKeySource::new(cognito_revocation::JwksEndpoint::Custom(format!(
            "http://{addr}"
        ))),
    );
    let refusal = verifier
        .verify(&sign(&access_claims(), KID))
        .await
        .unwrap_err();
    assert!(
        matches!(refusal, Refusal::KeysUnavailable(_)),
        "{refusal:?}"
    );
}
