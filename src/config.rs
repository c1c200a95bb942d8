//! The function's configuration, read once at start-up from the environment (contract
//! section 5). A bad or missing value is a [`ConfigError`] that names the variable, and stops
//! the function before it takes any alert.

use std::collections::{BTreeMap, BTreeSet};

use crate::alert::AlertDecoder;
use crate::dead_letter::DeadLetterRoutes;
use crate::error_class::ErrorClass;
use crate::identity::UserPoolId;

/// Calls in flight per invocation when `MAX_CONCURRENCY` is not set.
pub const DEFAULT_MAX_CONCURRENCY: usize = 10;
/// Calls per second per instance when `MAX_REQUESTS_PER_SECOND` is not set.
pub const DEFAULT_MAX_REQUESTS_PER_SECOND: f64 = 20.0;
/// `MAX_CONCURRENCY` above this is refused: Cognito's quotas are far below it.
pub const MAX_CONCURRENCY_LIMIT: usize = 1000;
/// CloudWatch namespace of the metrics when `METRICS_NAMESPACE` is not set.
pub const DEFAULT_METRICS_NAMESPACE: &str = "CognitoSignoutResponder";

/// What to do when Cognito says the user does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserNotFoundPolicy {
    /// Dead-letter the alert (`user-not-found`), the default.
    DeadLetter,
    /// Count the alert as signed out: a user who does not exist has no session.
    Ignore,
}

/// The start-up configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DLQ_URL` and `DLQ_URL_<CLASS>`.
    pub dead_letter_routes: DeadLetterRoutes,
    /// `ALLOWED_USER_POOL_IDS`; `None` allows any pool.
    pub allowed_pools: Option<BTreeSet<UserPoolId>>,
    /// `DEFAULT_USER_POOL_ID`, `USERNAME_POINTER`, `USER_POOL_ID_POINTER`.
    pub decoder: AlertDecoder,
    /// `USER_NOT_FOUND`.
    pub user_not_found: UserNotFoundPolicy,
    /// `MAX_RECEIVE_COUNT`.
    pub max_receive_count: Option<u32>,
    /// `MAX_CONCURRENCY`.
    pub max_concurrency: usize,
    /// `MAX_REQUESTS_PER_SECOND`; `None` when set to `unlimited`.
    pub max_requests_per_second: Option<f64>,
    /// `DRY_RUN`.
    pub dry_run: bool,
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

        let default_url = get("DLQ_URL").ok_or_else(|| {
            ConfigError::new(
                "DLQ_URL",
                "required: the URL of the default dead-letter queue",
            )
        })?;
        let default_url = queue_url("DLQ_URL", default_url)?;
        let mut by_class = BTreeMap::new();
        for (name, value) in &vars {
            let Some(suffix) = name.strip_prefix("DLQ_URL_") else {
                continue;
            };
            let class = ErrorClass::ALL
                .into_iter()
                .find(|c| c.env_suffix() == suffix)
                .ok_or_else(|| {
                    ConfigError::new(
                        name,
                        "names no error class (DLQ_URL_MALFORMED, DLQ_URL_USER_NOT_FOUND, ...)",
                    )
                })?;
            if class.is_retryable() {
                return Err(ConfigError::new(
                    name,
                    format!("class {class} is retried, never dead-lettered; use DLQ_URL_RETRIES_EXHAUSTED"),
                ));
            }
            if !value.trim().is_empty() {
                by_class.insert(class, queue_url(name, value.trim())?);
            }
        }

        let allowed_pools = match vars.get("ALLOWED_USER_POOL_IDS") {
            None => None,
            Some(list) => Some(pool_list("ALLOWED_USER_POOL_IDS", list)?),
        };
        let default_pool = get("DEFAULT_USER_POOL_ID")
            .map(|raw| {
                UserPoolId::parse_id_or_arn(raw).map_err(|e| {
                    ConfigError::new("DEFAULT_USER_POOL_ID", format!("the pool id {e}"))
                })
            })
            .transpose()?;
        let decoder = AlertDecoder {
            username_pointer: get("USERNAME_POINTER")
                .map(|p| json_pointer("USERNAME_POINTER", p))
                .transpose()?,
            user_pool_pointer: get("USER_POOL_ID_POINTER")
                .map(|p| json_pointer("USER_POOL_ID_POINTER", p))
                .transpose()?,
            default_pool,
        };
        let user_not_found = match get("USER_NOT_FOUND") {
            None | Some("dead-letter") => UserNotFoundPolicy::DeadLetter,
            Some("ignore") => UserNotFoundPolicy::Ignore,
            Some(_) => {
                return Err(ConfigError::new(
                    "USER_NOT_FOUND",
                    "must be dead-letter or ignore",
                ))
            }
        };
        let max_receive_count = get("MAX_RECEIVE_COUNT")
            .map(|v| whole_number("MAX_RECEIVE_COUNT", v, 1, u32::MAX as usize))
            .transpose()?
            .map(|n| n as u32);
        let max_concurrency = get("MAX_CONCURRENCY")
            .map(|v| whole_number("MAX_CONCURRENCY", v, 1, MAX_CONCURRENCY_LIMIT))
            .transpose()?
            .unwrap_or(DEFAULT_MAX_CONCURRENCY);
        let max_requests_per_second = match get("MAX_REQUESTS_PER_SECOND") {
            None => Some(DEFAULT_MAX_REQUESTS_PER_SECOND),
            Some(v) if v.eq_ignore_ascii_case("unlimited") => None,
            Some(v) => match v.parse::<f64>() {
                Ok(rate) if rate.is_finite() && rate > 0.0 && rate <= 100_000.0 => Some(rate),
                _ => {
                    return Err(ConfigError::new(
                        "MAX_REQUESTS_PER_SECOND",
                        "must be a number above 0 (calls per second), or unlimited",
                    ))
                }
            },
        };
        let dry_run = match get("DRY_RUN").map(str::to_ascii_lowercase).as_deref() {
            None | Some("false") | Some("0") | Some("no") => false,
            Some("true") | Some("1") | Some("yes") => true,
            Some(_) => return Err(ConfigError::new("DRY_RUN", "must be true or false")),
        };
        let metrics_namespace = get("METRICS_NAMESPACE").unwrap_or(DEFAULT_METRICS_NAMESPACE);
        if metrics_namespace.len() > 255 || metrics_namespace.contains(':') {
            return Err(ConfigError::new(
                "METRICS_NAMESPACE",
                "must be at most 255 characters, without ':'",
            ));
        }

        Ok(Self {
            dead_letter_routes: DeadLetterRoutes::new(default_url, by_class),
            allowed_pools,
            decoder,
            user_not_found,
            max_receive_count,
            max_concurrency,
            max_requests_per_second,
            dry_run,
            metrics_namespace: metrics_namespace.to_owned(),
        })
    }
}

