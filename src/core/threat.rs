//! The threat-protection rule (docs/alert-sources.md#cognito-threat-protection): which records of a user pool's exported
//! user-activity log (`userAuthEvents`) are alerts, and which are only **ignored**.
//!
//! A log line is `{"eventSource": "USER_ACTIVITY", "message": {...}, "logSourceId": {...}}`;
//! the activity record under `message` carries `riskDecision` (`NoRisk`, `AccountTakeover`,
//! `Block`), `riskLevel` (`Low`, `Medium`, `High`, often empty) and
//! `compromisedCredentialDetected`. AWS says the schema "is subject to change" and its own
//! sample spells the decision `PASS` and the flag as the string `"false"`, so everything here
//! is read tolerantly: enum values in any case and with or without `_`, `-` or spaces;
//! booleans as JSON booleans or as strings; the API's PascalCase names (`RiskDecision`,
//! `CompromisedCredentialsDetected`) as well as the log's camelCase ones, in `message` or in
//! an `eventRisk` object inside it.
//!
//! The rule: act when the decision is `AccountTakeover` at or above `THREAT_MIN_RISK_LEVEL`,
//! or when compromised credentials were detected (whatever the decision and level). An
//! `AccountTakeover` whose level is empty or absent is acted on whatever the threshold: the
//! API never reports a takeover without a level, so a missing one means the log's schema
//! moved, and a missed takeover costs more than one extra sign-out. `Block` alone is ignored:
//! Cognito refused that sign-in and issued no session (the decision comes from the pool's
//! block rules, such as an IP deny-list).

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use cognito_names::Subject;

use crate::core::document::{one_pool, parse_only, pool, username, Member, PoolForm};
use crate::core::failure::Failure;
use crate::core::identity::{Target, UserPoolId};

/// A Cognito risk level, ordered (`Low < Medium < High`): `THREAT_MIN_RISK_LEVEL` and the
/// level of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum RiskLevel {
    /// `Low`.
    Low,
    /// `Medium`.
    Medium,
    /// `High`, the default threshold: only the riskiest takeovers sign a user out.
    #[default]
    High,
}

impl RiskLevel {
    /// The level as Cognito's API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "Low",
            RiskLevel::Medium => "Medium",
            RiskLevel::High => "High",
        }
    }
}

impl fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RiskLevel {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match normalised(raw).as_str() {
            "low" => Ok(Self::Low),
            "medium" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            _ => Err("must be Low, Medium or High"),
        }
    }
}

/// Why a record was counted but neither signed out nor dead-lettered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreReason {
    /// A CloudWatch Logs `CONTROL_MESSAGE` (a reachability check): no alert in it.
    ControlMessage,
    /// A log line that is not a user-activity record (a `USER_NOTIFICATION` error, say).
    NotUserActivity,
    /// No takeover and no compromised credentials (`NoRisk`, `PASS`, empty).
    NoRisk,
    /// `Block`: Cognito refused the sign-in itself, and no session exists to end.
    Blocked,
    /// `AccountTakeover` below `THREAT_MIN_RISK_LEVEL`.
    BelowThreshold(RiskLevel),
    /// A risk decision this rule does not know.
    UnknownDecision,
}

impl IgnoreReason {
    /// The reason as logs spell it.
    pub fn code(self) -> &'static str {
        match self {
            IgnoreReason::ControlMessage => "ControlMessage",
            IgnoreReason::NotUserActivity => "NotUserActivity",
            IgnoreReason::NoRisk => "NoRisk",
            IgnoreReason::Blocked => "Blocked",
            IgnoreReason::BelowThreshold(_) => "BelowThreshold",
            IgnoreReason::UnknownDecision => "UnknownRiskDecision",
        }
    }
}

impl fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IgnoreReason::ControlMessage => f.write_str("a CloudWatch Logs control message"),
            IgnoreReason::NotUserActivity => f.write_str("not a user-activity record"),
            IgnoreReason::NoRisk => f.write_str("no takeover and no compromised credentials"),
            IgnoreReason::Blocked => f.write_str("Cognito blocked the sign-in"),
            IgnoreReason::BelowThreshold(level) => {
                write!(
                    f,
                    "account takeover at {level}, below THREAT_MIN_RISK_LEVEL"
                )
            }
            IgnoreReason::UnknownDecision => f.write_str("an unknown risk decision"),
        }
    }
}

