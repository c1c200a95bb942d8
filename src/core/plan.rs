//! The plan of a batch, decided from the input alone before anything is called: which records
//! are refused outright, which Cognito calls the rest need (one per distinct user, shared by
//! every record that names it), and in which groups the records are settled (a FIFO message
//! group in order; any other record on its own). Under `DRY_RUN` the plan holds no calls and
//! no letters: every step says what would happen, so the runner never checks a flag. The
//! responder only executes a [`Plan`].

use std::collections::HashMap;

use cognito_names::Subject;

use crate::core::action::Actions;
use crate::core::decision::{Admission, Policy, Request};
use crate::core::failure::Failure;
use crate::core::identity::Target;
use crate::core::payload::{Batch, Source};
use crate::core::threat::IgnoreReason;

/// What to do for one record.
#[derive(Debug)]
pub enum Step {
    /// Settle the record with the result of the shared call `call` (an index into
    /// [`Plan::calls`], which names the user), judged on the actions the record asked.
    Call {
        /// The record's index in the batch.
        record: usize,
        /// The shared call's index in [`Plan::calls`].
        call: usize,
        /// What the record asks of the call.
        request: Request,
    },
    /// `DRY_RUN`: the record would be acted on; settle it signed out, calling nothing.
    WouldSignOut {
        /// The record's index in the batch.
        record: usize,
        /// The user it names.
        target: Target,
        /// What it would ask.
        request: Request,
    },
    /// `DRY_RUN`: the record would be refused; settle it dead-lettered, sending nothing.
    WouldRefuse {
        /// The record's index in the batch.
        record: usize,
        /// Why.
        failure: Failure,
    },
    /// The record may not be acted on: dead-letter it for `failure`.
    Refuse {
        /// The record's index in the batch.
        record: usize,
        /// Why (decoding, validation or the allow-list).
        failure: Failure,
    },
    /// The record is not an alert: settle it as ignored, with no call and no letter.
    Ignore {
        /// The record's index in the batch.
        record: usize,
        /// Why it is not an alert.
        reason: IgnoreReason,
        /// Its names, when valid (for the log).
        target: Option<Target>,
    },
}

impl Step {
    /// The record's index in the batch.
    pub fn record(&self) -> usize {
        match self {
            Step::Call { record, .. }
            | Step::WouldSignOut { record, .. }
            | Step::WouldRefuse { record, .. }
            | Step::Refuse { record, .. }
            | Step::Ignore { record, .. } => *record,
        }
    }
}

/// Records settled together: in order, and, when `ordered`, once one is to be retried the
/// rest are retried unprocessed (a FIFO message group).
#[derive(Debug)]
pub struct Group {
    /// The records' steps, in arrival order.
    pub steps: Vec<Step>,
    /// A FIFO message group: order matters and a retry blocks the rest.
    pub ordered: bool,
}

/// One user's shared call: made at most once per batch, its result shared by its callers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The user and pool.
    pub target: Target,
    /// The message ids of the records that share the call, in arrival order.
    pub callers: Vec<String>,
    /// The actions to take: the union of what the callers asked and may have.
    pub actions: Actions,
    /// The user's `sub` as a caller's threat-protection line named it, if one did: which
    /// cutoff item to read first, never what is written.
    pub cognito_sub: Option<Subject>,
}

/// Whether the batch is acted on or only decided (`DRY_RUN`), chosen once at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Call Cognito, send the letters.
    #[default]
    Act,
    /// Decide and log; call nothing, send nothing.
    DryRun,
}

/// A batch's plan.
#[derive(Debug)]
pub struct Plan {
    /// The groups, in the order of their first record.
    pub groups: Vec<Group>,
    /// The distinct Cognito calls the batch needs, each made at most once (none under
    /// `DRY_RUN`).
    pub calls: Vec<Call>,
}

