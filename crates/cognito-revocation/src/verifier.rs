//! The verifier: is this a genuine, current Cognito token of a listed pool and client?
//!
//! The checks, in order (each refusal is a [`Refusal`]):
//!
//! 1. size at most [`crate::MAX_TOKEN_BYTES`], before anything is decoded;
//! 2. a compact JWS with a JSON header and claims, `alg` exactly `RS256` (so `none` and
//!    HS256 signed with the public key as a secret never reach a key);
//! 3. `iss` is the issuer of a listed pool. The issuer is only compared with the listed
//!    pools' issuers: the key URL is built from the listed pool id, never from the token;
//! 4. the key: the header's `kid` in that pool's JWKS (cached; see [`crate::jwks`]);
//! 5. the RS256 signature over header and claims, by `jsonwebtoken` on aws-lc-rs;
//! 6. the claims of the now genuine token (`TokenPolicy::admit`, pure): `token_use` accepted,
//!    the client listed (`client_id` of an access token, `aud` of an ID token), `exp` in the
//!    future (no leeway: Cognito's and Lambda's clocks are NTP-synchronised, and leeway would
//!    only lengthen a stolen token's life), `sub` present, and an authentication time
//!    (`auth_time`, else `iat`) for the revocation rule.
//!
//! The signature is checked before the claims so that a claims refusal (`Client`,
//! `TokenUse`, `Expired`) always describes a genuine token: in the logs it points at a
//! configuration mismatch or a stale client, not at an attacker's invention.

use std::collections::BTreeSet;

use jsonwebtoken::Algorithm;

use crate::identity::{AcceptedTokenUse, AppClientId, Subject, TokenUse, UserPoolId};
use crate::jwks::{Jwks, KeyLookup, KeySource};
use crate::refusal::Refusal;
use crate::token::{self, Claims};
use cognito_names::{CutoffKey, UnixSeconds};

/// What a deployment accepts: the pools, the app clients and the token uses.
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    /// Each listed pool with its issuer URL, computed once.
    pools: Vec<(UserPoolId, String)>,
    /// The accepted clients; `None`: any client of the listed pools.
    clients: Option<BTreeSet<AppClientId>>,
    token_use: AcceptedTokenUse,
}

/// A policy that would accept nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// No pool listed.
    #[error("no user pool listed")]
    NoPool,
    /// No app client listed.
    #[error("no app client listed")]
    NoClient,
}

impl TokenPolicy {
    /// Accepts tokens of `pools`, issued to `clients`, of the `token_use` given.
    pub fn new(
        pools: impl IntoIterator<Item = UserPoolId>,
        clients: impl IntoIterator<Item = AppClientId>,
        token_use: AcceptedTokenUse,
    ) -> Result<Self, PolicyError> {
        let pools: BTreeSet<UserPoolId> = pools.into_iter().collect();
        let clients: BTreeSet<AppClientId> = clients.into_iter().collect();
        if pools.is_empty() {
            return Err(PolicyError::NoPool);
        }
        if clients.is_empty() {
            return Err(PolicyError::NoClient);
        }
        Ok(Self {
            pools: with_issuers(pools),
            clients: Some(clients),
            token_use,
        })
    }

    /// Accepts tokens of `pools` issued to any of their clients, of the `token_use` given:
    /// for a service that decides per client itself (the SSF transmitter, whose streams each
    /// belong to the client that created them).
    pub fn any_client(
        pools: impl IntoIterator<Item = UserPoolId>,
        token_use: AcceptedTokenUse,
    ) -> Result<Self, PolicyError> {
        let pools: BTreeSet<UserPoolId> = pools.into_iter().collect();
        if pools.is_empty() {
            return Err(PolicyError::NoPool);
        }
        Ok(Self {
            pools: with_issuers(pools),
            clients: None,
            token_use,
        })
    }

    /// The listed pools.
    pub fn pools(&self) -> impl Iterator<Item = &UserPoolId> {
        self.pools.iter().map(|(pool, _)| pool)
    }

    /// The listed pool whose issuer is `iss`.
    fn pool_of(&self, iss: Option<&str>) -> Option<&UserPoolId> {
        let iss = iss?;
        self.pools
            .iter()
            .find(|(_, issuer)| issuer == iss)
            .map(|(pool, _)| pool)
    }

