//! Credentials for pools in other accounts (docs/deployment.md#pools-in-many-accounts): the role
//! `arn:<partition>:iam::<account>:role/<CROSS_ACCOUNT_ROLE_NAME>` assumed through the SDK's
//! assume-role provider (with `CROSS_ACCOUNT_EXTERNAL_ID` when set), cached per account until
//! five minutes before they expire, at most [`MAX_ACCOUNTS`] accounts at once, with one
//! `AssumeRole` in flight per account (the alerts of a storm that need an account's
//! credentials wait for that one call instead of each making its own). A refused
//! `AssumeRole` is `not-authorized` (the member role is missing or does not trust this one:
//! an operator's fix); a throttled or failed one is retried.

use std::collections::{HashMap, VecDeque};
use std::error::Error as _;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::sts::AssumeRoleProvider;
use aws_config::SdkConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::SdkError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;

use crate::aws_error::call_error;
use crate::core::call_error::CallError;
use crate::core::error_class::ErrorClass;

/// `CROSS_ACCOUNT_ROLE_NAME`: an IAM role name (1-64 of letters, digits and `+=,.@_-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(pub String);

impl FromStr for RoleName {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
        ok.then(|| Self(raw.to_owned()))
            .ok_or("must be an IAM role name: 1-64 letters, digits or +=,.@_-")
    }
}

/// `CROSS_ACCOUNT_EXTERNAL_ID`: 2-1224 of letters, digits and `+=,.@:/_-` (STS's rule).
#[derive(Clone, PartialEq, Eq)]
pub struct ExternalId(pub String);

impl std::fmt::Debug for ExternalId {
    /// A shared secret between two accounts: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExternalId(..)")
    }
}

impl FromStr for ExternalId {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let ok = (2..=1224).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/_-".contains(&b));
        ok.then(|| Self(raw.to_owned()))
            .ok_or("must be 2-1224 letters, digits or +=,.@:/_-")
    }
}

/// The role assumed in another account for its pools (docs/deployment.md#pools-in-many-accounts), read by the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossAccount {
    /// `CROSS_ACCOUNT_ROLE_NAME`: `arn:<partition>:iam::<account>:role/<name>` is assumed.
    pub role_name: String,
    /// `CROSS_ACCOUNT_EXTERNAL_ID`, passed to `AssumeRole` when set.
    pub external_id: Option<ExternalId>,
}

/// The most accounts whose credentials are kept at once: an organisation's member accounts
/// behind one security account, with room; a flood of made-up accounts cannot grow memory
/// past it (they are refused by the allow-list before any call anyway).
pub const MAX_ACCOUNTS: usize = 64;

/// Credentials are fetched again this long before they expire.
pub const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

/// The session name the member accounts' CloudTrail shows.
pub const SESSION_NAME: &str = "cognito-signout-responder";

