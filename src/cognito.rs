//! The Cognito adapter: [`CognitoSignOut`] implements [`SignOut`] with the AWS SDK.
//!
//! A call goes to the region that prefixes the pool id, so the adapter keeps one client per
//! region, built the first time a pool of that region is named and reused afterwards. Every
//! client shares the start-up configuration: credentials, endpoint overrides, the standard
//! retry strategy (backoff with jitter, `AWS_MAX_ATTEMPTS`) and [`Timeouts`].

use std::collections::HashMap;
use std::sync::Mutex;

use aws_config::timeout::TimeoutConfig;
use aws_config::{Region, SdkConfig};
use aws_sdk_cognitoidentityprovider::{Client, Config};

use crate::alert::Target;
use crate::sign_out::{SignOut, SignOutError};
use crate::timeouts::Timeouts;

/// Signs users out through Cognito, one lazily built client per region.
#[derive(Debug)]
pub struct CognitoSignOut {
    base: Config,
    clients: Mutex<HashMap<String, Client>>,
}

impl CognitoSignOut {
    /// Builds the adapter from the start-up SDK configuration and the call time limits.
    pub fn new(sdk: &SdkConfig, timeouts: &Timeouts) -> Self {
        let timeout_config = TimeoutConfig::builder()
            .connect_timeout(timeouts.connect)
            .operation_attempt_timeout(timeouts.cognito_attempt)
            .operation_timeout(timeouts.cognito_operation)
            .build();
        let base = aws_sdk_cognitoidentityprovider::config::Builder::from(sdk)
            .timeout_config(timeout_config)
            .build();
        Self::from_conf(base)
    }

    /// Builds the adapter from a ready client configuration (tests pass a mocked one); its
    /// region is replaced per call by the pool's.
    pub fn from_conf(base: Config) -> Self {
        Self {
            base,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The client for `region`, built on first use.
    fn client(&self, region: &str) -> Client {
        // A poisoned lock only means another call panicked mid-insert; the map is still sound.
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(region.to_owned())
            .or_insert_with(|| {
                let conf = self
                    .base
                    .to_builder()
                    .region(Region::new(region.to_owned()))
                    .build();
                Client::from_conf(conf)
            })
            .clone()
    }

    /// How many regional clients exist so far.
    pub fn regions_in_use(&self) -> usize {
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl SignOut for CognitoSignOut {
    async fn sign_out(&self, target: &Target) -> Result<(), SignOutError> {
        self.client(target.pool.region())
            .admin_user_global_sign_out()
            .user_pool_id(target.pool.as_str())
            .username(target.user.as_str())
            .send()
            .await
            .map(|_| ())
            .map_err(SignOutError::from)
    }
}
