//! The start-up sequence every function runs before it takes an event, and how it ends:
//! logging first (so that a refusal is logged), the configuration read once from the
//! environment, the SDK configuration loaded once, a missing region refused. Whatever cannot
//! be used stops the function at cold start, with the variable named on standard error (which
//! the Lambda console shows for a failed init) and in the log, rather than failing every
//! event later.

use std::future::Future;
use std::process::ExitCode;

use aws_config::{BehaviorVersion, SdkConfig};

use crate::env::{ConfigError, Env};
use crate::logging;

/// The function being started: its name and what it needs a region for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binary {
    /// The binary's name: the prefix of its refusals on standard error, and its function name
    /// when `AWS_LAMBDA_FUNCTION_NAME` is not set (a local run).
    pub name: &'static str,
    /// What the region is for, said when `AWS_REGION` is missing (`the region of the cutoff
    /// table`), so that the operator knows why a region matters here.
    pub region_for: &'static str,
}

/// What start-up hands the function: its configuration, the SDK configuration every client
/// is built from, and the function's name (the metrics' `FunctionName` dimension).
#[derive(Debug, Clone)]
pub struct Started<C> {
    /// The function's own configuration.
    pub config: C,
    /// The SDK configuration, with a region.
    pub sdk: SdkConfig,
    /// `AWS_LAMBDA_FUNCTION_NAME`, or the binary's name.
    pub function_name: String,
}

impl Binary {
    /// Runs the start-up sequence: initialises logging, reads the configuration with `read`,
    /// loads the SDK configuration and checks its region. `Err` is the exit code to return
    /// from `main` after a refusal that is already logged and printed.
    pub async fn start<C>(
        self,
        read: impl FnOnce(&Env) -> Result<C, ConfigError>,
    ) -> Result<Started<C>, ExitCode> {
        logging::init();
        let env = Env::from_process();
        let config = read(&env).map_err(|err| self.refuse(&err))?;
        let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
        if sdk.region().is_none() {
            let missing = ConfigError::new("AWS_REGION", format!("required: {}", self.region_for));
            return Err(self.refuse(&missing));
        }
        let function_name = env
            .get("AWS_LAMBDA_FUNCTION_NAME")
            .unwrap_or(self.name)
            .to_owned();
        Ok(Started {
            config,
            sdk,
            function_name,
        })
    }

    /// The whole life of a function: [`Binary::start`], then `serve` (build the adapters,
    /// log "ready", run the runtime's loop), unless start-up refused. A `main.rs` is then one
    /// call and its own `serve`.
    pub async fn run<C, Serve, Served>(
        self,
        read: impl FnOnce(&Env) -> Result<C, ConfigError>,
        serve: Serve,
    ) -> ExitCode
    where
        Serve: FnOnce(Started<C>) -> Served,
        Served: Future<Output = ExitCode>,
    {
        match self.start(read).await {
            // Boxed: the runtime's loop is a deep future, and nesting it in this one inline
            // would take the compiler past its layout depth limit. One allocation, once.
            Ok(started) => Box::pin(serve(started)).await,
            Err(refused) => refused,
        }
    }

    /// The line a refusal prints on standard error: `<binary>: configuration error: VAR:
    /// problem`.
    pub fn refusal(self, err: &ConfigError) -> String {
        format!("{}: {err}", self.name)
    }

    /// Logs and prints `err`, and gives the exit code of a refused start: for a refusal found
    /// after start-up proper (a secret the configuration names that cannot be read).
    pub fn refuse(self, err: &ConfigError) -> ExitCode {
        tracing::error!(variable = %err.variable, "{err}");
        eprintln!("{}", self.refusal(err));
        ExitCode::FAILURE
    }
}

/// The exit code of a function whose runtime loop returned: failure, logged, when the runtime
/// stopped on an error (the Lambda service then starts a new instance).
pub fn exit_code(stopped: Result<(), lambda_runtime::Error>) -> ExitCode {
    match stopped {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("the Lambda runtime stopped: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BINARY: Binary = Binary {
        name: "some-function",
        region_for: "the region of its table",
    };

    #[test]
    fn a_refusal_names_the_binary_and_the_variable() {
        let err = ConfigError::new("AWS_REGION", format!("required: {}", BINARY.region_for));
        assert_eq!(
            BINARY.refusal(&err),
            "some-function: configuration error: AWS_REGION: required: the region of its table"
        );
    }

    #[test]
    fn a_runtime_that_stopped_on_an_error_exits_with_failure() {
        assert_eq!(exit_code(Ok(())), ExitCode::SUCCESS);
        assert_eq!(exit_code(Err("gone".into())), ExitCode::FAILURE);
    }
}
