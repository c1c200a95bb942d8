//! The Lambda entry point: read the configuration once, build the SDK clients once, and run.

use std::process::ExitCode;

use aws_config::BehaviorVersion;
use cognito_signout_responder::metrics::MetricsSink;
use cognito_signout_responder::{aws_responder, invocation, logging, Config, Timeouts};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::value::RawValue;

/// One thread: the work is waiting on Cognito and SQS, and at the template's 256 MB Lambda gives
/// the function a fraction of one vCPU, where a multi-thread scheduler only adds cross-thread
/// wake-ups (the benchmark measured 20-40% less CPU per alert on the current-thread runtime).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    logging::init();

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            tracing::error!(variable = %err.variable, "{err}");
            eprintln!("cognito-signout-responder: {err}");
            return ExitCode::FAILURE;
        }
    };
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    if sdk.region().is_none() {
        let err = "configuration error: AWS_REGION: required: the region of the dead-letter queues";
        tracing::error!(variable = "AWS_REGION", "{err}");
        eprintln!("cognito-signout-responder: {err}");
        return ExitCode::FAILURE;
    }
    let responder = aws_responder(&sdk, &config, Timeouts::default());
    let function_name = std::env::var("AWS_LAMBDA_FUNCTION_NAME")
        .unwrap_or_else(|_| "cognito-signout-responder".to_owned());
    let metrics = MetricsSink::stdout(&config.metrics_namespace, &function_name);
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
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("the Lambda runtime stopped: {err}");
            ExitCode::FAILURE
        }
    }
}
