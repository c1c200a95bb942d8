//! The environment, read once at start-up: [`Env`] holds the variables and is the one reader
//! of typed values, [`ConfigError`] names the variable at fault. Each value type parses
//! itself (`FromStr`); the reader only adds the variable's name to its error, so that an
//! operator reading `configuration error: DLQ_URL: ...` knows which setting to fix, whatever
//! the binary.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;

/// A configuration value that cannot be used. Start-up refuses to go on with one: a function
/// that ran on a misread setting would act wrongly on every event of its life.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault, so the operator knows what to fix.
    pub variable: String,
    /// What is wrong with it.
    pub problem: String,
}

impl ConfigError {
    /// `variable` is unusable because of `problem`. For the rules no single value's parser
    /// can check (a variable set but empty, two variables that contradict each other).
    pub fn new(variable: &str, problem: impl Into<String>) -> Self {
        Self {
            variable: variable.to_owned(),
            problem: problem.into(),
        }
    }

    /// `raw`, the value of `variable`, parsed as a `T` (trimmed first); the error names
    /// `variable`. For values found by [`Env::with_prefix`], whose names are not known in
    /// advance.
    pub fn parse<T>(variable: &str, raw: &str) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        raw.trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::new(variable, e.to_string()))
    }
}

/// The environment as `(name, value)` pairs, and the one reader of typed values. Read once,
/// so that a test can hand a function its own variables instead of the process's.
#[derive(Debug, Clone, Default)]
pub struct Env(BTreeMap<String, String>);

impl Env {
    /// The process environment.
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    /// The given pairs (tests pass their own).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(vars.into_iter().collect())
    }

    /// The trimmed value of `name`; an empty value counts as unset, as templates often set a
    /// variable to `""` to mean "not configured".
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// Whether `name` is set at all, even empty: for the settings where "set but empty" is
    /// a mistake to refuse rather than "unset".
    pub fn is_set(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The variables whose names start with `prefix`, with their full names and raw values:
    /// for families of settings (`DLQ_URL_<CLASS>`) where a misspelt member must be refused,
    /// not ignored.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0.iter().filter_map(move |(name, value)| {
            Some((name.as_str(), value.as_str())).filter(|_| name.starts_with(prefix))
        })
    }

    /// `name` parsed as a `T`, `None` when unset; an error names the variable.
    pub fn parse<T>(&self, name: &str) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.get(name)
            .map(|raw| ConfigError::parse(name, raw))
            .transpose()
    }

    /// `name` parsed as a `T`, which must be set: `why` says what it is for, so that the
    /// refusal tells the operator what to put there.
    pub fn require<T>(&self, name: &str, why: &str) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.parse(name)?
            .ok_or_else(|| ConfigError::new(name, format!("required: {why}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn an_empty_or_blank_value_counts_as_unset_but_is_set() {
        let env = env(&[("EMPTY", ""), ("BLANK", "  "), ("SET", " x ")]);
        assert_eq!(env.get("EMPTY"), None);
        assert_eq!(env.get("BLANK"), None);
        assert_eq!(env.get("SET"), Some("x"));
        assert!(env.is_set("EMPTY"));
        assert!(!env.is_set("MISSING"));
    }

    #[test]
    fn a_bad_value_names_its_variable_and_says_what_is_wrong() {
        let env = env(&[("COUNT", "ten")]);
        let err = env.parse::<u32>("COUNT").unwrap_err();
        assert_eq!(err.variable, "COUNT");
        assert_eq!(
            err.to_string(),
            "configuration error: COUNT: invalid digit found in string"
        );
        assert_eq!(env.parse::<u32>("MISSING"), Ok(None));
    }

    #[test]
    fn a_required_variable_that_is_missing_says_what_it_is_for() {
        let err = env(&[])
            .require::<String>("DLQ_URL", "the URL of the default dead-letter queue")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration error: DLQ_URL: required: the URL of the default dead-letter queue"
        );
    }

    #[test]
    fn a_prefix_lists_every_member_of_a_family_and_nothing_else() {
        let env = env(&[("DLQ_URL", "a"), ("DLQ_URL_X", "b"), ("OTHER", "c")]);
        let family: Vec<_> = env.with_prefix("DLQ_URL_").collect();
        assert_eq!(family, vec![("DLQ_URL_X", "b")]);
        assert_eq!(ConfigError::parse::<u8>("DLQ_URL_X", " 7 "), Ok(7));
    }
}
