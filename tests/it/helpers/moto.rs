//! The local AWS, from the shared test equipment.

pub use test_support::moto::*;
