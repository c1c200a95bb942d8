//! The containment actions an alert may ask for (docs/containment.md): [`Action`] and the set
//! of them an alert asks, a deployment allows or a user's sequence took ([`Actions`]).
//!
//! A sign-out ends sessions, but an attacker who holds the password signs straight back in:
//! `reset-password` makes the password stop working, `disable` stops every sign-in. The
//! sign-out is always taken. For one user the actions run in the order [`Action::ORDER`]:
//! the credential is locked before the sessions end, so that no token minted before the lock
//! outlives the cutoff taken when the last of them returned.

use std::fmt;
use std::str::FromStr;

/// One action on a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// `AdminResetUserPassword`: the password stops working until the user resets it with a
    /// code sent to their verified email or phone.
    ResetPassword,
    /// `AdminDisableUser`: no sign-in until an operator calls `AdminEnableUser`.
    Disable,
    /// `AdminUserGlobalSignOut`: every refresh token revoked. Always taken.
    SignOut,
}

impl Action {
    /// The order the actions run in for one user: reset (Cognito refuses to reset a disabled
    /// user), then disable, then the sign-out.
    pub const ORDER: [Action; 3] = [Action::ResetPassword, Action::Disable, Action::SignOut];

    /// The action as alerts, logs and the cutoff item spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignOut => "sign-out",
            Action::ResetPassword => "reset-password",
            Action::Disable => "disable",
        }
    }

    /// The Cognito call the action makes.
    pub fn operation(self) -> &'static str {
        match self {
            Action::SignOut => "AdminUserGlobalSignOut",
            Action::ResetPassword => "AdminResetUserPassword",
            Action::Disable => "AdminDisableUser",
        }
    }

    /// `actions` with `sign-out` added, each once: the sign-out first, then the others in
    /// [`Action::ORDER`] (the order an alert lists them in).
    pub fn with_sign_out(actions: impl IntoIterator<Item = Action>) -> Vec<Action> {
        let set = actions
            .into_iter()
            .fold(Actions::SIGN_OUT, |set, action| set.with(action));
        std::iter::once(Action::SignOut)
            .chain(set.iter().filter(|a| *a != Action::SignOut))
            .collect()
    }

    fn bit(self) -> u8 {
        match self {
            Action::ResetPassword => 1,
            Action::Disable => 2,
            Action::SignOut => 4,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.trim() {
            "sign-out" => Ok(Action::SignOut),
            "reset-password" => Ok(Action::ResetPassword),
            "disable" => Ok(Action::Disable),
            _ => Err(UnknownAction),
        }
    }
}

/// A name that is no action. It never repeats the name: an alert's text is whatever its sender
/// wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("names an action other than sign-out, reset-password or disable")]
pub struct UnknownAction;

/// A set of actions, listed in [`Action::ORDER`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Actions(u8);

impl Actions {
    /// No action.
    pub const NONE: Actions = Actions(0);
    /// The sign-out alone: the default of `ACTIONS` and `ALLOWED_ACTIONS`.
    pub const SIGN_OUT: Actions = Actions(4);

    /// The set holding `actions`.
    pub fn of(actions: &[Action]) -> Self {
        actions.iter().fold(Self::NONE, |set, a| set.with(*a))
    }

    /// This set and `action`.
    pub fn with(self, action: Action) -> Self {
        Actions(self.0 | action.bit())
    }

    /// Whether `action` is in the set.
    pub fn contains(self, action: Action) -> bool {
        self.0 & action.bit() != 0
    }

    /// Both sets.
    pub fn union(self, other: Actions) -> Self {
        Actions(self.0 | other.0)
    }

    /// What both sets hold.
    pub fn and(self, other: Actions) -> Self {
        Actions(self.0 & other.0)
    }

    /// What this set holds beyond `other`.
    pub fn beyond(self, other: Actions) -> Self {
        Actions(self.0 & !other.0)
    }

    /// Whether every action of this set is in `other`.
    pub fn is_within(self, other: Actions) -> bool {
        self.beyond(other).is_empty()
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The actions, in the order they run.
    pub fn iter(self) -> impl Iterator<Item = Action> {
        Action::ORDER.into_iter().filter(move |a| self.contains(*a))
    }

    /// The names, in order (for logs, summaries, the cutoff item and the event).
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Action::as_str).collect()
    }
}

impl fmt::Display for Actions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

impl FromStr for Actions {
    type Err = UnknownAction;

    /// A comma-separated list; empty entries are skipped; `sign-out` is added.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        raw.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .try_fold(Actions::SIGN_OUT, |set, name| Ok(set.with(name.parse()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_out_is_always_in_a_parsed_set_and_runs_last() {
        let asked: Actions = "disable, reset-password".parse().unwrap();
        assert_eq!(asked.names(), ["reset-password", "disable", "sign-out"]);
        assert_eq!("".parse::<Actions>().unwrap(), Actions::SIGN_OUT);
        assert_eq!(asked.to_string(), "reset-password,disable,sign-out");
    }

    #[test]
    fn beyond_and_within_compare_sets() {
        let asked = Actions::of(&[Action::Disable, Action::SignOut]);
        assert!(!asked.is_within(Actions::SIGN_OUT));
        assert_eq!(
            asked.beyond(Actions::SIGN_OUT),
            Actions::of(&[Action::Disable])
        );
        assert!(asked.is_within(asked.union(Actions::of(&[Action::ResetPassword]))));
    }

    #[test]
    fn a_list_with_the_sign_out_names_it_first_and_each_action_once() {
        assert_eq!(Action::with_sign_out([]), [Action::SignOut]);
        assert_eq!(
            Action::with_sign_out([Action::Disable, Action::ResetPassword, Action::Disable]),
            [Action::SignOut, Action::ResetPassword, Action::Disable]
        );
    }

    #[test]
    fn names_parse_as_alerts_spell_them() {
        assert_eq!("reset-password".parse(), Ok(Action::ResetPassword));
        assert!("lock".parse::<Action>().is_err());
    }
}
