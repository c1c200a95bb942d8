//! The Cognito adapter of [`Users`]: `ListUsers` with a filter, in the pool's region (the
//! prefix of its id), following pagination up to [`MAX_PAGES`] pages.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::{Region, SdkConfig};
use aws_sdk_cognitoidentityprovider::Client;
use cognito_names::{UserPoolId, Username};
use cognito_revocation::sdk_error::{code_of, describe};

use super::{Attribute, FoundUser, LookupError, Users};

/// Pages of 60 users read at most for one lookup: an email shared by more users than that
/// is not a subject a signal should act on wholesale.
pub const MAX_PAGES: usize = 5;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// Looks users up with `ListUsers`; one client per region, built on first use.
#[derive(Debug)]
pub struct CognitoUsers {
    sdk: SdkConfig,
    clients: Mutex<HashMap<String, Client>>,
}

impl CognitoUsers {
    /// The adapter, from the start-up SDK configuration.
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            sdk: sdk.clone(),
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn client(&self, region: &str) -> Client {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(region.to_owned())
            .or_insert_with(|| {
                let conf = aws_sdk_cognitoidentityprovider::config::Builder::from(&self.sdk)
                    .region(Region::new(region.to_owned()))
                    .timeout_config(lambda_edge::sdk_timeouts(
                        CONNECT_TIMEOUT,
                        ATTEMPT_TIMEOUT,
                        OPERATION_TIMEOUT,
                    ))
                    .build();
                Client::from_conf(conf)
            })
            .clone()
    }
}

impl Users for CognitoUsers {
    async fn list(
        &self,
        pool: &UserPoolId,
        attribute: Attribute,
        value: &str,
    ) -> Result<Vec<FoundUser>, LookupError> {
        let client = self.client(pool.region());
        let filter = format!("{} = \"{value}\"", attribute.as_str());
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = client
                .list_users()
                .user_pool_id(pool.as_str())
                .filter(&filter)
                .set_pagination_token(token.take())
                .send()
                .await
                .map_err(|err| {
                    let (code, message) = (code_of(&err), describe(&err));
                    LookupError { code, message }
                })?;
            for user in page.users() {
                let Some(username) = user.username().and_then(|u| Username::parse(u).ok()) else {
                    continue;
                };
                let email_verified = user
                    .attributes()
                    .iter()
                    .any(|a| a.name() == "email_verified" && a.value() == Some("true"));
                found.push(FoundUser {
                    username,
                    email_verified,
                });
            }
            match page.pagination_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(found)
    }
}
