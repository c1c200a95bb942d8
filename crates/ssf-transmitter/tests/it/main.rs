//! The transmitter's integration tests.

mod architecture;
