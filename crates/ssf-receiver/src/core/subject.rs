//! Subjects (RFC 9493 subject identifiers) and whom they name, pure.
//!
//! [`SubjectIdentifier::read`] takes a subject identifier as a SET carries it: `iss_sub`, `email`, a
//! `complex` subject's `user` member; also the legacy RISC spelling (`subject_type`
//! `iss-sub` / `email`) that some transmitters still send. Anything else is
//! [`SubjectIdentifier::Other`], which names nobody. [`Lookup::of`] then says how to find the Cognito
//! users a subject names (docs/ssf-receiver.md), before any call is made.

use cognito_names::{UserPoolId, Username};
use serde_json::Value;

/// A subject identifier, as far as this receiver understands it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubjectIdentifier {
    /// `iss_sub`: a user by its issuer and its `sub` there.
    IssSub {
        /// The issuer.
        iss: String,
        /// The subject at that issuer.
        sub: String,
    },
    /// `email`: every user with that address.
    Email(String),
    /// Any other format (`opaque`, `phone_number`, a complex subject without a user, ...),
    /// or none: names nobody here.
    Other(String),
}

impl SubjectIdentifier {
    /// The subject identifier `value`, when there is one.
    pub fn read(value: Option<&Value>) -> SubjectIdentifier {
        let Some(value) = value else {
            return SubjectIdentifier::Other("none".to_owned());
        };
        let text = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
        let format = text("format").or_else(|| text("subject_type"));
        match format.as_deref() {
            Some("iss_sub" | "iss-sub") => match (text("iss"), text("sub")) {
                (Some(iss), Some(sub)) => SubjectIdentifier::IssSub { iss, sub },
                _ => SubjectIdentifier::Other("iss_sub".to_owned()),
            },
            Some("email") => match text("email") {
                Some(email) => SubjectIdentifier::Email(email),
                None => SubjectIdentifier::Other("email".to_owned()),
            },
            Some("complex") => match value.get("user") {
                Some(user) => SubjectIdentifier::read(Some(user)),
                None => SubjectIdentifier::Other("complex".to_owned()),
            },
            Some(other) => SubjectIdentifier::Other(short(other)),
            None => SubjectIdentifier::Other("none".to_owned()),
        }
    }

    /// The format, for logs: `iss_sub`, `email`, or the other format's name.
    pub fn format(&self) -> &str {
        match self {
            SubjectIdentifier::IssSub { .. } => "iss_sub",
            SubjectIdentifier::Email(_) => "email",
            SubjectIdentifier::Other(format) => format,
        }
    }
}

/// A format name as logged: at most 32 characters of it (it comes from a genuine SET, but
/// a log line is no place for a long string).
fn short(format: &str) -> String {
    format.chars().take(32).collect()
}

/// How to find the users a subject names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The user of `pool` whose `sub` this is (an `iss_sub` issued by a listed Cognito pool).
    BySub {
        /// The listed pool whose issuer the subject named.
        pool: UserPoolId,
        /// The user's `sub`.
        sub: String,
    },
    /// The federated user `<provider>_<sub>` in every listed pool that holds one (an
    /// `iss_sub` of the transmitter itself, with `SSF_IDENTITY_PROVIDER` set).
    ByUsername(Username),
    /// Every user of the listed pools with this `email` and `email_verified` true.
    ByEmail(String),
    /// Nobody: the subject's format or issuer names no user here.
    Nobody,
}

/// What subject mapping needs from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    /// `SSF_SUBJECT_ISSUER` (by default `SSF_ISSUER`): an `iss_sub` of this issuer names a
    /// user of the identity provider (`<provider>_<sub>`).
    pub issuer: String,
    /// `SSF_USER_POOL_IDS`.
    pub pools: Vec<UserPoolId>,
    /// `SSF_IDENTITY_PROVIDER`: the pools' provider name for the transmitter's users.
    pub identity_provider: Option<String>,
}

impl Lookup {
    /// How to find the users `subject` names in `directory`.
    pub fn of(subject: &SubjectIdentifier, directory: &Directory) -> Lookup {
        match subject {
            SubjectIdentifier::IssSub { iss, sub } if filterable(sub) => {
                if let Some(pool) = directory.pools.iter().find(|p| p.issuer() == *iss) {
                    return Lookup::BySub {
                        pool: pool.clone(),
                        sub: sub.clone(),
                    };
                }
                match &directory.identity_provider {
                    Some(provider) if *iss == directory.issuer => {
                        Username::parse(&format!("{provider}_{sub}"))
                            .map_or(Lookup::Nobody, Lookup::ByUsername)
                    }
                    _ => Lookup::Nobody,
                }
            }
            SubjectIdentifier::Email(email) if filterable(email) && email.contains('@') => {
                Lookup::ByEmail(email.clone())
            }
            _ => Lookup::Nobody,
        }
    }
}

