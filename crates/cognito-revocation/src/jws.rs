//! The segments of a compact JWS (RFC 7515 section 7.1), read the way every verifier of the
//! workspace reads them: base64url without padding, strictly (no padding, no other alphabet,
//! no white space), and JSON. Reading is not verifying: nothing here checks a signature.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Whether `segment` is base64url text (letters, digits, `-` and `_` only; no padding).
pub fn is_base64url(segment: &str) -> bool {
    segment
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The three segments of a compact JWS (`header.payload.signature`), or `None` when there are
/// not exactly three or the header or payload is empty (a JWE's five segments are refused
/// here). The signature may be empty (`alg: none`): the caller refuses it with its own reason.
pub fn segments(token: &str) -> Option<(&str, &str, &str)> {
    let mut segments = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return None;
    };
    (!header.is_empty() && !payload.is_empty()).then_some((header, payload, signature))
}

/// The deepest nesting of arrays and objects a segment may hold: serde_json's own limit for
/// the values it builds. Members a reader skips unread are not counted by serde_json, so
/// without this bound a header could nest thousands of levels inside an unknown member.
pub const MAX_NESTING: usize = 128;

/// The JSON value `segment` encodes, or `None` when it is not base64url of a JSON `T`, or
/// nests arrays and objects deeper than [`MAX_NESTING`].
pub fn decode_json<T: serde::de::DeserializeOwned>(segment: &str) -> Option<T> {
    if !is_base64url(segment) {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    if nesting(&bytes) > MAX_NESTING {
        return None;
    }
    serde_json::from_slice(&bytes).ok()
}

/// How deep arrays and objects nest in the JSON text `bytes` (brackets inside strings are
/// text). Ill-formed text gets some number; the parser refuses it afterwards anyway.
fn nesting(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_three_segments_with_a_header_and_a_payload() {
        assert_eq!(segments("h.p.s"), Some(("h", "p", "s")));
        assert_eq!(segments("h.p."), Some(("h", "p", "")));
        for bad in ["h.p", "h.p.s.x", "h.p.s.x.y", ".p.s", "h..s", "", "hps"] {
            assert_eq!(segments(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn nesting_deeper_than_serde_jsons_own_limit_is_refused_even_in_a_skipped_member() {
        #[derive(serde::Deserialize)]
        struct Header {
            #[allow(dead_code)]
            alg: String,
        }
        let header = |levels: usize| {
            let json = format!(
                r#"{{"alg":"RS256","x":{}1{}}}"#,
                "[".repeat(levels - 1),
                "]".repeat(levels - 1)
            );
            URL_SAFE_NO_PAD.encode(json)
        };
        assert!(decode_json::<Header>(&header(MAX_NESTING)).is_some());
        assert!(decode_json::<Header>(&header(MAX_NESTING + 1)).is_none());
        assert!(decode_json::<Header>(&header(3_000)).is_none());
        // Brackets inside strings, escaped quotes included, are text.
        let text = format!(r#"{{"alg":"RS256","x":"\"{}"}}"#, "[".repeat(3_000));
        assert!(decode_json::<Header>(&URL_SAFE_NO_PAD.encode(text)).is_some());
    }

    #[test]
    fn only_strict_base64url_json_is_read() {
        assert_eq!(
            decode_json::<serde_json::Value>("eyJhIjoxfQ"),
            Some(serde_json::json!({"a": 1}))
        );
        for bad in [
            "eyJhIjoxfQ==",
            "eyJhIjoxfQ+/",
            "eyJh IjoxfQ",
            "bm90IGpzb24",
            "",
        ] {
            assert_eq!(decode_json::<serde_json::Value>(bad), None, "{bad:?}");
        }
    }
}
