//! The pure centre: what the receiver decides from a SET's bytes and its configuration
//! alone, with no I/O, no runtime and no SDK (the architecture test holds it to that).
//! A SET's way through it: [`set`] reads and checks the token, [`events`] turns its events
//! into requests and [`Alert`](alert::Alert)s, [`subject`] says how to find the users its
//! subject names; [`authorization`] compares a push's credential.

pub mod alert;
pub mod authorization;
pub mod events;
pub mod set;
pub mod subject;
