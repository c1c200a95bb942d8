//! The invocation's deadline, as every binary reads it from the Runtime API.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// Lambda's longest timeout: the deadline assumed when the runtime gives none that is real.
pub const LAMBDA_MAX_TIMEOUT: Duration = Duration::from_secs(900);

/// The tokio instant of a wall-clock deadline; a deadline already past is now. A deadline
/// more than a day in the past is no real deadline but an emulator's placeholder
/// (`cargo lambda watch` sends the constant 600000, i.e. 1970), and is read as Lambda's
/// longest timeout from now.
pub fn instant_of(deadline: SystemTime) -> Instant {
    let now = SystemTime::now();
    let remaining = match deadline.duration_since(now) {
        Ok(remaining) => remaining,
        Err(past) if past.duration() > Duration::from_secs(86_400) => LAMBDA_MAX_TIMEOUT,
        Err(_) => Duration::ZERO,
    };
    Instant::now() + remaining
}

/// The instant of a Runtime API deadline in Unix milliseconds (`LambdaEvent`'s
/// `context.deadline`).
pub fn instant_of_ms(deadline_ms: u64) -> Instant {
    instant_of(SystemTime::UNIX_EPOCH + Duration::from_millis(deadline_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_in_the_future_leaves_its_remaining_time() {
        let remaining = instant_of(SystemTime::now() + Duration::from_secs(30)) - Instant::now();
        assert!(remaining > Duration::from_secs(29) && remaining <= Duration::from_secs(30));
    }

    #[test]
    fn a_deadline_just_past_leaves_no_time() {
        let at = instant_of(SystemTime::now() - Duration::from_secs(5));
        assert!(at <= Instant::now());
    }

    #[test]
    fn an_emulators_placeholder_deadline_is_read_as_lambdas_longest_timeout() {
        let remaining = instant_of_ms(600_000) - Instant::now();
        assert!(remaining > Duration::from_secs(899));
    }
}
