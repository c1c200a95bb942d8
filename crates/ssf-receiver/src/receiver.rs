//! One SET, from its text to its alerts stored: [`Receiver::receive`] runs the pure steps
//! ([`crate::core::set`], [`crate::core::events`], [`crate::core::subject`]) and the ports in order, and ends
//! in one [`Receipt`].
//!
//! The order is the guarantee: nothing is looked up (no table, no user) before the SET is
//! verified; the alerts are stored before the SET counts as accepted; the replay item is
//! written after the alerts (a failure between the two may queue a duplicate, which the
//! responder's idempotence absorbs, but never loses an alert).

use std::time::{SystemTime, UNIX_EPOCH};

use cognito_names::Target;

use crate::alerts::{AlertQueue, QueueError};
use crate::core::events::{merge, Plan};
use crate::core::set::{self, Expected, SetRefusal, VerifiedSet, REPLAY_WINDOW};
use crate::core::subject::{Directory, Lookup};
use crate::keys::{KeyLookup, Keys, TransmitterKeySource};
use crate::replays::{ReplayError, ReplayKey, Replays};
use crate::transmitter::FetchError;
use crate::users::{Attribute, LookupError, Users};
use cognito_names::Action;

/// How one SET ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Receipt {
    /// Verified, and its alerts (maybe none) stored.
    Accepted(Accepted),
    /// Verified, and its `jti` accepted before: nothing queued again.
    Replayed {
        /// The SET's `jti`.
        jti: String,
        /// The SET's `iss`.
        iss: String,
    },
    /// Not accepted: the SET's own fault (400 on push, `setErrs` on poll).
    Refused(SetRefusal),
    /// Not the SET's fault: delivered again (5xx on push, no ack on poll).
    Failed {
        /// `jti` and `iss`, once the SET was verified.
        set: Option<(String, String)>,
        /// What failed.
        failure: ReceiverFailure,
    },
}

/// An accepted SET, as its log line and metrics tell it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Accepted {
    /// `jti`.
    pub jti: String,
    /// `iss`.
    pub iss: String,
    /// The event type URIs of its `events`.
    pub event_types: Vec<String>,
    /// The formats of the subjects of its events that ask for alerts.
    pub subject_formats: Vec<String>,
    /// Alerts stored on the queue.
    pub alerts_queued: usize,
    /// Subjects that named no user.
    pub subjects_unknown: usize,
    /// Events acknowledged and ignored (an event type this receiver does not act on).
    pub events_ignored: usize,
    /// The `state` of a verification event.
    pub verification: Option<String>,
}

/// What failed, when it is not the SET's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiverFailure {
    /// The transmitter's keys (or configuration) could not be fetched.
    #[error("the transmitter's keys are unavailable: {0}")]
    Keys(FetchError),
    /// The replay table could not be read or written.
    #[error("the replay table failed: {0}")]
    Replays(ReplayError),
    /// `ListUsers` failed.
    #[error("a user lookup failed: {0}")]
    Users(LookupError),
    /// The alerts could not be stored.
    #[error("the alert queue failed: {0}")]
    Queue(QueueError),
}

impl ReceiverFailure {
    /// A short name for logs and metrics: `Keys`, `Replays`, `Users`, `Queue`.
    pub fn stage(&self) -> &'static str {
        match self {
            ReceiverFailure::Keys(_) => "Keys",
            ReceiverFailure::Replays(_) => "Replays",
            ReceiverFailure::Users(_) => "Users",
            ReceiverFailure::Queue(_) => "Queue",
        }
    }
}

/// What the receiver acts on: the transmitter it trusts and where its users are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverSettings {
    /// `SSF_ISSUER` and `SSF_AUDIENCE`.
    pub expected: Expected,
    /// SubjectIdentifier mapping: `SSF_ISSUER`, `SSF_USER_POOL_IDS`, `SSF_IDENTITY_PROVIDER`.
    pub directory: Directory,
    /// `SSF_COMPROMISE_ACTIONS`.
    pub compromise_actions: Vec<Action>,
}

/// The receiver: the key cache and the three ports.
#[derive(Debug)]
pub struct Receiver<K, U, Q, R> {
    settings: ReceiverSettings,
    keys: Keys<K>,
    users: U,
    queue: Q,
    replays: R,
}

