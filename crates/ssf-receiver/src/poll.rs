//! Poll delivery (RFC 8936), pure: the request body, the transmitter's answer read, and
//! what each SET's [`Receipt`] tells the transmitter.
//!
//! A poll asks for at most [`MAX_EVENTS`] SETs with `returnImmediately` (a Lambda function
//! does not wait on a long poll). Each SET received ends in one of three ways, carried by
//! the next request: **acknowledged** (`ack`: its alerts are stored, or its `jti` was
//! accepted before), **refused** (`setErrs`, with the same `err` codes a push answers), or
//! **kept**: neither, when what failed is not the SET's fault, so the transmitter delivers
//! it again. A SET is never acknowledged before its alerts are stored. The last request of
//! an invocation only acknowledges (`maxEvents` 0, RFC 8936 section 2.4).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::core::set::{ErrCode, MAX_SET_BYTES};
use crate::receiver::Receipt;

/// SETs asked for in one poll.
pub const MAX_EVENTS: usize = 20;

/// Polls in one invocation, at most (each after the previous one's SETs are handled).
pub const MAX_POLLS: usize = 10;

/// The largest poll answer read: [`MAX_EVENTS`] SETs of the largest size, with room for
/// their names and the envelope. A larger answer is not read (and nothing acknowledged).
pub const MAX_ANSWER_BYTES: usize = MAX_EVENTS * (MAX_SET_BYTES + 1024) + 16 * 1024;

/// How one polled SET ended, as the transmitter is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollVerdict {
    /// Acknowledged: stored, or accepted before.
    Acknowledged,
    /// Refused: reported in `setErrs` with this code and description.
    Refused(ErrCode, String),
    /// Neither: the transmitter delivers it again.
    Kept,
}

impl PollVerdict {
    /// The verdict a receipt earns.
    pub fn of(receipt: &Receipt) -> PollVerdict {
        match receipt {
            Receipt::Accepted(_) | Receipt::Replayed { .. } => PollVerdict::Acknowledged,
            Receipt::Refused(refusal) => PollVerdict::Refused(refusal.err(), refusal.to_string()),
            Receipt::Failed { .. } => PollVerdict::Kept,
        }
    }
}

/// The verdicts not yet told to the transmitter: the `ack` and `setErrs` of the next poll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdicts {
    ack: Vec<String>,
    set_errs: BTreeMap<String, (ErrCode, String)>,
}

impl Verdicts {
    /// Records the verdict on the SET polled as `jti`.
    pub fn record(&mut self, jti: &str, verdict: PollVerdict) {
        match verdict {
            PollVerdict::Acknowledged => self.ack.push(jti.to_owned()),
            PollVerdict::Refused(err, description) => {
                self.set_errs.insert(jti.to_owned(), (err, description));
            }
            PollVerdict::Kept => {}
        }
    }

    /// Whether there is nothing to tell.
    pub fn is_empty(&self) -> bool {
        self.ack.is_empty() && self.set_errs.is_empty()
    }

    /// The poll request carrying these verdicts and asking for `max_events` more SETs (0:
    /// acknowledge only).
    pub fn request(&self, max_events: usize) -> Value {
        let set_errs: Map<String, Value> = self
            .set_errs
            .iter()
            .map(|(jti, (err, description))| {
                (
                    jti.clone(),
                    json!({"err": err.as_str(), "description": description}),
                )
            })
            .collect();
        json!({
            "ack": self.ack,
            "setErrs": set_errs,
            "maxEvents": max_events,
            "returnImmediately": true,
        })
    }
}

/// One poll's answer: the SETs by their names, and whether more are waiting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Batch {
    /// `sets`: each name (`jti`) with its SET, or `None` when the value is not a string.
    pub sets: Vec<(String, Option<String>)>,
    /// `moreAvailable` (absent: `false`).
    pub more_available: bool,
}

impl Batch {
    /// The answer `body` of a 200, or why it is not a poll answer.
    pub fn read(body: &[u8]) -> Result<Batch, &'static str> {
        let doc: Value = serde_json::from_slice(body).map_err(|_| "the poll answer is not JSON")?;
        let sets = match doc.get("sets") {
            None => Map::new(),
            Some(Value::Object(sets)) => sets.clone(),
            Some(_) => return Err("the poll answer's sets is not an object"),
        };
        let more_available = match doc.get("moreAvailable") {
            None => false,
            Some(Value::Bool(more)) => *more,
            Some(_) => return Err("the poll answer's moreAvailable is not a boolean"),
        };
        Ok(Batch {
            sets: sets
                .into_iter()
                .map(|(jti, set)| (jti, set.as_str().map(str::to_owned)))
                .collect(),
            more_available,
        })
    }
}

