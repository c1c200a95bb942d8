//! [`Subject`]: a Cognito user's `sub`, the half of a cutoff's key that survives a username
//! change. (A Shared Signals subject, RFC 9493, is another thing: the receiver calls it a
//! `SubjectIdentifier`.)

use std::fmt;

/// A user's `sub`: Cognito's immutable user id (a UUID). Non-empty, at most 255 characters,
/// no control characters, so that it is safe in a table key and a log line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject(String);

/// A `sub` that breaks [`Subject`]'s rule. It never repeats the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be 1-255 characters with no control characters")]
pub struct InvalidSubject;

impl Subject {
    /// Parses a `sub`.
    pub fn parse(raw: &str) -> Result<Self, InvalidSubject> {
        if raw.is_empty() || raw.len() > 255 || raw.chars().any(char::is_control) {
            return Err(InvalidSubject);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The `sub` as Cognito spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sub_is_short_printable_text() {
        assert_eq!(
            Subject::parse("7d8e9f00-1111").unwrap().as_str(),
            "7d8e9f00-1111"
        );
        for bad in [String::new(), "a\nb".to_owned(), "x".repeat(256)] {
            assert_eq!(Subject::parse(&bad), Err(InvalidSubject), "{bad:?}");
        }
    }
}
