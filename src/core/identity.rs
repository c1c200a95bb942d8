//! The names an alert must carry: [`UserPoolId`] and [`Username`], and the [`Target`] they
//! make together. They are the workspace's one vocabulary (`crates/cognito-names`), shared with
//! the revocation library and the other binaries, so a name is parsed once, by one rule.

pub use cognito_names::{NameError, Target, UserPoolId, Username};
