//! The Lambda entry point: start (logging, the configuration read once, the SDK configuration
//! loaded once), build the adapters once, and run.

use std::process::ExitCode;

use lambda_edge::{MetricsSink, Started};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use ssf_receiver::Config;
use ssf_receiver::{aws_function, replays, RECEIVER};
use ssf_receiver::{resolve, SecretsManager};
use ssf_receiver::{NoReplays, Replays};

/// One thread: a push is one signature check and a few calls (waiting), and Lambda gives one
/// request at a time to an instance.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    RECEIVER.run(Config::from, serve).await
}

/// Reads the secrets the configuration names, builds the function once on the replay
/// adapter the configuration asks for, and serves. An unreadable secret stops the function
/// here, before it answers any push.
async fn serve(started: Started<Config>) -> ExitCode {
    let started = match resolve(started.config, &SecretsManager::new(&started.sdk)).await {
        Ok(config) => Started { config, ..started },
        Err(err) => return RECEIVER.refuse(&err),
    };
    match replays(&started.sdk, &started.config) {
        Some(table) => Box::pin(run(started, table)).await,
        None => {
            tracing::warn!(
                "REVOCATION_TABLE is not set: replayed SETs are not detected (a jti accepted before is acted on again)"
            );
            Box::pin(run(started, NoReplays)).await
        }
    }
}

async fn run<R: Replays>(started: Started<Config>, replays: R) -> ExitCode {
    let Started {
        config,
        sdk,
        function_name,
    } = started;
    let metrics = MetricsSink::stdout(&config.metrics_namespace, &function_name);
    let function = aws_function(&sdk, &config, replays, metrics);
    tracing::info!(
        issuer = %config.issuer,
        jwks = if config.jwks_uri.is_some() { "configured" } else { "discovered" },
        pools = config.pools.len(),
        authorization = config.authorization.is_some(),
        replay_detection = config.table.is_some(),
        poll = config.poll_url.is_some(),
        "ssf-receiver ready"
    );
    let function = &function;
    let handler = service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = lambda_edge::instant_of_ms(event.context.deadline);
        Box::pin(function.handle_until(&event.payload, &event.context.request_id, Some(deadline)))
            .await
            .map_err(lambda_runtime::Error::from)
    });
    lambda_edge::exit_code(lambda_runtime::run(handler).await)
}