/// What one invocation's polling did: its return value and its summary log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PollReport {
    /// Requests made to the poll endpoint (the acknowledge-only one included).
    pub polls: usize,
    /// SETs received.
    pub received: usize,
    /// SETs acknowledged.
    pub acknowledged: usize,
    /// SETs refused (`setErrs`).
    pub refused: usize,
    /// SETs neither: to be delivered again.
    pub kept: usize,
    /// Alerts stored on the queue.
    pub alerts_queued: usize,
    /// Whether the transmitter still had SETs when the invocation stopped polling.
    pub more_available: bool,
    /// Why polling stopped early, when it did (the poll endpoint failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl PollReport {
    /// Counts `verdict` on a SET whose receipt is `receipt`.
    pub fn count(&mut self, receipt: &Receipt, verdict: &PollVerdict) {
        self.received += 1;
        match verdict {
            PollVerdict::Acknowledged => self.acknowledged += 1,
            PollVerdict::Refused(..) => self.refused += 1,
            PollVerdict::Kept => self.kept += 1,
        }
        if let Receipt::Accepted(accepted) = receipt {
            self.alerts_queued += accepted.alerts_queued;
        }
    }

    /// Whether everything received was told to the transmitter and the endpoint answered.
    pub fn complete(&self) -> bool {
        self.kept == 0 && self.failure.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::set::SetRefusal;
    use crate::receiver::{Accepted, ReceiverFailure};
    use crate::replays::ReplayError;

    #[test]
    fn stored_and_replayed_sets_are_acknowledged_refused_ones_reported_failed_ones_kept() {
        let mut verdicts = Verdicts::default();
        let accepted = Receipt::Accepted(Accepted::default());
        let replayed = Receipt::Replayed {
            jti: "b".into(),
            iss: "i".into(),
        };
        let refused = Receipt::Refused(SetRefusal::Signature);
        let failed = Receipt::Failed {
            set: None,
            failure: ReceiverFailure::Replays(ReplayError {
                code: "Down".into(),
                message: "down".into(),
            }),
        };
        for (jti, receipt) in [
            ("a", &accepted),
            ("b", &replayed),
            ("c", &refused),
            ("d", &failed),
        ] {
            verdicts.record(jti, PollVerdict::of(receipt));
        }
        let request = verdicts.request(MAX_EVENTS);
        assert_eq!(request["ack"], json!(["a", "b"]));
        assert_eq!(request["setErrs"]["c"]["err"], "invalid_key");
        assert!(request["setErrs"]["c"]["description"].is_string());
        assert!(request["setErrs"].get("d").is_none());
        assert_eq!(request["maxEvents"], MAX_EVENTS);
        assert_eq!(request["returnImmediately"], true);
        assert_eq!(Verdicts::default().request(0)["ack"], json!([]));
    }

    #[test]
    fn an_answer_is_read_and_a_value_that_is_not_a_string_is_named() {
        let batch =
            Batch::read(br#"{"sets": {"j1": "a.b.c", "j2": 7}, "moreAvailable": true}"#).unwrap();
        assert!(batch.more_available);
        assert_eq!(
            batch.sets,
            vec![("j1".into(), Some("a.b.c".into())), ("j2".into(), None)]
        );
        assert_eq!(Batch::read(b"{}").unwrap(), Batch::default());
        for bad in [
            &b"nope"[..],
            br#"{"sets": []}"#,
            br#"{"sets": {}, "moreAvailable": "yes"}"#,
            b"\xff\xfe",
        ] {
            assert!(Batch::read(bad).is_err());
        }
    }

    #[test]
    fn a_report_is_complete_only_when_nothing_was_kept_and_the_endpoint_answered() {
        let mut report = PollReport::default();
        let accepted = Receipt::Accepted(Accepted {
            alerts_queued: 2,
            ..Accepted::default()
        });
        report.count(&accepted, &PollVerdict::of(&accepted));
        assert!(report.complete());
        assert_eq!(report.alerts_queued, 2);
        let failed = Receipt::Failed {
            set: None,
            failure: ReceiverFailure::Replays(ReplayError {
                code: "Down".into(),
                message: "down".into(),
            }),
        };
        report.count(&failed, &PollVerdict::of(&failed));
        assert!(!report.complete());
        assert_eq!((report.received, report.kept), (2, 1));
    }
}
