//! The Lambda entry point: start (logging, the configuration read once, the SDK configuration
//! loaded once), build the clients once, and run.

use std::process::ExitCode;

use lambda_edge::Binary;
use lambda_runtime::{service_fn, LambdaEvent};
use revocation_authorizer::aws_authorizer;
use revocation_authorizer::config::Config;
use revocation_authorizer::metrics::MetricsSink;
use serde_json::Value;

/// This function, as start-up names it.
const AUTHORIZER: Binary = Binary {
    name: "revocation-authorizer",
    region_for: "the region of the cutoff table",
};

/// One thread, like the responder: an authorization is one signature check (tens of
/// microseconds) and one table read (waiting), and Lambda gives one request at a time to an
/// instance.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let started = match AUTHORIZER.start(Config::from).await {
        Ok(started) => started,
        Err(code) => return code,
    };
    let (config, function_name) = (&started.config, &started.function_name);
    let metrics = MetricsSink::stdout(&config.metrics_namespace, function_name);
    let authorizer = aws_authorizer(&started.sdk, config, metrics);
    tracing::info!(
        pools = config.policy.pools().count(),
        cache_ms = config.cache.as_millis() as u64,
        on_lookup_error = ?config.on_lookup_error,
        "revocation-authorizer ready"
    );

    let authorizer = &authorizer;
    let handler = service_fn(move |event: LambdaEvent<Value>| async move {
        authorizer
            .handle(&event.payload, &event.context.request_id)
            .await
    });
    lambda_edge::exit_code(lambda_runtime::run(handler).await)
}
