//! The receiver's configuration, read once at start-up from the environment
//! (docs/ssf-receiver.md) with the reader every binary shares ([`Env`], from `lambda-edge`). Each value
//! parses itself; a bad or missing one is a [`ConfigError`] naming the variable, and the
//! function stops before it answers any push.

use std::str::FromStr;

use cognito_names::{QueueUrl, UserPoolId};
use lambda_edge::{CommaList, MetricsNamespace, TableName};

use crate::core::authorization::{Authorization, Credential};
pub use crate::secrets::SecretArn;
use crate::secrets::Secrets;
use crate::transmitter::TransmitterUrl;
use cognito_names::Action;

/// The reader and its error, from the edge every binary shares.
pub use lambda_edge::{ConfigError, Env};

/// CloudWatch namespace of the metrics when `METRICS_NAMESPACE` is not set.
pub const DEFAULT_METRICS_NAMESPACE: &str = "SsfReceiver";

/// The start-up configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `SSF_ISSUER`, exactly as configured (compared with `iss` byte for byte).
    pub issuer: String,
    /// `SSF_ISSUER` as a URL (where discovery looks).
    pub issuer_url: TransmitterUrl,
    /// `SSF_AUDIENCE`.
    pub audience: String,
    /// `SSF_JWKS_URI`; `None`: discovered from the transmitter's configuration.
    pub jwks_uri: Option<TransmitterUrl>,
    /// `SSF_AUTHORIZATION` (or, after start-up, the value of `SSF_AUTHORIZATION_SECRET_ARN`);
    /// `None`: the SET's signature is the only credential.
    pub authorization: Option<Authorization>,
    /// `SSF_USER_POOL_IDS`.
    pub pools: Vec<UserPoolId>,
    /// `SSF_IDENTITY_PROVIDER`.
    pub identity_provider: Option<String>,
    /// `SSF_SUBJECT_ISSUER`: the `iss` of the `iss_sub` subjects that name the provider's
    /// users (a Cognito pool federated as an OIDC provider: its issuer), when it is not the
    /// transmitter's own; `SSF_ISSUER` by default.
    pub subject_issuer: String,
    /// `SSF_COMPROMISE_ACTIONS` (default `sign-out`).
    pub compromise_actions: Vec<Action>,
    /// `ALERT_QUEUE_URL`.
    pub alert_queue_url: String,
    /// `REVOCATION_TABLE`; `None`: replays are not detected.
    pub table: Option<String>,
    /// `METRICS_NAMESPACE`.
    pub metrics_namespace: String,
    /// `SSF_POLL_URL`; `None`: push only.
    pub poll_url: Option<TransmitterUrl>,
    /// `SSF_POLL_AUTHORIZATION`: the `Authorization` value a poll is sent with.
    pub poll_authorization: Option<Credential>,
    /// `SSF_AUTHORIZATION_SECRET_ARN`: [`resolve`] reads it into
    /// `authorization` at start-up; the function reads it again when a push's value differs.
    pub authorization_secret: Option<SecretArn>,
    /// `SSF_POLL_AUTHORIZATION_SECRET_ARN`: read into `poll_authorization` at start-up, and
    /// again when the poll endpoint refuses the value.
    pub poll_authorization_secret: Option<SecretArn>,
}

/// `SSF_IDENTITY_PROVIDER`: a Cognito identity provider name (1-32 characters, no white
/// space or `_`, which would make `<provider>_<sub>` ambiguous).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderName(pub String);

impl FromStr for ProviderName {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let ok = (1..=32).contains(&raw.chars().count())
            && !raw
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '_');
        ok.then(|| Self(raw.to_owned()))
            .ok_or("must be an identity provider name: 1-32 characters, no white space or _")
    }
}

