//! Integration tests, one binary: the push table against a test transmitter on 127.0.0.1
//! (its JWKS and configuration served by the workspace's HTTP stub), discovery, and the
//! subjects and adapters on moto.

mod architecture;
mod discovery;
mod end_to_end;
mod helpers;
mod moto;
mod poll;
mod push;
mod rotation;
