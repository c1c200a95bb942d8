//! The pure centre of the transmitter: no I/O, no runtime, no SDK. [`endpoint`] decides where
//! a receiver may be pushed to; [`set`] builds the SETs of a signed-out user.

pub mod endpoint;
pub mod set;