/// Whether `value` can stand in a `ListUsers` filter (`name = "value"`): not empty, at most
/// 2048 characters, no quote, backslash or control character that would bend the filter.
fn filterable(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 2048
        && !value
            .chars()
            .any(|c| c == '"' || c == '\\' || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pool() -> UserPoolId {
        UserPoolId::parse("eu-west-1_AbC").unwrap()
    }

    fn directory(provider: Option<&str>) -> Directory {
        Directory {
            issuer: "https://idp.example.com/".to_owned(),
            pools: vec![pool(), UserPoolId::parse("us-east-1_XyZ").unwrap()],
            identity_provider: provider.map(str::to_owned),
        }
    }

    #[test]
    fn a_subject_of_the_named_subject_issuer_is_the_providers_user() {
        let directory = Directory {
            issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolA".to_owned(),
            ..directory(Some("PoolA"))
        };
        let named = SubjectIdentifier::IssSub {
            iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolA".into(),
            sub: "s-1".into(),
        };
        assert_eq!(
            Lookup::of(&named, &directory),
            Lookup::ByUsername(Username::parse("PoolA_s-1").unwrap())
        );
        // The transmitter's own issuer no longer names the provider's users.
        let own = SubjectIdentifier::IssSub {
            iss: "https://idp.example.com/".into(),
            sub: "s-1".into(),
        };
        assert_eq!(Lookup::of(&own, &directory), Lookup::Nobody);
    }

    #[test]
    fn the_rfc_9493_formats_are_read() {
        assert_eq!(
            SubjectIdentifier::read(Some(&json!({"format": "iss_sub", "iss": "i", "sub": "s"}))),
            SubjectIdentifier::IssSub {
                iss: "i".into(),
                sub: "s".into()
            }
        );
        assert_eq!(
            SubjectIdentifier::read(Some(&json!({"format": "email", "email": "a@b.c"}))),
            SubjectIdentifier::Email("a@b.c".into())
        );
        assert_eq!(
            SubjectIdentifier::read(Some(&json!({"format": "opaque", "id": "x"}))),
            SubjectIdentifier::Other("opaque".into())
        );
        assert_eq!(SubjectIdentifier::read(None).format(), "none");
        assert_eq!(
            SubjectIdentifier::read(Some(&json!({"email": "a@b.c"}))).format(),
            "none"
        );
    }

    #[test]
    fn a_complex_subject_is_its_user_member() {
        let complex = json!({
            "format": "complex",
            "user": {"format": "email", "email": "a@b.c"},
            "session": {"format": "opaque", "id": "s"},
        });
        assert_eq!(
            SubjectIdentifier::read(Some(&complex)),
            SubjectIdentifier::Email("a@b.c".into())
        );
        let no_user = json!({"format": "complex", "device": {"format": "opaque", "id": "d"}});
        assert_eq!(SubjectIdentifier::read(Some(&no_user)).format(), "complex");
    }

    #[test]
    fn the_legacy_risc_spelling_is_read() {
        let google =
            json!({"subject_type": "iss-sub", "iss": "https://accounts.google.com/", "sub": "7"});
        assert_eq!(SubjectIdentifier::read(Some(&google)).format(), "iss_sub");
    }

    #[test]
    fn an_iss_sub_of_a_listed_pool_is_looked_up_by_sub_there() {
        let subject = SubjectIdentifier::IssSub {
            iss: pool().issuer(),
            sub: "s-1".into(),
        };
        assert_eq!(
            Lookup::of(&subject, &directory(None)),
            Lookup::BySub {
                pool: pool(),
                sub: "s-1".into()
            }
        );
        let unlisted = SubjectIdentifier::IssSub {
            iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other".into(),
            sub: "s-1".into(),
        };
        assert_eq!(
            Lookup::of(&unlisted, &directory(Some("Okta"))),
            Lookup::Nobody
        );
    }

    #[test]
    fn an_iss_sub_of_the_transmitter_is_the_federated_username_when_a_provider_is_set() {
        let subject = SubjectIdentifier::IssSub {
            iss: "https://idp.example.com/".into(),
            sub: "00u1".into(),
        };
        assert_eq!(
            Lookup::of(&subject, &directory(Some("Okta"))),
            Lookup::ByUsername(Username::parse("Okta_00u1").unwrap())
        );
        assert_eq!(Lookup::of(&subject, &directory(None)), Lookup::Nobody);
    }

    #[test]
    fn an_email_is_looked_up_everywhere_and_other_formats_name_nobody() {
        assert_eq!(
            Lookup::of(&SubjectIdentifier::Email("a@b.c".into()), &directory(None)),
            Lookup::ByEmail("a@b.c".into())
        );
        assert_eq!(
            Lookup::of(&SubjectIdentifier::Other("opaque".into()), &directory(None)),
            Lookup::Nobody
        );
    }

    #[test]
    fn a_value_that_would_bend_the_filter_names_nobody() {
        for bad in ["a\"@b.c", "a\\@b.c", "a\n@b.c", "", "nobody"] {
            assert_eq!(
                Lookup::of(&SubjectIdentifier::Email(bad.into()), &directory(None)),
                Lookup::Nobody,
                "{bad:?}"
            );
        }
        let sub = SubjectIdentifier::IssSub {
            iss: pool().issuer(),
            sub: "x\" or sub = \"y".into(),
        };
        assert_eq!(Lookup::of(&sub, &directory(None)), Lookup::Nobody);
    }
}
