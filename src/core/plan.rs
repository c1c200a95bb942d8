//! The plan of a batch, decided from the input alone before anything is called: which records
//! are refused outright, which Cognito calls the rest need (one per distinct user, shared by
//! every record that names it), and in which groups the records are settled (a FIFO message
//! group in order; any other record on its own). The responder only executes a [`Plan`].

use std::collections::HashMap;

use crate::core::decision::{Admission, Policy};
use crate::core::failure::Failure;
use crate::core::identity::Target;
use crate::core::payload::{Batch, Source};
use crate::core::threat::IgnoreReason;

/// What to do for one record.
#[derive(Debug)]
pub enum Step {
    /// Settle the record with the result of the shared call `call` (an index into
    /// [`Plan::calls`]) for `target`.
    Call {
        /// The record's index in the batch.
        record: usize,
        /// The user the record names.
        target: Target,
        /// The shared call's index in [`Plan::calls`].
        call: usize,
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

/// A batch's plan.
#[derive(Debug)]
pub struct Plan {
    /// The groups, in the order of their first record.
    pub groups: Vec<Group>,
    /// The distinct Cognito calls the batch needs, each made at most once.
    pub calls: Vec<Target>,
    /// For each call, the message ids of the records that share it, in arrival order.
    pub callers: Vec<Vec<String>>,
}

/// Plans `batch` under `policy`: admits each record, shares one call among the records that
/// name the same user, and groups FIFO records by message group.
pub fn plan(batch: &Batch, policy: &Policy) -> Plan {
    let fifo = matches!(batch.source, Source::Sqs { fifo: true });
    let mut calls: Vec<Target> = Vec::new();
    let mut callers: Vec<Vec<String>> = Vec::new();
    let mut call_of: HashMap<Target, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of: HashMap<&str, usize> = HashMap::new();
    for (record_index, record) in batch.records.iter().enumerate() {
        let step = match policy.assess(record) {
            Admission::Act(target) => {
                let call = *call_of.entry(target.clone()).or_insert_with(|| {
                    calls.push(target.clone());
                    callers.push(Vec::new());
                    calls.len() - 1
                });
                callers[call].push(record.message_id.clone());
                Step::Call {
                    record: record_index,
                    target,
                    call,
                }
            }
            Admission::Refuse(failure) => Step::Refuse {
                record: record_index,
                failure,
            },
            Admission::Ignore(reason, target) => Step::Ignore {
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
    Plan {
        groups,
        calls,
        callers,
    }
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
        );
        assert_eq!(plan.calls.len(), 2);
        let calls: Vec<usize> = plan
            .groups
            .iter()
            .flat_map(|g| &g.steps)
            .map(|s| match s {
                Step::Call { call, .. } => *call,
                Step::Refuse { .. } | Step::Ignore { .. } => usize::MAX,
            })
            .collect();
        assert_eq!(calls, [0, 1, 0]);
        assert_eq!(plan.calls[0].user.as_str(), "alice");
        assert_eq!(plan.callers, [vec!["a", "c"], vec!["b"]]);
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
        );
        assert_eq!(plan.calls.len(), 1);
        let classes: Vec<Option<ErrorClass>> = plan
            .groups
            .iter()
            .flat_map(|g| &g.steps)
            .map(|s| match s {
                Step::Refuse { failure, .. } => Some(failure.class()),
                Step::Call { .. } | Step::Ignore { .. } => None,
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
}
