//! Logging set-up for every function of the workspace: the Lambda runtime's own behaviour
//! (JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`, level from `AWS_LAMBDA_LOG_LEVEL`, else
//! `RUST_LOG`, else INFO; no timestamps, which CloudWatch adds), with one cap no setting can
//! lift: the crates that move bytes on the wire (the Lambda runtime client, the SDK's HTTP
//! stack, request signing, hyper, TLS) never log below DEBUG. At TRACE they print payloads and
//! request bodies: the responder's invocation event and a dead-letter send's body are alerts,
//! which may carry a user's tokens, the authorizer's event holds the caller's bearer token,
//! and logs must never hold one, whatever level or directive an operator turns on during an
//! incident.
//!
//! The cap is a second filter applied after the operator's: a directive naming a submodule
//! (`lambda_runtime::layers=trace`) or a span field (`[{requestId}]=trace`) can enable
//! TRACE in the first, and is still cut by the second. The cap only lowers: at the default
//! INFO level, the wire crates log at INFO like everything else.

use std::str::FromStr;

use lambda_runtime::tracing::subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use lambda_runtime::tracing::subscriber::layer::SubscriberExt;
use lambda_runtime::tracing::subscriber::util::SubscriberInitExt;
use lambda_runtime::tracing::subscriber::{fmt, registry, Layer};

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

/// The operator's filter: a log level and optional `RUST_LOG`-style directives. Directives
/// that name no level of their own for everything (`lambda_runtime::layers=trace`,
/// `[{requestId}]=trace`) keep `level` for the rest, rather than silencing it.
pub fn filter(level: Option<&str>, directives: Option<&str>) -> EnvFilter {
    let level = level
        .and_then(|l| LevelFilter::from_str(l).ok())
        .unwrap_or(LevelFilter::INFO);
    let directives = directives.unwrap_or_default();
    let names_a_level = directives
        .split(',')
        .any(|d| LevelFilter::from_str(d.trim()).is_ok());
    let directives = if names_a_level {
        directives.to_owned()
    } else {
        format!("{level},{directives}")
    };
    EnvFilter::builder()
        .with_default_directive(level.into())
        .parse_lossy(directives)
}

/// The cap: the wire-level crates (and their submodules) at DEBUG at most, everything else
/// unchanged.
pub fn wire_cap() -> Targets {
    Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(WIRE_TARGETS.map(|target| (target, LevelFilter::DEBUG)))
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
    let filter = filter(level, directives).and(wire_cap());
    let layer = fmt::layer()
        .with_target(false)
        .without_time()
        .with_writer(std::io::stdout);
    if format.eq_ignore_ascii_case("json") {
        registry().with(layer.json().with_filter(filter)).init();
    } else {
        registry().with(layer.with_filter(filter)).init();
    }
}
