//! The responder's in-memory adapters, by the names the tests give them: the crate's own
//! `MemorySignOut`, `MemoryRevocations` and `MemoryDeadLetters` (each in its port folder).

pub use cognito_signout_responder::{
    MemoryDeadLetters as FakeDeadLetters, MemoryRevocations as FakeRevocations,
    MemorySignOut as FakeCognito, ScriptedAnswer as Answer,
};
