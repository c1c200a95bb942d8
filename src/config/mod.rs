//! The function's configuration, read once at start-up from the environment
//! (docs/configuration.md). Each value type parses itself (`FromStr`); [`Env::parse`] (the `lambda-edge`
//! crate's, shared by every binary) is the one reader, and names the variable in every error.
//! A bad or missing value stops the function before it takes any alert.

use std::collections::BTreeMap;

use lambda_edge::{MetricsNamespace, Switch, TableName};

use crate::core::action::Actions;
use crate::core::alert::{AlertDecoder, JsonPointer};
use crate::core::decision::{ActionPolicy, AllowedPools, Policy};
use crate::core::error_class::ErrorClass;
use cognito_names::QueueUrl;

use crate::core::letter::DeadLetterRoutes;
use crate::core::plan::Mode;
use crate::core::revocation::DEFAULT_EVENT_SOURCE;
use crate::core::settings::Settings;
use crate::revocation::aws::RevocationTargets;
use crate::sign_out::accounts::{CrossAccount, ExternalId, RoleName};

mod values;

pub use values::{
    BusName, EndpointUrl, EventSource, MaxConcurrency, MaxReceiveCount, PoolName, RequestRate,
    Retention, ENDPOINT_VARIABLES,
};

/// The reader and its error, from the edge every binary shares; re-exported so that
/// `config::{Env, ConfigError}` name them where this function's settings are read.
pub use lambda_edge::{ConfigError, Env};

/// Calls in flight per invocation when `MAX_CONCURRENCY` is not set.
pub const DEFAULT_MAX_CONCURRENCY: usize = 10;
/// Calls per second per instance when `MAX_REQUESTS_PER_SECOND` is not set.
pub const DEFAULT_MAX_REQUESTS_PER_SECOND: f64 = 20.0;
/// `MAX_CONCURRENCY` above this is refused. Lambda gives a function 1,024 open files; each
/// call in flight holds a socket to Cognito and each dead-letter request one to SQS, so 256
/// of each leaves room for the runtime's own connection, TLS roots and logs. Cognito's quotas
/// are far below it anyway.
pub const MAX_CONCURRENCY_LIMIT: usize = 256;
/// The range of `MAX_REQUESTS_PER_SECOND`: one call every 100 s at the slowest (slower would be
/// no responder), 10,000 a second at the fastest (far above any Cognito quota). Outside it the
/// window arithmetic would overflow.
pub const REQUESTS_PER_SECOND_RANGE: (f64, f64) = (0.01, 10_000.0);
/// CloudWatch namespace of the metrics when `METRICS_NAMESPACE` is not set.
pub const DEFAULT_METRICS_NAMESPACE: &str = "CognitoSignoutResponder";

/// The start-up configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// What the responder runs with: the [`Policy`], the dead-letter routes, the caps, the dry
    /// run.
    pub responder: Settings,
    /// `METRICS_NAMESPACE`.
    pub metrics_namespace: String,
    /// `REVOCATION_TABLE`, `EVENT_BUS_NAME`, `EVENT_SOURCE`: where cutoffs and events go.
    pub revocation_targets: RevocationTargets,
    /// `CROSS_ACCOUNT_ROLE_NAME`, `CROSS_ACCOUNT_EXTERNAL_ID`: pools in other accounts.
    pub cross_account: Option<CrossAccount>,
}

