//! Finding the user and the pool in an alert document: the contract's shapes A to D.
//!
//! An alert document is an SQS body, an EventBridge event or a direct payload. It may be a
//! request (`{"UserPoolId", "Username"}`, shape A), an EventBridge envelope whose `detail` is
//! a request (B), an SNS notification whose `Message` holds A or B (C), or anything at all
//! when JSON pointers say where the names are (D). Decoding is pure: text in, a [`Target`]
//! or a [`Failure`] out.

use std::str::FromStr;
use std::sync::Arc;

use serde_json::Value;

use crate::core::action::{actions_from_json, Asked, UnknownAction};
pub use crate::core::document::parse_strict;
use crate::core::document::{first_key, one_pool, pool, username, PoolForm};
use crate::core::failure::Failure;
use crate::core::identity::{Target, UserPoolId};

/// Keys that name the user, in the order they are looked for.
const USERNAME_KEYS: [&str; 2] = ["Username", "username"];
/// Keys that name the pool by id (an ARN is accepted there too).
const USER_POOL_ID_KEYS: [&str; 2] = ["UserPoolId", "userPoolId"];
/// Keys that name the pool by ARN.
const USER_POOL_ARN_KEYS: [&str; 2] = ["UserPoolArn", "userPoolArn"];
/// Keys that ask for actions beyond the sign-out (docs/containment.md).
const ACTIONS_KEYS: [&str; 2] = ["Actions", "actions"];

/// An RFC 6901 JSON pointer (`USERNAME_POINTER`, `USER_POOL_ID_POINTER`), checked once at
/// start-up: it starts with `/`, and every `~` is an escape (`~0` or `~1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPointer(String);

impl JsonPointer {
    /// The pointer's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for JsonPointer {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let escapes_ok = raw
            .split('~')
            .skip(1)
            .all(|after| after.starts_with('0') || after.starts_with('1'));
        if raw.starts_with('/') && escapes_ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be an RFC 6901 JSON pointer starting with '/' (like /detail/user/name), with ~ only in ~0 or ~1")
        }
    }
}

/// How to find the names in a document; built once from the configuration.
#[derive(Debug, Clone, Default)]
pub struct AlertDecoder {
    /// `USERNAME_POINTER`: where the username is, when the alert is not a request.
    pub username_pointer: Option<JsonPointer>,
    /// `USER_POOL_ID_POINTER`: where the pool id or ARN is.
    pub user_pool_pointer: Option<JsonPointer>,
    /// `ACTIONS_POINTER`: where the actions asked are, when the alert is not a request.
    pub actions_pointer: Option<JsonPointer>,
    /// `CROSS_ACCOUNT_ROLE_NAME` is set: a finding's `AwsAccountId` names its pool's account.
    pub finding_accounts: bool,
    /// `DEFAULT_USER_POOL_ID`: the pool of alerts that name a user but no pool.
    pub default_pool: Option<UserPoolId>,
}

impl AlertDecoder {
    /// Decodes one alert document from its text. A document with a key twice in one object
    /// is refused as malformed: which of the two a reader takes differs between parsers, and
    /// an alert must not mean one user to the detector and another to the responder.
    pub fn decode(&self, body: &str) -> Result<Target, Failure> {
        self.decode_alert(body).map(|(target, _)| target)
    }

    /// Decodes one alert document: its names, and the actions it asks for (key `Actions` or
    /// `actions` beside the names, or at `ACTIONS_POINTER`).
    pub fn decode_alert(&self, body: &str) -> Result<(Target, Asked), Failure> {
        let document = parse_strict(body).map_err(|e| Failure::NotJson(Arc::new(e)))?;
        let unwrapped = sns_message(&document)?;
        let document = unwrapped.as_ref().unwrap_or(&document);
        let request = request_object(document);
        let target = self.names(document, request)?;
        Ok((target, self.asked(document, request)))
    }

    /// Decodes one alert document already parsed as JSON.
    pub fn decode_value(&self, document: &Value) -> Result<Target, Failure> {
        let unwrapped = sns_message(document)?;
        let document = unwrapped.as_ref().unwrap_or(document);
        self.names(document, request_object(document))
    }

    /// Decodes one Security Hub finding (ASFF) from its text: the pointers, when set, are
    /// evaluated on the finding; otherwise the names are its `ProductFields` `Username` and
    /// `UserPoolId` or `UserPoolArn` (then `DEFAULT_USER_POOL_ID`).
    pub fn decode_finding(&self, body: &str) -> Result<Target, Failure> {
        self.decode_finding_alert(body).map(|(target, _)| target)
    }