/// The current Unix time in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl<K: TransmitterKeySource, U: Users, Q: AlertQueue, R: Replays> Receiver<K, U, Q, R> {
    /// A receiver for `settings` on these adapters. Nothing is fetched until a SET arrives.
    pub fn new(settings: ReceiverSettings, keys: K, users: U, queue: Q, replays: R) -> Self {
        Self {
            settings,
            keys: Keys::new(keys),
            users,
            queue,
            replays,
        }
    }

    /// The key cache (tests count its fetches).
    pub fn keys(&self) -> &Keys<K> {
        &self.keys
    }

    /// The user directory adapter.
    pub fn users(&self) -> &U {
        &self.users
    }

    /// The queue adapter.
    pub fn queue(&self) -> &Q {
        &self.queue
    }

    /// The replay adapter.
    pub fn replays(&self) -> &R {
        &self.replays
    }

    /// Receives the SET `token` now.
    pub async fn receive(&self, token: &str) -> Receipt {
        self.receive_at(token, unix_now()).await
    }

    /// Receives the SET `token` as of `now` (Unix seconds; tests fix the clock).
    pub async fn receive_at(&self, token: &str, now: u64) -> Receipt {
        self.receive_named(token, None, now).await
    }

    /// Receives the SET `token`, polled under the name `jti` (RFC 8936 `sets`), now: a SET
    /// whose verified `jti` is another is refused (`invalid_request`), since the transmitter
    /// reads its acknowledgement by that name.
    pub async fn receive_polled(&self, jti: &str, token: &str) -> Receipt {
        self.receive_named(token, Some(jti), unix_now()).await
    }

    async fn receive_named(&self, token: &str, name: Option<&str>, now: u64) -> Receipt {
        let set = match self.verify(token, now).await {
            Ok(set) => set,
            Err(receipt) => return receipt,
        };
        if name.is_some_and(|name| name != set.jti) {
            return Receipt::Refused(SetRefusal::JtiMismatch);
        }
        let failed = |failure| Receipt::Failed {
            set: Some((set.jti.clone(), set.iss.clone())),
            failure,
        };
        let key = ReplayKey::new(&set.iss, &set.jti);
        match self.replays.seen(&key).await {
            Ok(true) => {
                return Receipt::Replayed {
                    jti: set.jti.clone(),
                    iss: set.iss.clone(),
                }
            }
            Ok(false) => {}
            Err(err) => return failed(ReceiverFailure::Replays(err)),
        }
        let plan = Plan::of(&set, &self.settings.compromise_actions);
        let mut found: Vec<Vec<Target>> = Vec::with_capacity(plan.requests.len());
        for request in &plan.requests {
            let lookup = Lookup::of(&request.subject, &self.settings.directory);
            match self.find(&lookup).await {
                Ok(targets) => found.push(targets),
                Err(err) => return failed(ReceiverFailure::Users(err)),
            }
        }
        let alerts = merge(
            &set,
            plan.requests.iter().zip(found.iter().map(Vec::as_slice)),
        );
        if !alerts.is_empty() {
            if let Err(err) = self.queue.send(&alerts).await {
                return failed(ReceiverFailure::Queue(err));
            }
        }
        if let Err(err) = self
            .replays
            .remember(&key, set.iat.max(now).saturating_add(REPLAY_WINDOW))
            .await
        {
            return failed(ReceiverFailure::Replays(err));
        }
        Receipt::Accepted(accepted(&set, &plan, &found, alerts.len()))
    }

    /// Steps 1 to 5 of [`crate::core::set`]: a verified SET, or the receipt that ends it.
    async fn verify(&self, token: &str, now: u64) -> Result<VerifiedSet, Receipt> {
        let unverified = set::read(token).map_err(Receipt::Refused)?;
        let key = match self.keys.key(unverified.kid()).await {
            KeyLookup::Found(key) => key,
            KeyLookup::Unknown => return Err(Receipt::Refused(SetRefusal::UnknownKey)),
            KeyLookup::Unavailable(err) => {
                return Err(Receipt::Failed {
                    set: None,
                    failure: ReceiverFailure::Keys(err),
                })
            }
        };
        let claims = unverified.verify(&key).map_err(Receipt::Refused)?;
        set::admit(claims, &self.settings.expected, now).map_err(Receipt::Refused)
    }

    /// The users `lookup` names, in the listed pools.
    async fn find(&self, lookup: &Lookup) -> Result<Vec<Target>, LookupError> {
        let pools = &self.settings.directory.pools;
        let (attribute, value, pools, verified_only) = match lookup {
            Lookup::Nobody => return Ok(Vec::new()),
            Lookup::BySub { pool, sub } => (
                Attribute::Sub,
                sub.as_str(),
                std::slice::from_ref(pool),
                false,
            ),
            Lookup::ByUsername(username) => (
                Attribute::Username,
                username.as_str(),
                pools.as_slice(),
                false,
            ),
            Lookup::ByEmail(email) => (Attribute::Email, email.as_str(), pools.as_slice(), true),
        };
        let mut targets = Vec::new();
        for pool in pools {
            let users = self.users.list(pool, attribute, value).await?;
            targets.extend(
                users
                    .into_iter()
                    // An address nobody proved cannot be claimed by a signal.
                    .filter(|user| !verified_only || user.email_verified)
                    .map(|user| Target {
                        pool: pool.clone(),
                        user: user.username,
                    }),
            );
        }
        Ok(targets)
    }
}

fn accepted(set: &VerifiedSet, plan: &Plan, found: &[Vec<Target>], alerts: usize) -> Accepted {
    Accepted {
        jti: set.jti.clone(),
        iss: set.iss.clone(),
        event_types: set.events.keys().cloned().collect(),
        subject_formats: plan
            .requests
            .iter()
            .map(|r| r.subject.format().to_owned())
            .collect(),
        alerts_queued: alerts,
        subjects_unknown: found.iter().filter(|targets| targets.is_empty()).count(),
        events_ignored: plan.ignored.len(),
        verification: plan.verification.clone(),
    }
}
