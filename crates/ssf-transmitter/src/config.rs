//! The transmitter's configuration, read once at start-up from the environment
//! (docs/ssf-transmitter.md) with the reader every binary shares ([`Env`], from
//! `lambda-edge`). A bad or missing value is a [`ConfigError`] naming the variable, and the
//! function stops before it answers anything.

use std::str::FromStr;

use cognito_names::{QueueUrl, UserPoolId};
use lambda_edge::{CommaList, MetricsNamespace, Switch, TableName};

pub use lambda_edge::{ConfigError, Env};

/// CloudWatch namespace of the metrics when `METRICS_NAMESPACE` is not set.
pub const DEFAULT_METRICS_NAMESPACE: &str = "SsfTransmitter";

/// The start-up configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `SSF_TRANSMITTER_ISSUER`; `None`: read from the function's own URL at start-up.
    pub issuer: Option<Issuer>,
    /// The pool of `SSF_TRANSMITTER_AUTH_ISSUER`.
    pub auth_pool: UserPoolId,
    /// `SSF_TRANSMITTER_SCOPE_PREFIX` (default `ssf`).
    pub scope_prefix: String,
    /// `SSF_SIGNING_KEY_IDS`: the first signs.
    pub signing_keys: Vec<String>,
    /// `SSF_STREAMS_TABLE`.
    pub table: String,
    /// `SSF_DELIVERY_QUEUE_URL`.
    pub delivery_queue_url: String,
    /// `SSF_DEAD_LETTER_QUEUE_URL`.
    pub dead_letter_queue_url: String,
    /// `SSF_SIGNS_PER_SECOND` (default 100).
    pub signs_per_second: u32,
    /// `SSF_MAX_STREAMS_PER_CLIENT` (default 5).
    pub max_streams_per_client: usize,
    /// `SSF_PUSH_RETRY_SECONDS` (default 86400, at least 1).
    pub push_retry_seconds: u64,
    /// `SSF_POLL_RETENTION_SECONDS` (default 604800).
    pub poll_retention_seconds: u64,
    /// `SSF_ALLOW_LOOPBACK_RECEIVERS` (tests only).
    pub allow_loopback: bool,
    /// `METRICS_NAMESPACE`.
    pub metrics_namespace: String,
}

/// The transmitter's issuer: an `https` URL without a trailing slash (`http` on a loopback
/// host, for tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(pub String);

impl FromStr for Issuer {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim_end_matches('/');
        let rest = raw
            .strip_prefix("https://")
            .or_else(|| {
                raw.strip_prefix("http://")
                    .filter(|r| r.starts_with("127.0.0.1") || r.starts_with("localhost"))
            })
            .ok_or("must be an https URL (http only on 127.0.0.1 or localhost)")?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let ok = !host.is_empty()
            && !host.contains('@')
            && !raw.contains(['?', '#'])
            && raw.len() <= 1024
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        ok.then(|| Self(raw.to_owned())).ok_or(
            "must be an https URL with a host, no user info, query or fragment, at most 1024 bytes",
        )
    }
}

/// `SSF_TRANSMITTER_AUTH_ISSUER`: a Cognito user pool's issuer URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolIssuer(pub UserPoolId);

impl FromStr for PoolIssuer {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        UserPoolId::from_issuer(raw.trim_end_matches('/'))
            .map(Self)
            .ok_or("must be a Cognito user pool's issuer: https://cognito-idp.<region>.amazonaws.com/<poolId>")
    }
}

/// A resource server identifier: the scopes' prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopePrefix(pub String);

impl FromStr for ScopePrefix {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let ok = (1..=256).contains(&raw.len())
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        ok.then(|| Self(raw.to_owned()))
            .ok_or("must be a resource server identifier: 1-256 characters, no white space")
    }
}

/// A positive whole number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Positive(pub u64);

impl FromStr for Positive {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        raw.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .map(Self)
            .ok_or("must be a whole number of at least 1")
    }
}

