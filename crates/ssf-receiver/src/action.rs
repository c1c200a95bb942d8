//! [`Action`]: what an alert asks the responder to do (docs/containment.md), by the names the
//! responder reads. `SSF_COMPROMISE_ACTIONS` is a list of them.

use std::fmt;
use std::str::FromStr;

/// One containment action, in the order the responder lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// `sign-out`: `AdminUserGlobalSignOut`; every alert asks it.
    SignOut,
    /// `reset-password`: `AdminResetUserPassword`.
    ResetPassword,
    /// `disable`: `AdminDisableUser`.
    Disable,
}

impl Action {
    /// The name the responder reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignOut => "sign-out",
            Action::ResetPassword => "reset-password",
            Action::Disable => "disable",
        }
    }

    /// `actions` with `sign-out` added, each once, in the responder's order.
    pub fn with_sign_out(actions: impl IntoIterator<Item = Action>) -> Vec<Action> {
        let mut all: Vec<Action> = actions.into_iter().collect();
        all.push(Action::SignOut);
        all.sort();
        all.dedup();
        all
    }
}

impl FromStr for Action {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "sign-out" => Ok(Action::SignOut),
            "reset-password" => Ok(Action::ResetPassword),
            "disable" => Ok(Action::Disable),
            _ => Err("is not an action: sign-out, reset-password or disable".to_owned()),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_out_is_always_first_and_each_action_once() {
        assert_eq!(
            Action::with_sign_out([Action::Disable, Action::ResetPassword, Action::Disable]),
            vec![Action::SignOut, Action::ResetPassword, Action::Disable]
        );
        assert_eq!(Action::with_sign_out([]), vec![Action::SignOut]);
    }

    #[test]
    fn names_parse_as_the_responder_spells_them() {
        assert_eq!("reset-password".parse(), Ok(Action::ResetPassword));
        assert!("lock".parse::<Action>().is_err());
    }
}
