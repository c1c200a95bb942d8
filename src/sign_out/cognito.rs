//! The Cognito adapter: [`CognitoSignOut`] implements [`SignOut`] with the AWS SDK.
//!
//! A call goes to the region that prefixes the pool id, so the adapter keeps one client per
//! region, built the first time a pool of that region is named and reused afterwards. The
//! cache holds at most [`MAX_REGIONAL_CLIENTS`] clients whatever the alerts name (a client is
//! some 145 KB): past that, the client used least recently is dropped. Every
//! client shares the start-up configuration: credentials, endpoint overrides, the standard
//! retry strategy (backoff with jitter, `AWS_MAX_ATTEMPTS`) and [`Timeouts`].

use std::collections::VecDeque;
use std::sync::Mutex;

use aws_config::{Region, SdkConfig};
use aws_sdk_cognitoidentityprovider::error::SdkError;
use aws_sdk_cognitoidentityprovider::operation::admin_disable_user::AdminDisableUserError as DisableApiError;
use aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserError as LookupApiError;
use aws_sdk_cognitoidentityprovider::operation::admin_reset_user_password::AdminResetUserPasswordError as ResetApiError;
use aws_sdk_cognitoidentityprovider::operation::admin_user_global_sign_out::AdminUserGlobalSignOutError as ApiError;
use aws_sdk_cognitoidentityprovider::types::UserStatusType;
use aws_sdk_cognitoidentityprovider::{Client, Config};
use cognito_names::Subject;

use crate::aws_error::call_error;
use crate::core::call_error::CallError;
use crate::core::error_class::ErrorClass;
use crate::core::identity::Target;
use crate::core::timeouts::Timeouts;
use crate::sign_out::accounts::Accounts;
use crate::sign_out::accounts::CrossAccount;
use crate::sign_out::{SignOut, UserRecord};

/// The most regional clients kept at once: more than the regions AWS has in any partition
/// today, so a real deployment never evicts, and a flood of made-up regions cannot grow the
/// instance's memory.
pub const MAX_REGIONAL_CLIENTS: usize = 48;

/// Signs users out through Cognito, one lazily built client per region.
#[derive(Debug)]
pub struct CognitoSignOut {
    base: Config,
    /// `(region, client)`, most recently used last.
    clients: Mutex<VecDeque<(String, Client)>>,
    /// Credentials in other accounts, when `CROSS_ACCOUNT_ROLE_NAME` is set.
    accounts: Option<Accounts>,
    /// `((region, account), access key id, client)` for pools in other accounts, most
    /// recently used last; a client is rebuilt when its account's credentials were renewed.
    account_clients: Mutex<VecDeque<AccountClient>>,
}

/// A client for one region of another account: `((region, account), access key id, client)`.
type AccountClient = ((String, String), String, Client);

