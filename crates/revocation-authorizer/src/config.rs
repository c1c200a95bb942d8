//! The authorizer's configuration, read once at start-up from the environment
//! (docs/revocation.md#the-authorizer-revocation-authorizer) with the reader every binary shares ([`Env`], from `lambda-edge`). Each value
//! parses itself; a bad or missing one is a [`ConfigError`] naming the variable, and the
//! function stops before it answers any request.

use std::str::FromStr;
use std::time::Duration;

use cognito_revocation::{
    AcceptedTokenUse, AppClientId, OnLookupError, TokenPolicy, UserPoolId, DEFAULT_CACHE,
};
use lambda_edge::{CommaList, MetricsNamespace, TableName};

/// The reader and its error, from the edge every binary shares.
pub use lambda_edge::{ConfigError, Env};

/// `REVOCATION_CACHE_SECONDS` above this is refused (the library's rule).
pub use cognito_revocation::MAX_CACHE_SECONDS;
/// CloudWatch namespace of the metrics when `METRICS_NAMESPACE` is not set.
pub const DEFAULT_METRICS_NAMESPACE: &str = "CognitoRevocationAuthorizer";

/// The start-up configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `USER_POOL_IDS`, `APP_CLIENT_IDS`, `TOKEN_USE`.
    pub policy: TokenPolicy,
    /// `REVOCATION_TABLE`.
    pub table: String,
    /// `REVOCATION_CACHE_SECONDS` (default 1 s; 0: off).
    pub cache: Duration,
    /// `ON_LOOKUP_ERROR` (default `deny`).
    pub on_lookup_error: OnLookupError,
    /// `METRICS_NAMESPACE`.
    pub metrics_namespace: String,
}

/// `REVOCATION_CACHE_SECONDS`: whole seconds from 0 (off) to [`MAX_CACHE_SECONDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSeconds(pub Duration);

impl FromStr for CacheSeconds {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        cognito_revocation::cache_ttl(raw)
            .map(Self)
            .map_err(|e| e.to_string())
    }
}

impl Config {
    /// Reads the configuration from `env`.
    pub fn from(env: &Env) -> Result<Self, ConfigError> {
        let pools: CommaList<UserPoolId> = env.require(
            "USER_POOL_IDS",
            "the comma-separated pool ids whose tokens are accepted",
        )?;
        let clients: CommaList<AppClientId> = env.require(
            "APP_CLIENT_IDS",
            "the comma-separated app client ids accepted",
        )?;
        let token_use = env.parse("TOKEN_USE")?.unwrap_or(AcceptedTokenUse::Access);
        let policy = TokenPolicy::new(pools.0, clients.0, token_use)
            .map_err(|e| ConfigError::new("USER_POOL_IDS", e.to_string()))?;
        let table: TableName = env.require("REVOCATION_TABLE", "the name of the cutoff table")?;
        Ok(Self {
            policy,
            table: table.0,
            cache: env
                .parse::<CacheSeconds>("REVOCATION_CACHE_SECONDS")?
                .map_or(DEFAULT_CACHE, |c| c.0),
            on_lookup_error: env.parse("ON_LOOKUP_ERROR")?.unwrap_or(OnLookupError::Deny),
            metrics_namespace: env
                .parse::<MetricsNamespace>("METRICS_NAMESPACE")?
                .map_or_else(|| DEFAULT_METRICS_NAMESPACE.to_owned(), |n| n.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut vars: BTreeMap<String, String> = [
            ("USER_POOL_IDS", "eu-west-1_AbC,us-east-1_XyZ"),
            ("APP_CLIENT_IDS", "client1"),
            ("REVOCATION_TABLE", "cutoffs"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        Config::from(&Env::from_vars(vars))
    }

    fn variable_of(result: Result<Config, ConfigError>) -> String {
        result.unwrap_err().variable
    }

    #[test]
    fn defaults_are_access_tokens_a_one_second_cache_and_deny() {
        let config = config(&[]).unwrap();
        assert_eq!(config.cache, Duration::from_secs(1));
        assert_eq!(config.on_lookup_error, OnLookupError::Deny);
        assert_eq!(config.policy.pools().count(), 2);
        assert_eq!(config.metrics_namespace, DEFAULT_METRICS_NAMESPACE);
    }

    #[test]
    fn pool_arns_are_accepted_in_user_pool_ids() {
        let config = config(&[(
            "USER_POOL_IDS",
            "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC",
        )])
        .unwrap();
        assert_eq!(
            config.policy.pools().next().map(|p| p.as_str()),
            Some("eu-west-1_AbC")
        );
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (name, value) in [
            ("USER_POOL_IDS", ""),
            ("USER_POOL_IDS", "not-a-pool"),
            ("USER_POOL_IDS", " , "),
            ("APP_CLIENT_IDS", ""),
            ("APP_CLIENT_IDS", "bad client"),
            ("TOKEN_USE", "refresh"),
            ("REVOCATION_TABLE", ""),
            ("REVOCATION_TABLE", "a/b"),
            ("REVOCATION_CACHE_SECONDS", "-1"),
            ("REVOCATION_CACHE_SECONDS", "1.5"),
            ("REVOCATION_CACHE_SECONDS", "301"),
            ("ON_LOOKUP_ERROR", "open"),
            ("METRICS_NAMESPACE", "a:b"),
        ] {
            assert_eq!(
                variable_of(config(&[(name, value)])),
                name,
                "{name}={value:?}"
            );
        }
    }

    #[test]
    fn zero_turns_the_cache_off_and_allow_fails_open() {
        let config = config(&[
            ("REVOCATION_CACHE_SECONDS", "0"),
            ("ON_LOOKUP_ERROR", "allow"),
            ("TOKEN_USE", "any"),
        ])
        .unwrap();
        assert_eq!(config.cache, Duration::ZERO);
        assert_eq!(config.on_lookup_error, OnLookupError::Allow);
    }
}
