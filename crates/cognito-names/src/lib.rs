//! The workspace's one vocabulary, with no SDK, runtime or I/O crate below it: the names of
//! Cognito users and pools, parsed once at the edge ([`UserPoolId`], which knows its region,
//! the account of the ARN it came from, and its tokens' issuer; [`Username`]; the [`Target`]
//! they make together), a user's `sub` ([`Subject`]), the cutoff and its key ([`Cutoff`],
//! [`CutoffKey`], [`UnixSeconds`], [`is_revoked`]), and the containment actions ([`Action`],
//! [`Actions`]), and an SQS queue's URL ([`QueueUrl`]). The responder, the revocation library, the authorizer and the signals
//! receiver all use these types, so a name is never parsed twice by two rules.
//!
//! The rules are the Cognito API reference's: a username is 1 to 128 characters of letters,
//! marks, symbols, numbers and punctuation; a pool id is 1 to 55 characters matching
//! `[\w-]+_[0-9a-zA-Z]+` whose prefix is a region some AWS partition could have. Lengths count
//! characters, not bytes. Past this crate no code can hold a name that would make Cognito
//! answer `InvalidParameterException` for its shape, or that could bend a URL or a table key.

#![warn(missing_docs)]

mod action;
mod cutoff;
mod queue;
mod subject;

pub use action::{Action, Actions, UnknownAction};
pub use cutoff::{is_revoked, Cutoff, CutoffKey, UnixSeconds, DEFAULT_RETENTION};
pub use queue::QueueUrl;
pub use subject::{InvalidSubject, Subject};

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// The longest username the API accepts, in characters.
pub const USERNAME_MAX_CHARS: usize = 128;
/// The longest user pool id the API accepts, in characters.
pub const USER_POOL_ID_MAX_CHARS: usize = 55;

static USERNAME_PATTERN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$").expect("a valid literal"));
// `\w` is ASCII here: the API's pattern is a Java one, and no pool id holds other letters.
// A JSON Web Token: base64url segments separated by dots, the first a JSON header (`eyJ` is
// `{"` encoded). Cognito's own tokens are JWTs.
static JWT_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^eyJ[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*){1,4}$").expect("a valid literal")
});
/// The region prefixes of AWS's partitions, by the SDK's partition rules (its endpoint
/// resolver's `regionRegex` per partition: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b,
/// aws-iso-e, aws-iso-f, aws-eusc): a region is one of these, `-`, lower-case letters, `-`,
/// digits. A pool id whose prefix no partition could hold (`zz-abcd-1`) names no endpoint.
const REGION_PREFIXES: [&str; 16] = [
    "us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn", "us-gov", "us-iso", "us-isob",
    "us-isof", "eu-isoe", "eusc-de",
];

/// Whether `region` is a region some AWS partition could have.
pub fn is_region(region: &str) -> bool {
    let mut parts = region.rsplitn(3, '-');
    let (Some(number), Some(area), Some(prefix)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && !area.is_empty()
        && area.bytes().all(|b| b.is_ascii_lowercase())
        && REGION_PREFIXES.contains(&prefix)
}

/// Whether `id` matches the API's pool id pattern `[\w-]+_[0-9a-zA-Z]+` (`\w` ASCII: the
/// API's pattern is a Java one, and no pool id holds other letters).
fn matches_pool_pattern(id: &str) -> bool {
    let Some(at) = id.rfind('_') else {
        return false;
    };
    let (head, tail) = (&id[..at], &id[at + 1..]);
    !head.is_empty()
        && head
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !tail.is_empty()
        && tail.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Why a name was refused. The message never repeats the refused value, which may be
/// anything an attacker chose, a token included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty string.
    #[error("is empty")]
    Empty,
    /// More characters than the API allows.
    #[error("has {chars} characters, more than the {max} allowed")]
    TooLong {
        /// Characters counted.
        chars: usize,
        /// The API's limit.
        max: usize,
    },
    /// A character outside the API's pattern (control, separator, unassigned, ...).
    #[error("does not match the pattern {pattern}")]
    Pattern {
        /// The API pattern that was broken.
        pattern: &'static str,
    },
    /// A username that is a JSON Web Token: an alert that names a user by one of their
    /// tokens. It is refused rather than acted on or logged, since logs must never hold one.
    #[error("looks like a token (JWT), not a username")]
    LooksLikeToken,
    /// A pool id whose prefix is not a region any AWS partition could have, so no endpoint
    /// can be chosen.
    #[error("does not start with an AWS region (like eu-west-1_AbC123)")]
    NoRegion,
    /// A user pool ARN that is not `arn:<partition>:cognito-idp:<region>:<account>:userpool/<id>`.
    #[error("is not a Cognito user pool ARN")]
    NotAnArn,
    /// An ARN whose region is not the region its pool id names: a pool in another region.
    #[error("names region {arn_region} but its pool id belongs to {pool_region}")]
    RegionMismatch {
        /// The ARN's region field.
        arn_region: String,
        /// The region prefix of the pool id inside the ARN.
        pool_region: String,
    },
}

/// The user an alert asks to sign out, in the pool that holds it: the key a batch's
/// deduplication and every later step (the call, the dead letter, the log line) use.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// The pool, which also decides the region of the call.
    pub pool: UserPoolId,
    /// The username or alias Cognito is given.
    pub user: Username,
}