/// Credentials per account, through `sts:AssumeRole`.
#[derive(Debug)]
pub struct Accounts {
    sdk: SdkConfig,
    role: CrossAccount,
    /// `(account, credentials)`, most recently used last.
    cached: Mutex<VecDeque<(String, Credentials)>>,
    /// One lock per account whose credentials are being fetched: held across the
    /// `AssumeRole`, so a second caller waits and then finds the cached credentials. An entry
    /// lives only while some caller holds or waits for it.
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Accounts {
    /// Assumes `role` in other accounts with the start-up configuration's credentials.
    pub fn new(sdk: &SdkConfig, role: CrossAccount) -> Self {
        Self {
            sdk: sdk.clone(),
            role,
            cached: Mutex::new(VecDeque::new()),
            flights: Mutex::new(HashMap::new()),
        }
    }

    /// Credentials for `account` in `region`'s partition: cached ones while they last, else
    /// fresh ones.
    pub async fn credentials(&self, account: &str, region: &str) -> Result<Credentials, CallError> {
        if let Some(fresh) = self.cached(account) {
            return Ok(fresh);
        }
        let flight = self.flight(account);
        let result = {
            let _only = flight.lock().await;
            // Another caller may have fetched them while this one waited.
            match self.cached(account) {
                Some(fresh) => Ok(fresh),
                None => self.assume(account, region).await,
            }
        };
        self.land(account, flight);
        result
    }

    /// The lock of `account`'s fetch, made when none is in flight.
    fn flight(&self, account: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        flights.entry(account.to_owned()).or_default().clone()
    }

    /// Drops `account`'s lock once no other caller holds or waits for it.
    fn land(&self, account: &str, flight: Arc<tokio::sync::Mutex<()>>) {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        // Two references: the map's and this caller's.
        if Arc::strong_count(&flight) == 2 {
            flights.remove(account);
        }
    }

    /// Fresh credentials for `account` (`AssumeRole`), cached.
    async fn assume(&self, account: &str, region: &str) -> Result<Credentials, CallError> {
        let role_arn = format!(
            "arn:{}:iam::{account}:role/{}",
            partition(region),
            self.role.role_name
        );
        let mut builder = AssumeRoleProvider::builder(role_arn).session_name(SESSION_NAME);
        if let Some(external_id) = &self.role.external_id {
            builder = builder.external_id(external_id.0.clone());
        }
        let provider = Box::pin(builder.configure(&self.sdk).build()).await;
        let credentials = Box::pin(provider.provide_credentials())
            .await
            .map_err(|err| assume_role_error(&err))?;
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        cached.retain(|(a, _)| a != account);
        if cached.len() >= MAX_ACCOUNTS {
            cached.pop_front();
        }
        cached.push_back((account.to_owned(), credentials.clone()));
        Ok(credentials)
    }

    /// The cached credentials of `account`, if they last more than five minutes yet.
    fn cached(&self, account: &str) -> Option<Credentials> {
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        let at = cached.iter().position(|(a, _)| a == account)?;
        let (_, credentials) = &cached[at];
        let lasting = credentials
            .expiry()
            .is_none_or(|expiry| expiry > SystemTime::now() + REFRESH_BEFORE_EXPIRY);
        if !lasting {
            cached.remove(at);
            return None;
        }
        let entry = cached.remove(at)?;
        let credentials = entry.1.clone();
        cached.push_back(entry);
        Some(credentials)
    }

    /// How many accounts' credentials are kept.
    pub fn accounts_in_use(&self) -> usize {
        self.cached.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// The partition of `region`: where the role's ARN lives.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso") {
        "aws-iso"
    } else {
        "aws"
    }
}

/// A failed assume-role as a [`CallError`]: STS's own answer classed like any AWS error (an
/// unmodelled `AccessDenied` is `not-authorized`), a provider that timed out `transport`.
fn assume_role_error(err: &CredentialsError) -> CallError {
    if let Some(sts) = err
        .source()
        .and_then(|source| source.downcast_ref::<SdkError<AssumeRoleError>>())
    {
        return call_error("AssumeRole", sts, |err| {
            Some(match err {
                AssumeRoleError::RegionDisabledException(_) => {
                    (ErrorClass::NotAuthorized, "RegionDisabledException")
                }
                AssumeRoleError::MalformedPolicyDocumentException(_) => (
                    ErrorClass::NotAuthorized,
                    "MalformedPolicyDocumentException",
                ),
                AssumeRoleError::PackedPolicyTooLargeException(_) => {
                    (ErrorClass::NotAuthorized, "PackedPolicyTooLargeException")
                }
                AssumeRoleError::ExpiredTokenException(_) => {
                    (ErrorClass::Unknown, "ExpiredTokenException")
                }
                _ => return None,
            })
        });
    }
    match err {
        CredentialsError::ProviderTimedOut(_) => CallError::new(
            "AssumeRole",
            ErrorClass::Transport,
            "Timeout",
            err.to_string(),
        ),
        CredentialsError::InvalidConfiguration(_) => CallError::new(
            "AssumeRole",
            ErrorClass::NotAuthorized,
            "InvalidConfiguration",
            err.to_string(),
        ),
        _ => CallError::new(
            "AssumeRole",
            ErrorClass::Unknown,
            "CredentialsNotLoaded",
            err.to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_lives_in_the_regions_partition() {
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }
}
