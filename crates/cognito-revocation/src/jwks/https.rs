//! The HTTPS adapter of [`KeySource`]: `GET <endpoint>/<poolId>/.well-known/jwks.json` with
//! the workspace's bounded client ([`BoundedClient`]: the SDK's TLS stack, 3 s and
//! [`MAX_JWKS_BYTES`] at most, built on the first fetch, not at start-up).

use super::{JwksError, KeySource, MAX_JWKS_BYTES};
use crate::http::BoundedClient;
use crate::identity::UserPoolId;

/// Where key sets are fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksEndpoint {
    /// `https://cognito-idp.<region>.amazonaws.com/<poolId>/.well-known/jwks.json`, the region
    /// being the pool id's prefix.
    Aws,
    /// `<base>/<poolId>/.well-known/jwks.json`: an endpoint override (a local emulator such as
    /// moto, a VPC endpoint). `http://` is allowed here, as for the SDK's own overrides.
    Custom(String),
}

impl JwksEndpoint {
    /// The endpoint the SDK would use for Cognito: `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`,
    /// else `AWS_ENDPOINT_URL`, else AWS's own.
    pub fn from_env() -> Self {
        Self::from_vars(
            std::env::var("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER").ok(),
            std::env::var("AWS_ENDPOINT_URL").ok(),
        )
    }

    /// The endpoint from the two variables' values (tests pass their own).
    pub fn from_vars(cognito: Option<String>, any: Option<String>) -> Self {
        [cognito, any]
            .into_iter()
            .flatten()
            .map(|url| url.trim().trim_end_matches('/').to_owned())
            .find(|url| !url.is_empty())
            .map_or(JwksEndpoint::Aws, JwksEndpoint::Custom)
    }

    /// The key set URL of `pool`. The pool id was parsed by the API's rules, so it cannot
    /// carry a `/`, `?` or `@` that would bend the URL.
    pub fn url(&self, pool: &UserPoolId) -> String {
        match self {
            JwksEndpoint::Aws => format!(
                "https://cognito-idp.{}.amazonaws.com/{}/.well-known/jwks.json",
                pool.region(),
                pool.as_str()
            ),
            JwksEndpoint::Custom(base) => {
                format!("{base}/{}/.well-known/jwks.json", pool.as_str())
            }
        }
    }
}

/// Fetches key sets over HTTPS (or HTTP, for a custom endpoint).
#[derive(Debug)]
pub struct HttpsKeySource {
    endpoint: JwksEndpoint,
    client: BoundedClient,
}

impl HttpsKeySource {
    /// A source that fetches from `endpoint`.
    pub fn new(endpoint: JwksEndpoint) -> Self {
        Self {
            endpoint,
            client: BoundedClient::new(),
        }
    }

    /// Where this source fetches from.
    pub fn endpoint(&self) -> &JwksEndpoint {
        &self.endpoint
    }
}

impl KeySource for HttpsKeySource {
    async fn fetch(&self, pool: &UserPoolId) -> Result<Vec<u8>, JwksError> {
        let uri: http::Uri = self
            .endpoint
            .url(pool)
            .parse()
            .map_err(|e: http::uri::InvalidUri| JwksError::Transport(e.to_string()))?;
        self.client.get(&uri, MAX_JWKS_BYTES).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> UserPoolId {
        UserPoolId::parse("eu-west-1_AbC").unwrap()
    }

    #[test]
    fn aws_endpoint_is_the_regional_cognito_host() {
        assert_eq!(
            JwksEndpoint::from_vars(None, None).url(&pool()),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/.well-known/jwks.json"
        );
    }

    #[test]
    fn cognito_override_wins_over_the_general_one() {
        let endpoint = JwksEndpoint::from_vars(
            Some("http://127.0.0.1:5000/".to_owned()),
            Some("http://other:1".to_owned()),
        );
        assert_eq!(
            endpoint.url(&pool()),
            "http://127.0.0.1:5000/eu-west-1_AbC/.well-known/jwks.json"
        );
        let general = JwksEndpoint::from_vars(Some(" ".to_owned()), Some("http://m:1".to_owned()));
        assert_eq!(general, JwksEndpoint::Custom("http://m:1".to_owned()));
    }
}
