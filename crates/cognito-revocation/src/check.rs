//! Verify, then check the cutoff: the one call a service makes per request
//! ([`RevocationCheck::check`]), and the [`Decision`] it answers.
//!
//! The cutoff lookup goes through a small per-instance cache ([`LookupCache`]): how long a
//! lookup is reused is the longest a new cutoff can go unnoticed by this instance. The
//! default, [`DEFAULT_CACHE`] (1 s), keeps the promise "a signed-out user's tokens stop
//! working within a second" while a burst of one user's requests (a page load fans out into
//! dozens of API calls) costs one table read instead of dozens. 0 turns it off.
//!
//! When the table cannot be read, [`OnLookupError`] decides: `Deny` (the default) refuses,
//! since the table being unreadable says nothing about whether the user was signed out;
//! `Allow` keeps the API up on a verified token, and the decision says the check was
//! skipped so it can be counted.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::jwks::KeySource;
use crate::refusal::Refusal;
use crate::store::{CutoffStore, StoreError};
use crate::verifier::{VerifiedToken, Verifier};
use cognito_names::{is_revoked, CutoffKey, UnixSeconds};

/// How long a cutoff lookup is reused when `REVOCATION_CACHE_SECONDS` is not set.
pub const DEFAULT_CACHE: Duration = Duration::from_secs(1);
/// The longest a lookup may be reused: a lookup reused for longer would let a signed-out
/// user's tokens through for longer than anyone would accept.
pub const MAX_CACHE_SECONDS: u64 = 300;

/// A cache length that is no whole number of seconds from 0 to [`MAX_CACHE_SECONDS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a whole number of seconds from 0 to {MAX_CACHE_SECONDS}")]
pub struct CacheSecondsError;

/// How long a lookup is reused, from its text (`REVOCATION_CACHE_SECONDS`, the packages'
/// `cacheSeconds`): whole seconds from 0 (off) to [`MAX_CACHE_SECONDS`].
pub fn cache_ttl(raw: &str) -> Result<Duration, CacheSecondsError> {
    match raw.parse::<u64>() {
        Ok(secs) if secs <= MAX_CACHE_SECONDS => Ok(Duration::from_secs(secs)),
        _ => Err(CacheSecondsError),
    }
}

/// Most lookups kept; past it, expired ones are dropped, then everything if need be. At
/// about 100 bytes each this bounds the cache near 1 MB.
pub const MAX_CACHED_LOOKUPS: usize = 10_000;

/// What to do with a verified token when the cutoff table cannot be read (`ON_LOOKUP_ERROR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnLookupError {
    /// Refuse (the default): fail closed.
    #[default]
    Deny,
    /// Accept the verified token without the revocation check: fail open, for APIs whose
    /// availability matters more than the window the check closes.
    Allow,
}

/// An `ON_LOOKUP_ERROR` value that is neither `deny` nor `allow`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be deny or allow")]
pub struct OnLookupErrorParseError;

impl FromStr for OnLookupError {
    type Err = OnLookupErrorParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "deny" => Ok(OnLookupError::Deny),
            "allow" => Ok(OnLookupError::Allow),
            _ => Err(OnLookupErrorParseError),
        }
    }
}

/// The answer for one token.
#[derive(Debug)]
pub enum Decision {
    /// Genuine, and no cutoff revokes it.
    Allowed(VerifiedToken),
    /// Genuine; the table could not be read and [`OnLookupError::Allow`] let it through.
    AllowedUnchecked(VerifiedToken, StoreError),
    /// Not genuine, or not acceptable here.
    Refused(Refusal),
    /// Genuine, but its user was signed out after it was authenticated.
    Revoked {
        /// The token.
        token: VerifiedToken,
        /// The user's cutoff.
        revoked_before: UnixSeconds,
    },
    /// Genuine; the table could not be read and [`OnLookupError::Deny`] refused it.
    LookupFailed(VerifiedToken, StoreError),
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed(_) | Decision::AllowedUnchecked(..))
    }

    /// The verified token, when the signature held (whatever the decision).
    pub fn token(&self) -> Option<&VerifiedToken> {
        match self {
            Decision::Allowed(token)
            | Decision::AllowedUnchecked(token, _)
            | Decision::Revoked { token, .. }
            | Decision::LookupFailed(token, _) => Some(token),
            Decision::Refused(_) => None,
        }
    }

    /// The lookup error, when the table could not be read.
    pub fn lookup_error(&self) -> Option<&StoreError> {
        match self {
            Decision::AllowedUnchecked(_, err) | Decision::LookupFailed(_, err) => Some(err),
            _ => None,
        }
    }

    /// A short, stable name for logs and metrics: `Allowed`, `AllowedUnchecked`, `Revoked`,
    /// `LookupFailed`, or the refusal's reason.
    pub fn reason(&self) -> &'static str {
        match self {
            Decision::Allowed(_) => "Allowed",
            Decision::AllowedUnchecked(..) => "AllowedUnchecked",
            Decision::Refused(refusal) => refusal.reason(),
            Decision::Revoked { .. } => "Revoked",
            Decision::LookupFailed(..) => "LookupFailed",
        }
    }
}

impl fmt::Display for Decision {
    /// One line for a log: never the token, only what was decided and about whom.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allowed(token) => write!(f, "allowed {}", token.cutoff_key()),
            Decision::AllowedUnchecked(token, err) => {
                write!(
                    f,
                    "allowed {} without the cutoff check: {err}",
                    token.cutoff_key()
                )
            }
            Decision::Refused(refusal) => write!(f, "refused: {refusal}"),
            Decision::Revoked {
                token,
                revoked_before,
            } => write!(
                f,
                "revoked: {} authenticated at {}, before the cutoff {revoked_before}",
                token.cutoff_key(),
                token.authenticated_at()
            ),
            Decision::LookupFailed(token, err) => {
                write!(
                    f,
                    "refused {}: the cutoff lookup failed: {err}",
                    token.cutoff_key()
                )
            }
        }
    }
}

