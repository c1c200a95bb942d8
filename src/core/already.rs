//! "Already signed out" (docs/alerts-and-dead-letters.md#already-signed-out-alert-storms-cost-one-call-per-user): a detector that fires again and again for one
//! user must not cost a Cognito write each time, since the user-update quota is shared by every
//! pool of the account and cannot be raised. An alert is settled signed out without any call
//! when the user's whole sequence was recorded after the alert was raised, with every action
//! the alert asks. Pure: the runner supplies the record (its memory, or the cutoff table).

use cognito_names::UnixSeconds;

use crate::core::action::{Action, Actions};

/// A user's recorded sequence: the moment its last action returned (rounded up to the second,
/// as a cutoff's `revokedBefore`) and the actions it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// The cutoff's `revokedBefore`.
    pub revoked_before: UnixSeconds,
    /// The actions taken.
    pub actions: Actions,
}

impl Recorded {
    /// What a cutoff item records: its `revokedBefore` and the action names it lists. An
    /// action name this version does not know is no action it can count as taken.
    pub fn from_names<S: AsRef<str>>(revoked_before: UnixSeconds, names: &[S]) -> Recorded {
        Recorded {
            revoked_before,
            actions: names
                .iter()
                .filter_map(|name| name.as_ref().parse::<Action>().ok())
                .fold(Actions::NONE, Actions::with),
        }
    }

    /// The same record, or `other` if it is later; the actions of both when they meet at one
    /// second.
    pub fn merge(self, other: Recorded) -> Recorded {
        match self.revoked_before.cmp(&other.revoked_before) {
            std::cmp::Ordering::Less => other,
            std::cmp::Ordering::Greater => self,
            std::cmp::Ordering::Equal => Recorded {
                revoked_before: self.revoked_before,
                actions: self.actions.union(other.actions),
            },
        }
    }
}

/// The rule: an alert raised at `raised_at_ms` (milliseconds since the epoch) asking `asked`
/// is already handled by `recorded` when its time plus one second is at most the recorded
/// `revokedBefore` (the second of margin covers the rounding and clocks a little apart) and
/// every action it asks was taken. An alert with no time is never skipped.
pub fn is_already_handled(raised_at_ms: Option<u64>, asked: Actions, recorded: &Recorded) -> bool {
    let Some(raised) = raised_at_ms else {
        return false;
    };
    raised.saturating_add(1_000) <= recorded.revoked_before.get().saturating_mul(1_000)
        && asked.is_within(recorded.actions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::action::Action;

    fn recorded(secs: u64, actions: Actions) -> Recorded {
        Recorded {
            revoked_before: UnixSeconds::new(secs),
            actions,
        }
    }

    #[test]
    fn an_alert_raised_before_the_sign_out_is_already_handled() {
        let done = recorded(1_000, Actions::SIGN_OUT);
        assert!(is_already_handled(Some(998_999), Actions::SIGN_OUT, &done));
        assert!(is_already_handled(Some(999_000), Actions::SIGN_OUT, &done));
    }

    #[test]
    fn an_alert_raised_after_the_sign_out_signs_the_user_out_again() {
        let done = recorded(1_000, Actions::SIGN_OUT);
        assert!(!is_already_handled(Some(999_001), Actions::SIGN_OUT, &done));
        assert!(!is_already_handled(
            Some(2_000_000),
            Actions::SIGN_OUT,
            &done
        ));
    }

    #[test]
    fn an_alert_asking_more_than_was_taken_is_not_skipped() {
        let done = recorded(1_000, Actions::SIGN_OUT);
        let disable = Actions::of(&[Action::Disable, Action::SignOut]);
        assert!(!is_already_handled(Some(1), disable, &done));
        let both = recorded(1_000, disable);
        assert!(is_already_handled(Some(1), Actions::SIGN_OUT, &both));
    }

    #[test]
    fn an_alert_with_no_time_is_never_skipped() {
        assert!(!is_already_handled(
            None,
            Actions::SIGN_OUT,
            &recorded(u64::MAX / 2_000, Actions::SIGN_OUT)
        ));
    }
}
