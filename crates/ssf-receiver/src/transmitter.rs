//! The transmitter's HTTP endpoints, reached with a bounded client: its configuration
//! (`/.well-known/ssf-configuration`), its JWKS and its poll endpoint.
//!
//! [`TransmitterUrl`] is the one rule for each of their URLs (`https`, except on a loopback
//! host, which tests use). [`HttpsClient`] is the workspace's bounded client
//! (`cognito_revocation::http`: the SDK's TLS stack, a time limit per request and a byte
//! limit per answer) on those URLs: a slow or huge answer from the transmitter cannot hold or
//! exhaust the function.

use std::fmt;
use std::str::FromStr;

use cognito_revocation::http::BoundedClient;

/// Largest configuration or JWKS document read, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// The hosts on which plain `http` is allowed (tests run the transmitter there).
const LOOPBACK_HOSTS: [&str; 2] = ["127.0.0.1", "localhost"];

/// A URL of the transmitter: `https`, or `http` on a loopback host; a host; no user info.
#[derive(Clone, PartialEq, Eq)]
pub struct TransmitterUrl {
    uri: http::Uri,
}

impl FromStr for TransmitterUrl {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let uri: http::Uri = raw
            .parse()
            .map_err(|e: http::uri::InvalidUri| format!("not a URL: {e}"))?;
        let authority = uri.authority().ok_or("a URL with a host is required")?;
        if authority.as_str().contains('@') {
            return Err("a URL with user info is refused".to_owned());
        }
        let loopback = LOOPBACK_HOSTS.contains(&authority.host());
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if loopback => {}
            _ => {
                return Err("must be an https URL (http only on 127.0.0.1 or localhost)".to_owned())
            }
        }
        Ok(Self { uri })
    }
}

impl fmt::Display for TransmitterUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.uri.fmt(f)
    }
}

impl fmt::Debug for TransmitterUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransmitterUrl({})", self.uri)
    }
}

impl TransmitterUrl {
    /// The transmitter configuration URL of this issuer (SSF 1.0 section 7): the well-known
    /// path goes between the host and the issuer's path, so `https://idp.example/tenant/1`
    /// is configured at `https://idp.example/.well-known/ssf-configuration/tenant/1`. A query
    /// in the issuer is kept.
    pub fn ssf_configuration(&self) -> TransmitterUrl {
        let path = self.uri.path().trim_end_matches('/');
        let query = self
            .uri
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let scheme = self.uri.scheme_str().unwrap_or("https");
        let authority = self.uri.authority().map_or("", |a| a.as_str());
        let raw = format!("{scheme}://{authority}/.well-known/ssf-configuration{path}{query}");
        // Built from the parts of a valid URL: it parses, and keeps the scheme rule.
        raw.parse().unwrap_or_else(|_| self.clone())
    }

    fn uri(&self) -> &http::Uri {
        &self.uri
    }
}

pub use cognito_revocation::http::{Answer, FetchError};

/// The workspace's bounded client ([`BoundedClient`]), on the transmitter's URLs.
#[derive(Debug, Default)]
pub struct HttpsClient {
    client: BoundedClient,
}

impl HttpsClient {
    /// A client; nothing is built until the first request.
    pub fn new() -> Self {
        Self::default()
    }

    /// `GET url`: the body of a 200 answer, at most `max_bytes`.
    pub async fn get(&self, url: &TransmitterUrl, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
        self.client.get(url.uri(), max_bytes).await
    }

    /// `POST url` with a JSON `body` and, when given, an `Authorization` header: the answer
    /// whatever its status, its body at most `max_bytes`.
    pub async fn post_json(
        &self,
        url: &TransmitterUrl,
        authorization: Option<&str>,
        body: Vec<u8>,
        max_bytes: usize,
    ) -> Result<Answer, FetchError> {
        self.client
            .post_json(url.uri(), authorization, body, max_bytes)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> TransmitterUrl {
        raw.parse().unwrap()
    }

    #[test]
    fn https_is_required_except_on_loopback_hosts() {
        assert!("https://idp.example.com/".parse::<TransmitterUrl>().is_ok());
        assert!("http://127.0.0.1:8080/x".parse::<TransmitterUrl>().is_ok());
        assert!("http://localhost/x".parse::<TransmitterUrl>().is_ok());
        for bad in [
            "http://idp.example.com/",
            "http://127.0.0.1.evil.example/",
            "ftp://idp.example.com/",
            "idp.example.com",
            "/relative",
            "https://user:pw@idp.example.com/",
            "",
        ] {
            assert!(bad.parse::<TransmitterUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_well_known_path_goes_between_host_and_issuer_path() {
        assert_eq!(
            url("https://idp.example.com")
                .ssf_configuration()
                .to_string(),
            "https://idp.example.com/.well-known/ssf-configuration"
        );
        assert_eq!(
            url("https://idp.example.com/")
                .ssf_configuration()
                .to_string(),
            "https://idp.example.com/.well-known/ssf-configuration"
        );
        assert_eq!(
            url("https://idp.example.com/tenant/1")
                .ssf_configuration()
                .to_string(),
            "https://idp.example.com/.well-known/ssf-configuration/tenant/1"
        );
        assert_eq!(
            url("http://127.0.0.1:9/t").ssf_configuration().to_string(),
            "http://127.0.0.1:9/.well-known/ssf-configuration/t"
        );
    }
}
