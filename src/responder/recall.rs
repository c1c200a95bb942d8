//! The instance's memory of the users whose whole sequence (actions, event, cutoff) succeeded,
//! so that an alert storm for one user costs one Cognito write per instance, not one per
//! alert (docs/alerts-and-dead-letters.md#already-signed-out-alert-storms-cost-one-call-per-user). Bounded: at most [`MEMORY_USERS`] users, the one used least
//! recently dropped first. An entry is a [`Target`] (a pool id of at most 55 bytes, a username
//! of at most 128 characters) and a [`Recorded`]: with the map's and the order's overhead,
//! about 300 bytes, so a full memory holds some 3 MB of a 256 MB function.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::core::already::Recorded;
use crate::core::identity::Target;

/// The most users remembered.
pub const MEMORY_USERS: usize = 10_000;

/// The users whose sequence succeeded, least recently used first out.
#[derive(Debug)]
pub struct Recall {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    tick: u64,
    users: HashMap<Target, (Recorded, u64)>,
    order: BTreeMap<u64, Target>,
}

impl Default for Recall {
    fn default() -> Self {
        Self::with_capacity(MEMORY_USERS)
    }
}

impl Recall {
    /// A memory of at most `capacity` users.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// What is remembered of `target`, marking it used.
    pub fn recall(&self, target: &Target) -> Option<Recorded> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let inner = &mut *inner;
        let (recorded, used) = inner.users.get_mut(target)?;
        inner.order.remove(used);
        inner.tick += 1;
        *used = inner.tick;
        inner.order.insert(inner.tick, target.clone());
        Some(*recorded)
    }

    /// Remembers `recorded` for `target` (merged with what was remembered), dropping the user
    /// used least recently when full.
    pub fn remember(&self, target: &Target, recorded: Recorded) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let inner = &mut *inner;
        inner.tick += 1;
        let tick = inner.tick;
        let merged = match inner.users.remove(target) {
            Some((before, used)) => {
                inner.order.remove(&used);
                before.merge(recorded)
            }
            None => recorded,
        };
        while inner.users.len() >= self.capacity {
            let Some((_, oldest)) = inner.order.pop_first() else {
                break;
            };
            inner.users.remove(&oldest);
        }
        inner.users.insert(target.clone(), (merged, tick));
        inner.order.insert(tick, target.clone());
    }

    /// How many users are remembered.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .users
            .len()
    }
}

#[cfg(test)]
mod tests {
    use cognito_names::UnixSeconds;

    use super::*;
    use crate::core::action::Actions;
    use crate::core::identity::{UserPoolId, Username};

    fn user(name: &str) -> Target {
        Target {
            pool: UserPoolId::parse("eu-west-1_A").unwrap(),
            user: Username::parse(name).unwrap(),
        }
    }

    fn at(secs: u64) -> Recorded {
        Recorded {
            revoked_before: UnixSeconds::new(secs),
            actions: Actions::SIGN_OUT,
        }
    }

    #[test]
    fn the_memory_is_bounded_and_drops_the_user_used_least_recently() {
        let memory = Recall::with_capacity(3);
        for name in ["a", "b", "c"] {
            memory.remember(&user(name), at(1));
        }
        assert!(memory.recall(&user("a")).is_some());
        memory.remember(&user("d"), at(2));
        assert_eq!(memory.len(), 3);
        assert!(
            memory.recall(&user("b")).is_none(),
            "b was used least recently"
        );
        assert!(memory.recall(&user("a")).is_some());
        for i in 0..1_000 {
            memory.remember(&user(&format!("u{i}")), at(3));
        }
        assert_eq!(memory.len(), 3);
    }

    #[test]
    fn a_later_sequence_replaces_an_earlier_one() {
        let memory = Recall::with_capacity(3);
        memory.remember(&user("a"), at(5));
        memory.remember(&user("a"), at(3));
        assert_eq!(memory.recall(&user("a")), Some(at(5)));
        memory.remember(&user("a"), at(9));
        assert_eq!(memory.recall(&user("a")), Some(at(9)));
    }
}
