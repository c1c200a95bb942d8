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
    /// `TOKEN_QUERY_PARAMETER` and `APPSYNC_API_IDS`: the front doors beyond the header.
    pub doors: FrontDoors,
}

/// What the operator opened beyond the `Authorization` header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontDoors {
    /// `TOKEN_QUERY_PARAMETER`: the query-string parameter a REST `REQUEST` or WebSocket
    /// `$connect` request may carry its token in when it has no `Authorization` header.
    /// `None` (the default): query strings are never read, since they reach access logs.
    pub token_query_parameter: Option<String>,
    /// `APPSYNC_API_IDS`: the AppSync APIs whose requests are checked; a request of another
    /// API is refused. `None`: any API that may invoke the function.
    pub appsync_api_ids: Option<Vec<String>>,
}

/// `TOKEN_QUERY_PARAMETER`: 1-128 letters, digits, `_`, `-` or `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryParameter(pub String);

impl FromStr for QueryParameter {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let ok = (1..=128).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        ok.then(|| Self(raw.to_owned()))
            .ok_or("must be a query-string parameter name: 1-128 letters, digits, _, - or .")
    }
}

/// One of `APPSYNC_API_IDS`: an AppSync API id (1-64 letters and digits), or the API's ARN
/// (`arn:<partition>:appsync:<region>:<account>:apis/<apiId>`, as the template passes them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiId(pub String);

impl FromStr for ApiId {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let id = match raw.strip_prefix("arn:") {
            Some(arn) => match arn.splitn(5, ':').collect::<Vec<_>>().as_slice() {
                [_, "appsync", _, _, resource] => resource.strip_prefix("apis/").unwrap_or(""),
                _ => "",
            },
            None => raw,
        };
        let ok = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then(|| Self(id.to_owned()))
            .ok_or("must be comma-separated AppSync API ids or ARNs (arn:...:appsync:<region>:<account>:apis/<id>)")
    }
}

/// `REVOCATION_CACHE_SECONDS`: whole seconds from 0 (off) to [`cognito_revocation::MAX_CACHE_SECONDS`].
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
            doors: FrontDoors {
                token_query_parameter: env
                    .parse::<QueryParameter>("TOKEN_QUERY_PARAMETER")?
                    .map(|p| p.0),
                appsync_api_ids: env
                    .parse::<CommaList<ApiId>>("APPSYNC_API_IDS")?
                    .map(|ids| ids.0.into_iter().map(|id| id.0).collect()),
            },
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
    fn the_front_doors_are_closed_unless_the_operator_opens_them() {
        assert_eq!(config(&[]).unwrap().doors, FrontDoors::default());
        let open = config(&[
            ("TOKEN_QUERY_PARAMETER", "token"),
            (
                "APPSYNC_API_IDS",
                "abc123, arn:aws:appsync:us-east-1:123456789012:apis/def456",
            ),
        ])
        .unwrap();
        assert_eq!(open.doors.token_query_parameter.as_deref(), Some("token"));
        assert_eq!(
            open.doors.appsync_api_ids,
            Some(vec!["abc123".to_owned(), "def456".to_owned()])
        );
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
            ("TOKEN_QUERY_PARAMETER", "a b"),
            ("TOKEN_QUERY_PARAMETER", &"q".repeat(129)),
            ("APPSYNC_API_IDS", "api-1"),
            (
                "APPSYNC_API_IDS",
                "arn:aws:lambda:us-east-1:123456789012:function:x",
            ),
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