    /// Decodes one Security Hub finding: its names, and the actions its `ProductFields`
    /// (`Actions`, comma-separated) or `ACTIONS_POINTER` ask for.
    pub fn decode_finding_alert(&self, body: &str) -> Result<(Target, Asked), Failure> {
        let finding = parse_strict(body).map_err(|e| Failure::NotJson(Arc::new(e)))?;
        let fields = finding.get("ProductFields").filter(|f| f.is_object());
        let target = self.names(&finding, fields)?;
        // A delegated administrator's finding names the member account it came from: the
        // pool is in that account, and a pool ARN naming another account is no one pool.
        let target = match finding.get("AwsAccountId").and_then(Value::as_str) {
            Some(account) if self.finding_accounts && UserPoolId::is_account(account) => {
                match target.pool.account() {
                    Some(named) if named != account => return Err(Failure::ConflictingPools),
                    Some(_) => target,
                    None => Target {
                        pool: target.pool.in_account(Some(account)),
                        user: target.user,
                    },
                }
            }
            _ => target,
        };
        Ok((target, self.asked(&finding, fields)))
    }

    /// The actions `document` asks for: at `ACTIONS_POINTER`, else under `Actions` in
    /// `request`. Two spellings naming different lists ask for nothing readable.
    fn asked(&self, document: &Value, request: Option<&Value>) -> Asked {
        let value = match self.pointed(document, self.actions_pointer.as_ref()) {
            Some(value) => Some(value),
            None => match request.map(|r| first_key(r, &ACTIONS_KEYS)) {
                Some(Ok(found)) => found.map(|(_, value)| value),
                Some(Err(_)) => return Asked::Unknown(UnknownAction),
                None => None,
            },
        };
        match value.map(actions_from_json) {
            None => Asked::Nothing,
            Some(Ok(actions)) => Asked::Actions(actions),
            Some(Err(unknown)) => Asked::Unknown(unknown),
        }
    }

    /// The names in `document`: through the pointers, else from the keys of `request`.
    fn names(&self, document: &Value, request: Option<&Value>) -> Result<Target, Failure> {
        let user = match self.pointed(document, self.username_pointer.as_ref()) {
            Some(value) => Some(("the value at USERNAME_POINTER", value)),
            None => match request {
                Some(r) => first_key(r, &USERNAME_KEYS)?,
                None => None,
            },
        };
        let (field, value) = user.ok_or(Failure::MissingUsername)?;
        let user = username(field, value)?;

        let pool = self.pool(document, request)?;
        Ok(Target { pool, user })
    }

    fn pool(&self, document: &Value, request: Option<&Value>) -> Result<UserPoolId, Failure> {
        if let Some(value) = self.pointed(document, self.user_pool_pointer.as_ref()) {
            return pool(
                "the value at USER_POOL_ID_POINTER",
                value,
                PoolForm::IdOrArn,
            );
        }
        let named = |keys: &[&'static str], form: PoolForm| match request {
            Some(r) => first_key(r, keys)?
                .map(|(field, value)| pool(field, value, form))
                .transpose(),
            None => Ok(None),
        };
        let by_id = named(&USER_POOL_ID_KEYS, PoolForm::IdOrArn)?;
        let by_arn = named(&USER_POOL_ARN_KEYS, PoolForm::Arn)?;
        match one_pool([by_id, by_arn])? {
            Some(pool) => Ok(pool),
            None => self.default_pool.clone().ok_or(Failure::MissingUserPool),
        }
    }

    fn pointed<'a>(&self, document: &'a Value, pointer: Option<&JsonPointer>) -> Option<&'a Value> {
        pointer
            .and_then(|p| document.pointer(p.as_str()))
            .filter(|v| !v.is_null())
    }
}

/// The document inside an SNS notification (shape C), when the document is one.
fn sns_message(document: &Value) -> Result<Option<Value>, Failure> {
    let is_notification = document.get("Type").and_then(Value::as_str) == Some("Notification");
    match document.get("Message").and_then(Value::as_str) {
        Some(message) if is_notification => parse_strict(message)
            .map(Some)
            .map_err(|e| Failure::SnsMessageNotJson(Arc::new(e))),
        _ => Ok(None),
    }
}

