//! Text made safe to keep: cut to a size without splitting a character, and the characters
//! SQS refuses replaced. Used wherever a value someone else chose (an id, an error message)
//! goes into a message attribute or a log line.

/// `text` cut to at most `max` bytes without splitting a character.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// Whether SQS takes `c` in a message body or attribute value.
pub fn is_sqs_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

pub fn is_sqs_safe(text: &str) -> bool {
    text.chars().all(is_sqs_char)
}

/// `text` with the characters SQS refuses replaced by U+FFFD.
pub fn sqs_safe(text: &str) -> String {
    text.chars()
        .map(|c| if is_sqs_char(c) { c } else { '\u{fffd}' })
        .collect()
}

/// A FIFO group or deduplication id SQS takes: 1-128 characters of `!` to `~`.
pub fn is_fifo_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| (b'!'..=b'~').contains(&b))
}

/// `text` for a log line: control characters (a newline that would forge a second line in
/// text mode, an escape sequence for a terminal) written as escapes, and cut to `max` bytes.
pub fn loggable(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for c in text.chars() {
        if out.len() >= max {
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    truncate(&out, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_forge_a_log_line() {
        assert_eq!(
            loggable("evt-1\nalert settled outcome=signed-out\u{1b}[2J", 200),
            "evt-1\\nalert settled outcome=signed-out\\u{1b}[2J"
        );
        assert_eq!(loggable(&"x".repeat(10_000), 100).len(), 100);
    }
}
