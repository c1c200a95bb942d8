//! Integration tests, compiled as one binary. `helpers` holds the fakes, the local AWS
//! (moto), the HTTP stub and the Lambda Runtime API emulator they share.

mod accounts;
mod architecture;
mod aws;
mod containment;
mod containment_e2e;
mod faults;
mod helpers;
mod hostile;
mod invocation;
mod lambda;
mod observability;
mod properties;
mod responder;
mod revocation;
mod revocation_e2e;
mod soak;
mod sources;
mod storm;
