//! Integration tests, compiled as one binary. `helpers` holds the fakes and servers they
//! share.

mod helpers;
mod invocation;
mod properties;
mod responder;