/// The object that holds the request keys: the document itself (shape A), or its `detail`
/// (shape B, and an EventBridge event delivered straight to the function).
fn request_object(document: &Value) -> Option<&Value> {
    let holds_request = |v: &Value| {
        USERNAME_KEYS
            .iter()
            .chain(&USER_POOL_ID_KEYS)
            .chain(&USER_POOL_ARN_KEYS)
            .any(|key| v.get(key).is_some())
    };
    if holds_request(document) {
        return Some(document);
    }
    document
        .get("detail")
        .filter(|detail| holds_request(detail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error_class::ErrorClass;
    use crate::core::identity::Username;

    fn decoder() -> AlertDecoder {
        AlertDecoder::default()
    }

    fn target(pool: &str, user: &str) -> Target {
        Target {
            pool: UserPoolId::parse(pool).unwrap(),
            user: Username::parse(user).unwrap(),
        }
    }

    fn class_of(result: Result<Target, Failure>) -> ErrorClass {
        result.unwrap_err().class()
    }

    #[test]
    fn request_shape_names_pool_and_user() {
        let got = decoder().decode(r#"{"UserPoolId":"eu-west-1_AbC","Username":"alice"}"#);
        assert_eq!(got.unwrap(), target("eu-west-1_AbC", "alice"));
    }

    #[test]
    fn camel_case_keys_and_pool_arns_are_accepted() {
        let got = decoder().decode(
            r#"{"userPoolArn":"arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC","username":"bob"}"#,
        );
        assert_eq!(got.unwrap(), target("eu-west-1_AbC", "bob"));
        let arn_as_id = decoder().decode(
            r#"{"UserPoolId":"arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC","Username":"bob"}"#,
        );
        assert_eq!(arn_as_id.unwrap(), target("eu-west-1_AbC", "bob"));
    }

    #[test]
    fn eventbridge_envelope_names_the_request_in_its_detail() {
        let body = include_str!("../../events/sqs-eventbridge-envelope.json");
        let event: Value = serde_json::from_str(body).unwrap();
        let inner = event["Records"][0]["body"].as_str().unwrap();
        assert_eq!(
            decoder().decode(inner).unwrap(),
            target("us-east-1_Example1", "carol")
        );
    }

    #[test]
    fn sns_notification_holds_a_request_or_an_envelope() {
        let request = r#"{"Type":"Notification","MessageId":"m","Message":"{\"UserPoolId\":\"eu-west-1_AbC\",\"Username\":\"dave\"}"}"#;
        assert_eq!(
            decoder().decode(request).unwrap(),
            target("eu-west-1_AbC", "dave")
        );
        let envelope = r#"{"Type":"Notification","Message":"{\"detail-type\":\"x\",\"detail\":{\"userPoolId\":\"eu-west-1_AbC\",\"username\":\"erin\"}}"}"#;
        assert_eq!(
            decoder().decode(envelope).unwrap(),
            target("eu-west-1_AbC", "erin")
        );
    }

    #[test]
    fn sns_notification_whose_message_is_not_json_is_malformed() {
        let body = r#"{"Type":"Notification","Message":"user alice is compromised"}"#;
        assert_eq!(class_of(decoder().decode(body)), ErrorClass::Malformed);
    }

    #[test]
    fn pointers_find_names_in_any_shape_from_the_document_root() {
        let decoder = AlertDecoder {
            username_pointer: Some("/detail/account/login".parse().unwrap()),
            user_pool_pointer: Some("/detail/tenant~1pool".parse().unwrap()),
            actions_pointer: None,
            finding_accounts: false,
            default_pool: None,
        };
        let body = r#"{"detail-type":"x","source":"siem","detail":{"account":{"login":"frank"},"tenant/pool":"ap-south-1_Zz9"}}"#;
        assert_eq!(
            decoder.decode(body).unwrap(),
            target("ap-south-1_Zz9", "frank")
        );
    }

    #[test]
    fn pointers_are_checked_when_parsed() {
        assert!("/detail/a~0b~1c".parse::<JsonPointer>().is_ok());
        assert!("detail.user".parse::<JsonPointer>().is_err());
        assert!("/detail/~2".parse::<JsonPointer>().is_err());
        assert!("/detail/~".parse::<JsonPointer>().is_err());
    }

    #[test]
    fn default_pool_fills_in_for_alerts_that_name_none() {
        let decoder = AlertDecoder {
            default_pool: Some(UserPoolId::parse("eu-west-1_Dflt").unwrap()),
            ..AlertDecoder::default()
        };
        assert_eq!(
            decoder.decode(r#"{"Username":"gina"}"#).unwrap(),
            target("eu-west-1_Dflt", "gina")
        );
        let named = decoder.decode(r#"{"Username":"gina","UserPoolId":"eu-west-1_Own"}"#);
        assert_eq!(named.unwrap(), target("eu-west-1_Own", "gina"));
    }

    #[test]
    fn missing_names_are_malformed() {
        for body in [
            r#"{"UserPoolId":"eu-west-1_AbC"}"#,
            r#"{"Username":"alice"}"#,
            r#"{"detail":{}}"#,
            r#"[]"#,
            r#""just a string""#,
            r#"{"Username":null,"UserPoolId":"eu-west-1_AbC"}"#,
        ] {
            assert_eq!(
                class_of(decoder().decode(body)),
                ErrorClass::Malformed,
                "{body}"
            );
        }
    }

    #[test]
    fn text_that_is_not_json_is_malformed() {
        assert_eq!(
            class_of(decoder().decode("alice is compromised")),
            ErrorClass::Malformed
        );
        assert_eq!(class_of(decoder().decode("")), ErrorClass::Malformed);
    }

    #[test]
    fn names_that_are_not_strings_are_malformed() {
        let body = r#"{"UserPoolId":"eu-west-1_AbC","Username":12345}"#;
        assert_eq!(class_of(decoder().decode(body)), ErrorClass::Malformed);
        let body = r#"{"UserPoolId":["eu-west-1_AbC"],"Username":"alice"}"#;
        assert_eq!(class_of(decoder().decode(body)), ErrorClass::Malformed);
    }

    #[test]
    fn username_of_129_characters_is_invalid() {
        let body = format!(
            r#"{{"UserPoolId":"eu-west-1_AbC","Username":"{}"}}"#,
            "a".repeat(129)
        );
        assert_eq!(class_of(decoder().decode(&body)), ErrorClass::Invalid);
    }

    #[test]
    fn pool_arn_and_id_that_disagree_are_invalid() {
        let body = r#"{"UserPoolId":"eu-west-1_AbC","UserPoolArn":"arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Other","Username":"a"}"#;
        assert_eq!(class_of(decoder().decode(body)), ErrorClass::Invalid);
    }

    #[test]
    fn one_pool_id_named_by_arns_of_two_accounts_is_invalid_in_either_order() {
        let a = "arn:aws:cognito-idp:us-east-1:111111111111:userpool/us-east-1_PoolA1";
        let b = "arn:aws:cognito-idp:us-east-1:333333333333:userpool/us-east-1_PoolA1";
        for (id, arn) in [(a, b), (b, a)] {
            let body =
                format!(r#"{{"UserPoolId":"{id}","UserPoolArn":"{arn}","Username":"alice"}}"#);
            assert_eq!(
                class_of(decoder().decode(&body)),
                ErrorClass::Invalid,
                "{body}"
            );
        }
        // A plain id agrees with an ARN of the same id, whichever comes first; the ARN's
        // account is kept.
        for body in [
            format!(
                r#"{{"UserPoolId":"us-east-1_PoolA1","UserPoolArn":"{b}","Username":"alice"}}"#
            ),
            format!(
                r#"{{"UserPoolArn":"{b}","userPoolId":"us-east-1_PoolA1","Username":"alice"}}"#
            ),
            format!(r#"{{"UserPoolId":"{b}","UserPoolArn":"{b}","Username":"alice"}}"#),
        ] {
            let target = decoder().decode(&body).expect("one pool");
            assert_eq!(target.pool.account(), Some("333333333333"), "{body}");
        }
    }

    #[test]
    fn pool_arn_pointing_at_another_region_is_invalid() {
        let body = r#"{"UserPoolArn":"arn:aws:cognito-idp:us-east-1:123456789012:userpool/eu-west-1_AbC","Username":"a"}"#;
        assert_eq!(class_of(decoder().decode(body)), ErrorClass::Invalid);
    }

    #[test]
    fn two_spellings_naming_different_values_are_invalid() {
        for body in [
            r#"{"UserPoolId":"eu-west-1_AbC","Username":"alice","username":"mallory"}"#,
            r#"{"UserPoolId":"eu-west-1_AbC","userPoolId":"eu-west-1_Other","Username":"a"}"#,
            r#"{"UserPoolArn":"arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC","userPoolArn":"arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Zz","Username":"a"}"#,
        ] {
            assert_eq!(
                class_of(decoder().decode(body)),
                ErrorClass::Invalid,
                "{body}"
            );
        }
        let same = r#"{"UserPoolId":"eu-west-1_AbC","Username":"alice","username":"alice"}"#;
        assert_eq!(
            decoder().decode(same).unwrap(),
            target("eu-west-1_AbC", "alice")
        );
    }

    #[test]
    fn duplicate_keys_are_malformed_at_any_depth() {
        let top = r#"{"UserPoolId":"eu-west-1_AbC","Username":"alice","Username":"bob"}"#;
        assert_eq!(class_of(decoder().decode(top)), ErrorClass::Malformed);
        let nested =
            r#"{"detail":{"UserPoolId":"eu-west-1_AbC","Username":"a","x":{"k":1,"k":2}}}"#;
        assert_eq!(class_of(decoder().decode(nested)), ErrorClass::Malformed);
        let in_sns = r#"{"Type":"Notification","Message":"{\"Username\":\"a\",\"Username\":\"b\",\"UserPoolId\":\"eu-west-1_AbC\"}"}"#;
        assert_eq!(class_of(decoder().decode(in_sns)), ErrorClass::Malformed);
    }

    #[test]
    fn strict_parsing_reads_what_serde_json_reads() {
        let text =
            r#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}],"big":123456789012345678901234567890}"#;
        assert_eq!(
            parse_strict(text).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
    }

    #[test]
    fn a_valid_request_with_an_unreadable_unrelated_field_is_malformed_not_half_read() {
        // The names are valid, but a document that cannot be read whole cannot be checked for
        // a repeated key either: acting on part of it could mean another user than the
        // detector meant. Dead-lettered with its reason, the body kept for a redrive.
        let nested = format!(
            r#"{{"UserPoolId":"eu-west-1_AbC","Username":"alice","x":{}1{}}}"#,
            "[".repeat(127),
            "]".repeat(127)
        );
        let huge_number = r#"{"UserPoolId":"eu-west-1_AbC","Username":"alice","n":1e309}"#;
        for body in [nested.as_str(), huge_number] {
            let err = decoder().decode(body).unwrap_err();
            assert_eq!(err.class(), ErrorClass::Malformed);
            assert_eq!(err.code(), "MalformedMessage");
        }
    }

    #[test]
    fn deeply_nested_documents_are_malformed_not_a_crash() {
        let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(class_of(decoder().decode(&body)), ErrorClass::Malformed);
    }

    #[test]
    fn a_finding_names_its_user_and_pool_in_product_fields() {
        let hub: Value =
            serde_json::from_str(include_str!("../../events/securityhub-imported.json")).unwrap();
        let names: Vec<_> = hub["detail"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| decoder().decode_finding(&f.to_string()).unwrap())
            .map(|t| (t.pool.to_string(), t.user.to_string()))
            .collect();
        let pool = "eu-west-1_AbC123xyz".to_owned();
        assert_eq!(
            names,
            [(pool.clone(), "alice".into()), (pool, "bob".into())]
        );
    }

    #[test]
    fn every_finding_a_siem_imports_in_the_sample_request_names_a_user() {
        let request: Value = serde_json::from_str(include_str!(
            "../../events/batch-import-findings.request.json"
        ))
        .unwrap();
        // The file `aws securityhub batch-import-findings --findings file://...` takes.
        let findings = request.as_array().unwrap();
        assert!(!findings.is_empty());
        for finding in findings {
            assert!(
                decoder().decode_finding(&finding.to_string()).is_ok(),
                "{finding}"
            );
        }
    }

    #[test]
    fn pointers_are_evaluated_on_the_finding_and_product_fields_are_the_fallback() {
        let decoder = AlertDecoder {
            username_pointer: Some("/Resources/0/Details/Other/login".parse().unwrap()),
            user_pool_pointer: None,
            actions_pointer: None,
            finding_accounts: false,
            default_pool: Some(UserPoolId::parse("eu-west-1_Dflt").unwrap()),
        };
        let pointed = r#"{"Resources":[{"Details":{"Other":{"login":"zoe"}}}],"ProductFields":{"Username":"ignored"}}"#;
        let t = decoder.decode_finding(pointed).unwrap();
        assert_eq!(
            (t.user.as_str(), t.pool.as_str()),
            ("zoe", "eu-west-1_Dflt")
        );
        let fallback = r#"{"ProductFields":{"Username":"yan","UserPoolId":"eu-west-1_Own"}}"#;
        let t = decoder.decode_finding(fallback).unwrap();
        assert_eq!((t.user.as_str(), t.pool.as_str()), ("yan", "eu-west-1_Own"));
    }

    #[test]
    fn a_finding_without_names_or_with_conflicting_pools_is_refused() {
        let class = |f: &str| decoder().decode_finding(f).unwrap_err().class();
        assert_eq!(
            class(r#"{"Id":"x","ProductFields":{}}"#),
            ErrorClass::Malformed
        );
        assert_eq!(class(r#"{"Id":"x"}"#), ErrorClass::Malformed);
        assert_eq!(
            class(
                r#"{"ProductFields":{"Username":"a","UserPoolId":"eu-west-1_A","UserPoolArn":"arn:aws:cognito-idp:eu-west-1:1:userpool/eu-west-1_B"}}"#
            ),
            ErrorClass::Invalid
        );
    }
}
