//! The Lambda entry point: read the configuration once, build the clients once, and run.

use std::process::ExitCode;

use aws_config::BehaviorVersion;
use lambda_runtime::{service_fn, LambdaEvent};
use revocation_authorizer::config::Config;
use revocation_authorizer::metrics::MetricsSink;
use revocation_authorizer::{aws_authorizer, logging};
use serde_json::Value;

/// One thread, like the responder: an authorization is one signature check (tens of
/// microseconds) and one table read (waiting), and Lambda gives one request at a time to an
/// instance.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    logging::init();

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            tracing::error!(variable = %err.variable, "{err}");
            eprintln!("revocation-authorizer: {err}");
            return ExitCode::FAILURE;
        }
    };
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    if sdk.region().is_none() {
        let err = "configuration error: AWS_REGION: required: the region of the cutoff table";
        tracing::error!(variable = "AWS_REGION", "{err}");
        eprintln!("revocation-authorizer: {err}");
        return ExitCode::FAILURE;
    }
    let function_name = std::env::var("AWS_LAMBDA_FUNCTION_NAME")
        .unwrap_or_else(|_| "revocation-authorizer".to_owned());
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
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("the Lambda runtime stopped: {err}");
            ExitCode::FAILURE
        }
    }
}
