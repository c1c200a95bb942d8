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

use serde_json::Value;

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

    /// The action as the contract spells it.
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

/// What an alert asks for, before the deployment's bound (`ALLOWED_ACTIONS`) is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// Nothing: the source's default applies (`ACTIONS`, or a threat mapping).
    Nothing,
    /// These actions (the sign-out always among them).
    Actions(Actions),
    /// Something that is no list of actions: signed out, then dead-lettered `invalid`.
    Unknown(UnknownAction),
}

impl Asked {
    /// What was asked, `default` when nothing was (an unknown ask takes the default too:
    /// the sign-out, at least, is taken).
    pub fn or(self, default: Actions) -> Actions {
        match self {
            Asked::Actions(actions) => actions,
            Asked::Nothing | Asked::Unknown(_) => default,
        }
    }
}

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

    /// Reads what an alert asks: a JSON array of action names, or one comma-separated string.
    /// `sign-out` is added when not listed.
    pub fn from_json(value: &Value) -> Result<Self, UnknownAction> {
        let asked = match value {
            Value::String(text) => text.parse::<Actions>()?,
            Value::Array(items) => items.iter().try_fold(Actions::NONE, |set, item| {
                item.as_str()
                    .ok_or(UnknownAction)
                    .and_then(str::parse::<Action>)
                    .map(|a| set.with(a))
            })?,
            _ => return Err(UnknownAction),
        };
        Ok(asked.with(Action::SignOut))
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
    use serde_json::json;

    use super::*;

    #[test]
    fn the_sign_out_is_always_in_a_parsed_set_and_runs_last() {
        let asked: Actions = "disable, reset-password".parse().unwrap();
        assert_eq!(asked.names(), ["reset-password", "disable", "sign-out"]);
        assert_eq!("".parse::<Actions>().unwrap(), Actions::SIGN_OUT);
        assert_eq!(asked.to_string(), "reset-password,disable,sign-out");
    }

    #[test]
    fn an_alert_asks_with_an_array_or_a_comma_string() {
        let array = Actions::from_json(&json!(["disable"])).unwrap();
        let text = Actions::from_json(&json!("disable,sign-out")).unwrap();
        assert_eq!(array, text);
        assert_eq!(array, Actions::of(&[Action::Disable, Action::SignOut]));
    }

    #[test]
    fn an_unknown_or_odd_name_is_refused_without_repeating_it() {
        for odd in [
            json!("wipe"),
            json!(["disable", 3]),
            json!(7),
            json!({"a": 1}),
        ] {
            let err = Actions::from_json(&odd).unwrap_err();
            assert!(!err.to_string().contains("wipe"));
        }
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
}
