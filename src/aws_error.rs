//! What every AWS adapter does with an SDK error: turn it into the core's plain
//! [`CallError`], the class read from the modelled variant first, then the error code of an
//! unmodelled one, then the HTTP status; a timeout or a connection failure is `transport`.
//! The message is the service's code and message (never the SDK's dump of the raw HTTP
//! response), cut and made safe by [`CallError::new`]. Each port folder supplies what it
//! knows of its own operation's modelled errors.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cognito_revocation::sdk_error::describe;

use crate::core::call_error::CallError;
use crate::core::error_class::ErrorClass;

/// Error codes that mean "slow down": the workspace's one list.
pub use cognito_revocation::store::THROTTLING_CODES;

/// The class of an error the operation does not model, from its code, else its HTTP status.
pub fn class_by_code(code: Option<&str>, status: u16) -> ErrorClass {
    match code {
        // `AccessDenied` is the query protocols' spelling (STS's refused `AssumeRole`).
        Some("AccessDeniedException" | "AccessDenied") => ErrorClass::NotAuthorized,
        Some(code) if THROTTLING_CODES.contains(&code) => ErrorClass::Throttled,
        Some("InternalFailure" | "InternalServerError" | "InternalException") => {
            ErrorClass::Internal
        }
        _ if status == 429 => ErrorClass::Throttled,
        _ if (500..600).contains(&status) => ErrorClass::Internal,
        _ => ErrorClass::Unknown,
    }
}

/// `err`, a failure of `operation`, as a [`CallError`]. `modelled` names the class and code of
/// the operation's modelled variants (`None` for the rest, which are judged by their code).
pub fn call_error<E>(
    operation: &'static str,
    err: &SdkError<E, HttpResponse>,
    modelled: impl Fn(&E) -> Option<(ErrorClass, &'static str)>,
) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let service = context.err();
            let known = modelled(service);
            let class = match known {
                Some((class, _)) => class,
                None => class_by_code(service.code(), status),
            };
            let code = service
                .code()
                .or(known.map(|(_, code)| code))
                .map(str::to_owned)
                .unwrap_or_else(|| format!("HttpStatus{status}"));
            let message = match service.code().or(known.map(|(_, code)| code)) {
                // A modelled error without metadata: its own display names its kind.
                None => DisplayErrorContext(service).to_string(),
                Some(_) => describe(err),
            };
            CallError::new(operation, class, code, message)
        }
        SdkError::TimeoutError(_) => {
            CallError::new(operation, ErrorClass::Transport, "Timeout", local(err))
        }
        SdkError::DispatchFailure(failure) => {
            let code = if failure.is_timeout() {
                "Timeout"
            } else {
                "ConnectionFailure"
            };
            CallError::new(operation, ErrorClass::Transport, code, local(err))
        }
        SdkError::ResponseError(context) => {
            let class = match context.raw().status().as_u16() {
                429 => ErrorClass::Throttled,
                500..=599 => ErrorClass::Internal,
                _ => ErrorClass::Unknown,
            };
            CallError::new(operation, class, "UnreadableResponse", local(err))
        }
        _ => CallError::new(
            operation,
            ErrorClass::Unknown,
            "RequestNotBuilt",
            local(err),
        ),
    }
}

/// The text of a failure that is not the service's answer (a timeout, a refused connection):
/// the workspace's one description of a failed SDK call.
fn local<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    describe(err)
}