    /// Step 6: judges the claims of a token whose signature `pool`'s key has verified, at
    /// `now`. Pure.
    pub(crate) fn admit(
        &self,
        pool: &UserPoolId,
        claims: Claims,
        now: UnixSeconds,
    ) -> Result<VerifiedToken, Refusal> {
        let token_use = match claims.token_use.as_deref() {
            Some("access") => TokenUse::Access,
            Some("id") => TokenUse::Id,
            _ => return Err(Refusal::TokenUse),
        };
        if !self.token_use.accepts(token_use) {
            return Err(Refusal::TokenUse);
        }
        let client = match token_use {
            TokenUse::Access => claims.client_id.as_deref(),
            TokenUse::Id => claims.aud.as_ref().and_then(|aud| aud.single()),
        };
        let client = client
            .and_then(|c| AppClientId::parse(c).ok())
            .filter(|c| {
                self.clients
                    .as_ref()
                    .is_none_or(|listed| listed.contains(c))
            })
            .ok_or(Refusal::Client)?;
        let expires_at = UnixSeconds::new(claims.exp.ok_or(Refusal::MissingClaim("exp"))?);
        if now >= expires_at {
            return Err(Refusal::Expired);
        }
        let sub = claims
            .sub
            .as_deref()
            .and_then(|s| Subject::parse(s).ok())
            .ok_or(Refusal::MissingClaim("sub"))?;
        let authenticated_at = claims
            .auth_time
            .or(claims.iat)
            .map(UnixSeconds::new)
            .ok_or(Refusal::MissingClaim("iat"))?;
        let username = match token_use {
            TokenUse::Access => claims.username,
            TokenUse::Id => claims.cognito_username,
        };
        let scopes = claims
            .scope
            .as_deref()
            .map(|s| {
                s.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(VerifiedToken {
            pool: pool.clone(),
            sub,
            client,
            token_use,
            authenticated_at,
            expires_at,
            username,
            scopes,
        })
    }
}

/// Each pool with its issuer URL.
fn with_issuers(pools: BTreeSet<UserPoolId>) -> Vec<(UserPoolId, String)> {
    pools
        .into_iter()
        .map(|pool| {
            let issuer = pool.issuer();
            (pool, issuer)
        })
        .collect()
}

/// A token the verifier accepted: genuine, of a listed pool and client, not expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pool: UserPoolId,
    sub: Subject,
    client: AppClientId,
    token_use: TokenUse,
    authenticated_at: UnixSeconds,
    expires_at: UnixSeconds,
    username: Option<String>,
    scopes: Vec<String>,
}

impl VerifiedToken {
    /// Whether the token's `scope` claim lists `scope` (exactly).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The pool that issued it.
    pub fn pool(&self) -> &UserPoolId {
        &self.pool
    }

    /// The user's `sub`.
    pub fn sub(&self) -> &Subject {
        &self.sub
    }

    /// The app client it was issued to.
    pub fn client(&self) -> &AppClientId {
        &self.client
    }

    /// Access or ID token.
    pub fn token_use(&self) -> TokenUse {
        self.token_use
    }

    /// `auth_time`, else `iat`: the moment the revocation rule compares with a cutoff.
    pub fn authenticated_at(&self) -> UnixSeconds {
        self.authenticated_at
    }

    /// `exp`.
    pub fn expires_at(&self) -> UnixSeconds {
        self.expires_at
    }

    /// The username claim (`username` of an access token, `cognito:username` of an ID
    /// token), when present.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The key of this user's cutoff, `<poolId>#<sub>`.
    pub fn cutoff_key(&self) -> CutoffKey {
        CutoffKey::new(&self.pool, &self.sub)
    }
}

/// Verifies Cognito tokens against a [`TokenPolicy`], with keys from a [`KeySource`].
#[derive(Debug)]
pub struct Verifier<K> {
    policy: TokenPolicy,
    keys: Jwks<K>,
}

impl<K: KeySource> Verifier<K> {
    /// A verifier for `policy`, whose pools' keys come from `source`.
    pub fn new(policy: TokenPolicy, source: K) -> Self {
        let keys = Jwks::new(source, policy.pools().cloned());
        Self { policy, keys }
    }

    /// The policy it enforces.
    pub fn policy(&self) -> &TokenPolicy {
        &self.policy
    }

    /// Verifies `token` now.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, Refusal> {
        self.verify_at(token, UnixSeconds::now()).await
    }

