//! The pure decisions: whether an alert may be acted on, and what a call's result means for
//! the record that asked for it. No I/O here; the responder does the calls.

use std::collections::BTreeSet;

use std::str::FromStr;

use crate::core::action::{Action, Actions, Asked};
use cognito_names::Subject;

use crate::core::alert::AlertDecoder;
use crate::core::error_class::ErrorClass;
use crate::core::failure::Failure;
use crate::core::identity::{Target, UserPoolId};
use crate::core::payload::{Origin, Record};
use crate::core::threat::{self, Assessment, IgnoreReason, RiskLevel};

/// What to do when Cognito says the user does not exist (`USER_NOT_FOUND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserNotFoundPolicy {
    /// Dead-letter the alert (`user-not-found`), the default.
    #[default]
    DeadLetter,
    /// Count the alert as signed out: a user who does not exist has no session.
    Ignore,
}

impl FromStr for UserNotFoundPolicy {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "dead-letter" => Ok(Self::DeadLetter),
            "ignore" => Ok(Self::Ignore),
            _ => Err("must be dead-letter or ignore"),
        }
    }
}

/// `ALLOWED_USER_POOL_IDS`: the pools alerts may name, by id or ARN, comma-separated. Set but
/// empty is refused: unset it to allow any pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedPools(BTreeSet<UserPoolId>);

impl AllowedPools {
    /// Whether `pool` is allowed (by id).
    pub fn contains(&self, pool: &UserPoolId) -> bool {
        self.0.contains(pool)
    }

    /// Whether `pool` is allowed, its account compared too when `by_account`: an entry named
    /// by id alone, or by an ARN of `own`, is in the function's own account.
    pub fn admits(&self, pool: &UserPoolId, own: Option<&str>, by_account: bool) -> bool {
        match self.0.get(pool) {
            None => false,
            Some(_) if !by_account => true,
            Some(entry) => {
                let entry_account = entry.account().filter(|a| Some(*a) != own);
                entry_account == pool.account()
            }
        }
    }

    /// Whether any entry names a pool of another account than `own`.
    pub fn names_other_accounts(&self, own: Option<&str>) -> bool {
        self.0
            .iter()
            .any(|p| p.account().is_some_and(|a| Some(a) != own))
    }

    /// How many pools are allowed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no pool is allowed (never true for a parsed list).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for AllowedPools {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let pools = raw
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| UserPoolId::parse_id_or_arn(p).map_err(|e| format!("entry {p:?} {e}")))
            .collect::<Result<BTreeSet<_>, _>>()?;
        if pools.is_empty() {
            return Err("is set but lists no pool; unset it to allow any pool".to_owned());
        }
        Ok(Self(pools))
    }
}

/// The actions a deployment takes (docs/containment.md), read once from its configuration;
/// each is within `allowed` (the function refuses to start otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionPolicy {
    /// `ALLOWED_ACTIONS`: the bound of everything an alert may get.
    pub allowed: Actions,
    /// `ACTIONS`: for an alert that asks none.
    pub default: Actions,
    /// `THREAT_TAKEOVER_ACTIONS`: for a threat-protection account takeover.
    pub takeover: Actions,
    /// `THREAT_CREDENTIALS_ACTIONS`: for compromised credentials.
    pub credentials: Actions,
}

impl Default for ActionPolicy {
    /// The sign-out alone, everywhere: a noisy detector must not lock thousands of users out
    /// unless an operator opted in.
    fn default() -> Self {
        Self {
            allowed: Actions::SIGN_OUT,
            default: Actions::SIGN_OUT,
            takeover: Actions::SIGN_OUT,
            credentials: Actions::SIGN_OUT,
        }
    }
}

