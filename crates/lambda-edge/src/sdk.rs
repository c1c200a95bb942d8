//! The AWS SDK's time limits, set the same way for every client of every function. The SDK's
//! defaults wait on a slow service far longer than a Lambda invocation lives; each adapter
//! passes its own limits here instead of building the SDK's configuration itself.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;

/// The time limits of one SDK client: `connect` to open a connection, `attempt` for one
/// attempt (the SDK retries throttling and 5xx within `operation`), `operation` for the call,
/// retries included. The order is the order a call meets them in.
pub fn sdk_timeouts(connect: Duration, attempt: Duration, operation: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(connect)
        .operation_attempt_timeout(attempt)
        .operation_timeout(operation)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limit_lands_on_its_own_setting() {
        let limits = sdk_timeouts(
            Duration::from_millis(100),
            Duration::from_millis(200),
            Duration::from_millis(300),
        );
        assert_eq!(limits.connect_timeout(), Some(Duration::from_millis(100)));
        assert_eq!(
            limits.operation_attempt_timeout(),
            Some(Duration::from_millis(200))
        );
        assert_eq!(limits.operation_timeout(), Some(Duration::from_millis(300)));
    }
}
