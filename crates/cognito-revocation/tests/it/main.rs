//! Integration tests of the library, compiled as one binary: the verifier against real
//! RS256 tokens signed with the committed test-only key and a JWKS served over loopback
//! HTTP, and the whole check with an in-memory cutoff store.

mod architecture;
mod check;
mod support;
mod vectors;
mod verify;