    /// Verifies `token` as of `now` (tests and benchmarks fix the clock).
    pub async fn verify_at(&self, token: &str, now: UnixSeconds) -> Result<VerifiedToken, Refusal> {
        let read = token::read(token)?;
        let pool = self
            .policy
            .pool_of(read.claims.iss.as_deref())
            .ok_or(Refusal::Issuer)?;
        let kid = read.header.kid.as_deref().ok_or(Refusal::UnknownKey)?;
        let key = match self.keys.key(pool, kid).await {
            KeyLookup::Found(key) => key,
            KeyLookup::Unknown => return Err(Refusal::UnknownKey),
            KeyLookup::Unavailable(err) => return Err(Refusal::KeysUnavailable(err)),
        };
        let genuine = jsonwebtoken::crypto::verify(
            read.signature,
            read.signing_input.as_bytes(),
            &key,
            Algorithm::RS256,
        )
        .unwrap_or(false);
        if !genuine {
            return Err(Refusal::Signature);
        }
        self.policy.admit(pool, read.claims, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Audience;

    const NOW: UnixSeconds = UnixSeconds::new(1_800_000_000);

    fn pool() -> UserPoolId {
        UserPoolId::parse("eu-west-1_AbC").unwrap()
    }

    fn policy(token_use: AcceptedTokenUse) -> TokenPolicy {
        TokenPolicy::new(
            [pool()],
            [AppClientId::parse("client1").unwrap()],
            token_use,
        )
        .unwrap()
    }

    fn access_claims() -> Claims {
        Claims {
            iss: Some(pool().issuer()),
            sub: Some("sub-1".to_owned()),
            token_use: Some("access".to_owned()),
            client_id: Some("client1".to_owned()),
            aud: None,
            exp: Some(NOW.get() + 60),
            iat: Some(NOW.get() - 60),
            auth_time: Some(NOW.get() - 600),
            username: Some("alice".to_owned()),
            cognito_username: None,
            scope: Some("ssf/ssf.read openid".to_owned()),
        }
    }

    fn id_claims() -> Claims {
        Claims {
            token_use: Some("id".to_owned()),
            client_id: None,
            aud: Some(Audience::One("client1".to_owned())),
            username: None,
            cognito_username: Some("alice".to_owned()),
            ..access_claims()
        }
    }

    #[test]
    fn a_current_access_token_of_a_listed_client_is_admitted() {
        let token = policy(AcceptedTokenUse::Access)
            .admit(&pool(), access_claims(), NOW)
            .unwrap();
        assert_eq!(token.sub().as_str(), "sub-1");
        assert_eq!(token.client().as_str(), "client1");
        assert_eq!(token.username(), Some("alice"));
        assert_eq!(token.authenticated_at(), UnixSeconds::new(NOW.get() - 600));
        assert_eq!(token.cutoff_key().as_str(), "eu-west-1_AbC#sub-1");
    }

    #[test]
    fn any_client_admits_every_client_of_the_pool_and_reads_its_scopes() {
        let any = TokenPolicy::any_client([pool()], AcceptedTokenUse::Access).unwrap();
        let claims = Claims {
            client_id: Some("another_client".to_owned()),
            ..access_claims()
        };
        let token = any.admit(&pool(), claims, NOW).unwrap();
        assert_eq!(token.client().as_str(), "another_client");
        assert!(token.has_scope("ssf/ssf.read"));
        assert!(!token.has_scope("ssf/ssf.manage"));
        assert!(!token.has_scope("ssf"));
        let listed = policy(AcceptedTokenUse::Access);
        let claims = Claims {
            client_id: Some("another_client".to_owned()),
            ..access_claims()
        };
        assert_eq!(listed.admit(&pool(), claims, NOW), Err(Refusal::Client));
        assert_eq!(
            TokenPolicy::any_client([], AcceptedTokenUse::Access).unwrap_err(),
            PolicyError::NoPool
        );
    }

    #[test]
    fn an_id_token_names_its_client_in_aud() {
        let token = policy(AcceptedTokenUse::Any)
            .admit(&pool(), id_claims(), NOW)
            .unwrap();
        assert_eq!(token.token_use(), TokenUse::Id);
        assert_eq!(token.username(), Some("alice"));
    }

    #[test]
    fn the_wrong_token_use_is_refused() {
        assert_eq!(
            policy(AcceptedTokenUse::Access).admit(&pool(), id_claims(), NOW),
            Err(Refusal::TokenUse)
        );
        assert_eq!(
            policy(AcceptedTokenUse::Id).admit(&pool(), access_claims(), NOW),
            Err(Refusal::TokenUse)
        );
        let mut odd = access_claims();
        odd.token_use = Some("refresh".to_owned());
        assert_eq!(
            policy(AcceptedTokenUse::Any).admit(&pool(), odd, NOW),
            Err(Refusal::TokenUse)
        );
    }

    #[test]
    fn an_unlisted_client_is_refused() {
        let mut claims = access_claims();
        claims.client_id = Some("client2".to_owned());
        assert_eq!(
            policy(AcceptedTokenUse::Access).admit(&pool(), claims, NOW),
            Err(Refusal::Client)
        );
        // An access token's aud is not its client.
        let mut claims = access_claims();
        claims.client_id = None;
        claims.aud = Some(Audience::One("client1".to_owned()));
        assert_eq!(
            policy(AcceptedTokenUse::Access).admit(&pool(), claims, NOW),
            Err(Refusal::Client)
        );
    }

    #[test]
    fn a_client_claim_is_compared_exactly_not_trimmed() {
        for near in ["client1 ", " client1", "client1\t", "client1\n", "Client1"] {
            let mut claims = access_claims();
            claims.client_id = Some(near.to_owned());
            assert_eq!(
                policy(AcceptedTokenUse::Access).admit(&pool(), claims, NOW),
                Err(Refusal::Client),
                "{near:?}"
            );
            let mut claims = id_claims();
            claims.aud = Some(Audience::One(near.to_owned()));
            assert_eq!(
                policy(AcceptedTokenUse::Id).admit(&pool(), claims, NOW),
                Err(Refusal::Client),
                "{near:?}"
            );
        }
    }

    #[test]
    fn a_token_is_expired_from_its_exp_second_on() {
        let mut claims = access_claims();
        claims.exp = Some(NOW.get());
        assert_eq!(
            policy(AcceptedTokenUse::Access).admit(&pool(), claims.clone(), NOW),
            Err(Refusal::Expired)
        );
        claims.exp = Some(NOW.get() + 1);
        assert!(policy(AcceptedTokenUse::Access)
            .admit(&pool(), claims, NOW)
            .is_ok());
    }

    #[test]
    fn missing_sub_exp_or_issue_time_is_refused() {
        let p = policy(AcceptedTokenUse::Access);
        let mut no_sub = access_claims();
        no_sub.sub = None;
        assert_eq!(
            p.admit(&pool(), no_sub, NOW),
            Err(Refusal::MissingClaim("sub"))
        );
        let mut empty_sub = access_claims();
        empty_sub.sub = Some(String::new());
        assert_eq!(
            p.admit(&pool(), empty_sub, NOW),
            Err(Refusal::MissingClaim("sub"))
        );
        let mut no_exp = access_claims();
        no_exp.exp = None;
        assert_eq!(
            p.admit(&pool(), no_exp, NOW),
            Err(Refusal::MissingClaim("exp"))
        );
        let mut no_time = access_claims();
        no_time.auth_time = None;
        no_time.iat = None;
        assert_eq!(
            p.admit(&pool(), no_time, NOW),
            Err(Refusal::MissingClaim("iat"))
        );
    }

    #[test]
    fn without_auth_time_the_rule_uses_iat() {
        let mut claims = access_claims();
        claims.auth_time = None;
        let token = policy(AcceptedTokenUse::Access)
            .admit(&pool(), claims, NOW)
            .unwrap();
        assert_eq!(token.authenticated_at(), UnixSeconds::new(NOW.get() - 60));
    }

    #[test]
    fn issuers_match_listed_pools_exactly() {
        let p = policy(AcceptedTokenUse::Access);
        assert_eq!(p.pool_of(Some(&pool().issuer())), Some(&pool()));
        for other in [
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/",
            "http://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
        ] {
            assert_eq!(p.pool_of(Some(other)), None, "{other}");
        }
        assert_eq!(p.pool_of(None), None);
    }

    #[test]
    fn a_policy_must_list_a_pool_and_a_client() {
        assert_eq!(
            TokenPolicy::new(
                [],
                [AppClientId::parse("c").unwrap()],
                AcceptedTokenUse::Access
            )
            .unwrap_err(),
            PolicyError::NoPool
        );
        assert_eq!(
            TokenPolicy::new([pool()], [], AcceptedTokenUse::Access).unwrap_err(),
            PolicyError::NoClient
        );
    }
}