fn queue_url(variable: &str, raw: &str) -> Result<String, ConfigError> {
    if raw.starts_with("https://") || raw.starts_with("http://") {
        Ok(raw.to_owned())
    } else {
        Err(ConfigError::new(
            variable,
            "must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)",
        ))
    }
}

fn pool_list(variable: &str, raw: &str) -> Result<BTreeSet<UserPoolId>, ConfigError> {
    let pools = raw
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            UserPoolId::parse_id_or_arn(p)
                .map_err(|e| ConfigError::new(variable, format!("entry {p:?} {e}")))
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    if pools.is_empty() {
        return Err(ConfigError::new(
            variable,
            "is set but lists no pool; unset it to allow any pool",
        ));
    }
    Ok(pools)
}

fn json_pointer(variable: &str, raw: &str) -> Result<String, ConfigError> {
    if raw.starts_with('/') {
        Ok(raw.to_owned())
    } else {
        Err(ConfigError::new(
            variable,
            "must be an RFC 6901 JSON pointer starting with '/' (like /detail/user/name)",
        ))
    }
}

fn whole_number(variable: &str, raw: &str, min: usize, max: usize) -> Result<usize, ConfigError> {
    match raw.parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::new(
            variable,
            format!("must be a whole number from {min} to {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut all = vec![(
            "DLQ_URL".to_owned(),
            "https://sqs.eu-west-1.amazonaws.com/1/dlq".to_owned(),
        )];
        all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Config::from_vars(all)
    }

    fn variable_of(result: Result<Config, ConfigError>) -> String {
        result.unwrap_err().variable
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = config(&[]).unwrap();
        assert_eq!(c.max_concurrency, 10);
        assert_eq!(c.max_requests_per_second, Some(20.0));
        assert_eq!(c.user_not_found, UserNotFoundPolicy::DeadLetter);
        assert!(!c.dry_run);
        assert!(c.allowed_pools.is_none());
        assert!(c.max_receive_count.is_none());
        assert_eq!(c.metrics_namespace, "CognitoSignoutResponder");
    }

    #[test]
    fn missing_dlq_url_names_the_variable() {
        assert_eq!(variable_of(Config::from_vars(Vec::new())), "DLQ_URL");
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (name, value) in [
            ("DLQ_URL_MALFORMD", "https://x"),
            ("DLQ_URL_THROTTLED", "https://x"),
            ("DLQ_URL_INVALID", "sqs-queue-name"),
            ("ALLOWED_USER_POOL_IDS", "eu-west-1_A, not a pool"),
            ("ALLOWED_USER_POOL_IDS", " , "),
            ("DEFAULT_USER_POOL_ID", "pool"),
            ("USERNAME_POINTER", "detail.user"),
            ("USER_NOT_FOUND", "skip"),
            ("MAX_RECEIVE_COUNT", "0"),
            ("MAX_CONCURRENCY", "ten"),
            ("MAX_CONCURRENCY", "100000"),
            ("MAX_REQUESTS_PER_SECOND", "-1"),
            ("MAX_REQUESTS_PER_SECOND", "NaN"),
            ("DRY_RUN", "maybe"),
        ] {
            assert_eq!(
                variable_of(config(&[(name, value)])),
                name,
                "{name}={value}"
            );
        }
    }

    #[test]
    fn per_class_queues_and_allow_list_of_ids_and_arns_are_read() {
        let c = config(&[
            (
                "DLQ_URL_MALFORMED",
                "https://sqs.eu-west-1.amazonaws.com/1/bad",
            ),
            (
                "DLQ_URL_USER_NOT_FOUND",
                "https://sqs.eu-west-1.amazonaws.com/1/unf.fifo",
            ),
            (
                "ALLOWED_USER_POOL_IDS",
                "eu-west-1_A,arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_B",
            ),
            ("MAX_REQUESTS_PER_SECOND", "unlimited"),
            ("DRY_RUN", "TRUE"),
        ])
        .unwrap();
        assert_eq!(
            c.dead_letter_routes.url_for(ErrorClass::Malformed),
            "https://sqs.eu-west-1.amazonaws.com/1/bad"
        );
        assert_eq!(
            c.dead_letter_routes.url_for(ErrorClass::Invalid),
            "https://sqs.eu-west-1.amazonaws.com/1/dlq"
        );
        let allowed = c.allowed_pools.unwrap();
        assert!(allowed.contains(&UserPoolId::parse("us-east-1_B").unwrap()));
        assert_eq!(c.max_requests_per_second, None);
        assert!(c.dry_run);
    }
}
