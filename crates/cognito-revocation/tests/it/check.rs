//! Verify then check: the cutoff rule on real tokens, the lookup cache and ON_LOOKUP_ERROR.

use std::time::{Duration, UNIX_EPOCH};

use cognito_revocation::{
    Cutoff, CutoffKey, CutoffStore, Decision, OnLookupError, Raise, RevocationCheck, StoreError,
    Subject, UnixSeconds, UserPoolId, DEFAULT_RETENTION,
};
use serde_json::json;

use crate::support::*;

fn cutoff_at(secs: u64) -> Cutoff {
    Cutoff::new(
        UserPoolId::parse(POOL).unwrap(),
        Subject::parse("sub-1").unwrap(),
        "alice",
        UNIX_EPOCH + Duration::from_secs(secs),
        DEFAULT_RETENTION,
        "alert-1",
    )
}

#[tokio::test]
async fn a_user_without_cutoff_is_allowed() {
    let server = JwksServer::start(JWKS).await;
    let check = check(&server, Duration::ZERO, OnLookupError::Deny);
    let decision = check.check(&sign(&access_claims(), KID)).await;
    assert!(decision.is_allowed(), "{decision}");
    assert_eq!(decision.reason(), "Allowed");
}

#[tokio::test]
async fn tokens_authenticated_before_the_cutoff_are_revoked_and_later_ones_allowed() {
    let server = JwksServer::start(JWKS).await;
    let check = check(&server, Duration::ZERO, OnLookupError::Deny);
    let now = now();
    assert_eq!(
        check.store().raise(&cutoff_at(now - 300)).await.unwrap(),
        Raise::Recorded
    );
    // Authenticated 600 s ago: before the cutoff, access and ID token alike.
    for claims in [access_claims(), id_claims()] {
        let decision = check.check(&sign(&claims, KID)).await;
        assert!(
            matches!(decision, Decision::Revoked { revoked_before, .. } if revoked_before == UnixSeconds::new(now - 300)),
            "{decision}"
        );
        assert!(!decision.is_allowed());
    }
    // Signed in again 100 s ago: after the cutoff.
    let mut fresh = access_claims();
    fresh["auth_time"] = json!(now - 100);
    assert!(check.check(&sign(&fresh, KID)).await.is_allowed());
    // A refreshed token keeps its old auth_time: revoked, although its iat is recent.
    let mut refreshed = access_claims();
    refreshed["iat"] = json!(now);
    assert!(!check.check(&sign(&refreshed, KID)).await.is_allowed());
    // Another user of the pool is untouched.
    let mut other = access_claims();
    other["sub"] = json!("sub-2");
    assert!(check.check(&sign(&other, KID)).await.is_allowed());
}

#[tokio::test]
async fn a_forged_token_is_refused_before_any_lookup() {
    let server = JwksServer::start(JWKS).await;
    let check = check(&server, Duration::ZERO, OnLookupError::Deny);
    let decision = check
        .check(&sign_with(&access_claims(), KID, OTHER_PRIVATE_KEY))
        .await;
    assert_eq!(decision.reason(), "Signature");
    assert!(decision.token().is_none());
    assert_eq!(check.store().lookups(), 0);
}

#[tokio::test]
async fn the_lookup_cache_reuses_a_lookup_within_its_ttl() {
    let server = JwksServer::start(JWKS).await;
    let token = sign(&access_claims(), KID);
    let cached = check(&server, Duration::from_secs(60), OnLookupError::Deny);
    for _ in 0..5 {
        assert!(cached.check(&token).await.is_allowed());
    }
    assert_eq!(cached.store().lookups(), 1);
    let uncached = check(&server, Duration::ZERO, OnLookupError::Deny);
    for _ in 0..5 {
        assert!(uncached.check(&token).await.is_allowed());
    }
    assert_eq!(uncached.store().lookups(), 5);
}

#[tokio::test]
async fn a_cutoff_written_while_a_lookup_is_cached_applies_once_the_ttl_has_passed() {
    let server = JwksServer::start(JWKS).await;
    let check = check(&server, Duration::from_millis(300), OnLookupError::Deny);
    let token = sign(&access_claims(), KID);
    assert!(check.check(&token).await.is_allowed());
    check.store().raise(&cutoff_at(now())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(check.check(&token).await.reason(), "Revoked");
}

/// A store whose table cannot be read.
struct Unreadable;

impl CutoffStore for Unreadable {
    async fn revoked_before(&self, _key: &CutoffKey) -> Result<Option<UnixSeconds>, StoreError> {
        Err(StoreError::get(
            &aws_sdk_dynamodb::error::SdkError::timeout_error("attempt timed out"),
        ))
    }

    async fn raise(&self, _cutoff: &Cutoff) -> Result<Raise, StoreError> {
        Err(StoreError::update(
            &aws_sdk_dynamodb::error::SdkError::timeout_error("attempt timed out"),
        ))
    }
}

#[tokio::test]
async fn an_unreadable_table_denies_by_default() {
    let server = JwksServer::start(JWKS).await;
    let check = RevocationCheck::new(
        verifier(&server, cognito_revocation::AcceptedTokenUse::Access),
        Unreadable,
        Duration::from_secs(1),
        OnLookupError::Deny,
    );
    let decision = check.check(&sign(&access_claims(), KID)).await;
    assert_eq!(decision.reason(), "LookupFailed");
    assert!(!decision.is_allowed());
    assert_eq!(
        decision.lookup_error().map(|e| e.class().as_str()),
        Some("transport")
    );
}

#[tokio::test]
async fn an_unreadable_table_allows_a_verified_token_when_told_to() {
    let server = JwksServer::start(JWKS).await;
    let check = RevocationCheck::new(
        verifier(&server, cognito_revocation::AcceptedTokenUse::Access),
        Unreadable,
        Duration::from_secs(1),
        OnLookupError::Allow,
    );
    let decision = check.check(&sign(&access_claims(), KID)).await;
    assert_eq!(decision.reason(), "AllowedUnchecked");
    assert!(decision.is_allowed());
    // Fail-open never covers a token that is not genuine.
    let forged = check
        .check(&sign_with(&access_claims(), KID, OTHER_PRIVATE_KEY))
        .await;
    assert!(!forged.is_allowed());
}