/// Plans `batch` under `policy`: admits each record, shares one call among the records that
/// name the same user, and groups FIFO records by message group. Under [`Mode::DryRun`] the
/// steps only say what would happen.
pub fn plan(batch: &Batch, policy: &Policy, mode: Mode) -> Plan {
    let fifo = matches!(batch.source, Source::Sqs { fifo: true });
    let mut calls: Vec<Call> = Vec::new();
    let mut call_of: HashMap<Target, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of: HashMap<&str, usize> = HashMap::new();
    for (record_index, record) in batch.records.iter().enumerate() {
        let step = match (policy.assess(record), mode) {
            (Admission::Act(target, request), Mode::Act) => {
                let call = *call_of.entry(target.clone()).or_insert_with(|| {
                    calls.push(Call {
                        target,
                        callers: Vec::new(),
                        actions: Actions::NONE,
                        cognito_sub: None,
                    });
                    calls.len() - 1
                });
                calls[call].callers.push(record.message_id.clone());
                calls[call].actions = calls[call].actions.union(request.take);
                if calls[call].cognito_sub.is_none() {
                    calls[call].cognito_sub = request.cognito_sub.clone();
                }
                Step::Call {
                    record: record_index,
                    call,
                    request,
                }
            }
            (Admission::Act(target, request), Mode::DryRun) => Step::WouldSignOut {
                record: record_index,
                target,
                request,
            },
            (Admission::Refuse(failure), Mode::DryRun) => Step::WouldRefuse {
                record: record_index,
                failure,
            },
            (Admission::Refuse(failure), Mode::Act) => Step::Refuse {
                record: record_index,
                failure,
            },
            (Admission::Ignore(reason, target), _) => Step::Ignore {
                record: record_index,
                reason,
                target,
            },
        };
        let group = match record.group_id.as_deref() {
            Some(id) if fifo => *group_of.entry(id).or_insert_with(|| {
                groups.push(Group {
                    steps: Vec::new(),
                    ordered: true,
                });
                groups.len() - 1
            }),
            _ => {
                groups.push(Group {
                    steps: Vec::new(),
                    ordered: false,
                });
                groups.len() - 1
            }
        };
        groups[group].steps.push(step);
    }
    Plan { groups, calls }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::decision::UserNotFoundPolicy;
    use crate::core::error_class::ErrorClass;
    use crate::core::payload::Record;

    fn policy() -> Policy {
        Policy {
            decoder: Default::default(),
            allowed_pools: Some("eu-west-1_Ok".parse().unwrap()),
            user_not_found: UserNotFoundPolicy::DeadLetter,
            max_receive_count: None,
            threat_min_risk_level: Default::default(),
            actions: Default::default(),
            cross_account: false,
        }
    }

    fn record(id: &str, user: &str, group: Option<&str>) -> Record {
        Record {
            message_id: id.to_owned(),
            body: format!(r#"{{"UserPoolId":"eu-west-1_Ok","Username":"{user}"}}"#),
            receive_count: Some(1),
            group_id: group.map(str::to_owned),
            source_arn: None,
            origin: Default::default(),
            provenance: Default::default(),
        }
    }

    fn batch(fifo: bool, records: Vec<Record>) -> Batch {
        Batch {
            source: Source::Sqs { fifo },
            records,
        }
    }

    fn shape(plan: &Plan) -> Vec<Vec<usize>> {
        plan.groups
            .iter()
            .map(|g| g.steps.iter().map(Step::record).collect())
            .collect()
    }

    #[test]
    fn records_naming_the_same_user_share_one_call() {
        let plan = plan(
            &batch(
                false,
                vec![
                    record("a", "alice", None),
                    record("b", "bob", None),
                    record("c", "alice", None),
                ],
            ),
            &policy(),
            Mode::Act,
        );
        assert_eq!(plan.calls.len(), 2);
        let calls: Vec<usize> = plan
            .groups
            .iter()
            .flat_map(|g| &g.steps)
            .map(|s| match s {
                Step::Call { call, .. } => *call,
                _ => usize::MAX,
            })
            .collect();
        assert_eq!(calls, [0, 1, 0]);
        assert_eq!(plan.calls[0].target.user.as_str(), "alice");
        assert_eq!(plan.calls[0].callers, ["a", "c"]);
        assert_eq!(plan.calls[1].callers, ["b"]);
        assert_eq!(plan.calls[0].actions, Actions::SIGN_OUT);
    }

    #[test]
    fn every_record_of_a_standard_queue_is_its_own_group() {
        let plan = plan(
            &batch(
                false,
                vec![
                    record("a", "alice", Some("g")),
                    record("b", "bob", Some("g")),
                ],
            ),
            &policy(),
            Mode::Act,
        );
        assert_eq!(shape(&plan), [vec![0], vec![1]]);
        assert!(plan.groups.iter().all(|g| !g.ordered));
    }

    #[test]
    fn fifo_records_are_grouped_by_message_group_in_arrival_order() {
        let plan = plan(
            &batch(
                true,
                vec![
                    record("a", "alice", Some("g1")),
                    record("b", "bob", Some("g2")),
                    record("c", "carol", Some("g1")),
                    record("d", "dave", None),
                ],
            ),
            &policy(),
            Mode::Act,
        );
        assert_eq!(shape(&plan), [vec![0, 2], vec![1], vec![3]]);
        assert_eq!(
            plan.groups.iter().map(|g| g.ordered).collect::<Vec<_>>(),
            [true, true, false]
        );
    }

    #[test]
    fn refused_records_get_no_call_and_keep_their_place() {
        let mut junk = record("b", "x", None);
        junk.body = "not json".into();
        let mut other_pool = record("c", "carol", None);
        other_pool.body = r#"{"UserPoolId":"eu-west-1_No","Username":"carol"}"#.into();
        let plan = plan(
            &batch(false, vec![record("a", "alice", None), junk, other_pool]),
            &policy(),
            Mode::Act,
        );
        assert_eq!(plan.calls.len(), 1);
        let classes: Vec<Option<ErrorClass>> = plan
            .groups
            .iter()
            .flat_map(|g| &g.steps)
            .map(|s| match s {
                Step::Refuse { failure, .. } => Some(failure.class()),
                _ => None,
            })
            .collect();
        assert_eq!(
            classes,
            [
                None,
                Some(ErrorClass::Malformed),
                Some(ErrorClass::ForbiddenPool)
            ]
        );
    }

    #[test]
    fn a_dry_run_plans_no_call_and_no_letter() {
        let mut junk = record("b", "x", None);
        junk.body = "not json".into();
        let plan = plan(
            &batch(false, vec![record("a", "alice", None), junk]),
            &policy(),
            Mode::DryRun,
        );
        assert!(plan.calls.is_empty());
        let steps: Vec<&Step> = plan.groups.iter().flat_map(|g| &g.steps).collect();
        assert!(
            matches!(steps[0], Step::WouldSignOut { target, .. } if target.user.as_str() == "alice")
        );
        assert!(
            matches!(steps[1], Step::WouldRefuse { failure, .. } if failure.class() == ErrorClass::Malformed)
        );
    }

    #[test]
    fn records_naming_one_user_share_the_union_of_their_allowed_actions() {
        use crate::core::action::Action;
        use crate::core::decision::ActionPolicy;
        let mut policy = policy();
        policy.actions = ActionPolicy {
            allowed: Actions::of(&[Action::Disable, Action::ResetPassword, Action::SignOut]),
            ..ActionPolicy::default()
        };
        let mut disable = record("a", "alice", None);
        disable.body =
            r#"{"UserPoolId":"eu-west-1_Ok","Username":"alice","Actions":["disable"]}"#.into();
        let mut reset = record("b", "alice", None);
        reset.body =
            r#"{"UserPoolId":"eu-west-1_Ok","Username":"alice","Actions":"reset-password"}"#.into();
        let plan = plan(
            &batch(false, vec![disable, reset, record("c", "alice", None)]),
            &policy,
            Mode::Act,
        );
        assert_eq!(plan.calls.len(), 1);
        assert_eq!(
            plan.calls[0].actions.names(),
            ["reset-password", "disable", "sign-out"]
        );
        let takes: Vec<Actions> = plan
            .groups
            .iter()
            .flat_map(|g| &g.steps)
            .map(|s| match s {
                Step::Call { request, .. } => request.take,
                _ => Actions::NONE,
            })
            .collect();
        assert_eq!(takes[2], Actions::SIGN_OUT, "each record keeps its own ask");
    }
}
