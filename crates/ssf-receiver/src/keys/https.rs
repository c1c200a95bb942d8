//! The HTTPS adapter of [`TransmitterKeySource`]: `GET` the transmitter's JWKS, at `SSF_JWKS_URI` or at
//! the `jwks_uri` of its configuration (SSF 1.0 section 7), found by discovery.
//!
//! Discovery trusts nothing it did not ask for: the configuration is fetched from the
//! configured issuer's own well-known URL, its `issuer` must be `SSF_ISSUER` exactly, and its
//! `jwks_uri` must follow the same URL rule as every transmitter URL (`https` off loopback).
//! The `jwks_uri` found is kept for the instance, and found again after a failed JWKS fetch
//! (a transmitter may have moved its keys).

use std::sync::{Arc, Mutex};

use serde::Deserialize;

use super::TransmitterKeySource;
use crate::transmitter::{FetchError, HttpsClient, TransmitterUrl, MAX_DOCUMENT_BYTES};

/// Where the JWKS is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksLocation {
    /// `SSF_JWKS_URI`.
    Configured(TransmitterUrl),
    /// The `jwks_uri` of the configuration of `issuer` (`SSF_ISSUER`, parsed).
    Discovered {
        /// `SSF_ISSUER`, exactly as configured: the configuration's `issuer` must equal it.
        issuer: String,
        /// The issuer as a URL, where the well-known path is inserted.
        issuer_url: TransmitterUrl,
    },
}

/// Fetches the JWKS over HTTPS (or HTTP on loopback).
#[derive(Debug)]
pub struct HttpsTransmitterKeySource {
    client: Arc<HttpsClient>,
    location: JwksLocation,
    discovered: Mutex<Option<TransmitterUrl>>,
}

#[derive(Deserialize)]
struct Configuration {
    issuer: Option<String>,
    jwks_uri: Option<String>,
}

impl HttpsTransmitterKeySource {
    /// A source for `location`, through `client`.
    pub fn new(client: Arc<HttpsClient>, location: JwksLocation) -> Self {
        Self {
            client,
            location,
            discovered: Mutex::new(None),
        }
    }

    /// The JWKS URL: configured, kept from an earlier discovery, or discovered now.
    async fn jwks_uri(&self) -> Result<TransmitterUrl, FetchError> {
        let (issuer, issuer_url) = match &self.location {
            JwksLocation::Configured(url) => return Ok(url.clone()),
            JwksLocation::Discovered { issuer, issuer_url } => (issuer, issuer_url),
        };
        if let Some(url) = self
            .discovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Ok(url);
        }
        let configuration_url = issuer_url.ssf_configuration();
        let document = self
            .client
            .get(&configuration_url, MAX_DOCUMENT_BYTES)
            .await?;
        let configuration: Configuration = serde_json::from_slice(&document)
            .map_err(|e| FetchError::Document(format!("transmitter configuration: {e}")))?;
        if configuration.issuer.as_deref() != Some(issuer.as_str()) {
            return Err(FetchError::Document(
                "the transmitter configuration's issuer is not SSF_ISSUER".to_owned(),
            ));
        }
        let jwks_uri: TransmitterUrl = configuration
            .jwks_uri
            .as_deref()
            .ok_or_else(|| {
                FetchError::Document("the transmitter configuration has no jwks_uri".to_owned())
            })?
            .parse()
            .map_err(|e| FetchError::Document(format!("the transmitter's jwks_uri: {e}")))?;
        tracing::info!(configuration = %configuration_url, jwks_uri = %jwks_uri, "discovered the transmitter's JWKS");
        *self.discovered.lock().unwrap_or_else(|p| p.into_inner()) = Some(jwks_uri.clone());
        Ok(jwks_uri)
    }
}

impl TransmitterKeySource for HttpsTransmitterKeySource {
    async fn fetch(&self) -> Result<Vec<u8>, FetchError> {
        let url = self.jwks_uri().await?;
        let fetched = self.client.get(&url, MAX_DOCUMENT_BYTES).await;
        if fetched.is_err() {
            // Discover again next time: the keys may have moved.
            *self.discovered.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
        fetched
    }
}
