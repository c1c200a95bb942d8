//! The configuration values more than one function reads, each parsing itself (`FromStr`) so
//! that [`Env::parse`](crate::Env::parse) can read it and name the variable on error. One
//! rule per value for every binary: a table name one function accepts and another refuses
//! would be a deployment that half works.

use std::fmt::Display;
use std::str::FromStr;

/// A DynamoDB table name: 3-255 of `a-z A-Z 0-9 _ - .` (DynamoDB's rule), refused at
/// start-up rather than by the first call that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName(pub String);

impl FromStr for TableName {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let ok = (3..=255).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        ok.then(|| Self(raw.to_owned()))
            .ok_or("must be a DynamoDB table name: 3-255 characters of a-z, A-Z, 0-9, _, - and .")
    }
}

/// A CloudWatch metrics namespace: at most 255 characters, no `:` (CloudWatch's rule). A
/// namespace CloudWatch refuses would drop every metric silently, since EMF lines are only
/// log lines until CloudWatch reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsNamespace(pub String);

impl FromStr for MetricsNamespace {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw.len() > 255 || raw.contains(':') {
            return Err("must be at most 255 characters, without ':'");
        }
        Ok(Self(raw.to_owned()))
    }
}

/// A true/false switch: `true`, `1`, `yes`, `false`, `0`, `no`, any case. Anything else is
/// refused rather than read as false: `DRY_RUN=ture` must not act for real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switch(pub bool);

impl FromStr for Switch {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Self(true)),
            "false" | "0" | "no" => Ok(Self(false)),
            _ => Err("must be true or false"),
        }
    }
}

/// A comma-separated list, each entry parsed by `T`'s own rules. Entries are trimmed and
/// empty ones skipped (a trailing comma is harmless); a bad entry is quoted in the error, and
/// a list with no entry at all is refused, since a list variable that is set means to name
/// something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommaList<T>(pub Vec<T>);

impl<T> FromStr for CommaList<T>
where
    T: FromStr,
    T::Err: Display,
{
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let items = raw
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse()
                    .map_err(|e: T::Err| format!("entry {item:?} {e}"))
            })
            .collect::<Result<Vec<T>, _>>()?;
        if items.is_empty() {
            return Err("lists nothing".to_owned());
        }
        Ok(Self(items))
    }
}

impl<T> IntoIterator for CommaList<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_name_follows_dynamodbs_rule() {
        assert!("cutoffs".parse::<TableName>().is_ok());
        assert!("a.b-c_d".parse::<TableName>().is_ok());
        for bad in ["ab", "cut offs", "a/b", &"x".repeat(256)] {
            assert!(bad.parse::<TableName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_namespace_with_a_colon_or_too_long_is_refused() {
        assert!("SecOps/Signout".parse::<MetricsNamespace>().is_ok());
        assert!("a:b".parse::<MetricsNamespace>().is_err());
        assert!("x".repeat(256).parse::<MetricsNamespace>().is_err());
    }

    #[test]
    fn a_switch_takes_the_usual_spellings_in_any_case_and_nothing_else() {
        assert_eq!("TRUE".parse(), Ok(Switch(true)));
        assert_eq!("yes".parse(), Ok(Switch(true)));
        assert_eq!("0".parse(), Ok(Switch(false)));
        assert!("maybe".parse::<Switch>().is_err());
    }

    #[test]
    fn a_comma_list_skips_empty_entries_quotes_a_bad_one_and_refuses_nothing() {
        assert_eq!(" 1, 2 ,,3, ".parse(), Ok(CommaList(vec![1u8, 2, 3])));
        assert_eq!(
            "1, x".parse::<CommaList<u8>>(),
            Err("entry \"x\" invalid digit found in string".to_owned())
        );
        assert_eq!(
            " , ".parse::<CommaList<u8>>(),
            Err("lists nothing".to_owned())
        );
    }
}
