//! The pure centre of the transmitter: no I/O, no runtime, no SDK. [`endpoint`] decides where
//! a receiver may be pushed to; [`set`] builds the SETs; [`stream`] reads and answers a
//! stream; [`api`] maps requests to routes and reads the subject, verification and poll
//! requests; [`retry`] decides when a failed push is tried again; [`jwk`] publishes a key.

pub mod api;
pub mod endpoint;
pub mod jwk;
pub mod retry;
pub mod set;
pub mod stream;
