//! # ssf-transmitter
//!
//! The OpenID Shared Signals Framework 1.0 transmitter of the workspace (docs/architecture.md):
//! apps that keep sessions of their own subscribe to a stream and hear, as signed Security
//! Event Tokens, of every action the responder takes. So far this crate holds its pure core,
//! built to the workspace's one plan; the ports (KMS signing, the streams table, the delivery
//! queue), the HTTP edge and the binary follow.
//!
//! # Layout
//!
//! - `core/`, pure: `endpoint` (a receiver's push endpoint: `https`, global unicast only,
//!   checked again on each resolution) and `set` (the SETs of a signed-out user: one event per
//!   SET, `iss_sub` subjects, a derived `jti`, the bounded signing input).

#![warn(missing_docs)]

mod core;

pub use crate::core::endpoint::{
    is_global_unicast, EndpointRefusal, ReceiverEndpoint, MAX_ENDPOINT_BYTES,
};
pub use crate::core::set::{
    claims, jti, signing_input, EventRefusal, SignedOutUser, ACCOUNT_DISABLED, CREDENTIAL_CHANGE,
    MAX_SIGNING_INPUT, SESSION_REVOKED,
};
