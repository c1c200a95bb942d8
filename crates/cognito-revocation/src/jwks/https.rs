//! The HTTPS adapter of [`KeySource`]: `GET <endpoint>/<poolId>/.well-known/jwks.json`.
//!
//! It reuses the TLS stack the AWS SDK already compiles (hyper 1, hyper-rustls 0.27,
//! rustls 0.23 on aws-lc-rs, the system's root certificates), so the binary carries one TLS
//! implementation. The client is built on the first fetch, not at start-up: loading the root
//! certificates takes milliseconds that a cold start should not pay before its first request.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::{JwksError, KeySource, MAX_JWKS_BYTES};
use crate::identity::UserPoolId;

/// Time allowed for one fetch, connection and body included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

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

type HttpsClient = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// Fetches key sets over HTTPS (or HTTP, for a custom endpoint).
#[derive(Debug)]
pub struct HttpsKeySource {
    endpoint: JwksEndpoint,
    client: OnceLock<Result<HttpsClient, JwksError>>,
}

impl HttpsKeySource {
    /// A source that fetches from `endpoint`.
    pub fn new(endpoint: JwksEndpoint) -> Self {
        Self {
            endpoint,
            client: OnceLock::new(),
        }
    }

    /// Where this source fetches from.
    pub fn endpoint(&self) -> &JwksEndpoint {
        &self.endpoint
    }

    fn client(&self) -> Result<&HttpsClient, JwksError> {
        self.client
            .get_or_init(|| {
                // No Nagle delay on the request (as the SDK's own client sets it).
                let mut tcp = HttpConnector::new();
                tcp.set_nodelay(true);
                tcp.enforce_http(false);
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_native_roots()
                    .map_err(|e| JwksError::Tls(e.to_string()))?
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(tcp);
                Ok(Client::builder(TokioExecutor::new()).build(connector))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, JwksError> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| JwksError::Transport(e.to_string()))?;
        let response = self
            .client()?
            .get(uri)
            .await
            .map_err(|e| JwksError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(JwksError::Status(status));
        }
        let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    JwksError::TooLarge
                } else {
                    JwksError::Transport(e.to_string())
                }
            })?;
        Ok(body.to_bytes().to_vec())
    }
}

impl KeySource for HttpsKeySource {
    async fn fetch(&self, pool: &UserPoolId) -> Result<Vec<u8>, JwksError> {
        let url = self.endpoint.url(pool);
        tokio::time::timeout(FETCH_TIMEOUT, self.get(&url))
            .await
            .map_err(|_| JwksError::Timeout)?
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