/// A user pool id that satisfies the API's rules and starts with a region, and, when it was
/// named by an ARN, the account the ARN names. Two values are equal when their ids are: pool
/// ids are unique, and an id alone must still match the ARN an allow-list names it by; where
/// the account matters (pools in other accounts), it is compared on its own.
#[derive(Debug, Clone)]
pub struct UserPoolId {
    id: String,
    region_len: usize,
    account: Option<String>,
}

impl PartialEq for UserPoolId {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for UserPoolId {}

impl std::hash::Hash for UserPoolId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl PartialOrd for UserPoolId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for UserPoolId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id.cmp(&other.id)
    }
}

impl std::str::FromStr for UserPoolId {
    type Err = NameError;

    /// A pool id or a user pool ARN, surrounding white space ignored: how configuration lists
    /// name pools (deployment templates name them by ARN for IAM).
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse_id_or_arn(raw.trim())
    }
}

impl UserPoolId {
    /// Parses a pool id such as `eu-west-1_AbC123`.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let chars = raw.chars().count();
        if chars == 0 {
            return Err(NameError::Empty);
        }
        if chars > USER_POOL_ID_MAX_CHARS {
            return Err(NameError::TooLong {
                chars,
                max: USER_POOL_ID_MAX_CHARS,
            });
        }
        if !matches_pool_pattern(raw) {
            return Err(NameError::Pattern {
                pattern: r"[\w-]+_[0-9a-zA-Z]+",
            });
        }
        // The pattern guarantees an underscore, and none after the last one.
        let region_len = raw.rfind('_').ok_or(NameError::NoRegion)?;
        if !is_region(&raw[..region_len]) {
            return Err(NameError::NoRegion);
        }
        Ok(Self {
            id: raw.to_owned(),
            region_len,
            account: None,
        })
    }

    /// Parses a user pool ARN, `arn:<partition>:cognito-idp:<region>:<account>:userpool/<id>`.
    /// The ARN's region must be the pool id's own: an ARN that points one region while its id
    /// points another is refused rather than sent to either.
    pub fn parse_arn(raw: &str) -> Result<Self, NameError> {
        let mut fields = raw.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some("cognito-idp"),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        )
        else {
            return Err(NameError::NotAnArn);
        };
        let id = resource
            .strip_prefix("userpool/")
            .ok_or(NameError::NotAnArn)?;
        // The region is checked before it can reach a message: an ARN's fields are whatever
        // the sender wrote, a token included.
        if partition.is_empty()
            || !is_region(region)
            || account.len() != 12
            || !account.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(NameError::NotAnArn);
        }
        let mut pool = Self::parse(id)?;
        pool.account = Some(account.to_owned());
        if pool.region() != region {
            return Err(NameError::RegionMismatch {
                arn_region: region.to_owned(),
                pool_region: pool.region().to_owned(),
            });
        }
        Ok(pool)
    }

    /// Parses either form: an ARN when it starts with `arn:`, else a pool id.
    pub fn parse_id_or_arn(raw: &str) -> Result<Self, NameError> {
        if raw.starts_with("arn:") {
            Self::parse_arn(raw)
        } else {
            Self::parse(raw)
        }
    }

    /// The pool id as Cognito knows it.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The region that hosts the pool, and so the one its calls go to.
    pub fn region(&self) -> &str {
        &self.id[..self.region_len]
    }

    /// The account the pool was named in by its ARN; `None` for a pool id alone.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// The same pool in `account` (`None`: the function's own).
    pub fn in_account(mut self, account: Option<&str>) -> Self {
        self.account = account.map(str::to_owned);
        self
    }

    /// Whether `account` is one an ARN could name: twelve digits.
    pub fn is_account(account: &str) -> bool {
        account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
    }

    /// The `iss` claim of every token this pool mints:
    /// `https://cognito-idp.<region>.amazonaws.com/<poolId>`. It is the same when tokens are
    /// minted by an emulator behind an endpoint override (moto mints this exact value), so the
    /// issuer is never derived from `AWS_ENDPOINT_URL`; only where the keys are fetched is.
    pub fn issuer(&self) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{}",
            self.region(),
            self.id
        )
    }

    /// The pool whose issuer is exactly `iss` (the region in the host the pool id's own), or
    /// `None`: the one reading of an issuer URL, so that two spellings of one pool cannot
    /// both pass.
    pub fn from_issuer(iss: &str) -> Option<Self> {
        let id = iss.rsplit_once('/')?.1;
        let pool = Self::parse(id).ok()?;
        (pool.issuer() == iss).then_some(pool)
    }
}

