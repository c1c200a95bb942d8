//! [`QueueUrl`]: the one way every binary names an SQS queue.

use std::fmt;
use std::str::FromStr;

/// An SQS queue URL: `http(s)://<host>/<account>/<queue name>` (`http` for a local emulator),
/// parsed at start-up so that a URL SQS could never take stops the function instead of failing
/// every message sent to it. Every binary's queues (dead letters, alerts, deliveries) are named
/// by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueUrl(String);

impl QueueUrl {
    /// The URL as SQS is given it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a FIFO queue, which needs group and deduplication ids.
    pub fn is_fifo(&self) -> bool {
        self.0.ends_with(".fifo")
    }
}

impl fmt::Display for QueueUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for QueueUrl {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        const SHAPE: &str =
            "must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)";
        let rest = raw
            .strip_prefix("https://")
            .or_else(|| raw.strip_prefix("http://"))
            .ok_or(SHAPE)?;
        let mut parts = rest.split('/');
        let host = parts.next().unwrap_or("");
        let (account, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        let account_ok = !account.is_empty() && account.chars().all(|c| c.is_ascii_alphanumeric());
        let stem = name.strip_suffix(".fifo").unwrap_or(name);
        let name_ok = (1..=80).contains(&name.len())
            && !stem.is_empty()
            && stem
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        if host_ok && account_ok && name_ok && parts.next().is_none() {
            Ok(Self(raw.to_owned()))
        } else {
            Err(SHAPE.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_urls_must_name_a_queue() {
        for good in [
            "https://sqs.eu-west-1.amazonaws.com/123456789012/alerts",
            "http://127.0.0.1:4566/000000000000/bad-alerts.fifo",
            "http://localhost:5000/123456789012/x_y",
        ] {
            assert!(good.parse::<QueueUrl>().is_ok(), "{good}");
        }
        for bad in [
            "https://",
            "http://x y",
            "https://sqs.eu-west-1.amazonaws.com",
            "https://sqs.eu-west-1.amazonaws.com/123456789012",
            "https://sqs.eu-west-1.amazonaws.com/123456789012/",
            "https://sqs.eu-west-1.amazonaws.com/123456789012/a b",
            "https://sqs.eu-west-1.amazonaws.com/1/q/extra",
            "sqs-queue-name",
            "https://h/1/.fifo",
        ] {
            assert!(bad.parse::<QueueUrl>().is_err(), "{bad}");
        }
    }
}
