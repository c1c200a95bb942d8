//! A failed SDK call described as its adapter reports it: the service's code and message for
//! an answer the service gave, a short local reason for a timeout or a connection failure;
//! never the SDK's dump of the raw HTTP response, which can run to kilobytes and repeat what a
//! request carried.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The code and the message of `err`: the service's (`ThrottlingException`, "Rate exceeded"),
/// or, when no service answered, `Timeout`, `ConnectionFailure`, `ResponseError` or
/// `ConstructionFailure` with the SDK's one-line reason.
pub fn describe<E: ProvideErrorMetadata + std::error::Error, R>(
    err: &SdkError<E, R>,
) -> (String, String) {
    match err {
        SdkError::ServiceError(context) => {
            let service = context.err();
            let code = service.code().unwrap_or("ServiceError").to_owned();
            let message = match service.message() {
                Some(message) => format!("{code}: {message}"),
                None => code.clone(),
            };
            (code, message)
        }
        SdkError::TimeoutError(_) => ("Timeout".to_owned(), "the call timed out".to_owned()),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            ("Timeout".to_owned(), "the connection timed out".to_owned())
        }
        SdkError::DispatchFailure(_) => (
            "ConnectionFailure".to_owned(),
            "the request could not be sent".to_owned(),
        ),
        SdkError::ResponseError(_) => (
            "ResponseError".to_owned(),
            "the answer could not be read".to_owned(),
        ),
        _ => (
            "ConstructionFailure".to_owned(),
            "the request could not be built".to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::error::ErrorMetadata;

    #[derive(Debug)]
    struct Service(ErrorMetadata);

    impl std::fmt::Display for Service {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("service error")
        }
    }

    impl std::error::Error for Service {}

    impl ProvideErrorMetadata for Service {
        fn meta(&self) -> &ErrorMetadata {
            &self.0
        }
    }

    #[test]
    fn a_service_answer_is_its_code_and_message_and_a_timeout_a_short_reason() {
        let answered: SdkError<Service, ()> = SdkError::service_error(
            Service(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            ),
            (),
        );
        assert_eq!(
            describe(&answered),
            (
                "ThrottlingException".to_owned(),
                "ThrottlingException: Rate exceeded".to_owned()
            )
        );
        let timed_out: SdkError<Service, ()> = SdkError::timeout_error("slow");
        assert_eq!(describe(&timed_out).0, "Timeout");
    }
}
