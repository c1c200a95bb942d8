//! Test equipment shared by the workspace's tests and benchmarks, so there is one of each:
//!
//! - [`api_gateway`]: the HTTP API and REST authorizer events, and readers of the answers.
//! - [`architecture`]: the layout rules every crate is held to (no import cycle, no import
//!   from a lower layer to a higher one, no I/O crate in a pure layer), read from its tree.
//! - [`bench`](mod@bench): what the benchmarks measure the same way (knobs, CPU time, percentiles, a stub
//!   on its own thread, the cold start of a release binary).
//! - [`fake_aws`]: Cognito's and SQS's wire protocols on the stub, and the SDK configuration
//!   that points the real adapters at it.
//! - [`http_stub`]: the scriptable HTTP/1.1 server on 127.0.0.1 (answers, delays, hangs,
//!   resets; records every request). The fault tests, the emulator and the benchmarks' stub
//!   Cognito are built on it.
//! - [`runtime_api`]: a Lambda Runtime API emulator that runs a built function binary.
//! - [`threat_log`]: Cognito threat-protection logs as a CloudWatch Logs subscription
//!   delivers them, for big payloads.
//! - [`moto`]: the local AWS (`moto_server` on a free loopback port) and the Cognito, SQS and
//!   DynamoDB set-up the tests need.

pub mod api_gateway;
pub mod architecture;
pub mod bench;
pub mod fake_aws;
pub mod http_stub;
pub mod moto;
pub mod runtime_api;
pub mod threat_log;
