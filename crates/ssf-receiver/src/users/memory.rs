//! [`Users`] in memory, for tests: users by pool, a failure on demand, every lookup recorded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use cognito_names::{UserPoolId, Username};

use super::{Attribute, FoundUser, LookupError, Users};

/// One user of a pool.
#[derive(Debug, Clone)]
pub struct MemoryUser {
    /// Its pool.
    pub pool: UserPoolId,
    /// Its username.
    pub username: String,
    /// Its `sub`.
    pub sub: String,
    /// Its `email`, if any.
    pub email: Option<String>,
    /// Its `email_verified`.
    pub email_verified: bool,
}

/// Users held in memory.
#[derive(Debug, Default)]
pub struct MemoryUsers {
    users: Vec<MemoryUser>,
    failing: AtomicBool,
    lookups: Mutex<Vec<(String, Attribute, String)>>,
}

impl MemoryUsers {
    /// A directory of `users`.
    pub fn new(users: Vec<MemoryUser>) -> Self {
        Self {
            users,
            ..Self::default()
        }
    }

    /// Makes every later lookup fail (`true`) or succeed.
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Every lookup made: pool, attribute, value.
    pub fn lookups(&self) -> Vec<(String, Attribute, String)> {
        self.lookups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Users for MemoryUsers {
    async fn list(
        &self,
        pool: &UserPoolId,
        attribute: Attribute,
        value: &str,
    ) -> Result<Vec<FoundUser>, LookupError> {
        self.lookups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((pool.as_str().to_owned(), attribute, value.to_owned()));
        if self.failing.load(Ordering::SeqCst) {
            return Err(LookupError {
                code: "InternalErrorException".to_owned(),
                message: "the test directory refuses".to_owned(),
            });
        }
        Ok(self
            .users
            .iter()
            .filter(|u| u.pool == *pool)
            .filter(|u| match attribute {
                Attribute::Sub => u.sub == value,
                Attribute::Email => u.email.as_deref() == Some(value),
                Attribute::Username => u.username == value,
            })
            .filter_map(|u| {
                Some(FoundUser {
                    username: Username::parse(&u.username).ok()?,
                    email_verified: u.email_verified,
                })
            })
            .collect())
    }
}
