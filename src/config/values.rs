//! The values of the configuration, each parsing itself (`FromStr`) with the rule it names in
//! its error, so that [`super::Config::from`] reads each variable in one line.

use std::str::FromStr;

use crate::core::identity::UserPoolId;

use super::{MAX_CONCURRENCY_LIMIT, REQUESTS_PER_SECOND_RANGE};

/// `MAX_RECEIVE_COUNT`: a whole number from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxReceiveCount(pub u32);

impl FromStr for MaxReceiveCount {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(Self(n)),
            _ => Err(format!("must be a whole number from 1 to {}", u32::MAX)),
        }
    }
}

/// `MAX_CONCURRENCY`: 1 to [`MAX_CONCURRENCY_LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxConcurrency(pub usize);

impl FromStr for MaxConcurrency {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_CONCURRENCY_LIMIT).contains(&n) => Ok(Self(n)),
            _ => Err(format!(
                "must be a whole number from 1 to {MAX_CONCURRENCY_LIMIT} (each call in flight holds a socket, and Lambda allows 1,024 open files)"
            )),
        }
    }
}

/// `MAX_REQUESTS_PER_SECOND`: calls a second within [`REQUESTS_PER_SECOND_RANGE`], or
/// `unlimited` (`None`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestRate(pub Option<f64>);

impl FromStr for RequestRate {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw.eq_ignore_ascii_case("unlimited") {
            return Ok(Self(None));
        }
        let (min, max) = REQUESTS_PER_SECOND_RANGE;
        match raw.parse::<f64>() {
            Ok(rate) if (min..=max).contains(&rate) => Ok(Self(Some(rate))),
            _ => Err(format!(
                "must be a number of calls per second from {min} to {max}, or unlimited"
            )),
        }
    }
}

/// `REVOCATION_RETENTION_SECONDS`: how long a cutoff is kept, from five minutes (the shortest
/// token validity Cognito allows) to 366 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(pub std::time::Duration);

impl FromStr for Retention {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.parse::<u64>() {
            Ok(secs) if (300..=31_622_400).contains(&secs) => {
                Ok(Self(std::time::Duration::from_secs(secs)))
            }
            _ => Err("must be a whole number of seconds from 300 to 31622400; it must cover the longest token validity of the pool's app clients"),
        }
    }
}

/// `EVENT_BUS_NAME`: an event bus name or ARN (1-256 of `A-Z a-z 0-9 . _ - /`, or an ARN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusName(pub String);

impl FromStr for BusName {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let name_ok = (1..=256).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
        let arn_ok = raw.starts_with("arn:") && raw.contains(":event-bus/") && raw.len() <= 1600;
        (name_ok || arn_ok)
            .then(|| Self(raw.to_owned()))
            .ok_or("must be an event bus name or ARN")
    }
}

/// `EVENT_SOURCE`: the events' `Source`, 1-256 characters, not starting with `aws.` in any
/// case (reserved for AWS services, and refused by `PutEvents`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSource(pub String);

impl FromStr for EventSource {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        // EventBridge reserves `aws.` in any case: `AWS.evil` would be refused by every
        // PutEvents, or worse, pass for an AWS service's event downstream.
        let reserved = raw
            .get(..4)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws."));
        let ok = (1..=256).contains(&raw.len())
            && !reserved
            && raw.chars().all(|c| c.is_ascii_graphic());
        ok.then(|| Self(raw.to_owned()))
            .ok_or("must be 1-256 printable characters without spaces, not starting with aws.")
    }
}

/// A user pool named by id or ARN (`DEFAULT_USER_POOL_ID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolName(pub UserPoolId);

impl FromStr for PoolName {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        UserPoolId::parse_id_or_arn(raw)
            .map(Self)
            .map_err(|e| format!("the pool id {e}"))
    }
}

/// The SDK's endpoint overrides the function reads: each must be a URL SQS, Cognito, DynamoDB
/// or EventBridge could answer at, or every call fails for the life of the instance.
pub const ENDPOINT_VARIABLES: [&str; 5] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
];

/// An endpoint override: `http(s)://host[:port][/path]`, a host of letters, digits, `.`, `-`
/// (or a bracketed IPv6 address), a port of digits, no spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(pub String);

impl FromStr for EndpointUrl {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        const SHAPE: &str = "must be an endpoint URL: http(s)://host[:port][/path]";
        let rest = raw
            .strip_prefix("https://")
            .or_else(|| raw.strip_prefix("http://"))
            .ok_or(SHAPE)?;
        let authority = rest.split('/').next().unwrap_or("");
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
                (host, Some(port))
            }
            _ => (authority, None),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.parse::<u16>().is_ok());
        let rest_ok = !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        if host_ok && port_ok && rest_ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(SHAPE)
        }
    }
}
