//! Logging set-up, the same as the responder's: the Lambda runtime's own behaviour (JSON
//! when `AWS_LAMBDA_LOG_FORMAT=JSON`, level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`,
//! else INFO; no timestamps, which CloudWatch adds), with one guard added: the crates that
//! move bytes on the wire (the Lambda runtime client, the SDK's HTTP stack, request signing,
//! hyper, TLS) never log below DEBUG. At TRACE they print payloads and request bodies: the
//! invocation event holds the caller's bearer token, and logs must never hold one, whatever
//! level an operator turns on during an incident.

use std::str::FromStr;

use lambda_runtime::tracing::subscriber::filter::{EnvFilter, LevelFilter};
use lambda_runtime::tracing::subscriber::fmt;

/// Targets capped at DEBUG because at TRACE they log what goes over the wire.
pub const WIRE_TARGETS: [&str; 11] = [
    "lambda_runtime",
    "lambda_runtime_api_client",
    "aws_smithy_runtime",
    "aws_smithy_http_client",
    "aws_smithy_runtime_api",
    "aws_sigv4",
    "aws_runtime",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
];

/// The filter for a log level and optional `RUST_LOG`-style directives.
pub fn filter(level: Option<&str>, directives: Option<&str>) -> EnvFilter {
    let level = level
        .and_then(|l| LevelFilter::from_str(l).ok())
        .unwrap_or(LevelFilter::INFO);
    let mut filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .parse_lossy(directives.unwrap_or_default());
    for target in WIRE_TARGETS {
        if let Ok(directive) = format!("{target}=debug").parse() {
            // Applied last, so it wins over a broader directive for the same target.
            filter = filter.add_directive(directive);
        }
    }
    filter
}

/// Installs the global subscriber, writing to standard output.
pub fn init() {
    let format = std::env::var("AWS_LAMBDA_LOG_FORMAT").unwrap_or_default();
    let lambda_level = std::env::var("AWS_LAMBDA_LOG_LEVEL").ok();
    let rust_log = std::env::var("RUST_LOG").ok();
    // AWS_LAMBDA_LOG_LEVEL wins over RUST_LOG, as in the runtime's own set-up.
    let (level, directives) = match (&lambda_level, &rust_log) {
        (Some(level), _) => (Some(level.as_str()), None),
        (None, Some(directives)) => (
            LevelFilter::from_str(directives)
                .ok()
                .map(|_| directives.as_str()),
            Some(directives.as_str()),
        ),
        (None, None) => (None, None),
    };
    let builder = fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter(level, directives))
        .with_writer(std::io::stdout);
    if format.eq_ignore_ascii_case("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
