//! The Lambda entry point: start (logging, the configuration read once, the SDK configuration
//! loaded once), build the clients once, and run.

use std::process::ExitCode;

use lambda_edge::Started;
use lambda_runtime::{service_fn, LambdaEvent};
use revocation_authorizer::Config;
use revocation_authorizer::MetricsSink;
use revocation_authorizer::{aws_authorizer, AUTHORIZER};
use serde_json::Value;

/// One thread, like the responder: an authorization is one signature check (tens of
/// microseconds) and one table read (waiting), and Lambda gives one request at a time to an
/// instance.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    AUTHORIZER.run(Config::from, serve).await
}

/// Builds the authorizer once, says it is ready, and answers requests until the runtime
/// stops.
async fn serve(started: Started<Config>) -> ExitCode {
    let Started {
        config,
        sdk,
        function_name,
    } = started;
    let metrics = MetricsSink::stdout(&config.metrics_namespace, &function_name);
    let authorizer = aws_authorizer(&sdk, &config, metrics);
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
