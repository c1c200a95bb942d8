//! The authorizer's configuration, read once at start-up from the environment (contract
//! section 8). A bad or missing value is a [`ConfigError`] naming the variable; the function
//! stops before it answers any request.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use cognito_revocation::{
    AcceptedTokenUse, AppClientId, OnLookupError, Policy, UserPoolId, DEFAULT_CACHE,
};

/// `REVOCATION_CACHE_SECONDS` above this is refused: a lookup reused for longer would let a
/// signed-out user's token through for minutes, which is what the check exists to prevent.
pub const MAX_CACHE_SECONDS: u64 = 300;
/// CloudWatch namespace of the metrics when `METRICS_NAMESPACE` is not set.
pub const DEFAULT_METRICS_NAMESPACE: &str = "CognitoRevocationAuthorizer";

/// The start-up configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `USER_POOL_IDS`, `APP_CLIENT_IDS`, `TOKEN_USE`.
    pub policy: Policy,
    /// `REVOCATION_TABLE`.
    pub table: String,
    /// `REVOCATION_CACHE_SECONDS` (default 1 s; 0: off).
    pub cache: Duration,
    /// `ON_LOOKUP_ERROR` (default `deny`).
    pub on_lookup_error: OnLookupError,
    /// `METRICS_NAMESPACE`.
    pub metrics_namespace: String,
}

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: String,
    /// What is wrong with it.
    pub problem: String,
}

impl ConfigError {
    fn new(variable: &str, problem: impl Into<String>) -> Self {
        Self {
            variable: variable.to_owned(),
            problem: problem.into(),
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Reads the configuration from `(name, value)` pairs (tests pass their own).
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let required = |name: &str, what: &str| {
            get(name).ok_or_else(|| ConfigError::new(name, format!("required: {what}")))
        };

        let pools: Vec<UserPoolId> = list(
            "USER_POOL_IDS",
            required(
                "USER_POOL_IDS",
                "the comma-separated pool ids whose tokens are accepted",
            )?,
        )?;
        let clients: Vec<AppClientId> = list(
            "APP_CLIENT_IDS",
            required(
                "APP_CLIENT_IDS",
                "the comma-separated app client ids accepted",
            )?,
        )?;
        let token_use = match get("TOKEN_USE") {
            None => AcceptedTokenUse::Access,
            Some(raw) => parse("TOKEN_USE", raw)?,
        };
        let policy = Policy::new(pools, clients, token_use)
            .map_err(|e| ConfigError::new("USER_POOL_IDS", e.to_string()))?;
        let table = required("REVOCATION_TABLE", "the name of the cutoff table")?;
        if table.len() < 3
            || table.len() > 255
            || !table
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        {
            return Err(ConfigError::new(
                "REVOCATION_TABLE",
                "must be a DynamoDB table name (3-255 characters of letters, digits, _ - .)",
            ));
        }
        let cache = match get("REVOCATION_CACHE_SECONDS") {
            None => DEFAULT_CACHE,
            Some(raw) => match raw.parse::<u64>() {
                Ok(secs) if secs <= MAX_CACHE_SECONDS => Duration::from_secs(secs),
                _ => {
                    return Err(ConfigError::new(
                        "REVOCATION_CACHE_SECONDS",
                        format!("must be a whole number of seconds from 0 to {MAX_CACHE_SECONDS}"),
                    ))
                }
            },
        };
        let on_lookup_error = match get("ON_LOOKUP_ERROR") {
            None => OnLookupError::Deny,
            Some(raw) => parse("ON_LOOKUP_ERROR", raw)?,
        };
        let metrics_namespace = get("METRICS_NAMESPACE").unwrap_or(DEFAULT_METRICS_NAMESPACE);
        if metrics_namespace.len() > 255 || metrics_namespace.contains(':') {
            return Err(ConfigError::new(
                "METRICS_NAMESPACE",
                "must be at most 255 characters, without ':'",
            ));
        }
        Ok(Self {
            policy,
            table: table.to_owned(),
            cache,
            on_lookup_error,
            metrics_namespace: metrics_namespace.to_owned(),
        })
    }
}

/// One value parsed by its type's own rules, the error naming the variable.
fn parse<T>(variable: &str, raw: &str) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    raw.parse()
        .map_err(|e: T::Err| ConfigError::new(variable, e.to_string()))
}

/// A comma-separated list, each entry parsed by its type's rules; empty entries are skipped,
/// an empty list is refused.
fn list<T>(variable: &str, raw: &str) -> Result<Vec<T>, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let items = raw
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse()
                .map_err(|e: T::Err| ConfigError::new(variable, format!("entry {item:?} {e}")))
        })
        .collect::<Result<Vec<T>, _>>()?;
    if items.is_empty() {
        return Err(ConfigError::new(variable, "lists nothing"));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        Config::from_vars(vars)
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
