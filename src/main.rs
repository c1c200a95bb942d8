//! The Lambda entry point: start (logging, the configuration read once, the SDK configuration
//! loaded once), build the SDK clients once, and run.

use std::process::ExitCode;

use cognito_signout_responder::metrics::MetricsSink;
use cognito_signout_responder::{aws_responder, invocation, Config, Timeouts, RESPONDER};
use lambda_edge::Started;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::value::RawValue;

/// One thread: the work is waiting on Cognito and SQS, and at the template's 256 MB Lambda gives
/// the function a fraction of one vCPU, where a multi-thread scheduler only adds cross-thread
/// wake-ups (the benchmark measured 20-40% less CPU per alert on the current-thread runtime).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    RESPONDER.run(Config::from, serve).await
}

/// Builds the adapters once, says it is ready, and takes invocations until the runtime stops.
async fn serve(started: Started<Config>) -> ExitCode {
    let config = &started.config;
    let responder = aws_responder(&started.sdk, config, Timeouts::default());
    let metrics = MetricsSink::stdout(&config.metrics_namespace, &started.function_name);
    tracing::info!(
        dry_run = config.responder.mode == cognito_signout_responder::Mode::DryRun,
        max_concurrency = config.responder.max_concurrency,
        max_requests_per_second = config.responder.max_requests_per_second,
        allowed_pools = config
            .responder
            .policy
            .allowed_pools
            .as_ref()
            .map(|p| p.len()),
        "cognito-signout-responder ready"
    );

    let (responder, metrics) = (&responder, &metrics);
    let handler = service_fn(move |event: LambdaEvent<Box<RawValue>>| async move {
        invocation::handle(responder, metrics, event).await
    });
    lambda_edge::exit_code(lambda_runtime::run(handler).await)
}