impl ActionPolicy {
    /// What a record asking `asked` gets, with `default` for an alert that asks none.
    pub fn request(&self, asked: Asked, default: Actions) -> Request {
        match asked {
            Asked::Nothing => Request {
                take: default,
                asked: default,
                refused: None,
                cognito_sub: None,
                raised_at_ms: None,
            },
            // Nothing readable was asked: the sign-out, which every alert gets, and no guess.
            Asked::Unknown(unknown) => Request {
                take: Actions::SIGN_OUT,
                asked: Actions::SIGN_OUT,
                refused: Some(Failure::UnknownAction(unknown)),
                cognito_sub: None,
                raised_at_ms: None,
            },
            Asked::Actions(asked) => {
                let beyond = asked.beyond(self.allowed);
                Request {
                    take: asked.beyond(beyond).with(Action::SignOut),
                    asked,
                    refused: (!beyond.is_empty()).then_some(Failure::ForbiddenAction(beyond)),
                    cognito_sub: None,
                    raised_at_ms: None,
                }
            }
        }
    }
}

/// What an admitted record asks of its user's call.
#[derive(Debug, Clone)]
pub struct Request {
    /// The actions to take: what was asked and is allowed, the sign-out always among them.
    pub take: Actions,
    /// What the alert asked, refused actions included (its dead letter's `Actions`).
    pub asked: Actions,
    /// Why the record is dead-lettered once its user is signed out: it asked for an action
    /// outside `ALLOWED_ACTIONS`, or for something that is no action.
    pub refused: Option<Failure>,
    /// The user's `sub` as a threat-protection line of the function's own account names it.
    /// Anyone allowed to invoke the function can shape such a line, so it only chooses which
    /// cutoff item to read before acting (a skip still needs that item to name the same
    /// username); the `sub` written or remembered is always Cognito's `AdminGetUser` answer.
    pub cognito_sub: Option<Subject>,
    /// When the alert was raised (milliseconds since the epoch), if the delivery says.
    pub raised_at_ms: Option<u64>,
}

/// The actions a Security Hub custom action asks for, read from the action target's ARN (the
/// event's first resource, however the event arrived): `SignOutUser`, `ResetUserPassword`,
/// `DisableUser`.
fn custom_action(action_target: Option<&str>) -> Option<Asked> {
    let id = action_target?.split_once(":action/custom/")?.1;
    Some(Asked::Actions(match id {
        "SignOutUser" => Actions::SIGN_OUT,
        "ResetUserPassword" => Actions::of(&[Action::ResetPassword, Action::SignOut]),
        "DisableUser" => Actions::of(&[Action::Disable, Action::SignOut]),
        _ => return None,
    }))
}

/// The settings the decisions read.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How to find the names.
    pub decoder: AlertDecoder,
    /// `ALLOWED_USER_POOL_IDS`; `None` allows any pool.
    pub allowed_pools: Option<AllowedPools>,
    /// `USER_NOT_FOUND`.
    pub user_not_found: UserNotFoundPolicy,
    /// `MAX_RECEIVE_COUNT`.
    pub max_receive_count: Option<u32>,
    /// `THREAT_MIN_RISK_LEVEL`: the lowest risk level of an `AccountTakeover` that signs a
    /// user out.
    pub threat_min_risk_level: RiskLevel,
    /// `ALLOWED_ACTIONS`, `ACTIONS`, `THREAT_*_ACTIONS`.
    pub actions: ActionPolicy,
    /// `CROSS_ACCOUNT_ROLE_NAME` is set: a pool named by an ARN of another account is acted on
    /// in that account, and the allow-list is read account by account.
    pub cross_account: bool,
}

/// What may be done for one record, before any call.
#[derive(Debug)]
pub enum Admission {
    /// Act on this user, as the request says.
    Act(Target, Request),
    /// Not an alert: count it and acknowledge it; the names are kept when valid.
    Ignore(IgnoreReason, Option<Target>),
    /// Dead-letter the record for this failure.
    Refuse(Failure),
}

/// What a record's failure leads to.
#[derive(Debug)]
pub enum Verdict {
    /// Count the alert as signed out anyway (`USER_NOT_FOUND=ignore`); the failure is kept
    /// for the log.
    SignedOut(Failure),
    /// Send the alert to the dead-letter queue of the failure's class.
    DeadLetter(Failure),
    /// Leave the alert to its event source to deliver again.
    Retry(Failure),
}

