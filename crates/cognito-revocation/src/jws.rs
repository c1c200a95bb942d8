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

/// The JSON value `segment` encodes, or `None` when it is not base64url of a JSON `T`.
pub fn decode_json<T: serde::de::DeserializeOwned>(segment: &str) -> Option<T> {
    if !is_base64url(segment) {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    serde_json::from_slice(&bytes).ok()
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
