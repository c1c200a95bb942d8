//! The one scriptable HTTP stub, from the shared test equipment.

pub use test_support::http_stub::*;
