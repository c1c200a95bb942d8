//! The transmitter's integration tests: its HTTP endpoints and deliveries on the memory
//! adapters with real loopback receivers, its AWS adapters on moto, and the binary.

mod api;
mod architecture;
mod binary;
mod delivery;
mod helpers;
mod independent;
mod interop;
mod moto;