impl Config {
    /// Reads the configuration from `(name, value)` pairs (tests pass their own).
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        Self::from(&Env::from_vars(vars))
    }

    /// Reads the configuration from `env`.
    pub fn from(env: &Env) -> Result<Self, ConfigError> {
        for name in ENDPOINT_VARIABLES {
            env.parse::<EndpointUrl>(name)?;
        }
        let cross_account = cross_account(env)?;
        let policy = Policy {
            decoder: AlertDecoder {
                username_pointer: env.parse::<JsonPointer>("USERNAME_POINTER")?,
                user_pool_pointer: env.parse::<JsonPointer>("USER_POOL_ID_POINTER")?,
                actions_pointer: env.parse::<JsonPointer>("ACTIONS_POINTER")?,
                finding_accounts: cross_account.is_some(),
                default_pool: env.parse::<PoolName>("DEFAULT_USER_POOL_ID")?.map(|p| p.0),
            },
            allowed_pools: allowed_pools(env)?,
            user_not_found: env.parse("USER_NOT_FOUND")?.unwrap_or_default(),
            max_receive_count: env
                .parse::<MaxReceiveCount>("MAX_RECEIVE_COUNT")?
                .map(|m| m.0),
            threat_min_risk_level: env.parse("THREAT_MIN_RISK_LEVEL")?.unwrap_or_default(),
            actions: action_policy(env)?,
            cross_account: cross_account.is_some(),
        };
        if cross_account.is_some() && policy.allowed_pools.is_none() {
            return Err(ConfigError::new(
                "ALLOWED_USER_POOL_IDS",
                "required when CROSS_ACCOUNT_ROLE_NAME is set: a producer must not reach every \
                 member account",
            ));
        }
        let revocation_targets = RevocationTargets {
            table: env.parse::<TableName>("REVOCATION_TABLE")?.map(|t| t.0),
            bus: env.parse::<BusName>("EVENT_BUS_NAME")?.map(|b| b.0),
            source: env
                .parse::<EventSource>("EVENT_SOURCE")?
                .map_or_else(|| DEFAULT_EVENT_SOURCE.to_owned(), |s| s.0),
            retention: env
                .parse::<Retention>("REVOCATION_RETENTION_SECONDS")?
                .map_or(cognito_names::DEFAULT_RETENTION, |r| r.0),
        };
        let responder = Settings {
            policy,
            routes: dead_letter_routes(env)?,
            max_concurrency: env
                .parse::<MaxConcurrency>("MAX_CONCURRENCY")?
                .map_or(DEFAULT_MAX_CONCURRENCY, |m| m.0),
            max_requests_per_second: env
                .parse::<RequestRate>("MAX_REQUESTS_PER_SECOND")?
                .map_or(Some(DEFAULT_MAX_REQUESTS_PER_SECOND), |r| r.0),
            mode: match env.parse::<Switch>("DRY_RUN")? {
                Some(Switch(true)) => Mode::DryRun,
                _ => Mode::Act,
            },
        };
        Ok(Self {
            responder,
            metrics_namespace: env
                .parse::<MetricsNamespace>("METRICS_NAMESPACE")?
                .map_or_else(|| DEFAULT_METRICS_NAMESPACE.to_owned(), |n| n.0),
            revocation_targets,
            cross_account,
        })
    }
}

/// `CROSS_ACCOUNT_ROLE_NAME` and `CROSS_ACCOUNT_EXTERNAL_ID`.
fn cross_account(env: &Env) -> Result<Option<CrossAccount>, ConfigError> {
    let role = env.parse::<RoleName>("CROSS_ACCOUNT_ROLE_NAME")?;
    let external_id = env.parse::<ExternalId>("CROSS_ACCOUNT_EXTERNAL_ID")?;
    match (role, external_id) {
        (Some(role), external_id) => Ok(Some(CrossAccount {
            role_name: role.0,
            external_id,
        })),
        (None, Some(_)) => Err(ConfigError::new(
            "CROSS_ACCOUNT_EXTERNAL_ID",
            "is set but CROSS_ACCOUNT_ROLE_NAME is not",
        )),
        (None, None) => Ok(None),
    }
}

/// `ALLOWED_ACTIONS` (default `sign-out`), the bound, and `ACTIONS`, `THREAT_TAKEOVER_ACTIONS`
/// and `THREAT_CREDENTIALS_ACTIONS` (the last two default to `ACTIONS`'s value), each of which
/// must lie within it: a deployment that would take an action its operator did not allow
/// stops at start-up, naming the variable.
fn action_policy(env: &Env) -> Result<ActionPolicy, ConfigError> {
    let allowed = env
        .parse::<Actions>("ALLOWED_ACTIONS")?
        .unwrap_or(Actions::SIGN_OUT);
    let within = |name: &str, actions: Actions| {
        if actions.is_within(allowed) {
            Ok(actions)
        } else {
            Err(ConfigError::new(
                name,
                format!(
                    "asks for {} but ALLOWED_ACTIONS is {allowed}",
                    actions.beyond(allowed)
                ),
            ))
        }
    };
    let default = within(
        "ACTIONS",
        env.parse::<Actions>("ACTIONS")?
            .unwrap_or(Actions::SIGN_OUT),
    )?;
    let threat = |name: &str| -> Result<Actions, ConfigError> {
        within(name, env.parse::<Actions>(name)?.unwrap_or(default))
    };
    Ok(ActionPolicy {
        allowed,
        default,
        takeover: threat("THREAT_TAKEOVER_ACTIONS")?,
        credentials: threat("THREAT_CREDENTIALS_ACTIONS")?,
    })
}