impl Policy {
    /// The target of `record`, or why no call may be made for it: decoding, validation,
    /// then the allow-list.
    pub fn admit(&self, record: &Record) -> Result<Target, Failure> {
        let own = record.provenance.own_account.as_deref();
        self.allowed(self.decoder.decode(&record.body)?, own)
    }

    /// What may be done for `record`, read as its [`Origin`] says: an alert document, a
    /// threat-protection log line (the threat rule first), a Security Hub finding, a control
    /// message or an undecodable log payload. Whatever acts passes the allow-list.
    pub fn assess(&self, record: &Record) -> Admission {
        let actions = &self.actions;
        let decoded = match &record.origin {
            Origin::Alert => self
                .decoder
                .decode_alert(&record.body)
                .map(|(target, asked)| (target, actions.request(asked, actions.default))),
            Origin::Finding { .. } => {
                self.decoder
                    .decode_finding_alert(&record.body)
                    .map(|(target, asked)| {
                        let asked = custom_action(record.provenance.action_target.as_deref())
                            .unwrap_or(asked);
                        (target, actions.request(asked, actions.default))
                    })
            }
            Origin::LogEvent => match threat::assess(
                &record.body,
                self.threat_min_risk_level,
                self.decoder.default_pool.as_ref(),
            ) {
                Ok(Assessment::Act(target, threat)) => {
                    let mut take = Actions::NONE;
                    if threat.takeover {
                        take = take.union(actions.takeover);
                    }
                    if threat.credentials {
                        take = take.union(actions.credentials);
                    }
                    let mut request = actions.request(Asked::Nothing, take);
                    if record.provenance.cognito_log {
                        request.cognito_sub = threat.sub;
                    }
                    Ok((target, request))
                }
                Ok(Assessment::Ignore(reason, target)) => return Admission::Ignore(reason, target),
                Err(failure) => Err(failure),
            },
            Origin::Control => return Admission::Ignore(IgnoreReason::ControlMessage, None),
            Origin::Undecodable(reason) => Err(Failure::UndecodableLogs(reason.clone())),
        };
        let own = record.provenance.own_account.as_deref();
        match decoded.and_then(|(t, request)| Ok((self.allowed(t, own)?, request))) {
            Ok((target, mut request)) => {
                request.raised_at_ms = record.provenance.raised_at_ms;
                Admission::Act(target, request)
            }
            Err(failure) => Admission::Refuse(failure),
        }
    }

    /// `target` if its pool may be acted on. Without cross-account mode an ARN's account is
    /// not used (the call goes to the function's own account, as always). In cross-account
    /// mode a pool's account is its ARN's, the function's own (`own`) when it is named by id
    /// alone, and the allow-list entry must name the same account: a producer naming an ARN of
    /// another account reaches only what the operator listed.
    fn allowed(&self, target: Target, own: Option<&str>) -> Result<Target, Failure> {
        let target = if self.cross_account {
            let account = target.pool.account().filter(|a| Some(*a) != own);
            let account = account.map(str::to_owned);
            Target {
                pool: target.pool.in_account(account.as_deref()),
                user: target.user,
            }
        } else {
            Target {
                pool: target.pool.in_account(None),
                user: target.user,
            }
        };
        match &self.allowed_pools {
            Some(allowed) if !allowed.admits(&target.pool, own, self.cross_account) => {
                Err(Failure::ForbiddenPool(target))
            }
            _ => Ok(target),
        }
    }

