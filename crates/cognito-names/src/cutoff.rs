//! The cutoff: the moment before which a signed-out user's tokens must be refused, its
//! record (docs/revocation.md), and the rule that reads it. Pure: no I/O, no clock.
//!
//! **The rule**: a token issued by pool P for `sub` S is revoked when a cutoff exists for
//! `P#S` and the token's `auth_time` (its `iat` when it has none) is less than the cutoff's
//! `revokedBefore`. `auth_time` is the moment the user authenticated and survives refreshes
//! and hosted-UI cookie sign-ins, so tokens minted later from the compromised session are
//! refused too; a new sign-in after the cutoff is accepted.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{Subject, UserPoolId};

/// A moment in whole Unix seconds, as JWT claims and the cutoff table hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixSeconds(u64);

impl UnixSeconds {
    /// The moment `secs` seconds after the epoch.
    pub const fn new(secs: u64) -> Self {
        Self(secs)
    }

    /// The seconds since the epoch.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// `time` rounded down: the current second when checking a token's expiry, so that a
    /// token is expired from the first instant of its `exp` second on.
    pub fn floor(time: SystemTime) -> Self {
        Self(
            time.duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        )
    }

    /// `time` rounded up: a cutoff taken at 12.3 s is 13 s, so a token issued in the same
    /// second as the sign-out (12 s) is refused rather than slipping through.
    pub fn ceil(time: SystemTime) -> Self {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        let extra = u64::from(since.subsec_nanos() > 0);
        Self(since.as_secs().saturating_add(extra))
    }

    /// The current second, rounded down.
    pub fn now() -> Self {
        Self::floor(SystemTime::now())
    }

    /// This moment plus `duration` (whole seconds, saturating).
    pub fn plus(self, duration: Duration) -> Self {
        Self(self.0.saturating_add(duration.as_secs()))
    }
}

impl fmt::Display for UnixSeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The cutoff table's key of one user: `<userPoolId>#<sub>`. The `sub`, not the username:
/// it never changes and is in every token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CutoffKey(String);

impl CutoffKey {
    /// The key of `sub` in `pool`.
    pub fn new(pool: &UserPoolId, sub: &Subject) -> Self {
        Self(format!("{}#{}", pool.as_str(), sub.as_str()))
    }

    /// The `pk` attribute's value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CutoffKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long cutoffs are kept when `REVOCATION_RETENTION_SECONDS` is not set: one day, the
/// longest access and ID token validity Cognito allows.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(86_400);

/// One user's cutoff, as the responder writes it after a sign-out (docs/revocation.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cutoff {
    pool: UserPoolId,
    sub: Subject,
    username: String,
    revoked_before: UnixSeconds,
    expires_at: UnixSeconds,
    alert_message_id: String,
    actions: Vec<String>,
}

impl Cutoff {
    /// The cutoff of a sign-out that returned at `signed_out_at`: `revokedBefore` is that
    /// moment rounded up, and the record expires `retention` later (the table's TTL), which
    /// must cover the longest token validity of the pool's app clients: a token older than
    /// that has expired on its own.
    pub fn new(
        pool: UserPoolId,
        sub: Subject,
        username: impl Into<String>,
        signed_out_at: SystemTime,
        retention: Duration,
        alert_message_id: impl Into<String>,
    ) -> Self {
        let revoked_before = UnixSeconds::ceil(signed_out_at);
        Self {
            pool,
            sub,
            username: username.into(),
            revoked_before,
            expires_at: revoked_before.plus(retention),
            alert_message_id: alert_message_id.into(),
            actions: vec!["sign-out".to_owned()],
        }
    }

    /// The same cutoff, recording the actions taken on the user, in the order they ran (the
    /// responder's containment actions: `reset-password`, `disable`, `sign-out`). A cutoff
    /// made by [`Cutoff::new`] records the sign-out alone.
    pub fn with_actions<S: Into<String>>(mut self, actions: impl IntoIterator<Item = S>) -> Self {
        self.actions = actions.into_iter().map(Into::into).collect();
        self
    }