/// What one lookup of a cutoff found.
type Lookup = Result<Option<UnixSeconds>, StoreError>;

/// Recent cutoff lookups, "no cutoff" included, for `ttl`; and the lookups in flight, so that
/// concurrent checks of one user (a page load's dozens of API calls) share one request, its
/// failure included. A failed lookup is never cached.
#[derive(Debug)]
pub struct LookupCache {
    ttl: Duration,
    entries: Mutex<HashMap<CutoffKey, (Option<UnixSeconds>, Instant)>>,
    in_flight: Mutex<HashMap<CutoffKey, Arc<OnceCell<Lookup>>>>,
}

impl LookupCache {
    /// A cache keeping lookups for `ttl`; `Duration::ZERO` keeps nothing and shares nothing
    /// (every check reads the table).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The cutoff of `key`: cached, else from the lookup in flight for it, else from `fetch`.
    pub async fn lookup<F, Fut>(&self, key: &CutoffKey, fetch: F) -> Lookup
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Lookup>,
    {
        if self.ttl.is_zero() {
            return fetch().await;
        }
        if let Some(cached) = self.get(key) {
            return Ok(cached);
        }
        let flight = self
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.clone())
            .or_default()
            .clone();
        let found = flight
            .get_or_init(|| async {
                let found = fetch().await;
                if let Ok(cutoff) = &found {
                    self.put(key.clone(), *cutoff);
                }
                found
            })
            .await
            .clone();
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if in_flight.get(key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
            in_flight.remove(key);
        }
        found
    }

    fn get(&self, key: &CutoffKey) -> Option<Option<UnixSeconds>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(cutoff, _)| *cutoff)
    }

    fn put(&self, key: CutoffKey, cutoff: Option<UnixSeconds>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_CACHED_LOOKUPS {
            entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
            if entries.len() >= MAX_CACHED_LOOKUPS {
                entries.clear();
            }
        }
        entries.insert(key, (cutoff, Instant::now()));
    }
}

/// The whole check: the verifier, the cutoff store, the lookup cache and the policy for an
/// unreadable table. Build it once per process and share it (it is `Sync`).
#[derive(Debug)]
pub struct RevocationCheck<K, S> {
    verifier: Verifier<K>,
    store: S,
    cache: LookupCache,
    on_lookup_error: OnLookupError,
}

impl<K: KeySource, S: CutoffStore> RevocationCheck<K, S> {
    /// Verifies with `verifier`, reads cutoffs from `store`, reuses a lookup for `cache_ttl`
    /// ([`DEFAULT_CACHE`] is a good start; zero turns the cache off), and treats an
    /// unreadable table as `on_lookup_error` says.
    pub fn new(
        verifier: Verifier<K>,
        store: S,
        cache_ttl: Duration,
        on_lookup_error: OnLookupError,
    ) -> Self {
        Self {
            verifier,
            store,
            cache: LookupCache::new(cache_ttl),
            on_lookup_error,
        }
    }

    /// The verifier (for its policy).
    pub fn verifier(&self) -> &Verifier<K> {
        &self.verifier
    }

    /// The store (for tests that inspect it).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Decides on `token` (the bare JWT, without `Bearer `) now.
    pub async fn check(&self, token: &str) -> Decision {
        self.check_at(token, UnixSeconds::now()).await
    }

    /// Decides on `token` as of `now`.
    pub async fn check_at(&self, token: &str, now: UnixSeconds) -> Decision {
        let token = match self.verifier.verify_at(token, now).await {
            Ok(token) => token,
            Err(refusal) => return Decision::Refused(refusal),
        };
        let key = token.cutoff_key();
        let found = self
            .cache
            .lookup(&key, || self.store.revoked_before(&key))
            .await;
        let revoked_before = match found {
            Ok(found) => found,
            Err(err) => {
                return match self.on_lookup_error {
                    OnLookupError::Deny => Decision::LookupFailed(token, err),
                    OnLookupError::Allow => Decision::AllowedUnchecked(token, err),
                }
            }
        };
        match revoked_before {
            Some(cutoff) if is_revoked(token.authenticated_at(), Some(cutoff)) => {
                Decision::Revoked {
                    token,
                    revoked_before: cutoff,
                }
            }
            _ => Decision::Allowed(token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_cached_lookup_expires_after_its_ttl() {
        let cache = LookupCache::new(Duration::from_secs(1));
        let key = CutoffKey::new(
            &crate::UserPoolId::parse("eu-west-1_A").unwrap(),
            &crate::Subject::parse("s").unwrap(),
        );
        assert_eq!(cache.get(&key), None);
        cache.put(key.clone(), None);
        assert_eq!(cache.get(&key), Some(None));
        tokio::time::advance(Duration::from_millis(999)).await;
        assert_eq!(cache.get(&key), Some(None));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(cache.get(&key), None);
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = LookupCache::new(Duration::ZERO);
        let key = CutoffKey::new(
            &crate::UserPoolId::parse("eu-west-1_A").unwrap(),
            &crate::Subject::parse("s").unwrap(),
        );
        cache.put(key.clone(), Some(UnixSeconds::new(5)));
        assert_eq!(cache.get(&key), None);
    }

    #[test]
    fn on_lookup_error_parses_deny_and_allow_only() {
        assert_eq!("deny".parse(), Ok(OnLookupError::Deny));
        assert_eq!("ALLOW".parse(), Ok(OnLookupError::Allow));
        assert!("open".parse::<OnLookupError>().is_err());
    }
}
