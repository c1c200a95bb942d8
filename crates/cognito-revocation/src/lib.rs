//! # cognito-revocation
//!
//! `AdminUserGlobalSignOut` revokes a Cognito user's refresh tokens, but their access and ID
//! tokens stay valid until they expire (an hour by default, up to a day), and every API that
//! verifies JWTs locally keeps accepting a stolen one. The signout responder therefore
//! records, per signed-out user, a **cutoff**: the moment before which that user's tokens
//! must be refused (docs/revocation.md). This crate is the check, for any
//! Rust service to call from its own middleware and for the `revocation-authorizer` Lambda:
//! verify the token (RS256, the pool's JWKS, issuer, client, token use, expiry), then look up
//! the user's cutoff and apply the rule. It is also where the responder writes cutoffs.
//!
//! # Layout
//!
//! Read top to bottom: from the names, through the token, to the decision.
//!
//! - [`identity`]: [`UserPoolId`] (with its region and issuer), [`AppClientId`], [`Subject`],
//!   [`TokenUse`], [`AcceptedTokenUse`]: parsed once, at the edge.
//! - The rule ([`is_revoked`], pure), [`UnixSeconds`], [`CutoffKey`] and the record the
//!   responder writes ([`Cutoff`]) are the workspace's vocabulary (`cognito-names`),
//!   re-exported here.
//! - [`store`]: the [`CutoffStore`] port, its errors with their class ([`StoreError`],
//!   [`StoreErrorClass`]), the DynamoDB adapter ([`DynamoDbCutoffStore`]: consistent
//!   `GetItem`, raise-only conditional `UpdateItem`) and an in-memory one for tests.
//!
//! With the `verifier` feature (on by default; the responder, which only writes cutoffs,
//! turns it off and compiles no JWT or extra HTTP crates):
//!
//! - `token` (private): the reading of a compact JWS
//!   before its signature is checked.
//! - [`jwks`]: the pools' signing keys: the [`KeySource`] port, its HTTPS adapter on the
//!   SDK's TLS stack ([`HttpsKeySource`]), and the per-instance cache with its refetch limit.
//! - [`refusal`]: [`Refusal`], every reason the verifier refuses a token, never the token; and
//!   the size cap ([`MAX_TOKEN_BYTES`]) past which one is refused undecoded.
//! - [`verifier`]: [`Verifier`] and its [`TokenPolicy`]; a genuine token is a [`VerifiedToken`].
//! - [`check`]: [`RevocationCheck`], verify then look up the cutoff (with the lookup cache
//!   and [`OnLookupError`]), answering a [`Decision`].
//!
//! # A service's middleware
//!
//! ```no_run
//! # async fn example(dynamodb: aws_sdk_dynamodb::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use cognito_revocation::*;
//!
//! // Once, at start-up (`dynamodb` built from the service's SDK configuration).
//! let policy = TokenPolicy::new(
//!     [UserPoolId::parse("eu-west-1_AbC123")?],
//!     [AppClientId::parse("4b6v0q1ro3ua1bl1ir40iskr7u")?],
//!     AcceptedTokenUse::Access,
//! )?;
//! let check = RevocationCheck::new(
//!     Verifier::new(policy, HttpsKeySource::new(JwksEndpoint::from_env())),
//!     DynamoDbCutoffStore::new(dynamodb, "cutoffs"),
//!     DEFAULT_CACHE,
//!     OnLookupError::Deny,
//! );
//!
//! // Per request, with the bearer token of the Authorization header.
//! let decision = check.check("eyJ...").await;
//! if !decision.is_allowed() {
//!     // 401; log decision.reason(), never the token.
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

#[cfg(feature = "verifier")]
pub mod check;
#[cfg(feature = "verifier")]
pub mod http;
pub mod identity;
#[cfg(feature = "verifier")]
pub mod jwks;
#[cfg(feature = "verifier")]
pub mod jws;
#[cfg(feature = "verifier")]
pub mod refusal;
pub mod sdk_error;
pub mod store;
#[cfg(feature = "verifier")]
mod token;
#[cfg(feature = "verifier")]
pub mod verifier;

pub use cognito_names::{is_revoked, Cutoff, CutoffKey, UnixSeconds, DEFAULT_RETENTION};
pub use identity::{AcceptedTokenUse, AppClientId, IdentityError, Subject, TokenUse, UserPoolId};
pub use store::{
    CutoffStore, DynamoDbCutoffStore, MemoryCutoffStore, Raise, StoreError, StoreErrorClass,
};

#[cfg(feature = "verifier")]
pub use check::{
    cache_ttl, CacheSecondsError, Decision, LookupCache, OnLookupError, RevocationCheck,
    DEFAULT_CACHE, MAX_CACHE_SECONDS,
};
#[cfg(feature = "verifier")]
pub use jwks::{HttpsKeySource, JwksEndpoint, JwksError, KeySource, StaticKeySource};
#[cfg(feature = "verifier")]
pub use refusal::Refusal;
#[cfg(feature = "verifier")]
pub use refusal::MAX_TOKEN_BYTES;
#[cfg(feature = "verifier")]
pub use verifier::{PolicyError, TokenPolicy, VerifiedToken, Verifier};

/// The check as the authorizer runs it: keys over HTTPS, cutoffs in DynamoDB.
#[cfg(feature = "verifier")]
pub type AwsRevocationCheck = RevocationCheck<HttpsKeySource, DynamoDbCutoffStore>;
