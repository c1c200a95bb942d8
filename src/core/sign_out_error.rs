//! [`SignOutError`]: a failed Cognito call (`AdminUserGlobalSignOut`, or the `AdminGetUser`
//! that resolves the user's `sub` after it) with the SDK's error kept whole, and how it maps
//! to the contract's classes (modelled variant, then the error code of unmodelled ones, then
//! the HTTP status). Pure: it reads error values, it calls nothing.

use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserError as LookupApiError;
use aws_sdk_cognitoidentityprovider::operation::admin_user_global_sign_out::AdminUserGlobalSignOutError as ApiError;

use crate::core::error_class::ErrorClass;
use crate::core::text::truncate;

/// Cognito's error text is cut to this many bytes in messages and logs: a proxy or a broken
/// endpoint can answer with a page of any size.
pub const ERROR_TEXT_MAX_BYTES: usize = 512;

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

/// A failed Cognito call, with the SDK's error as it came.
#[derive(Debug, thiserror::Error)]
pub enum SignOutError {
    /// `AdminUserGlobalSignOut` failed: anything the SDK reports, a modelled or unmodelled
    /// service error, a timeout, a connection failure, a response it could not read.
    #[error("AdminUserGlobalSignOut failed: {}", describe(.0, modelled_code))]
    Api(#[source] SdkError<ApiError>),
    /// `AdminGetUser`, which resolves the signed-out user's `sub` for the cutoff, failed.
    #[error("AdminGetUser failed: {}", describe(.0, modelled_lookup_code))]
    Lookup(#[source] SdkError<LookupApiError>),
    /// `AdminGetUser` answered without a `sub` attribute.
    #[error("AdminGetUser named no sub for the user")]
    NoSub,
}

impl From<SdkError<LookupApiError>> for SignOutError {
    fn from(err: SdkError<LookupApiError>) -> Self {
        SignOutError::Lookup(err)
    }
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
        match self {
            SignOutError::Api(err) => classify(err, classify_service_error),
            SignOutError::Lookup(err) => classify(err, classify_lookup_error),
            SignOutError::NoSub => ErrorClass::Unknown,
        }
    }

    /// Cognito's error code (`UserNotFoundException`, ...), or a name for the local failure
    /// (`Timeout`, `ConnectionFailure`, `UnreadableResponse`, `HttpStatus503`).
    pub fn code(&self) -> String {
        match self {
            SignOutError::Api(err) => code_of(err, modelled_code),
            SignOutError::Lookup(err) => code_of(err, modelled_lookup_code),
            SignOutError::NoSub => "NoSub".to_owned(),
        }
    }
}

/// The class of any Cognito call's SDK error; `service` reads a service error's variant.
fn classify<E: ProvideErrorMetadata>(
    err: &SdkError<E>,
    service: impl Fn(&E, u16) -> ErrorClass,
) -> ErrorClass {
    match err {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            service(context.err(), status)
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

/// The code of any Cognito call's SDK error; `modelled` names a variant without metadata.
fn code_of<E: ProvideErrorMetadata>(
    err: &SdkError<E>,
    modelled: impl Fn(&E) -> Option<&'static str>,
) -> String {
    match err {
        SdkError::ServiceError(context) => context
            .err()
            .code()
            .or_else(|| modelled(context.err()))
            .map(str::to_owned)
            .unwrap_or_else(|| format!("HttpStatus{}", context.raw().status().as_u16())),
        SdkError::TimeoutError(_) => "Timeout".to_owned(),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => "Timeout".to_owned(),
        SdkError::DispatchFailure(_) => "ConnectionFailure".to_owned(),
        SdkError::ResponseError(_) => "UnreadableResponse".to_owned(),
        _ => "RequestNotBuilt".to_owned(),
    }
}

/// `AdminGetUser`'s errors: the same classes as the sign-out's, read from the code.
fn classify_lookup_error(err: &LookupApiError, status: u16) -> ErrorClass {
    match err {
        LookupApiError::UserNotFoundException(_) => ErrorClass::UserNotFound,
        LookupApiError::ResourceNotFoundException(_) => ErrorClass::PoolNotFound,
        LookupApiError::NotAuthorizedException(_) => ErrorClass::NotAuthorized,
        LookupApiError::InvalidParameterException(_) => ErrorClass::Invalid,
        LookupApiError::TooManyRequestsException(_) => ErrorClass::Throttled,
        LookupApiError::InternalErrorException(_) => ErrorClass::Internal,
        _ => by_code(err.code(), status),
    }
}

/// The error code of a modelled `AdminGetUser` variant, for errors whose metadata carries none.
fn modelled_lookup_code(err: &LookupApiError) -> Option<&'static str> {
    Some(match err {
        LookupApiError::UserNotFoundException(_) => "UserNotFoundException",
        LookupApiError::ResourceNotFoundException(_) => "ResourceNotFoundException",
        LookupApiError::NotAuthorizedException(_) => "NotAuthorizedException",
        LookupApiError::InvalidParameterException(_) => "InvalidParameterException",
        LookupApiError::TooManyRequestsException(_) => "TooManyRequestsException",
        LookupApiError::InternalErrorException(_) => "InternalErrorException",
        _ => return None,
    })
}

/// The class of an unmodelled error, from its code, else its HTTP status.
fn by_code(code: Option<&str>, status: u16) -> ErrorClass {
    match code {
        Some("AccessDeniedException") => ErrorClass::NotAuthorized,
        Some(code) if THROTTLING_CODES.contains(&code) => ErrorClass::Throttled,
        _ if status == 429 => ErrorClass::Throttled,
        _ if (500..600).contains(&status) => ErrorClass::Internal,
        _ => ErrorClass::Unknown,
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
        _ => by_code(err.code(), status),
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

/// A failed call as one bounded line: Cognito's code and message (the code of a modelled
/// variant when the metadata carries none), or the SDK's description of a local failure.
fn describe<E>(err: &SdkError<E>, modelled: impl Fn(&E) -> Option<&'static str>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let text = match err {
        SdkError::ServiceError(context) => {
            let code = context
                .err()
                .code()
                .or_else(|| modelled(context.err()))
                .unwrap_or("unknown error");
            match context.err().message() {
                Some(message) => format!("{code}: {message}"),
                None => code.to_owned(),
            }
        }
        other => aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(other).to_string(),
    };
    truncate(&text, ERROR_TEXT_MAX_BYTES)
}