impl fmt::Display for UserPoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// A username (or alias) that satisfies the API's rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    /// Parses a username: 1 to 128 characters of letters, marks, symbols, numbers and
    /// punctuation. Whitespace and control characters are refused, not trimmed: an alert
    /// naming `" alice"` does not name `alice`.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let chars = raw.chars().count();
        if chars == 0 {
            return Err(NameError::Empty);
        }
        if chars > USERNAME_MAX_CHARS {
            return Err(NameError::TooLong {
                chars,
                max: USERNAME_MAX_CHARS,
            });
        }
        if !USERNAME_PATTERN.is_match(raw) {
            return Err(NameError::Pattern {
                pattern: r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+",
            });
        }
        if JWT_PATTERN.is_match(raw) {
            return Err(NameError::LooksLikeToken);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The username as the alert gave it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issuer_names_its_pool_only_when_spelt_exactly() {
        let pool =
            UserPoolId::from_issuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolA1")
                .unwrap();
        assert_eq!(pool.as_str(), "eu-west-1_PoolA1");
        for other in [
            "https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_PoolA1",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolA1/",
            "http://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolA1",
            "https://evil.example/eu-west-1_PoolA1",
            "eu-west-1_PoolA1",
        ] {
            assert_eq!(UserPoolId::from_issuer(other), None, "{other}");
        }
    }

    #[test]
    fn a_region_no_partition_could_have_is_no_region() {
        for pool in [
            "zz-abcd-1_Abc",
            "us-east_Abc",
            "xx-west-1_Abc",
            "us-EAST-1_Abc",
            "eu-west-1a_Abc",
        ] {
            assert_eq!(UserPoolId::parse(pool), Err(NameError::NoRegion), "{pool}");
        }
        for pool in [
            "us-east-1_Abc",
            "eu-central-2_Abc",
            "cn-northwest-1_Abc",
            "us-gov-west-1_Abc",
            "us-isob-east-1_Abc",
            "eusc-de-east-1_Abc",
            "mx-central-1_Abc",
        ] {
            assert!(UserPoolId::parse(pool).is_ok(), "{pool}");
        }
    }

    #[test]
    fn pool_id_carries_its_region() {
        let pool = UserPoolId::parse("eu-west-1_AbC123").unwrap();
        assert_eq!(pool.region(), "eu-west-1");
        assert_eq!(pool.as_str(), "eu-west-1_AbC123");
        let gov = UserPoolId::parse("us-gov-west-1_x9").unwrap();
        assert_eq!(gov.region(), "us-gov-west-1");
    }

    #[test]
    fn pool_id_without_region_is_invalid() {
        assert_eq!(UserPoolId::parse("local_AbC"), Err(NameError::NoRegion));
        assert_eq!(
            UserPoolId::parse("_AbC"),
            Err(NameError::Pattern {
                pattern: r"[\w-]+_[0-9a-zA-Z]+"
            })
        );
    }

    #[test]
    fn pool_id_of_56_characters_is_too_long() {
        let at_limit = format!("eu-west-1_{}", "a".repeat(45));
        assert_eq!(at_limit.chars().count(), 55);
        assert!(UserPoolId::parse(&at_limit).is_ok());
        let past = format!("{at_limit}b");
        assert_eq!(
            UserPoolId::parse(&past),
            Err(NameError::TooLong { chars: 56, max: 55 })
        );
    }

    #[test]
    fn look_alike_pool_ids_are_refused() {
        for raw in [
            "eu-west-1_AbC123 ",
            "eu-west-1_AbC\u{0441}", // Cyrillic es
            "eu\u{2010}west-1_AbC",  // Unicode hyphen
            "eu-west-1_AbC\u{200b}", // zero-width space
            "eu-west-1\u{ff3f}AbC",  // full-width low line
            "eu-west-1_AbC/../x",
            "",
        ] {
            assert!(UserPoolId::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn pool_arn_gives_its_pool_id() {
        let pool = UserPoolId::parse_arn(
            "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123",
        )
        .unwrap();
        assert_eq!(pool.as_str(), "eu-west-1_AbC123");
        let via_either = UserPoolId::parse_id_or_arn(
            "arn:aws-cn:cognito-idp:cn-north-1:123456789012:userpool/cn-north-1_Z1",
        )
        .unwrap();
        assert_eq!(via_either.region(), "cn-north-1");
    }

    #[test]
    fn pool_arn_in_another_region_than_its_id_is_refused() {
        let err = UserPoolId::parse_arn(
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/eu-west-1_AbC123",
        )
        .unwrap_err();
        assert!(matches!(err, NameError::RegionMismatch { .. }));
    }

    #[test]
    fn an_arn_whose_region_field_is_no_region_is_refused_without_repeating_it() {
        let raw = "arn:aws:cognito-idp:eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig:123456789012:userpool/eu-west-1_AbC";
        let err = UserPoolId::parse_arn(raw).unwrap_err();
        assert_eq!(err, NameError::NotAnArn);
        assert!(!err.to_string().contains("eyJ"));
    }

    #[test]
    fn arns_of_other_services_are_refused() {
        for raw in [
            "arn:aws:s3:::bucket",
            "arn:aws:cognito-idp:eu-west-1:123456789012:identitypool/eu-west-1_AbC",
            "arn:aws:cognito-idp:eu-west-1:12345:userpool/eu-west-1_AbC",
            "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/",
        ] {
            assert!(UserPoolId::parse_arn(raw).is_err(), "{raw} was accepted");
        }
    }

    #[test]
    fn username_of_128_characters_is_valid_and_129_is_not() {
        let at_limit = "é".repeat(128); // 256 bytes, 128 characters
        assert!(Username::parse(&at_limit).is_ok());
        let past = "a".repeat(129);
        assert_eq!(
            Username::parse(&past),
            Err(NameError::TooLong {
                chars: 129,
                max: 128
            })
        );
    }

    #[test]
    fn usernames_with_symbols_marks_and_other_scripts_are_valid() {
        for raw in [
            "alice@example.com",
            "José",
            "用户",
            "a+b=c",
            "e\u{301}",
            "☃",
            "०१२",
        ] {
            assert!(Username::parse(raw).is_ok(), "{raw:?} was refused");
        }
    }

    #[test]
    fn usernames_with_spaces_controls_or_bidi_overrides_are_invalid() {
        for raw in [
            "alice smith",
            " alice",
            "alice\n",
            "a\u{0}b",
            "a\u{202e}b",
            "a\u{200b}b",
            "",
        ] {
            assert!(Username::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn a_token_given_as_username_is_refused() {
        let jwt = "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        assert_eq!(Username::parse(jwt), Err(NameError::LooksLikeToken));
        assert_eq!(
            Username::parse("eyJhbGciOiJkaXIifQ..iv.ct.tag"),
            Err(NameError::LooksLikeToken)
        );
        assert!(
            Username::parse("eyJohn").is_ok(),
            "a name that merely starts like one is fine"
        );
        assert!(Username::parse("john.smith.jr").is_ok());
    }

    #[test]
    fn name_errors_never_repeat_the_value() {
        let secret = "eyJhbGciOiJSUzI1NiJ9.secret token";
        let message = Username::parse(secret).unwrap_err().to_string();
        assert!(!message.contains("eyJ"), "{message}");
    }

    #[test]
    fn pool_id_knows_its_region_and_issuer() {
        let pool = UserPoolId::parse("eu-west-1_AbC123").unwrap();
        assert_eq!(pool.region(), "eu-west-1");
        assert_eq!(
            pool.issuer(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
    }

    #[test]
    fn a_configured_pool_may_be_an_id_or_an_arn_with_white_space_around() {
        let by_arn: UserPoolId =
            " arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_XyZ9 "
                .parse()
                .unwrap();
        assert_eq!(by_arn.as_str(), "us-east-1_XyZ9");
        let by_id: UserPoolId = "us-east-1_XyZ9".parse().unwrap();
        assert_eq!(by_id, by_arn, "equal by id");
        assert_eq!(by_arn.account(), Some("123456789012"));
        assert_eq!(by_id.account(), None);
    }

    #[test]
    fn pool_ids_that_could_bend_a_url_are_refused() {
        for bad in [
            "",
            "eu-west-1",
            "eu-west-1_",
            "_AbC",
            "eu-west-1_Ab/../x",
            "evil.example.com/x_Ab",
            "eu-west-1_Ab?x",
            "EU-WEST-1_Ab",
            &format!("eu-west-1_{}", "a".repeat(60)),
        ] {
            assert!(UserPoolId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
