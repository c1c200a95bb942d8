//! # lambda-edge
//!
//! What every Lambda binary of the workspace does at its edge, written once: the responder,
//! the authorizer and any function added later start, read their settings, log, count and
//! call AWS the same way. A second copy of any of this in a second binary is a fork waiting
//! to drift (the authorizer's log cap once drifted exactly so), so a binary's `main.rs` is
//! [`Binary::run`] and its own `serve`: its adapters, one "ready" line and the runtime's
//! loop.
//!
//! # Layout
//!
//! - [`logging`]: the runtime's log set-up, with the wire-level crates capped at DEBUG
//!   whatever the operator sets.
//! - `env`: [`Env`], the one reader of the environment, and [`ConfigError`], which names the
//!   variable at fault.
//! - `values`: the settings more than one function reads, each parsing itself:
//!   [`TableName`], [`MetricsNamespace`], [`Switch`], [`CommaList`].
//! - [`emf`]: the Embedded Metric Format document and its sink ([`MetricsSink`]); each
//!   function says what it counts by implementing [`Measure`].
//! - `sdk`: [`sdk_timeouts`], the SDK clients' time limits.
//! - `start`: [`Binary::start`], the start-up sequence (logging, configuration, SDK
//!   configuration, region), [`Binary::run`] (start, then serve) and [`exit_code`], how the
//!   runtime's loop ends.

#![warn(missing_docs)]

mod deadline;
pub mod emf;
mod env;
pub mod logging;
mod sdk;
mod start;
mod values;

pub use deadline::{instant_of, instant_of_ms, LAMBDA_MAX_TIMEOUT};
pub use emf::{Measure, Metrics, MetricsSink};
pub use env::{ConfigError, Env};
pub use sdk::sdk_timeouts;
pub use start::{exit_code, Binary, Started};
pub use values::{CommaList, MetricsNamespace, Switch, TableName};