impl Config {
    /// Reads the configuration from `env`.
    pub fn from(env: &Env) -> Result<Self, ConfigError> {
        let auth: PoolIssuer = env.require(
            "SSF_TRANSMITTER_AUTH_ISSUER",
            "the issuer (a Cognito user pool) of the access tokens of stream management and polls",
        )?;
        let keys: CommaList<String> = env.require(
            "SSF_SIGNING_KEY_IDS",
            "the KMS keys (RSA_2048 or larger, SIGN_VERIFY) that sign SETs, the first signing",
        )?;
        let table: TableName = env.require("SSF_STREAMS_TABLE", "the DynamoDB table of streams")?;
        let delivery: QueueUrl =
            env.require("SSF_DELIVERY_QUEUE_URL", "the SQS queue of push retries")?;
        let dead: QueueUrl = env.require(
            "SSF_DEAD_LETTER_QUEUE_URL",
            "the SQS queue of SETs whose retry window is spent",
        )?;
        let signs: Option<Positive> = env.parse("SSF_SIGNS_PER_SECOND")?;
        let signs = match signs {
            Some(Positive(n)) if n > 10_000 => {
                return Err(ConfigError::new(
                    "SSF_SIGNS_PER_SECOND",
                    "at most 10000 (KMS's RSA quota is 500 per second per account and Region)",
                ))
            }
            Some(Positive(n)) => n as u32,
            None => 100,
        };
        Ok(Self {
            issuer: env.parse("SSF_TRANSMITTER_ISSUER")?,
            auth_pool: auth.0,
            scope_prefix: env
                .parse::<ScopePrefix>("SSF_TRANSMITTER_SCOPE_PREFIX")?
                .map_or_else(|| "ssf".to_owned(), |p| p.0),
            signing_keys: keys.0,
            table: table.0,
            delivery_queue_url: delivery.as_str().to_owned(),
            dead_letter_queue_url: dead.as_str().to_owned(),
            signs_per_second: signs,
            max_streams_per_client: env
                .parse::<Positive>("SSF_MAX_STREAMS_PER_CLIENT")?
                .map_or(5, |n| n.0 as usize),
            push_retry_seconds: env
                .parse::<Positive>("SSF_PUSH_RETRY_SECONDS")?
                .map_or(86_400, |n| n.0),
            poll_retention_seconds: env
                .parse::<Positive>("SSF_POLL_RETENTION_SECONDS")?
                .map_or(604_800, |n| n.0),
            allow_loopback: env
                .parse::<Switch>("SSF_ALLOW_LOOPBACK_RECEIVERS")?
                .is_some_and(|s| s.0),
            metrics_namespace: env
                .parse::<MetricsNamespace>("METRICS_NAMESPACE")?
                .map_or_else(|| DEFAULT_METRICS_NAMESPACE.to_owned(), |n| n.0),
        })
    }

    /// The scope management requests need.
    pub fn manage_scope(&self) -> String {
        format!("{}/ssf.manage", self.scope_prefix)
    }

    /// The scope reads and polls need.
    pub fn read_scope(&self) -> String {
        format!("{}/ssf.read", self.scope_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let base = [
            (
                "SSF_TRANSMITTER_AUTH_ISSUER",
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC",
            ),
            (
                "SSF_SIGNING_KEY_IDS",
                "arn:aws:kms:eu-west-1:123456789012:key/k1, alias/next",
            ),
            ("SSF_STREAMS_TABLE", "streams"),
            (
                "SSF_DELIVERY_QUEUE_URL",
                "https://sqs.eu-west-1.amazonaws.com/1/d",
            ),
            (
                "SSF_DEAD_LETTER_QUEUE_URL",
                "https://sqs.eu-west-1.amazonaws.com/1/dl",
            ),
        ];
        let vars = base
            .iter()
            .chain(extra)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        Config::from(&Env::from_vars(vars))
    }

    #[test]
    fn defaults_follow_the_documentation() {
        let config = config_with(&[]).unwrap();
        assert_eq!(config.issuer, None);
        assert_eq!(config.auth_pool.as_str(), "eu-west-1_AbC");
        assert_eq!(config.signing_keys.len(), 2);
        assert_eq!(
            (
                config.signs_per_second,
                config.max_streams_per_client,
                config.push_retry_seconds,
                config.poll_retention_seconds
            ),
            (100, 5, 86_400, 604_800)
        );
        assert!(!config.allow_loopback);
        assert_eq!(config.manage_scope(), "ssf/ssf.manage");
        assert_eq!(config.read_scope(), "ssf/ssf.read");
        let custom = config_with(&[
            ("SSF_TRANSMITTER_ISSUER", "https://ssf.example.com/"),
            ("SSF_TRANSMITTER_SCOPE_PREFIX", "https://api.example.com"),
        ])
        .unwrap();
        assert_eq!(
            custom.issuer,
            Some(Issuer("https://ssf.example.com".to_owned()))
        );
        assert_eq!(custom.manage_scope(), "https://api.example.com/ssf.manage");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            (
                "SSF_TRANSMITTER_AUTH_ISSUER",
                "https://evil.example/eu-west-1_AbC",
            ),
            (
                "SSF_TRANSMITTER_AUTH_ISSUER",
                "https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC",
            ),
            ("SSF_TRANSMITTER_ISSUER", "http://ssf.example.com"),
            ("SSF_TRANSMITTER_ISSUER", "https://ssf.example.com/?x=1"),
            ("SSF_PUSH_RETRY_SECONDS", "0"),
            ("SSF_SIGNS_PER_SECOND", "100000"),
            ("SSF_MAX_STREAMS_PER_CLIENT", "many"),
            ("SSF_ALLOW_LOOPBACK_RECEIVERS", "ture"),
            ("SSF_SIGNING_KEY_IDS", ","),
            ("SSF_TRANSMITTER_SCOPE_PREFIX", "a b"),
        ] {
            let err = config_with(&[(name, value)]).unwrap_err();
            assert_eq!(err.variable, name, "{value}");
        }
    }
}