    /// What `failure` means for a record received `receive_count` times.
    pub fn judge(&self, failure: Failure, receive_count: Option<u32>) -> Verdict {
        let class = failure.class();
        if class == ErrorClass::UserNotFound && self.user_not_found == UserNotFoundPolicy::Ignore {
            return Verdict::SignedOut(failure);
        }
        if !class.is_retryable() {
            return Verdict::DeadLetter(failure);
        }
        // A record behind a retried record of its FIFO group was not tried: its group's head
        // will end first. A record the deadline never reached counts, so that an alert that
        // never gets a chance (a timeout too short for the batch) ends in a dead-letter queue
        // with its reason instead of cycling until the queue's redrive drops the reason.
        let attempted = !matches!(failure, Failure::GroupBlocked(_));
        match (self.max_receive_count, receive_count) {
            (Some(max), Some(count)) if attempted && count >= max => {
                Verdict::DeadLetter(Failure::RetriesExhausted {
                    receive_count: count,
                    last: Box::new(failure),
                })
            }
            _ => Verdict::Retry(failure),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::payload::Batch;

    fn policy() -> Policy {
        Policy {
            decoder: AlertDecoder::default(),
            allowed_pools: None,
            user_not_found: UserNotFoundPolicy::DeadLetter,
            max_receive_count: Some(5),
            threat_min_risk_level: RiskLevel::High,
            actions: ActionPolicy::default(),
            cross_account: false,
        }
    }

    fn record(body: &str) -> Record {
        Record {
            message_id: "m".into(),
            body: body.into(),
            receive_count: Some(1),
            group_id: None,
            source_arn: None,
            origin: Default::default(),
            provenance: Default::default(),
        }
    }

    #[test]
    fn pool_outside_the_allow_list_is_forbidden() {
        let policy = Policy {
            allowed_pools: Some("eu-west-1_Ok".parse().unwrap()),
            ..policy()
        };
        let ok = policy.admit(&record(r#"{"UserPoolId":"eu-west-1_Ok","Username":"a"}"#));
        assert!(ok.is_ok());
        let other = policy.admit(&record(
            r#"{"UserPoolId":"eu-west-1_Other","Username":"a"}"#,
        ));
        assert_eq!(other.unwrap_err().class(), ErrorClass::ForbiddenPool);
    }

    #[test]
    fn allow_list_takes_ids_and_arns_and_refuses_an_empty_list() {
        let allowed: AllowedPools =
            "eu-west-1_A, arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_B"
                .parse()
                .unwrap();
        assert!(allowed.contains(&UserPoolId::parse("us-east-1_B").unwrap()));
        assert_eq!(allowed.len(), 2);
        assert!(" , ".parse::<AllowedPools>().is_err());
        assert!("eu-west-1_A, not a pool".parse::<AllowedPools>().is_err());
    }

    #[test]
    fn retryable_failure_below_max_receive_count_is_retried() {
        assert!(matches!(
            policy().judge(Failure::DeadlineReached, Some(4)),
            Verdict::Retry(_)
        ));
    }

    #[test]
    fn a_record_the_deadline_never_reached_ends_dead_lettered_at_max_receive_count() {
        let Verdict::DeadLetter(failure) = policy().judge(Failure::DeadlineReached, Some(5)) else {
            panic!("dead-lettered")
        };
        assert_eq!(failure.class(), ErrorClass::RetriesExhausted);
        assert_eq!(failure.code(), "DeadlineReached");
        assert!(matches!(
            policy().judge(Failure::DeadlineReached, Some(4)),
            Verdict::Retry(_)
        ));
    }

    #[test]
    fn records_blocked_behind_their_group_are_retried_even_at_max_receive_count() {
        let blocked = Failure::GroupBlocked(ErrorClass::Throttled);
        assert!(matches!(
            policy().judge(blocked, Some(9)),
            Verdict::Retry(_)
        ));
    }

    #[test]
    fn a_call_cut_off_at_the_deadline_counts_toward_max_receive_count() {
        let verdict = policy().judge(Failure::CallCutOff, Some(5));
        let Verdict::DeadLetter(failure) = verdict else {
            panic!("{verdict:?}")
        };
        assert_eq!(failure.class(), ErrorClass::RetriesExhausted);
        assert_eq!(failure.code(), "CallCutOff");
    }

    #[test]
    fn permanent_failures_are_dead_lettered() {
        assert!(matches!(
            policy().judge(Failure::MissingUsername, Some(1)),
            Verdict::DeadLetter(_)
        ));
    }

    fn from(origin: Origin, body: &str) -> Record {
        Record {
            origin,
            ..record(body)
        }
    }

    #[test]
    fn each_origin_is_read_its_own_way_and_acting_ones_pass_the_allow_list() {
        let policy = Policy {
            allowed_pools: Some("eu-west-1_Ok".parse().unwrap()),
            ..policy()
        };
        let takeover = |pool: &str| {
            format!(
                r#"{{"eventSource":"USER_ACTIVITY","message":{{"userName":"a","userPoolId":"{pool}","riskDecision":"AccountTakeover","riskLevel":"High"}}}}"#
            )
        };
        let act = policy.assess(&from(Origin::LogEvent, &takeover("eu-west-1_Ok")));
        assert!(matches!(act, Admission::Act(..)), "{act:?}");
        let forbidden = policy.assess(&from(Origin::LogEvent, &takeover("eu-west-1_No")));
        assert!(
            matches!(&forbidden, Admission::Refuse(f) if f.class() == ErrorClass::ForbiddenPool),
            "{forbidden:?}"
        );
        let quiet =
            r#"{"message":{"userName":"a","userPoolId":"eu-west-1_No","riskDecision":"NoRisk"}}"#;
        assert!(matches!(
            policy.assess(&from(Origin::LogEvent, quiet)),
            Admission::Ignore(IgnoreReason::NoRisk, Some(_))
        ));
        let finding = r#"{"ProductFields":{"Username":"a","UserPoolId":"eu-west-1_Ok"}}"#;
        assert!(matches!(
            policy.assess(&from(Origin::Finding { index: 0 }, finding)),
            Admission::Act(..)
        ));
        // The same text as an alert document names no one.
        assert!(matches!(
            policy.assess(&from(Origin::Alert, finding)),
            Admission::Refuse(Failure::MissingUsername)
        ));
        assert!(matches!(
            policy.assess(&from(Origin::Control, "")),
            Admission::Ignore(IgnoreReason::ControlMessage, None)
        ));
        let undecodable = policy.assess(&from(Origin::Undecodable("bad".into()), "{}"));
        assert!(
            matches!(&undecodable, Admission::Refuse(f) if f.class() == ErrorClass::Malformed && f.code() == "UndecodableLogPayload"),
            "{undecodable:?}"
        );
    }

    #[test]
    fn the_threshold_comes_from_the_policy() {
        let medium = r#"{"message":{"userName":"a","userPoolId":"eu-west-1_Ok","riskDecision":"AccountTakeover","riskLevel":"Medium"}}"#;
        let record = from(Origin::LogEvent, medium);
        assert!(matches!(
            policy().assess(&record),
            Admission::Ignore(IgnoreReason::BelowThreshold(RiskLevel::Medium), _)
        ));
        let lower = Policy {
            threat_min_risk_level: RiskLevel::Medium,
            ..policy()
        };
        assert!(matches!(lower.assess(&record), Admission::Act(..)));
    }

    /// What `admission` means, in terms that do not depend on how its record arrived.
    fn meaning(admission: &Admission) -> String {
        match admission {
            Admission::Act(target, request) => format!(
                "act {} {} take={} asked={} refused={:?} sub={:?}",
                target.pool,
                target.user,
                request.take,
                request.asked,
                request.refused.as_ref().map(|f| (f.class(), f.code())),
                request.cognito_sub.as_ref().map(|s| s.as_str().to_owned()),
            ),
            Admission::Ignore(reason, target) => format!(
                "ignore {reason:?} {:?}",
                target
                    .as_ref()
                    .map(|t| (t.pool.to_string(), t.user.to_string()))
            ),
            Admission::Refuse(failure) => {
                format!("refuse {:?} {}", failure.class(), failure.code())
            }
        }
    }

    /// One alert as read: its meaning and its id within its delivery.
    type Read = (String, Option<String>);

    /// Each alert `payload` holds, read directly, through the queue, through SNS into the
    /// queue and as an SNS notification invoked directly: its meaning and its id within
    /// the delivery, per way.
    fn each_way(payload: &str, policy: &Policy) -> Vec<(&'static str, Vec<Read>)> {
        let notification = serde_json::json!({
            "Type": "Notification", "MessageId": "n-1",
            "TopicArn": "arn:aws:sns:eu-west-1:111122223333:alerts", "Message": payload,
        })
        .to_string();
        let queued = |body: &str| {
            serde_json::json!({"Records": [{
                "eventSource": "aws:sqs", "messageId": "m-1", "body": body,
                "eventSourceARN": "arn:aws:sqs:eu-west-1:111122223333:alerts",
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
            }]})
            .to_string()
        };
        [
            ("directly", payload.to_owned()),
            ("through the queue", queued(payload)),
            ("through SNS into the queue", queued(&notification)),
            ("as an SNS notification", notification.clone()),
        ]
        .into_iter()
        .map(|(way, delivered)| {
            let raw: Box<serde_json::value::RawValue> = serde_json::from_str(&delivered).unwrap();
            let batch = Batch::from_payload_in(&raw, "req-1", Some("111122223333"));
            let read = batch
                .records
                .iter()
                .map(|r| (meaning(&policy.assess(r)), r.provenance.alert_id.clone()))
                .collect();
            (way, read)
        })
        .collect()
    }

    #[test]
    fn every_event_means_the_same_directly_through_the_queue_and_through_sns() {
        let custom = include_str!("../../events/securityhub-custom-action.json");
        let mut payloads: Vec<(String, String)> = [
            ("direct", include_str!("../../events/direct.json")),
            ("eventbridge", include_str!("../../events/eventbridge.json")),
            (
                "securityhub-imported",
                include_str!("../../events/securityhub-imported.json"),
            ),
            (
                "cwl-userauthevents",
                include_str!("../../events/cwl-userauthevents.json"),
            ),
            (
                "cwl-variants",
                include_str!("../../events/cwl-userauthevents-variants.json"),
            ),
            (
                "cwl-control",
                include_str!("../../events/cwl-control-message.json"),
            ),
            (
                "cwl-not-gzip",
                include_str!("../../events/cwl-corrupt-not-gzip.json"),
            ),
            (
                "cwl-not-base64",
                include_str!("../../events/cwl-corrupt-not-base64.json"),
            ),
        ]
        .into_iter()
        .map(|(name, json)| (name.to_owned(), json.to_owned()))
        .collect();
        for action in ["SignOutUser", "ResetUserPassword", "DisableUser", "Unknown"] {
            payloads.push((
                format!("custom action {action}"),
                custom.replace(
                    "action/custom/SignOutUser",
                    &format!("action/custom/{action}"),
                ),
            ));
        }
        let permissive = Policy {
            actions: ActionPolicy {
                allowed: Actions::of(&[Action::ResetPassword, Action::Disable, Action::SignOut]),
                credentials: Actions::of(&[Action::ResetPassword, Action::SignOut]),
                ..ActionPolicy::default()
            },
            ..policy()
        };
        for policy in [policy(), permissive] {
            for (name, payload) in &payloads {
                let ways = each_way(payload, &policy);
                let (_, direct) = &ways[0];
                assert!(!direct.is_empty(), "{name}");
                for (way, read) in &ways[1..] {
                    assert_eq!(read, direct, "{name} {way}");
                }
            }
        }
    }

    #[test]
    fn a_custom_action_through_the_queue_asks_what_the_analyst_chose() {
        let custom = include_str!("../../events/securityhub-custom-action.json");
        let disable = custom.replace("action/custom/SignOutUser", "action/custom/DisableUser");
        let ways = each_way(&disable, &policy());
        let asked = format!(
            "asked={} ",
            Actions::of(&[Action::Disable, Action::SignOut])
        );
        for (way, read) in ways {
            assert!(
                read[0].0.contains(&asked) && read[0].0.contains("ForbiddenAction"),
                "{way}: {read:?}"
            );
        }
    }
}
