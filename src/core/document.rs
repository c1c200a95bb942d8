//! Reading names from a JSON document, the one way every source does it (plain alerts,
//! threat-protection log lines, Security Hub findings): a document with a key twice in one
//! object is refused ([`parse_strict`]); a name is read strictly (a string, valid by the API's
//! rules, one value however many spellings name it); and a document whose fields the
//! responder does not use may hold anything ([`parse_only`]): an attacker who controls an
//! unrelated field (a device name from a user agent) must not be able to switch the response
//! off by writing an escape no reader accepts there.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::core::failure::Failure;
use crate::core::identity::{UserPoolId, Username};

/// Parses JSON like `serde_json::from_str`, but refuses a key repeated in one object.
pub fn parse_strict(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str::<StrictValue>(text).map(|v| v.0)
}

/// A JSON value read with duplicate keys refused.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let StrictValue(value) = map.next_value()?;
            if object.insert(key, value).is_some() {
                // The key itself is not repeated: it is whatever the sender chose.
                return Err(de::Error::custom("a key appears twice in one object"));
            }
        }
        Ok(Value::Object(object))
    }
}

/// A JSON object whose members are kept unparsed, a key repeated refused.
struct StrictRawObject(BTreeMap<String, Box<RawValue>>);

impl<'de> Deserialize<'de> for StrictRawObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = StrictRawObject;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: Box<RawValue> = map.next_value()?;
                    if members.insert(key, value).is_some() {
                        return Err(de::Error::custom("a key appears twice in one object"));
                    }
                }
                Ok(StrictRawObject(members))
            }
        }
        deserializer.deserialize_map(RawVisitor)
    }
}

/// How [`parse_only`] reads the members it keeps.
#[derive(Debug, Clone, Copy)]
pub enum Member {
    /// Parsed strictly, whole.
    Whole(&'static str),
    /// An object of which only these members are kept, the rest skipped unread.
    Only(&'static str, &'static [Member]),
}

/// The JSON object in `text`, keeping only the members `keep` names, each read strictly
/// ([`parse_strict`]); every other member is skipped without being decoded, so whatever it
/// holds (an escape that is no character, a number too large) cannot make the document
/// unreadable. A key repeated in an object that is read is still refused.
pub fn parse_only(text: &str, keep: &[Member]) -> Result<Value, serde_json::Error> {
    let StrictRawObject(members) = serde_json::from_str(text)?;
    let mut object = Map::new();
    for member in keep {
        let (name, raw) = match member {
            Member::Whole(name) | Member::Only(name, _) => match members.get(*name) {
                Some(raw) => (*name, raw),
                None => continue,
            },
        };
        let value = match member {
            Member::Only(_, inner) if raw.get().trim_start().starts_with('{') => {
                parse_only(raw.get(), inner)?
            }
            _ => parse_strict(raw.get())?,
        };
        object.insert(name.to_owned(), value);
    }
    Ok(Value::Object(object))
}

/// The value of the first of `keys` present in `object`; two spellings present with different
/// values (`Username` and `username` naming two users) are refused: which one a reader takes
/// differs, and an alert must not mean one user to the detector and another to the responder.
pub fn first_key<'a>(
    object: &'a Value,
    keys: &[&'static str],
) -> Result<Option<(&'static str, &'a Value)>, Failure> {
    let mut found = keys
        .iter()
        .filter_map(|key| object.get(key).filter(|v| !v.is_null()).map(|v| (*key, v)));
    let first = found.next();
    if let Some((field, value)) = first {
        if let Some((other, _)) = found.find(|(_, v)| *v != value) {
            return Err(Failure::ConflictingSpellings {
                first: field,
                second: other,
            });
        }
    }
    Ok(first)
}

/// `value` as text, or the reason it is not a name.
pub fn as_text<'a>(field: &str, value: &'a Value) -> Result<&'a str, Failure> {
    value.as_str().ok_or_else(|| Failure::NotAString {
        field: field.to_owned(),
    })
}

/// The username at `field`.
pub fn username(field: &str, value: &Value) -> Result<Username, Failure> {
    Username::parse(as_text(field, value)?).map_err(|reason| Failure::InvalidName {
        field: field.to_owned(),
        reason,
    })
}

/// How a pool may be written where it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolForm {
    /// A pool id or a user pool ARN.
    IdOrArn,
    /// A user pool ARN only (a key named `...Arn`).
    Arn,
}

/// The pool at `field`.
pub fn pool(field: &str, value: &Value, form: PoolForm) -> Result<UserPoolId, Failure> {
    let text = as_text(field, value)?;
    let parsed = match form {
        PoolForm::Arn => UserPoolId::parse_arn(text),
        PoolForm::IdOrArn => UserPoolId::parse_id_or_arn(text),
    };
    parsed.map_err(|reason| Failure::InvalidName {
        field: field.to_owned(),
        reason,
    })
}

/// The one pool several places name: the same pool named twice is that pool; two different
/// pools are refused ([`Failure::ConflictingPools`]), in every source alike, rather than
/// acting in whichever a reader happens to take first. Two ARNs of one pool id in two
/// accounts are two pools; a plain id agrees with an ARN of the same id, and the ARN's
/// account is kept.
pub fn one_pool(
    named: impl IntoIterator<Item = Option<UserPoolId>>,
) -> Result<Option<UserPoolId>, Failure> {
    let mut found: Option<UserPoolId> = None;
    for pool in named.into_iter().flatten() {
        found = Some(match found {
            None => pool,
            Some(first) if first != pool => return Err(Failure::ConflictingPools),
            Some(first) => match (first.account(), pool.account()) {
                (Some(a), Some(b)) if a != b => return Err(Failure::ConflictingPools),
                (None, Some(_)) => pool,
                _ => first,
            },
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_refused() {
        assert!(parse_strict(r#"{"a":1,"a":2}"#).is_err());
        assert!(parse_only(r#"{"a":1,"a":2}"#, &[]).is_err());
    }

    #[test]
    fn members_not_read_may_hold_anything() {
        let text =
            r#"{"message":{"userName":"alice","deviceName":"\ud800x","n":1e999},"junk":"\udfff"}"#;
        assert!(
            parse_strict(text).is_err(),
            "a whole read refuses the lone surrogate"
        );
        let value = parse_only(
            text,
            &[Member::Only("message", &[Member::Whole("userName")])],
        )
        .unwrap();
        assert_eq!(value["message"]["userName"], "alice");
        assert!(value["message"].get("deviceName").is_none());
    }

    #[test]
    fn a_member_that_is_read_is_read_strictly() {
        let text = r#"{"message":{"userName":"\ud800"}}"#;
        assert!(parse_only(
            text,
            &[Member::Only("message", &[Member::Whole("userName")])]
        )
        .is_err());
    }

    #[test]
    fn two_different_pools_are_refused_and_the_same_twice_is_one() {
        let a = UserPoolId::parse("eu-west-1_A").unwrap();
        let b = UserPoolId::parse("eu-west-1_B").unwrap();
        assert_eq!(
            one_pool([Some(a.clone()), None, Some(a.clone())]).unwrap(),
            Some(a.clone())
        );
        assert!(matches!(
            one_pool([Some(a), Some(b)]),
            Err(Failure::ConflictingPools)
        ));
        assert_eq!(one_pool([None, None]).unwrap(), None);
    }
}