/// What a line the rule acts on says of the user: which of the two findings hold (both may),
/// which decides the actions asked (`THREAT_TAKEOVER_ACTIONS`, `THREAT_CREDENTIALS_ACTIONS`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Threat {
    /// An account takeover at or above `THREAT_MIN_RISK_LEVEL`.
    pub takeover: bool,
    /// Compromised credentials were detected.
    pub credentials: bool,
    /// The record's `userSub`, when it names a usable one. Trusted only when Cognito itself
    /// wrote the line (the runner is told by the record's provenance).
    pub sub: Option<Subject>,
}

/// What the rule makes of one log line.
#[derive(Debug)]
pub enum Assessment {
    /// Act on the user, for this threat.
    Act(Target, Threat),
    /// Count it, do nothing else; the names, when the record has valid ones, are kept for
    /// the log.
    Ignore(IgnoreReason, Option<Target>),
}

/// The risk decision of a record, read tolerantly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    NoRisk,
    AccountTakeover,
    Block,
    Other,
}

/// Applies the rule to one log line (the whole CloudWatch Logs `message` string). A line that
/// is not JSON, holds no activity record, or is an alert without a valid user or pool is a
/// [`Failure`] (dead-lettered as malformed or invalid).
pub fn assess(
    line: &str,
    min_level: RiskLevel,
    default_pool: Option<&UserPoolId>,
) -> Result<Assessment, Failure> {
    let document = parse_only(line, &LINE_MEMBERS).map_err(|e| Failure::NotJson(e.into()))?;
    let record = document
        .get("message")
        .filter(|m| m.is_object())
        .ok_or(Failure::NotAnActivityRecord)?;
    let source = document.get("eventSource").and_then(Value::as_str);
    if source.is_some_and(|s| normalised(s) != "useractivity") {
        return Ok(Assessment::Ignore(IgnoreReason::NotUserActivity, None));
    }
    let names = || target(&document, record, default_pool);
    match verdict(record, min_level) {
        Ok(mut threat) => {
            threat.sub = non_empty(record, "userSub")
                .and_then(Value::as_str)
                .and_then(|s| Subject::parse(s).ok());
            names().map(|target| Assessment::Act(target, threat))
        }
        Err(reason) => Ok(Assessment::Ignore(reason, names().ok())),
    }
}

/// The threat to act on, or why not to act.
fn verdict(record: &Value, min_level: RiskLevel) -> Result<Threat, IgnoreReason> {
    let credentials = compromised_credentials(record);
    let decision = field(record, &["riskDecision", "RiskDecision"])
        .map_or(Decision::NoRisk, |v| decision(&text_of(v)));
    let takeover = match decision {
        Decision::AccountTakeover => match level(record) {
            Some(level) if level < min_level => Err(IgnoreReason::BelowThreshold(level)),
            _ => Ok(()),
        },
        Decision::NoRisk => Err(IgnoreReason::NoRisk),
        Decision::Block => Err(IgnoreReason::Blocked),
        Decision::Other => Err(IgnoreReason::UnknownDecision),
    };
    match (takeover, credentials) {
        (Ok(()), credentials) => Ok(Threat {
            takeover: true,
            credentials,
            sub: None,
        }),
        (Err(_), true) => Ok(Threat {
            takeover: false,
            credentials: true,
            sub: None,
        }),
        (Err(reason), false) => Err(reason),
    }
}

fn decision(raw: &str) -> Decision {
    match normalised(raw).as_str() {
        "accounttakeover" => Decision::AccountTakeover,
        "block" => Decision::Block,
        "" | "norisk" | "pass" => Decision::NoRisk,
        _ => Decision::Other,
    }
}

/// The record's level; `None` when empty, absent, `null` or unknown.
fn level(record: &Value) -> Option<RiskLevel> {
    field(record, &["riskLevel", "RiskLevel"]).and_then(|v| text_of(v).parse().ok())
}

fn compromised_credentials(record: &Value) -> bool {
    field(
        record,
        &[
            "compromisedCredentialDetected",
            "compromisedCredentialsDetected",
            "CompromisedCredentialsDetected",
            "CompromisedCredentialDetected",
        ],
    )
    .is_some_and(|v| match v {
        Value::Bool(b) => *b,
        Value::String(s) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    })
}