/// `ALLOWED_USER_POOL_IDS`: unset allows any pool; set, even empty, must list one.
fn allowed_pools(env: &Env) -> Result<Option<AllowedPools>, ConfigError> {
    const NAME: &str = "ALLOWED_USER_POOL_IDS";
    match env.parse::<AllowedPools>(NAME)? {
        Some(pools) => Ok(Some(pools)),
        None if env.is_set(NAME) => Err(ConfigError::new(
            NAME,
            "is set but lists no pool; unset it to allow any pool",
        )),
        None => Ok(None),
    }
}

/// `DLQ_URL` and every `DLQ_URL_<CLASS>`: a class that is misspelt or never dead-lettered
/// stops start-up rather than being ignored.
fn dead_letter_routes(env: &Env) -> Result<DeadLetterRoutes, ConfigError> {
    let default: QueueUrl = env.require("DLQ_URL", "the URL of the default dead-letter queue")?;
    let mut by_class = BTreeMap::new();
    for (name, value) in env.with_prefix("DLQ_URL_") {
        let suffix = &name["DLQ_URL_".len()..];
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
                format!(
                    "class {class} is retried, never dead-lettered; use DLQ_URL_RETRIES_EXHAUSTED"
                ),
            ));
        }
        if !value.trim().is_empty() {
            by_class.insert(class, ConfigError::parse::<QueueUrl>(name, value)?);
        }
    }
    Ok(DeadLetterRoutes::new(default, by_class))
}

#[cfg(test)]
mod tests {
    use crate::core::identity::UserPoolId;

