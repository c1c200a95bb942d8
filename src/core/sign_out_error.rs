//! [`SignOutError`]: a failed `AdminUserGlobalSignOut` call with the SDK's error kept whole,
//! and how it maps to the contract's classes (modelled variant, then the error code of
//! unmodelled ones, then the HTTP status). Pure: it reads error values, it calls nothing.

use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::admin_user_global_sign_out::AdminUserGlobalSignOutError as ApiError;

use crate::core::error_class::ErrorClass;

/// Error codes that mean "slow down", from Cognito and from the AWS front door.
const THROTTLING_CODES: [&str; 8] = [
    "TooManyRequestsException",
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "LimitExceededException",
];

/// A failed `AdminUserGlobalSignOut` call, with the SDK's error as it came.
#[derive(Debug, thiserror::Error)]
pub enum SignOutError {
    /// Anything the SDK reports: a modelled or unmodelled service error, a timeout, a
    /// connection failure, a response it could not read.
    #[error("AdminUserGlobalSignOut failed: {}", describe(.0))]
    Api(#[source] SdkError<ApiError>),
}

impl From<SdkError<ApiError>> for SignOutError {
    fn from(err: SdkError<ApiError>) -> Self {
        SignOutError::Api(err)
    }
}

impl SignOutError {
    /// The contract's class: modelled variants first, then the error code of unmodelled
    /// ones, then the HTTP status; timeouts and connection failures are `transport`.
    pub fn class(&self) -> ErrorClass {
        let SignOutError::Api(err) = self;
        match err {
            SdkError::ServiceError(context) => {
                let status = context.raw().status().as_u16();
                classify_service_error(context.err(), status)
            }
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => ErrorClass::Transport,
            SdkError::ResponseError(context) => match context.raw().status().as_u16() {
                429 => ErrorClass::Throttled,
                500..=599 => ErrorClass::Internal,
                _ => ErrorClass::Unknown,
            },
            _ => ErrorClass::Unknown,
        }
    }

    /// Cognito's error code (`UserNotFoundException`, ...), or a name for the local failure
    /// (`Timeout`, `ConnectionFailure`, `UnreadableResponse`, `HttpStatus503`).
    pub fn code(&self) -> String {
        let SignOutError::Api(err) = self;
        match err {
            SdkError::ServiceError(context) => context
                .err()
                .code()
                .or_else(|| modelled_code(context.err()))
                .map(str::to_owned)
                .unwrap_or_else(|| format!("HttpStatus{}", context.raw().status().as_u16())),
            SdkError::TimeoutError(_) => "Timeout".to_owned(),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => "Timeout".to_owned(),
            SdkError::DispatchFailure(_) => "ConnectionFailure".to_owned(),
            SdkError::ResponseError(_) => "UnreadableResponse".to_owned(),
            _ => "RequestNotBuilt".to_owned(),
        }
    }
}

fn classify_service_error(err: &ApiError, status: u16) -> ErrorClass {
    match err {
        ApiError::InvalidParameterException(_) => ErrorClass::Invalid,
        ApiError::UserNotFoundException(_) => ErrorClass::UserNotFound,
        ApiError::ResourceNotFoundException(_) => ErrorClass::PoolNotFound,
        ApiError::NotAuthorizedException(_) | ApiError::OperationNotEnabledException(_) => {
            ErrorClass::NotAuthorized
        }
        ApiError::TooManyRequestsException(_) => ErrorClass::Throttled,
        ApiError::InternalErrorException(_) => ErrorClass::Internal,
        _ => match err.code() {
            Some("AccessDeniedException") => ErrorClass::NotAuthorized,
            Some(code) if THROTTLING_CODES.contains(&code) => ErrorClass::Throttled,
            _ if status == 429 => ErrorClass::Throttled,
            _ if (500..600).contains(&status) => ErrorClass::Internal,
            _ => ErrorClass::Unknown,
        },
    }
}

/// The error code of a modelled variant, for errors whose metadata carries none.
fn modelled_code(err: &ApiError) -> Option<&'static str> {
    Some(match err {
        ApiError::InternalErrorException(_) => "InternalErrorException",
        ApiError::InvalidParameterException(_) => "InvalidParameterException",
        ApiError::NotAuthorizedException(_) => "NotAuthorizedException",
        ApiError::OperationNotEnabledException(_) => "OperationNotEnabledException",
        ApiError::ResourceNotFoundException(_) => "ResourceNotFoundException",
        ApiError::TooManyRequestsException(_) => "TooManyRequestsException",
        ApiError::UserNotFoundException(_) => "UserNotFoundException",
        _ => return None,
    })
}

fn describe(err: &SdkError<ApiError>) -> String {
    match err {
        SdkError::ServiceError(context) => {
            let code = context
                .err()
                .code()
                .or_else(|| modelled_code(context.err()))
                .unwrap_or("unknown error");
            match context.err().message() {
                Some(message) => format!("{code}: {message}"),
                None => code.to_owned(),
            }
        }
        other => aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(other).to_string(),
    }
}
