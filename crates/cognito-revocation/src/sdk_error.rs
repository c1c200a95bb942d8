//! One text for a failed AWS SDK call, for every adapter of the workspace (the cutoff store,
//! the responder's, the receiver's): the service's code, HTTP status and message when a
//! service answered; the failure and its causes (their `Display` only) otherwise. Never the
//! SDK's `Debug` dump of the raw response (headers and body), which `DisplayErrorContext`
//! would append; bounded, with control characters escaped, so a newline in a message cannot
//! forge a log line.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// At most this many bytes of an error's code and message reach a log line. The text comes
/// from the other end of the connection (DynamoDB, or whatever answers at its endpoint): a
/// 1 MB message must not become a 1 MB log line, which CloudWatch splits and bills.
pub const MAX_ERROR_TEXT: usize = 512;
/// At most this many bytes of an error code: real codes are short names, and the code also
/// goes into metrics and dead-letter attributes.
pub const MAX_ERROR_CODE: usize = 128;

/// The service's error code (`ThrottlingException`, ...), or a name for the local failure
/// (`Timeout`, `ConnectionFailure`, `HttpStatus503`, `ConstructionFailure`), bounded.
pub fn code_of<E: ProvideErrorMetadata>(err: &SdkError<E>) -> String {
    match err {
        SdkError::ServiceError(context) => context
            .err()
            .code()
            .map(|code| bounded(code, MAX_ERROR_CODE))
            .unwrap_or_else(|| format!("HttpStatus{}", context.raw().status().as_u16())),
        SdkError::TimeoutError(_) => "Timeout".to_owned(),
        SdkError::DispatchFailure(_) => "ConnectionFailure".to_owned(),
        SdkError::ResponseError(context) => {
            format!("HttpStatus{}", context.raw().status().as_u16())
        }
        _ => "ConstructionFailure".to_owned(),
    }
}

/// A failed call in one bounded line, for logs, dead letters and port errors: the code, the HTTP status and the message of a service
/// error; the failure and its causes (their `Display` only) otherwise.
pub fn describe<E>(err: &SdkError<E>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let text = match err {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let code = code_of(err);
            match context.err().message() {
                Some(message) => format!("{code} (HTTP {status}): {message}"),
                None => format!("{code} (HTTP {status})"),
            }
        }
        other => {
            let mut text = other.to_string();
            let mut cause = std::error::Error::source(other);
            while let Some(err) = cause {
                text.push_str(": ");
                text.push_str(&err.to_string());
                if text.len() > MAX_ERROR_TEXT {
                    break;
                }
                cause = err.source();
            }
            text
        }
    };
    bounded(&text, MAX_ERROR_TEXT)
}

/// `text` in at most `max` bytes: control characters escaped (a newline in a message must
/// not forge a second log line), cut between characters and marked with `…` when cut.
pub fn bounded(text: &str, max: usize) -> String {
    const CUT: char = '…';
    let mut out = String::with_capacity(text.len().min(max));
    // The end of the last whole character that leaves room for the mark.
    let mut fits = 0;
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        if out.len() > max {
            out.truncate(fits);
            out.push(CUT);
            return out;
        }
        if out.len() + CUT.len_utf8() <= max {
            fits = out.len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    #[test]
    fn a_service_answer_is_its_code_status_and_message_and_a_timeout_its_causes() {
        let answered: SdkError<GetItemError> = SdkError::service_error(
            GetItemError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded\nforged line")
                    .build(),
            ),
            HttpResponse::new(
                StatusCode::try_from(400).unwrap(),
                SdkBody::from("raw body"),
            ),
        );
        assert_eq!(code_of(&answered), "ThrottlingException");
        let text = describe(&answered);
        assert_eq!(
            text,
            "ThrottlingException (HTTP 400): Rate exceeded\\nforged line"
        );
        assert!(!text.contains("raw body"), "never the raw response");
        let timed_out: SdkError<GetItemError> = SdkError::timeout_error("attempt timed out");
        assert_eq!(code_of(&timed_out), "Timeout");
        assert_eq!(
            describe(&timed_out),
            "request has timed out: attempt timed out"
        );
    }
}
