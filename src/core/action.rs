//! What an alert asks for, read from its document: [`Asked`], and [`actions_from_json`]. The
//! actions themselves ([`Action`], [`Actions`]) are the workspace's vocabulary
//! (`cognito-names`), shared with the receiver.

use serde_json::Value;

pub use cognito_names::{Action, Actions, UnknownAction};

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

/// Reads what an alert asks: a JSON array of action names, or one comma-separated string.
/// `sign-out` is added when not listed.
pub fn actions_from_json(value: &Value) -> Result<Actions, UnknownAction> {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_alert_asks_with_an_array_or_a_comma_string() {
        let array = actions_from_json(&json!(["disable"])).unwrap();
        let text = actions_from_json(&json!("disable,sign-out")).unwrap();
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
            let err = actions_from_json(&odd).unwrap_err();
            assert!(!err.to_string().contains("wipe"));
        }
    }
}