    /// The actions taken on the user, in order (for people reading the table).
    pub fn actions(&self) -> &[String] {
        &self.actions
    }

    /// The table key, `<userPoolId>#<sub>`.
    pub fn key(&self) -> CutoffKey {
        CutoffKey::new(&self.pool, &self.sub)
    }

    /// The user's pool.
    pub fn pool(&self) -> &UserPoolId {
        &self.pool
    }

    /// The user's `sub`.
    pub fn sub(&self) -> &Subject {
        &self.sub
    }

    /// The username the alert named (for people reading the table).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Tokens authenticated before this moment are refused.
    pub fn revoked_before(&self) -> UnixSeconds {
        self.revoked_before
    }

    /// The TTL attribute: when DynamoDB may delete the record.
    pub fn expires_at(&self) -> UnixSeconds {
        self.expires_at
    }

    /// The alert that caused the sign-out (SQS message id or EventBridge id), for audit.
    pub fn alert_message_id(&self) -> &str {
        &self.alert_message_id
    }
}

/// The rule of docs/revocation.md: a token whose authentication time is `authenticated_at`
/// (its `auth_time`, else its `iat`) is revoked when its user has a cutoff and
/// `authenticated_at < revoked_before`. No cutoff, no revocation.
pub fn is_revoked(authenticated_at: UnixSeconds, revoked_before: Option<UnixSeconds>) -> bool {
    matches!(revoked_before, Some(cutoff) if authenticated_at < cutoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> UnixSeconds {
        UnixSeconds::new(secs)
    }

    #[test]
    fn token_authenticated_one_second_before_the_cutoff_is_revoked() {
        assert!(is_revoked(at(999), Some(at(1000))));
    }

    #[test]
    fn token_authenticated_at_the_cutoff_second_is_accepted() {
        assert!(!is_revoked(at(1000), Some(at(1000))));
    }

    #[test]
    fn token_authenticated_after_the_cutoff_is_accepted() {
        assert!(!is_revoked(at(1001), Some(at(1000))));
    }

    #[test]
    fn user_without_cutoff_is_never_revoked() {
        assert!(!is_revoked(at(0), None));
        assert!(!is_revoked(at(u64::MAX), None));
    }

    #[test]
    fn cutoff_rounds_the_sign_out_moment_up() {
        let sign_out = UNIX_EPOCH + Duration::from_millis(12_300);
        assert_eq!(UnixSeconds::ceil(sign_out), at(13));
        assert_eq!(UnixSeconds::floor(sign_out), at(12));
        let whole = UNIX_EPOCH + Duration::from_secs(12);
        assert_eq!(UnixSeconds::ceil(whole), at(12));
    }

    #[test]
    fn token_issued_in_the_sign_out_second_is_revoked() {
        let sign_out = UNIX_EPOCH + Duration::from_millis(12_300);
        let cutoff = Cutoff::new(
            UserPoolId::parse("eu-west-1_A").unwrap(),
            Subject::parse("s").unwrap(),
            "alice",
            sign_out,
            DEFAULT_RETENTION,
            "m-1",
        );
        assert!(is_revoked(at(12), Some(cutoff.revoked_before())));
    }

    #[test]
    fn cutoff_record_holds_key_and_expiry() {
        let cutoff = Cutoff::new(
            UserPoolId::parse("eu-west-1_A").unwrap(),
            Subject::parse("0b7c").unwrap(),
            "alice",
            UNIX_EPOCH + Duration::from_secs(1000),
            Duration::from_secs(3600),
            "m-1",
        );
        assert_eq!(cutoff.key().as_str(), "eu-west-1_A#0b7c");
        assert_eq!(cutoff.revoked_before(), at(1000));
        assert_eq!(cutoff.expires_at(), at(4600));
    }
}