impl Config {
    /// Reads the configuration from `env`.
    pub fn from(env: &Env) -> Result<Self, ConfigError> {
        for (plain, secret) in [
            ("SSF_AUTHORIZATION", "SSF_AUTHORIZATION_SECRET_ARN"),
            (
                "SSF_POLL_AUTHORIZATION",
                "SSF_POLL_AUTHORIZATION_SECRET_ARN",
            ),
        ] {
            if env.get(plain).is_some() && env.get(secret).is_some() {
                return Err(ConfigError::new(
                    secret,
                    format!("set together with {plain}: set one of the two"),
                ));
            }
        }
        let issuer_url: TransmitterUrl = env.require(
            "SSF_ISSUER",
            "the transmitter's issuer, as its SETs' iss says it",
        )?;
        let issuer = env.get("SSF_ISSUER").unwrap_or_default().to_owned();
        if issuer.len() > crate::core::set::MAX_ISSUER_BYTES {
            return Err(ConfigError::new(
                "SSF_ISSUER",
                "longer than 1024 bytes: a replay item's key could not hold it",
            ));
        }
        let audience: String = env.require("SSF_AUDIENCE", "the aud of this receiver's stream")?;
        let pools: CommaList<UserPoolId> = env.require(
            "SSF_USER_POOL_IDS",
            "the comma-separated pools in which subjects are looked up",
        )?;
        let queue: QueueUrl = env.require(
            "ALERT_QUEUE_URL",
            "the URL of the queue the responder consumes",
        )?;
        for variable in ["SSF_AUTHORIZATION", "SSF_POLL_AUTHORIZATION"] {
            if env.is_set(variable) && env.get(variable).is_none() {
                return Err(ConfigError::new(
                    variable,
                    "set but empty: remove it, or set the header value",
                ));
            }
        }
        let poll_url: Option<TransmitterUrl> = env.parse("SSF_POLL_URL")?;
        for variable in [
            "SSF_POLL_AUTHORIZATION",
            "SSF_POLL_AUTHORIZATION_SECRET_ARN",
        ] {
            if poll_url.is_none() && env.get(variable).is_some() {
                return Err(ConfigError::new(
                    variable,
                    "set without SSF_POLL_URL: set the poll endpoint too, or remove it",
                ));
            }
        }
        let _: Option<TransmitterUrl> = env.parse("SSF_SUBJECT_ISSUER")?;
        let subject_issuer = env
            .get("SSF_SUBJECT_ISSUER")
            .map_or_else(|| issuer.clone(), str::to_owned);
        Ok(Self {
            subject_issuer,
            issuer,
            issuer_url,
            audience,
            jwks_uri: env.parse("SSF_JWKS_URI")?,
            authorization: env.parse("SSF_AUTHORIZATION")?,
            pools: pools.0,
            identity_provider: env
                .parse::<ProviderName>("SSF_IDENTITY_PROVIDER")?
                .map(|p| p.0),
            compromise_actions: env
                .parse::<CommaList<Action>>("SSF_COMPROMISE_ACTIONS")?
                .map_or_else(|| vec![Action::SignOut], Action::with_sign_out),
            alert_queue_url: queue.as_str().to_owned(),
            table: env.parse::<TableName>("REVOCATION_TABLE")?.map(|t| t.0),
            metrics_namespace: env
                .parse::<MetricsNamespace>("METRICS_NAMESPACE")?
                .map_or_else(|| DEFAULT_METRICS_NAMESPACE.to_owned(), |n| n.0),
            poll_authorization: env.parse("SSF_POLL_AUTHORIZATION")?,
            poll_url,
            authorization_secret: env.parse("SSF_AUTHORIZATION_SECRET_ARN")?,
            poll_authorization_secret: env.parse("SSF_POLL_AUTHORIZATION_SECRET_ARN")?,
        })
    }
}

/// The configuration of a valid minimal environment with `extra` set over it (later values
/// win), for the tests of this crate.
#[cfg(test)]
pub(crate) fn config_with(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let base = [
        ("SSF_ISSUER", "https://idp.example.com/"),
        ("SSF_AUDIENCE", "https://receiver.example.com/"),
        ("SSF_USER_POOL_IDS", "eu-west-1_AbC,us-east-1_XyZ"),
        (
            "ALERT_QUEUE_URL",
            "https://sqs.eu-west-1.amazonaws.com/123456789012/alerts",
        ),
    ];
    let vars = base
        .iter()
        .chain(extra)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    Config::from(&Env::from_vars(vars))
}