impl CognitoSignOut {
    /// Builds the adapter from the start-up SDK configuration and the call time limits.
    pub fn new(sdk: &SdkConfig, timeouts: &Timeouts) -> Self {
        let timeout_config = lambda_edge::sdk_timeouts(
            timeouts.connect,
            timeouts.cognito_attempt,
            timeouts.cognito_operation,
        );
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
            clients: Mutex::new(VecDeque::new()),
            accounts: None,
            account_clients: Mutex::new(VecDeque::new()),
        }
    }

    /// The same adapter, acting on pools of other accounts with the credentials of `role`
    /// there (assumed with `sdk`'s own credentials).
    pub fn with_cross_account(mut self, sdk: &SdkConfig, role: Option<CrossAccount>) -> Self {
        self.accounts = role.map(|role| Accounts::new(sdk, role));
        self
    }

    /// The client for `target`'s pool: its region's, with the credentials of its account
    /// when the pool is in another account and cross-account mode is on.
    async fn client_for(&self, target: &Target) -> Result<Client, CallError> {
        let region = target.pool.region();
        let (Some(account), Some(accounts)) = (target.pool.account(), &self.accounts) else {
            return Ok(self.client(region));
        };
        // Boxed: the assume-role provider's future is large, and lives on the heap only on
        // this rare path.
        let credentials = Box::pin(accounts.credentials(account, region)).await?;
        let key = (region.to_owned(), account.to_owned());
        let mut clients = self
            .account_clients
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(at) = clients.iter().position(|(k, _, _)| *k == key) {
            if let Some(entry) = clients.remove(at) {
                if entry.1 == credentials.access_key_id() {
                    let client = entry.2.clone();
                    clients.push_back(entry);
                    return Ok(client);
                }
            }
        }
        let conf = self
            .base
            .to_builder()
            .region(Region::new(region.to_owned()))
            .credentials_provider(credentials.clone())
            .build();
        let client = Client::from_conf(conf);
        if clients.len() >= MAX_REGIONAL_CLIENTS {
            clients.pop_front();
        }
        clients.push_back((key, credentials.access_key_id().to_owned(), client.clone()));
        Ok(client)
    }

    /// The client for `region`, built on first use.
    fn client(&self, region: &str) -> Client {
        // A poisoned lock only means another call panicked mid-update; the cache is still sound.
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = clients.iter().position(|(r, _)| r == region) {
            let entry = clients.remove(at).expect("the position is in range");
            let client = entry.1.clone();
            clients.push_back(entry);
            return client;
        }
        let conf = self
            .base
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build();
        let client = Client::from_conf(conf);
        if clients.len() >= MAX_REGIONAL_CLIENTS {
            clients.pop_front();
        }
        clients.push_back((region.to_owned(), client.clone()));
        client
    }

    /// How many accounts' credentials are kept (cross-account mode).
    pub fn accounts_in_use(&self) -> usize {
        self.accounts.as_ref().map_or(0, Accounts::accounts_in_use)
    }

    /// How many regional clients exist so far.
    pub fn regions_in_use(&self) -> usize {
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl SignOut for CognitoSignOut {
    async fn sign_out(&self, target: &Target) -> Result<(), CallError> {
        self.client_for(target)
            .await?
            .admin_user_global_sign_out()
            .user_pool_id(target.pool.as_str())
            .username(target.user.as_str())
            .send()
            .await
            .map(|_| ())
            .map_err(|err| sign_out_error(&err))
    }

    async fn reset_password(&self, target: &Target) -> Result<(), CallError> {
        self.client_for(target)
            .await?
            .admin_reset_user_password()
            .user_pool_id(target.pool.as_str())
            .username(target.user.as_str())
            .send()
            .await
            .map(|_| ())
            .map_err(|err| reset_error(&err))
    }

    async fn disable(&self, target: &Target) -> Result<(), CallError> {
        self.client_for(target)
            .await?
            .admin_disable_user()
            .user_pool_id(target.pool.as_str())
            .username(target.user.as_str())
            .send()
            .await
            .map(|_| ())
            .map_err(|err| disable_error(&err))
    }

    async fn lookup(&self, target: &Target) -> Result<UserRecord, CallError> {
        let user = self
            .client_for(target)
            .await?
            .admin_get_user()
            .user_pool_id(target.pool.as_str())
            .username(target.user.as_str())
            .send()
            .await
            .map_err(|err| lookup_error(&err))?;
        let sub = user
            .user_attributes()
            .iter()
            .find(|a| a.name() == "sub")
            .and_then(|a| a.value())
            .ok_or_else(|| {
                CallError::new(
                    "AdminGetUser",
                    ErrorClass::Unknown,
                    "NoSub",
                    "AdminGetUser named no sub for the user",
                )
            })
            .and_then(|sub| {
                // Checked here, at the edge: a sub Cognito would never give cannot name a cutoff.
                Subject::parse(sub).map_err(|_| {
                    CallError::new(
                        "AdminGetUser",
                        ErrorClass::Unknown,
                        "UnusableSub",
                        "AdminGetUser named a sub that cannot name a cutoff",
                    )
                })
            })?;
        Ok(UserRecord {
            sub,
            reset_required: user.user_status() == Some(&UserStatusType::ResetRequired),
        })
    }
}

/// A failed `AdminResetUserPassword`. Beyond the sign-out's classes: a pool that cannot send
/// the code (its email or SMS role refused) is `not-authorized`, for an operator to fix; a user
/// with no verified email or phone is `invalid` (Cognito's `InvalidParameterException`); the
/// pool's own Lambda trigger refusing is `invalid`, one failing is retried; `LimitExceeded`
/// (a sending limit) is `throttled`.
pub fn reset_error(err: &SdkError<ResetApiError>) -> CallError {
    call_error("AdminResetUserPassword", err, |err| {
        Some(match err {
            ResetApiError::InvalidParameterException(_) => {
                (ErrorClass::Invalid, "InvalidParameterException")
            }
            ResetApiError::UserNotFoundException(_) => {
                (ErrorClass::UserNotFound, "UserNotFoundException")
            }
            ResetApiError::ResourceNotFoundException(_) => {
                (ErrorClass::PoolNotFound, "ResourceNotFoundException")
            }
            ResetApiError::NotAuthorizedException(_) => {
                (ErrorClass::NotAuthorized, "NotAuthorizedException")
            }
            ResetApiError::OperationNotEnabledException(_) => {
                (ErrorClass::NotAuthorized, "OperationNotEnabledException")
            }
            ResetApiError::InvalidEmailRoleAccessPolicyException(_) => (
                ErrorClass::NotAuthorized,
                "InvalidEmailRoleAccessPolicyException",
            ),
            ResetApiError::InvalidSmsRoleAccessPolicyException(_) => (
                ErrorClass::NotAuthorized,
                "InvalidSmsRoleAccessPolicyException",
            ),
            ResetApiError::InvalidSmsRoleTrustRelationshipException(_) => (
                ErrorClass::NotAuthorized,
                "InvalidSmsRoleTrustRelationshipException",
            ),
            ResetApiError::UserLambdaValidationException(_) => {
                (ErrorClass::Invalid, "UserLambdaValidationException")
            }
            ResetApiError::UnexpectedLambdaException(_) => {
                (ErrorClass::Internal, "UnexpectedLambdaException")
            }
            ResetApiError::InvalidLambdaResponseException(_) => {
                (ErrorClass::Unknown, "InvalidLambdaResponseException")
            }
            ResetApiError::TooManyRequestsException(_) => {
                (ErrorClass::Throttled, "TooManyRequestsException")
            }
            ResetApiError::LimitExceededException(_) => {
                (ErrorClass::Throttled, "LimitExceededException")
            }
            ResetApiError::InternalErrorException(_) => {
                (ErrorClass::Internal, "InternalErrorException")
            }
            _ => return None,
        })
    })
}

/// A failed `AdminDisableUser`: the sign-out's classes.
pub fn disable_error(err: &SdkError<DisableApiError>) -> CallError {
    call_error("AdminDisableUser", err, |err| {
        Some(match err {
            DisableApiError::InvalidParameterException(_) => {
                (ErrorClass::Invalid, "InvalidParameterException")
            }
            DisableApiError::UserNotFoundException(_) => {
                (ErrorClass::UserNotFound, "UserNotFoundException")
            }
            DisableApiError::ResourceNotFoundException(_) => {
                (ErrorClass::PoolNotFound, "ResourceNotFoundException")
            }
            DisableApiError::NotAuthorizedException(_) => {
                (ErrorClass::NotAuthorized, "NotAuthorizedException")
            }
            DisableApiError::OperationNotEnabledException(_) => {
                (ErrorClass::NotAuthorized, "OperationNotEnabledException")
            }
            DisableApiError::TooManyRequestsException(_) => {
                (ErrorClass::Throttled, "TooManyRequestsException")
            }
            DisableApiError::InternalErrorException(_) => {
                (ErrorClass::Internal, "InternalErrorException")
            }
            _ => return None,
        })
    })
}

/// A failed `AdminUserGlobalSignOut`, classed by the contract's table (docs/alerts-and-dead-letters.md).
pub fn sign_out_error(err: &SdkError<ApiError>) -> CallError {
    call_error("AdminUserGlobalSignOut", err, |err| {
        Some(match err {
            ApiError::InvalidParameterException(_) => {
                (ErrorClass::Invalid, "InvalidParameterException")
            }
            ApiError::UserNotFoundException(_) => {
                (ErrorClass::UserNotFound, "UserNotFoundException")
            }
            ApiError::ResourceNotFoundException(_) => {
                (ErrorClass::PoolNotFound, "ResourceNotFoundException")
            }
            ApiError::NotAuthorizedException(_) => {
                (ErrorClass::NotAuthorized, "NotAuthorizedException")
            }
            ApiError::OperationNotEnabledException(_) => {
                (ErrorClass::NotAuthorized, "OperationNotEnabledException")
            }
            ApiError::TooManyRequestsException(_) => {
                (ErrorClass::Throttled, "TooManyRequestsException")
            }
            ApiError::InternalErrorException(_) => (ErrorClass::Internal, "InternalErrorException"),
            _ => return None,
        })
    })
}

/// A failed `AdminGetUser` (the `sub` for the cutoff): the same classes as the sign-out's.
pub fn lookup_error(err: &SdkError<LookupApiError>) -> CallError {
    call_error("AdminGetUser", err, |err| {
        Some(match err {
            LookupApiError::UserNotFoundException(_) => {
                (ErrorClass::UserNotFound, "UserNotFoundException")
            }
            LookupApiError::ResourceNotFoundException(_) => {
                (ErrorClass::PoolNotFound, "ResourceNotFoundException")
            }
            LookupApiError::NotAuthorizedException(_) => {
                (ErrorClass::NotAuthorized, "NotAuthorizedException")
            }
            LookupApiError::InvalidParameterException(_) => {
                (ErrorClass::Invalid, "InvalidParameterException")
            }
            LookupApiError::TooManyRequestsException(_) => {
                (ErrorClass::Throttled, "TooManyRequestsException")
            }
            LookupApiError::InternalErrorException(_) => {
                (ErrorClass::Internal, "InternalErrorException")
            }
            _ => return None,
        })
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_cognitoidentityprovider::error::ErrorMetadata;
    use aws_sdk_cognitoidentityprovider::operation::admin_user_global_sign_out::{
        AdminUserGlobalSignOutError as ApiError, AdminUserGlobalSignOutOutput,
    };
    use aws_sdk_cognitoidentityprovider::types::error as api;
    use aws_sdk_cognitoidentityprovider::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::retry::RetryConfig;

    use super::*;
    use crate::core::identity::{UserPoolId, Username};

    fn target(pool: &str) -> Target {
        Target {
            pool: UserPoolId::parse(pool).unwrap(),
            user: Username::parse("alice").unwrap(),
        }
    }

    /// The adapter over a client whose every call answers with `error`.
    async fn class_of_error(error: fn() -> ApiError) -> (ErrorClass, String) {
        let rule = mock!(Client::admin_user_global_sign_out).then_error(error);
        let client = mock_client!(
            aws_sdk_cognitoidentityprovider,
            RuleMode::MatchAny,
            [&rule],
            |c| c.retry_config(RetryConfig::disabled())
        );
        let adapter = CognitoSignOut::from_conf(client.config().clone());
        let err = adapter
            .sign_out(&target("us-east-1_Pool1"))
            .await
            .unwrap_err();
        (err.class(), err.code().to_owned())
    }

    /// The adapter over a client whose every call gets this raw HTTP answer.
    async fn class_of_http(status: u16, body: &'static str) -> (ErrorClass, String) {
        let rule = mock!(Client::admin_user_global_sign_out).then_http_response(move || {
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
        });
        let client = mock_client!(
            aws_sdk_cognitoidentityprovider,
            RuleMode::MatchAny,
            [&rule],
            |c| c.retry_config(RetryConfig::disabled())
        );
        let adapter = CognitoSignOut::from_conf(client.config().clone());
        let err = adapter
            .sign_out(&target("us-east-1_Pool1"))
            .await
            .unwrap_err();
        (err.class(), err.code().to_owned())
    }

    #[test]
    fn the_client_cache_is_bounded_whatever_regions_alerts_name() {
        let adapter = CognitoSignOut::from_conf(
            Config::builder()
                .behavior_version_latest()
                .region(Region::new("us-east-1"))
                .build(),
        );
        for i in 0..200 {
            adapter.client(&format!("us-made{}-1", char::from(b'a' + (i % 26) as u8)));
            adapter.client(&format!("eu-x{i}-1"));
        }
        assert_eq!(adapter.regions_in_use(), MAX_REGIONAL_CLIENTS);
    }

    #[tokio::test]
    async fn success_is_ok_and_names_pool_and_user() {
        let rule = mock!(Client::admin_user_global_sign_out)
            .match_requests(|req| {
                req.user_pool_id() == Some("us-east-1_Pool1") && req.username() == Some("alice")
            })
            .then_output(|| AdminUserGlobalSignOutOutput::builder().build());
        let client = mock_client!(aws_sdk_cognitoidentityprovider, [&rule]);
        let adapter = CognitoSignOut::from_conf(client.config().clone());
        adapter.sign_out(&target("us-east-1_Pool1")).await.unwrap();
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn invalid_parameter_is_invalid() {
        let got = class_of_error(|| {
            ApiError::InvalidParameterException(api::InvalidParameterException::builder().build())
        })
        .await;
        assert_eq!(
            got,
            (ErrorClass::Invalid, "InvalidParameterException".into())
        );
    }

    #[tokio::test]
    async fn user_not_found_is_user_not_found() {
        let got = class_of_error(|| {
            ApiError::UserNotFoundException(api::UserNotFoundException::builder().build())
        })
        .await;
        assert_eq!(
            got,
            (ErrorClass::UserNotFound, "UserNotFoundException".into())
        );
    }

    #[tokio::test]
    async fn resource_not_found_is_pool_not_found() {
        let got = class_of_error(|| {
            ApiError::ResourceNotFoundException(api::ResourceNotFoundException::builder().build())
        })
        .await;
        assert_eq!(
            got,
            (ErrorClass::PoolNotFound, "ResourceNotFoundException".into())
        );
    }

    #[tokio::test]
    async fn not_authorized_and_operation_not_enabled_are_not_authorized() {
        let got = class_of_error(|| {
            ApiError::NotAuthorizedException(api::NotAuthorizedException::builder().build())
        })
        .await;
        assert_eq!(got.0, ErrorClass::NotAuthorized);
        let got = class_of_error(|| {
            ApiError::OperationNotEnabledException(
                api::OperationNotEnabledException::builder().build(),
            )
        })
        .await;
        assert_eq!(
            got,
            (
                ErrorClass::NotAuthorized,
                "OperationNotEnabledException".into()
            )
        );
    }

    #[tokio::test]
    async fn unmodelled_access_denied_is_not_authorized() {
        let got = class_of_error(|| {
            ApiError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .build(),
            )
        })
        .await;
        assert_eq!(
            got,
            (ErrorClass::NotAuthorized, "AccessDeniedException".into())
        );
        let wire = class_of_http(400, r#"{"__type":"AccessDeniedException","message":"no"}"#).await;
        assert_eq!(
            wire,
            (ErrorClass::NotAuthorized, "AccessDeniedException".into())
        );
    }

    #[tokio::test]
    async fn too_many_requests_and_other_throttling_codes_are_throttled() {
        let got = class_of_error(|| {
            ApiError::TooManyRequestsException(api::TooManyRequestsException::builder().build())
        })
        .await;
        assert_eq!(got.0, ErrorClass::Throttled);
        let wire = class_of_http(
            400,
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        )
        .await;
        assert_eq!(wire, (ErrorClass::Throttled, "ThrottlingException".into()));
        let status = class_of_http(429, "").await;
        assert_eq!(status.0, ErrorClass::Throttled);
    }

    #[tokio::test]
    async fn internal_error_and_http_5xx_are_internal() {
        let got = class_of_error(|| {
            ApiError::InternalErrorException(api::InternalErrorException::builder().build())
        })
        .await;
        assert_eq!(got, (ErrorClass::Internal, "InternalErrorException".into()));
        let unavailable = class_of_http(503, "<html>Service Unavailable</html>").await;
        assert_eq!(unavailable.0, ErrorClass::Internal);
        let bad_gateway = class_of_http(502, "").await;
        assert_eq!(bad_gateway.0, ErrorClass::Internal);
    }

    #[tokio::test]
    async fn any_other_error_is_unknown() {
        let got = class_of_error(|| {
            ApiError::generic(ErrorMetadata::builder().code("BrandNewException").build())
        })
        .await;
        assert_eq!(got, (ErrorClass::Unknown, "BrandNewException".into()));
        let wire = class_of_http(400, r#"{"__type":"SomethingElse"}"#).await;
        assert_eq!(wire.0, ErrorClass::Unknown);
    }
}