    use super::*;
    use crate::core::decision::UserNotFoundPolicy;
    use crate::revocation::Scope;

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
        let r = &c.responder;
        assert_eq!(r.max_concurrency, 10);
        assert_eq!(r.max_requests_per_second, Some(20.0));
        assert_eq!(r.policy.user_not_found, UserNotFoundPolicy::DeadLetter);
        assert_eq!(r.mode, Mode::Act);
        assert!(r.policy.allowed_pools.is_none());
        assert!(r.policy.max_receive_count.is_none());
        assert_eq!(c.metrics_namespace, "CognitoSignoutResponder");
    }

    #[test]
    fn missing_dlq_url_names_the_variable() {
        assert_eq!(variable_of(Config::from_vars(Vec::new())), "DLQ_URL");
    }

    #[test]
    fn threat_min_risk_level_defaults_to_high_and_a_bad_value_names_the_variable() {
        use crate::core::threat::RiskLevel;
        let level = |v: &[(&str, &str)]| config(v).unwrap().responder.policy.threat_min_risk_level;
        assert_eq!(level(&[]), RiskLevel::High);
        assert_eq!(
            level(&[("THREAT_MIN_RISK_LEVEL", "medium")]),
            RiskLevel::Medium
        );
        assert_eq!(level(&[("THREAT_MIN_RISK_LEVEL", "Low")]), RiskLevel::Low);
        let err = config(&[("THREAT_MIN_RISK_LEVEL", "severe")]).unwrap_err();
        assert_eq!(err.variable, "THREAT_MIN_RISK_LEVEL");
        assert!(
            err.problem.contains("Low, Medium or High"),
            "{}",
            err.problem
        );
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (name, value) in [
            ("DLQ_URL_MALFORMD", "https://x/1/q"),
            ("DLQ_URL_THROTTLED", "https://x/1/q"),
            ("DLQ_URL_INVALID", "sqs-queue-name"),
            ("DLQ_URL_INVALID", "https://"),
            ("DLQ_URL_INVALID", "http://x y"),
            ("DLQ_URL_INVALID", "https://sqs.eu-west-1.amazonaws.com"),
            (
                "DLQ_URL",
                "https://sqs.eu-west-1.amazonaws.com/123456789012",
            ),
            ("ALLOWED_USER_POOL_IDS", "eu-west-1_A, not a pool"),
            ("ALLOWED_USER_POOL_IDS", " , "),
            ("ALLOWED_USER_POOL_IDS", ""),
            ("DEFAULT_USER_POOL_ID", "pool"),
            ("USERNAME_POINTER", "detail.user"),
            ("USER_POOL_ID_POINTER", "/a~2"),
            ("USER_NOT_FOUND", "skip"),
            ("MAX_RECEIVE_COUNT", "0"),
            ("MAX_CONCURRENCY", "ten"),
            ("MAX_CONCURRENCY", "100000"),
            ("MAX_CONCURRENCY", "1000"),
            ("MAX_REQUESTS_PER_SECOND", "-1"),
            ("MAX_REQUESTS_PER_SECOND", "NaN"),
            ("MAX_REQUESTS_PER_SECOND", "inf"),
            ("MAX_REQUESTS_PER_SECOND", "1e-19"),
            ("MAX_REQUESTS_PER_SECOND", "1e-30"),
            ("MAX_REQUESTS_PER_SECOND", "1e9"),
            ("DRY_RUN", "maybe"),
            ("METRICS_NAMESPACE", "a:b"),
            ("REVOCATION_TABLE", "ab"),
            ("REVOCATION_TABLE", "cut offs"),
            ("REVOCATION_RETENTION_SECONDS", "60"),
            ("REVOCATION_RETENTION_SECONDS", "a day"),
            ("EVENT_BUS_NAME", "my bus"),
            ("EVENT_SOURCE", "aws.cognito"),
            ("EVENT_SOURCE", "AWS.evil"),
            ("EVENT_SOURCE", "Aws.Cognito"),
            ("AWS_ENDPOINT_URL", "https://"),
            ("AWS_ENDPOINT_URL_SQS", "http://x y"),
            (
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                "localhost:5000",
            ),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:99999"),
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
            ("USERNAME_POINTER", "/detail/user"),
        ])
        .unwrap();
        let r = &c.responder;
        assert_eq!(
            r.routes.url_for(ErrorClass::Malformed).as_str(),
            "https://sqs.eu-west-1.amazonaws.com/1/bad"
        );
        assert_eq!(
            r.routes.url_for(ErrorClass::Invalid).as_str(),
            "https://sqs.eu-west-1.amazonaws.com/1/dlq"
        );
        let allowed = r.policy.allowed_pools.as_ref().unwrap();
        assert!(allowed.contains(&UserPoolId::parse("us-east-1_B").unwrap()));
        assert_eq!(r.max_requests_per_second, None);
        assert_eq!(r.mode, Mode::DryRun);
        assert_eq!(
            r.policy
                .decoder
                .username_pointer
                .as_ref()
                .map(JsonPointer::as_str),
            Some("/detail/user")
        );
    }

    #[test]
    fn the_reserved_aws_prefix_is_refused_in_any_case_and_only_as_a_prefix() {
        for source in ["AWS.evil", "aWs.x", "aws."] {
            let err = config(&[("EVENT_SOURCE", source)]).unwrap_err();
            assert_eq!(err.variable, "EVENT_SOURCE", "{source}");
        }
        for source in ["awsome.app", "my.aws.app", "AWS", "a"] {
            let c = config(&[("EVENT_SOURCE", source)]).unwrap();
            assert_eq!(c.revocation_targets.source, source);
        }
    }

    #[test]
    fn the_allow_list_takes_ids_and_arns_and_refuses_a_list_of_nothing() {
        let pools = |raw: &str| config(&[("ALLOWED_USER_POOL_IDS", raw)]);
        let allowed =
            pools("eu-west-1_A, arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_B,")
                .unwrap()
                .responder
                .policy
                .allowed_pools
                .unwrap();
        assert_eq!(allowed.len(), 2);
        assert!(allowed.contains(&UserPoolId::parse("eu-west-1_A").unwrap()));
        assert!(allowed.contains(&UserPoolId::parse("us-east-1_B").unwrap()));
        let empty = pools("").unwrap_err();
        assert!(
            empty.problem.contains("unset it to allow any pool"),
            "{empty}"
        );
        assert!(pools(" , ").unwrap_err().problem.contains("lists no pool"));
        let bad = pools("eu-west-1_A, not a pool").unwrap_err();
        assert!(bad.problem.starts_with("entry \"not a pool\""), "{bad}");
    }

    #[test]
    fn revocation_is_on_when_a_table_or_a_bus_is_named() {
        let off = config(&[]).unwrap();
        assert_eq!(off.revocation_targets.scope(), Scope::Off);
        let table = config(&[("REVOCATION_TABLE", "cutoffs")]).unwrap();
        assert_eq!(table.revocation_targets.scope(), Scope::Cutoffs);
        assert_eq!(table.revocation_targets.retention.as_secs(), 86_400);
        let both = config(&[
            ("REVOCATION_TABLE", "cutoffs"),
            ("EVENT_BUS_NAME", "security"),
            ("REVOCATION_RETENTION_SECONDS", "3600"),
        ])
        .unwrap();
        assert_eq!(both.revocation_targets.scope(), Scope::CutoffsAndEvents);
        assert_eq!(both.revocation_targets.retention.as_secs(), 3600);
        assert_eq!(both.revocation_targets.source, "cognito-signout-responder");
    }

    #[test]
    fn actions_default_to_the_sign_out_and_must_lie_within_the_bound() {
        use crate::core::action::Action;
        let c = config(&[]).unwrap();
        assert_eq!(c.responder.policy.actions, ActionPolicy::default());
        assert_eq!(
            variable_of(config(&[("ACTIONS", "disable")])),
            "ACTIONS",
            "the default bound is the sign-out alone"
        );
        assert_eq!(
            variable_of(config(&[
                ("ALLOWED_ACTIONS", "sign-out,reset-password"),
                ("THREAT_TAKEOVER_ACTIONS", "disable"),
            ])),
            "THREAT_TAKEOVER_ACTIONS"
        );
        assert_eq!(
            variable_of(config(&[("ALLOWED_ACTIONS", "wipe")])),
            "ALLOWED_ACTIONS"
        );
        let c = config(&[
            ("ALLOWED_ACTIONS", "reset-password,disable"),
            ("ACTIONS", "reset-password"),
            ("THREAT_TAKEOVER_ACTIONS", "disable"),
        ])
        .unwrap();
        let actions = c.responder.policy.actions;
        assert_eq!(
            actions.allowed.names(),
            ["reset-password", "disable", "sign-out"]
        );
        assert_eq!(
            actions.takeover,
            Actions::of(&[Action::Disable, Action::SignOut])
        );
        assert_eq!(
            actions.credentials,
            Actions::of(&[Action::ResetPassword, Action::SignOut]),
            "a threat variable not set takes ACTIONS's value"
        );
    }

    #[test]
    fn cross_account_needs_an_allow_list_and_checks_its_names() {
        assert_eq!(
            variable_of(config(&[("CROSS_ACCOUNT_ROLE_NAME", "member")])),
            "ALLOWED_USER_POOL_IDS"
        );
        assert_eq!(
            variable_of(config(&[("CROSS_ACCOUNT_EXTERNAL_ID", "abc123")])),
            "CROSS_ACCOUNT_EXTERNAL_ID"
        );
        assert_eq!(
            variable_of(config(&[
                ("CROSS_ACCOUNT_ROLE_NAME", "no spaces please"),
                ("ALLOWED_USER_POOL_IDS", "eu-west-1_A"),
            ])),
            "CROSS_ACCOUNT_ROLE_NAME"
        );
        let c = config(&[
            ("CROSS_ACCOUNT_ROLE_NAME", "member"),
            ("CROSS_ACCOUNT_EXTERNAL_ID", "s3cret-id"),
            (
                "ALLOWED_USER_POOL_IDS",
                "arn:aws:cognito-idp:eu-west-1:222222222222:userpool/eu-west-1_B",
            ),
        ])
        .unwrap();
        let cross = c.cross_account.unwrap();
        assert_eq!(cross.role_name, "member");
        assert!(!format!("{cross:?}").contains("s3cret"), "never printed");
        assert!(c.responder.policy.cross_account);
    }

    #[test]
    fn the_edges_of_each_range_are_accepted() {
        for (name, value) in [
            ("MAX_CONCURRENCY", "256"),
            ("MAX_CONCURRENCY", "1"),
            ("MAX_REQUESTS_PER_SECOND", "0.01"),
            ("MAX_REQUESTS_PER_SECOND", "10000"),
            ("MAX_RECEIVE_COUNT", "1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            (
                "AWS_ENDPOINT_URL_SQS",
                "https://sqs.eu-west-1.amazonaws.com",
            ),
            ("AWS_ENDPOINT_URL_EVENTBRIDGE", "http://[::1]:4566/"),
        ] {
            assert!(config(&[(name, value)]).is_ok(), "{name}={value}");
        }
    }
}