/// The first non-null of `keys` in the record, or in its `eventRisk` / `EventRisk` object
/// (the API's shape).
fn field<'a>(record: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    let risk = ["eventRisk", "EventRisk"]
        .iter()
        .find_map(|k| record.get(k).filter(|v| v.is_object()));
    [Some(record), risk]
        .into_iter()
        .flatten()
        .flat_map(|object| keys.iter().filter_map(move |k| object.get(k)))
        .find(|v| !v.is_null())
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Lower case, without `_`, `-` or white space: `ACCOUNT_TAKEOVER` = `AccountTakeover`.
fn normalised(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, '_' | '-') && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The members of a log line the rule and the names are read from; every other member (a
/// device name, an IP address, a user agent) is skipped unread.
const LINE_MEMBERS: [Member; 3] = [
    Member::Only("message", &RECORD_MEMBERS),
    Member::Whole("eventSource"),
    Member::Only("logSourceId", &[Member::Whole("userPoolId")]),
];

/// The members of the activity record that are read.
const RECORD_MEMBERS: [Member; 14] = [
    Member::Whole("userName"),
    Member::Whole("userSub"),
    Member::Whole("userPoolId"),
    Member::Whole("eventType"),
    Member::Whole("riskDecision"),
    Member::Whole("RiskDecision"),
    Member::Whole("riskLevel"),
    Member::Whole("RiskLevel"),
    Member::Whole("compromisedCredentialDetected"),
    Member::Whole("compromisedCredentialsDetected"),
    Member::Whole("CompromisedCredentialsDetected"),
    Member::Whole("CompromisedCredentialDetected"),
    Member::Only("eventRisk", &RISK_MEMBERS),
    Member::Only("EventRisk", &RISK_MEMBERS),
];

/// The members of a record's risk object that are read.
const RISK_MEMBERS: [Member; 8] = [
    Member::Whole("riskDecision"),
    Member::Whole("RiskDecision"),
    Member::Whole("riskLevel"),
    Member::Whole("RiskLevel"),
    Member::Whole("compromisedCredentialDetected"),
    Member::Whole("compromisedCredentialsDetected"),
    Member::Whole("CompromisedCredentialsDetected"),
    Member::Whole("CompromisedCredentialDetected"),
];

/// The user (`message.userName`) and pool (`message.userPoolId` and `logSourceId.userPoolId`,
/// which must agree when both are given, else `DEFAULT_USER_POOL_ID`).
fn target(
    document: &Value,
    record: &Value,
    default_pool: Option<&UserPoolId>,
) -> Result<Target, Failure> {
    let user = non_empty(record, "userName").ok_or(Failure::MissingUsername)?;
    let user = username("message.userName", user)?;
    let in_record = non_empty(record, "userPoolId")
        .map(|v| pool("message.userPoolId", v, PoolForm::IdOrArn))
        .transpose()?;
    let in_source = document
        .get("logSourceId")
        .and_then(|s| non_empty(s, "userPoolId"))
        .map(|v| pool("logSourceId.userPoolId", v, PoolForm::IdOrArn))
        .transpose()?;
    let pool = match one_pool([in_record, in_source])? {
        Some(pool) => pool,
        None => default_pool.cloned().ok_or(Failure::MissingUserPool)?,
    };
    Ok(Target { pool, user })
}

fn non_empty<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    object
        .get(key)
        .filter(|v| !v.is_null() && v.as_str() != Some(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error_class::ErrorClass;
    use serde_json::json;

    const POOL: &str = "eu-west-1_AbC123xyz";

    fn line(message: Value) -> String {
        json!({
            "eventTimestamp": "1687297330677",
            "eventSource": "USER_ACTIVITY",
            "logLevel": "INFO",
            "message": message,
            "logSourceId": {"userPoolId": POOL},
        })
        .to_string()
    }

    fn takeover(level: &str) -> String {
        line(json!({
            "eventType": "SignIn", "userName": "alice", "userPoolId": POOL,
            "riskDecision": "AccountTakeover", "riskLevel": level,
            "compromisedCredentialDetected": "false",
        }))
    }

    fn acts(line: &str, min: RiskLevel) -> bool {
        matches!(assess(line, min, None), Ok(Assessment::Act(..)))
    }

    fn ignored(line: &str, min: RiskLevel) -> Option<IgnoreReason> {
        match assess(line, min, None) {
            Ok(Assessment::Ignore(reason, _)) => Some(reason),
            _ => None,
        }
    }

    #[test]
    fn takeover_acts_at_and_above_the_threshold_and_is_ignored_below_it() {
        use RiskLevel::*;
        for (level, min, act) in [
            ("Low", Low, true),
            ("Low", Medium, false),
            ("Low", High, false),
            ("Medium", Low, true),
            ("Medium", Medium, true),
            ("Medium", High, false),
            ("High", Low, true),
            ("High", Medium, true),
            ("High", High, true),
        ] {
            assert_eq!(
                acts(&takeover(level), min),
                act,
                "{level} at threshold {min}"
            );
            if !act {
                assert_eq!(
                    ignored(&takeover(level), min),
                    Some(IgnoreReason::BelowThreshold(level.parse().unwrap()))
                );
            }
        }
    }

    #[test]
    fn the_default_threshold_is_high() {
        assert_eq!(RiskLevel::default(), RiskLevel::High);
        assert!(!acts(&takeover("Medium"), RiskLevel::default()));
    }

    #[test]
    fn takeover_with_an_empty_absent_or_unknown_level_acts_at_any_threshold() {
        let absent = line(json!({"userName": "alice", "riskDecision": "AccountTakeover"}));
        let null = line(
            json!({"userName": "alice", "riskDecision": "AccountTakeover", "riskLevel": null}),
        );
        for l in [takeover(""), takeover("Severe"), absent, null] {
            assert!(acts(&l, RiskLevel::High), "{l}");
        }
    }

    #[test]
    fn enums_are_read_in_any_case_and_with_any_separator() {
        for (decision, level) in [
            ("ACCOUNT_TAKEOVER", "HIGH"),
            ("accounttakeover", "high"),
            ("Account-Takeover", " High "),
            ("account takeover", "hIgH"),
        ] {
            let l =
                line(json!({"userName": "alice", "riskDecision": decision, "riskLevel": level}));
            assert!(acts(&l, RiskLevel::High), "{decision} {level}");
        }
        assert_eq!("MEDIUM".parse::<RiskLevel>(), Ok(RiskLevel::Medium));
        assert!("Severe".parse::<RiskLevel>().is_err());
    }

    #[test]
    fn compromised_credentials_act_whatever_the_decision_and_level() {
        for flag in [json!("true"), json!("TRUE"), json!(true), json!(" True ")] {
            for key in [
                "compromisedCredentialDetected",
                "CompromisedCredentialsDetected",
                "compromisedCredentialsDetected",
            ] {
                let l = line(json!({
                    "userName": "carol", "riskDecision": "PASS", "riskLevel": "", key: flag.clone()
                }));
                assert!(acts(&l, RiskLevel::High), "{key}: {flag}");
            }
        }
        let blocked = line(
            json!({"userName": "carol", "riskDecision": "Block", "compromisedCredentialDetected": true}),
        );
        assert!(acts(&blocked, RiskLevel::High));
    }

    #[test]
    fn false_or_odd_credential_flags_do_not_act() {
        for flag in [
            json!("false"),
            json!(false),
            json!(""),
            json!(null),
            json!(1),
            json!("yes"),
        ] {
            let l = line(
                json!({"userName": "dana", "riskDecision": "NoRisk", "compromisedCredentialDetected": flag}),
            );
            assert_eq!(
                ignored(&l, RiskLevel::Low),
                Some(IgnoreReason::NoRisk),
                "{l}"
            );
        }
    }

    #[test]
    fn the_api_shape_under_event_risk_is_read_too() {
        let l = line(json!({"userName": "alice", "EventRisk": {
            "RiskDecision": "AccountTakeover", "RiskLevel": "High", "CompromisedCredentialsDetected": false
        }}));
        assert!(acts(&l, RiskLevel::High));
    }

    #[test]
    fn no_risk_pass_empty_block_and_unknown_decisions_are_ignored() {
        for (decision, reason) in [
            (json!("NoRisk"), IgnoreReason::NoRisk),
            (json!("PASS"), IgnoreReason::NoRisk),
            (json!(""), IgnoreReason::NoRisk),
            (json!(null), IgnoreReason::NoRisk),
            (json!("Block"), IgnoreReason::Blocked),
            (json!("BLOCK"), IgnoreReason::Blocked),
            (json!("Maybe"), IgnoreReason::UnknownDecision),
        ] {
            let l =
                line(json!({"userName": "dana", "riskDecision": decision, "riskLevel": "High"}));
            assert_eq!(ignored(&l, RiskLevel::Low), Some(reason), "{l}");
        }
    }

    #[test]
    fn an_ignored_record_keeps_its_names_for_the_log() {
        let l = line(json!({"userName": "dana", "riskDecision": "NoRisk"}));
        let Ok(Assessment::Ignore(_, Some(target))) = assess(&l, RiskLevel::High, None) else {
            panic!("ignored with names")
        };
        assert_eq!((target.user.as_str(), target.pool.as_str()), ("dana", POOL));
    }

    #[test]
    fn the_pool_comes_from_the_record_or_the_log_source_then_the_default() {
        let pool = |l: &str, default: Option<&UserPoolId>| match assess(l, RiskLevel::High, default)
        {
            Ok(Assessment::Act(t, _)) => Ok(t.pool.to_string()),
            Ok(other) => panic!("{other:?}"),
            Err(f) => Err(f.class()),
        };
        let own = json!({"eventSource": "USER_ACTIVITY", "message": {"userName": "a", "userPoolId": "us-east-1_Own", "riskDecision": "AccountTakeover"}, "logSourceId": {"userPoolId": "us-east-1_Own"}});
        assert_eq!(pool(&own.to_string(), None), Ok("us-east-1_Own".into()));
        // Two pools in one line name no one pool: refused, as an alert or a finding naming
        // two pools is, rather than acted on in whichever is read first.
        let two = json!({"eventSource": "USER_ACTIVITY", "message": {"userName": "a", "userPoolId": "us-east-1_Own", "riskDecision": "AccountTakeover"}, "logSourceId": {"userPoolId": "us-east-1_Src"}});
        assert_eq!(pool(&two.to_string(), None), Err(ErrorClass::Invalid));
        let from_source = json!({"message": {"userName": "a", "userPoolId": "", "riskDecision": "AccountTakeover"}, "logSourceId": {"userPoolId": "us-east-1_Src"}});
        assert_eq!(
            pool(&from_source.to_string(), None),
            Ok("us-east-1_Src".into())
        );
        let none = json!({"message": {"userName": "a", "riskDecision": "AccountTakeover"}});
        assert_eq!(pool(&none.to_string(), None), Err(ErrorClass::Malformed));
        let default = UserPoolId::parse("eu-west-1_Dflt").unwrap();
        assert_eq!(
            pool(&none.to_string(), Some(&default)),
            Ok("eu-west-1_Dflt".into())
        );
    }

    #[test]
    fn bad_lines_are_failures_of_their_own_class() {
        let class = |l: &str| assess(l, RiskLevel::High, None).err().map(|f| f.class());
        assert_eq!(
            class("{\"message\": {\"userName\""),
            Some(ErrorClass::Malformed)
        );
        assert_eq!(class("plain text"), Some(ErrorClass::Malformed));
        assert_eq!(class(r#"{"no":"message"}"#), Some(ErrorClass::Malformed));
        let no_user = line(json!({"riskDecision": "AccountTakeover", "riskLevel": "High"}));
        assert_eq!(class(&no_user), Some(ErrorClass::Malformed));
        let bad_user = line(json!({"userName": "a b\u{0}", "riskDecision": "AccountTakeover"}));
        assert_eq!(class(&bad_user), Some(ErrorClass::Invalid));
    }

    #[test]
    fn an_unreadable_field_the_rule_does_not_use_cannot_switch_the_response_off() {
        // `deviceName` comes from the attacker's user agent; a lone surrogate escape there is
        // no character, and a whole-document read would refuse the line as malformed.
        let hostile = format!(
            r#"{{"eventSource":"USER_ACTIVITY","message":{{"eventType":"SignIn","userName":"alice","userPoolId":"{POOL}","riskDecision":"AccountTakeover","riskLevel":"High","deviceName":"evil\ud800","ipAddress":"\udfff"}},"logSourceId":{{"userPoolId":"{POOL}"}},"extra":1e99999}}"#
        );
        match assess(&hostile, RiskLevel::High, None) {
            Ok(Assessment::Act(target, threat)) => {
                assert_eq!(target.user.as_str(), "alice");
                assert_eq!(
                    threat,
                    Threat {
                        takeover: true,
                        credentials: false,
                        sub: None,
                    }
                );
            }
            other => panic!("{other:?}"),
        }
        // The names themselves are still read strictly.
        let bad_name = hostile.replace(r#""userName":"alice""#, r#""userName":"\ud800""#);
        assert_eq!(
            assess(&bad_name, RiskLevel::High, None)
                .err()
                .map(|f| f.class()),
            Some(ErrorClass::Malformed)
        );
    }

    #[test]
    fn a_user_notification_line_is_not_an_activity_record() {
        let l = json!({"eventSource": "USER_NOTIFICATION", "logLevel": "ERROR", "message": {"details": "x"}});
        assert_eq!(
            ignored(&l.to_string(), RiskLevel::Low),
            Some(IgnoreReason::NotUserActivity)
        );
    }
}
