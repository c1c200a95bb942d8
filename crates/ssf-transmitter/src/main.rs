//! The Lambda entry point: start (logging, the configuration read once, the SDK configuration
//! loaded once), find the issuer (configured, or the function's own URL), build the adapters
//! once, and run.

use std::process::ExitCode;

use lambda_edge::{ConfigError, MetricsSink, Started};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use ssf_transmitter::{aws_function, own_url, Config, TRANSMITTER};

/// One thread: Lambda gives one event at a time to an instance, and a fan-out is waiting
/// on receivers and KMS, not computing.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    TRANSMITTER.run(Config::from, serve).await
}

async fn serve(started: Started<Config>) -> ExitCode {
    let Started {
        config,
        sdk,
        function_name,
    } = started;
    let issuer = match &config.issuer {
        Some(issuer) => issuer.clone(),
        None => match own_url(&sdk, &function_name).await {
            Ok(issuer) => issuer,
            Err(problem) => {
                let err = ConfigError::new(
                    "SSF_TRANSMITTER_ISSUER",
                    format!("not set, and the function's own URL cannot be read: {problem}"),
                );
                return TRANSMITTER.refuse(&err);
            }
        },
    };
    if config.allow_loopback {
        tracing::warn!("SSF_ALLOW_LOOPBACK_RECEIVERS=true: receivers on loopback addresses are admitted; for tests only, never in a deployment");
    }
    let metrics = MetricsSink::stdout(&config.metrics_namespace, &function_name);
    let function = aws_function(&sdk, &config, &issuer, metrics);
    tracing::info!(
        issuer = %issuer.0,
        signing_keys = config.signing_keys.len(),
        signs_per_second = config.signs_per_second,
        "ssf-transmitter ready"
    );
    let function = &function;
    let handler = service_fn(move |event: LambdaEvent<Value>| async move {
        Box::pin(function.handle(&event.payload, &event.context.request_id))
            .await
            .map_err(lambda_runtime::Error::from)
    });
    lambda_edge::exit_code(lambda_runtime::run(handler).await)
}