/// `config` with the values of the secrets it names in place: `SSF_AUTHORIZATION_SECRET_ARN`
/// becomes the push's expected `Authorization`, `SSF_POLL_AUTHORIZATION_SECRET_ARN` the
/// poll's (the ARNs stay, for reading again). An error names the variable whose secret failed.
pub async fn resolve(mut config: Config, secrets: &impl Secrets) -> Result<Config, ConfigError> {
    if let Some(arn) = &config.authorization_secret {
        config.authorization = Some(header(secrets, arn, "SSF_AUTHORIZATION_SECRET_ARN").await?);
    }
    if let Some(arn) = &config.poll_authorization_secret {
        config.poll_authorization =
            Some(header(secrets, arn, "SSF_POLL_AUTHORIZATION_SECRET_ARN").await?);
    }
    Ok(config)
}

/// The header value the secret `arn` (named by `variable`) holds; an error names the
/// variable, and never the value.
async fn header<T: FromStr>(
    secrets: &impl Secrets,
    arn: &SecretArn,
    variable: &str,
) -> Result<T, ConfigError> {
    let value = secrets.secret_string(arn).await.map_err(|err| {
        ConfigError::new(variable, format!("the secret could not be read: {err}"))
    })?;
    value.trim().parse().map_err(|_| {
        ConfigError::new(
            variable,
            "the secret's value is not a header value (empty, or with control characters such as a newline)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        config_with(extra)
    }

    #[test]
    fn defaults_discover_the_keys_sign_out_only_and_detect_no_replays() {
        let config = config(&[]).unwrap();
        assert_eq!(config.issuer, "https://idp.example.com/");
        assert!(config.jwks_uri.is_none());
        assert!(config.authorization.is_none());
        assert_eq!(config.compromise_actions, vec![Action::SignOut]);
        assert!(config.table.is_none());
        assert_eq!(config.pools.len(), 2);
    }

    #[test]
    fn compromise_actions_always_include_the_sign_out() {
        let config = config(&[("SSF_COMPROMISE_ACTIONS", "disable")]).unwrap();
        assert_eq!(
            config.compromise_actions,
            vec![Action::SignOut, Action::Disable]
        );
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (name, value) in [
            ("SSF_ISSUER", ""),
            ("SSF_ISSUER", "http://idp.example.com/"),
            ("SSF_AUDIENCE", ""),
            ("SSF_JWKS_URI", "http://idp.example.com/jwks"),
            ("SSF_USER_POOL_IDS", "nope"),
            ("SSF_USER_POOL_IDS", ""),
            ("SSF_IDENTITY_PROVIDER", "Has_Underscore"),
            ("SSF_COMPROMISE_ACTIONS", "lock"),
            ("ALERT_QUEUE_URL", "alerts"),
            ("REVOCATION_TABLE", "a/b"),
            ("METRICS_NAMESPACE", "a:b"),
            ("SSF_AUTHORIZATION", ""),
            ("SSF_POLL_URL", "http://idp.example.com/poll"),
            ("SSF_POLL_AUTHORIZATION", "Bearer x"),
            (
                "SSF_AUTHORIZATION_SECRET_ARN",
                "arn:aws:secretsmanager:eu-west-1:1:secret:x",
            ),
        ] {
            let err = config(&[(name, value)]).unwrap_err();
            assert_eq!(err.variable, name, "{name}={value:?}");
        }
    }

    #[test]
    fn the_subject_issuer_is_the_transmitters_unless_named() {
        assert_eq!(
            config(&[]).unwrap().subject_issuer,
            "https://idp.example.com/"
        );
        let pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolA";
        let named = config(&[("SSF_SUBJECT_ISSUER", pool)]).unwrap();
        assert_eq!(named.subject_issuer, pool);
        assert_eq!(named.issuer, "https://idp.example.com/");
        let err = config(&[("SSF_SUBJECT_ISSUER", "http://idp.example.com/")]).unwrap_err();
        assert_eq!(err.variable, "SSF_SUBJECT_ISSUER");
    }

    #[test]
    fn an_issuer_a_replay_key_cannot_hold_is_refused() {
        let long = format!("https://idp.example.com/{}", "t".repeat(1024));
        let err = config(&[("SSF_ISSUER", long.as_str())]).unwrap_err();
        assert_eq!(err.variable, "SSF_ISSUER");
    }

    #[test]
    fn loopback_transmitters_may_use_http() {
        let config = config(&[
            ("SSF_ISSUER", "http://127.0.0.1:8080/t"),
            ("SSF_JWKS_URI", "http://localhost:8080/jwks"),
        ])
        .unwrap();
        assert!(config.jwks_uri.is_some());
    }

    #[test]
    fn polling_needs_its_url_and_never_prints_its_credential() {
        let polling = config(&[
            ("SSF_POLL_URL", "https://idp.example.com/ssf/poll"),
            ("SSF_POLL_AUTHORIZATION", "Bearer p0ll-s3cret"),
        ])
        .unwrap();
        assert!(polling.poll_url.is_some());
        assert!(!format!("{polling:?}").contains("p0ll-s3cret"));
        assert!(config(&[]).unwrap().poll_url.is_none());
    }
}

#[cfg(test)]
mod resolve_tests {
    use super::*;

    const PUSH: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ssf-push-AbCdEf";
    const POLL: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ssf-poll-AbCdEf";

    use crate::secrets::MemorySecrets;

    /// A valid configuration that polls, with `extra` over it.
    fn config(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let polling = [("SSF_POLL_URL", "https://idp.example.com/poll")];
        config_with(&[&polling[..], extra].concat())
    }

    #[tokio::test]
    async fn both_secrets_become_the_credentials_and_their_arns_stay_for_reading_again() {
        let config = config(&[
            ("SSF_AUTHORIZATION_SECRET_ARN", PUSH),
            ("SSF_POLL_AUTHORIZATION_SECRET_ARN", POLL),
        ])
        .unwrap();
        let secrets = MemorySecrets::new();
        secrets.set(PUSH, Ok("Bearer push-value"));
        secrets.set(POLL, Ok("Bearer poll-value"));
        let resolved = resolve(config, &secrets).await.unwrap();
        let push = resolved.authorization.expect("the push credential");
        assert!(push.admits(Some("Bearer push-value")));
        assert_eq!(
            resolved
                .poll_authorization
                .map(|c| c.header_value().to_owned()),
            Some("Bearer poll-value".to_owned())
        );
        assert_eq!(
            resolved
                .authorization_secret
                .as_ref()
                .map(SecretArn::as_str),
            Some(PUSH)
        );
    }

    #[tokio::test]
    async fn an_unreadable_or_unusable_secret_names_its_variable_and_never_its_value() {
        let config_with_push = || config(&[("SSF_AUTHORIZATION_SECRET_ARN", PUSH)]).unwrap();
        let err = resolve(config_with_push(), &MemorySecrets::new())
            .await
            .unwrap_err();
        assert_eq!(err.variable, "SSF_AUTHORIZATION_SECRET_ARN");
        assert!(
            err.to_string().contains("ResourceNotFoundException"),
            "{err}"
        );
        let bad = MemorySecrets::new();
        bad.set(PUSH, Ok("Bearer leaked\nvalue"));
        let err = resolve(config_with_push(), &bad).await.unwrap_err();
        assert_eq!(err.variable, "SSF_AUTHORIZATION_SECRET_ARN");
        assert!(!err.to_string().contains("leaked"), "{err}");
    }

    #[test]
    fn a_value_and_its_secret_are_not_both_accepted() {
        for (plain, secret, arn) in [
            ("SSF_AUTHORIZATION", "SSF_AUTHORIZATION_SECRET_ARN", PUSH),
            (
                "SSF_POLL_AUTHORIZATION",
                "SSF_POLL_AUTHORIZATION_SECRET_ARN",
                POLL,
            ),
        ] {
            let err = config(&[(plain, "Bearer x"), (secret, arn)]).unwrap_err();
            assert_eq!(err.variable, secret);
        }
    }
}
