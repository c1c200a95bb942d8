//! A stream (SSF 1.0 section 8): what a receiver asked for, as the transmitter keeps it, and
//! the reading of the receiver's requests that create, update and replace it.
//!
//! Every member a receiver sends is untrusted and bounded here: the endpoint by its own rule
//! ([`ReceiverEndpoint`]), `authorization_header` to visible ASCII (no line break can reach a
//! request header) of at most [`MAX_AUTHORIZATION_BYTES`], `events_requested` to
//! [`MAX_EVENTS_REQUESTED`] URIs, `description` to [`MAX_DESCRIPTION_CHARS`]. Unknown members
//! are ignored (SSF); members the transmitter supplies (`iss`, `aud`, `events_supported`,
//! `events_delivered`) are never taken from a request. The `authorization_header` is never
//! written back in an answer.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::endpoint::{EndpointRefusal, ReceiverEndpoint};
use super::set::{ACCOUNT_DISABLED, CREDENTIAL_CHANGE, SESSION_REVOKED};

/// Push delivery (RFC 8935).
pub const PUSH: &str = "urn:ietf:rfc:8935";
/// Poll delivery (RFC 8936).
pub const POLL: &str = "urn:ietf:rfc:8936";
/// The event types this transmitter sends.
pub const EVENTS_SUPPORTED: [&str; 3] = [SESSION_REVOKED, CREDENTIAL_CHANGE, ACCOUNT_DISABLED];
/// The most event types a stream may request.
pub const MAX_EVENTS_REQUESTED: usize = 32;
/// The longest event type URI accepted.
pub const MAX_EVENT_TYPE_BYTES: usize = 256;
/// The longest `description`, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
/// The longest `authorization_header`, in bytes.
pub const MAX_AUTHORIZATION_BYTES: usize = 4096;
/// The least time between two verifications of one stream, in seconds (the configuration's
/// `min_verification_interval`; one sooner is answered 429): each costs a `Sign`.
pub const MIN_VERIFICATION_INTERVAL: u64 = 5;
/// The longest `reason` of a status change, in bytes as JSON (escapes included): it goes into
/// the stream-updated SET, whose signing input KMS bounds.
pub const MAX_REASON_BYTES: usize = 512;

/// How a stream's SETs reach its receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method")]
pub enum Delivery {
    /// Pushed to the receiver's endpoint.
    #[serde(rename = "urn:ietf:rfc:8935")]
    Push {
        /// The receiver's endpoint.
        endpoint_url: String,
        /// The `Authorization` value each push carries; never answered back.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        authorization_header: Option<String>,
    },
    /// Polled by the receiver at the transmitter's endpoint.
    #[serde(rename = "urn:ietf:rfc:8936")]
    Poll,
}

/// A stream's status (SSF 1.0 section 8.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// SETs are delivered.
    Enabled,
    /// SETs are held (at most the poll retention) and delivered on resume.
    Paused,
    /// SETs are neither delivered nor kept.
    Disabled,
}

impl Status {
    /// The name SSF gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Enabled => "enabled",
            Status::Paused => "paused",
            Status::Disabled => "disabled",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "enabled" => Some(Status::Enabled),
            "paused" => Some(Status::Paused),
            "disabled" => Some(Status::Disabled),
            _ => None,
        }
    }
}

/// A stream as the transmitter keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stream {
    /// Its id, chosen by the transmitter.
    pub stream_id: String,
    /// The client that created it: its owner, and the SETs' `aud`.
    pub client_id: String,
    /// How its SETs are delivered.
    pub delivery: Delivery,
    /// The event types the receiver asked for.
    pub events_requested: Vec<String>,
    /// The receiver's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its status.
    pub status: Status,
    /// Why it last changed status, when the change said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Raised by one at each change: a change is written only over the version it was made
    /// from, so that two changes racing cannot undo one another.
    #[serde(default)]
    pub version: u64,
}

/// A request the transmitter refuses: a 400 with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestRefusal {
    /// Not a JSON object.
    #[error("the body must be a JSON object")]
    NotAnObject,
    /// A member of the wrong type or shape.
    #[error("{0}")]
    Member(String),
    /// The push endpoint is refused.
    #[error(transparent)]
    Endpoint(#[from] EndpointRefusal),
}

fn member(text: impl Into<String>) -> RequestRefusal {
    RequestRefusal::Member(text.into())
}

/// A request body as a JSON object.
pub fn object(body: &Value) -> Result<&Map<String, Value>, RequestRefusal> {
    body.as_object().ok_or(RequestRefusal::NotAnObject)
}

/// The members a receiver supplies: read from a create, replace or update request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Requested {
    delivery: Option<Delivery>,
    /// Whether the push delivery named `authorization_header` (even as `null`): when it did
    /// not and the endpoint is the same, the header kept is not dropped by an update.
    authorization_named: bool,
    events_requested: Option<Vec<String>>,
    description: Option<Option<String>>,
}

impl Requested {
    /// Reads the receiver-supplied members of `body`; `allow_loopback` is
    /// `SSF_ALLOW_LOOPBACK_RECEIVERS`.
    pub fn read(body: &Value, allow_loopback: bool) -> Result<Self, RequestRefusal> {
        let body = object(body)?;
        let delivery = body
            .get("delivery")
            .map(|d| read_delivery(d, allow_loopback))
            .transpose()?;
        let authorization_named = body
            .get("delivery")
            .and_then(|d| d.get("authorization_header"))
            .is_some();
        let events_requested = body.get("events_requested").map(read_events).transpose()?;
        let description = match body.get("description") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(text)) if text.chars().count() <= MAX_DESCRIPTION_CHARS => {
                Some(Some(text.clone()))
            }
            Some(_) => {
                return Err(member(format!(
                    "description must be a string of at most {MAX_DESCRIPTION_CHARS} characters"
                )))
            }
        };
        Ok(Self {
            delivery,
            authorization_named,
            events_requested,
            description,
        })
    }

    /// A new stream of `client_id` with id `stream_id`; poll when no delivery is asked (SSF
    /// 1.0 lets the transmitter choose, and a push needs an endpoint the request did not give).
    pub fn create(self, stream_id: String, client_id: String) -> Stream {
        Stream {
            stream_id,
            client_id,
            delivery: self.delivery.unwrap_or(Delivery::Poll),
            events_requested: self.events_requested.unwrap_or_default(),
            description: self.description.flatten(),
            status: Status::Enabled,
            reason: None,
            version: 0,
        }
    }

    /// `stream` with the members this request names replaced (`PATCH`), or with every
    /// receiver-supplied member replaced, absent ones cleared (`PUT`, `replace`).
    pub fn apply(mut self, stream: &Stream, replace: bool) -> Result<Stream, RequestRefusal> {
        // A receiver reads its configuration (which never shows the header) and writes it
        // back: the same endpoint without a header keeps the one it had.
        if let (
            Some(Delivery::Push {
                endpoint_url,
                authorization_header: header @ None,
            }),
            Delivery::Push {
                endpoint_url: kept_url,
                authorization_header: Some(kept),
            },
        ) = (&mut self.delivery, &stream.delivery)
        {
            if !self.authorization_named && endpoint_url == kept_url {
                *header = Some(kept.clone());
            }
        }
        let mut updated = stream.clone();
        updated.version = stream.version + 1;
        if replace {
            updated.delivery = self
                .delivery
                .ok_or_else(|| member("a replacement must carry delivery"))?;
            updated.events_requested = self.events_requested.unwrap_or_default();
            updated.description = self.description.flatten();
        } else {
            if let Some(delivery) = self.delivery {
                updated.delivery = delivery;
            }
            if let Some(events) = self.events_requested {
                updated.events_requested = events;
            }
            if let Some(description) = self.description {
                updated.description = description;
            }
        }
        Ok(updated)
    }
}

fn read_delivery(value: &Value, allow_loopback: bool) -> Result<Delivery, RequestRefusal> {
    let delivery = value
        .as_object()
        .ok_or_else(|| member("delivery must be an object"))?;
    match delivery.get("method").and_then(Value::as_str) {
        Some(PUSH) => {
            let url = delivery
                .get("endpoint_url")
                .and_then(Value::as_str)
                .ok_or_else(|| member("push delivery needs an endpoint_url string"))?;
            ReceiverEndpoint::parse(url, allow_loopback)?;
            let authorization_header = match delivery.get("authorization_header") {
                None | Some(Value::Null) => None,
                Some(Value::String(value))
                    if !value.is_empty()
                        && value.len() <= MAX_AUTHORIZATION_BYTES
                        && value.bytes().all(|b| (0x20..0x7f).contains(&b)) =>
                {
                    Some(value.clone())
                }
                Some(_) => return Err(member(format!(
                    "authorization_header must be visible ASCII of at most {MAX_AUTHORIZATION_BYTES} bytes"
                ))),
            };
            Ok(Delivery::Push {
                endpoint_url: url.to_owned(),
                authorization_header,
            })
        }
        // The poll endpoint is the transmitter's: a receiver's endpoint_url is ignored.
        Some(POLL) => Ok(Delivery::Poll),
        _ => Err(member(format!(
            "delivery.method must be {PUSH} (push) or {POLL} (poll)"
        ))),
    }
}

fn read_events(value: &Value) -> Result<Vec<String>, RequestRefusal> {
    let refusal = || {
        member(format!(
            "events_requested must be an array of at most {MAX_EVENTS_REQUESTED} event type URIs"
        ))
    };
    let list = value.as_array().ok_or_else(refusal)?;
    if list.len() > MAX_EVENTS_REQUESTED {
        return Err(refusal());
    }
    let mut events: Vec<String> = Vec::with_capacity(list.len());
    for event in list {
        let event = event
            .as_str()
            .filter(|e| !e.is_empty() && e.len() <= MAX_EVENT_TYPE_BYTES)
            .ok_or_else(refusal)?;
        if !events.iter().any(|known| known == event) {
            events.push(event.to_owned());
        }
    }
    Ok(events)
}

/// A status change asked for: the new status and its reason.
pub fn read_status(body: &Value) -> Result<(Status, Option<String>), RequestRefusal> {
    let body = object(body)?;
    let status = body
        .get("status")
        .and_then(Value::as_str)
        .and_then(Status::parse)
        .ok_or_else(|| member("status must be enabled, paused or disabled"))?;
    let reason = match body.get("reason") {
        None | Some(Value::Null) => None,
        Some(reason @ Value::String(r)) if reason.to_string().len() <= MAX_REASON_BYTES => {
            Some(r.clone())
        }
        Some(_) => {
            return Err(member(format!(
                "reason must be a string of at most {MAX_REASON_BYTES} bytes as JSON"
            )))
        }
    };
    Ok((status, reason))
}

/// The `stream_id` member of a request body.
pub fn stream_id_of(body: &Value) -> Result<String, RequestRefusal> {
    object(body)?
        .get("stream_id")
        .and_then(Value::as_str)
        .filter(|id| is_stream_id(id))
        .map(str::to_owned)
        .ok_or_else(|| member("stream_id must be a stream id string"))
}

/// Whether `id` has the shape of a stream id this transmitter makes (32 lower-case hex
/// digits): anything else cannot name a stream, and is never sent to the table.
pub fn is_stream_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The members the transmitter supplies (SSF 1.0 section 8.1.1): an update may repeat them
/// as the configuration `answered` has them, never change them.
const SUPPLIED: [&str; 5] = [
    "stream_id",
    "iss",
    "aud",
    "events_supported",
    "events_delivered",
];

/// Refuses an update whose body gives a transmitter-supplied member a value other than the
/// one the updated stream's configuration (`answered`) has.
pub fn refuse_changed_supplied(body: &Value, answered: &Value) -> Result<(), RequestRefusal> {
    let body = object(body)?;
    for name in SUPPLIED {
        if let Some(given) = body.get(name) {
            if Some(given) != answered.get(name) {
                return Err(member(format!(
                    "{name} is supplied by the transmitter: omit it, or give the value it has"
                )));
            }
        }
    }
    Ok(())
}

impl Stream {
    /// The event types delivered: those requested that this transmitter supports.
    pub fn events_delivered(&self) -> Vec<&'static str> {
        EVENTS_SUPPORTED
            .into_iter()
            .filter(|e| self.events_requested.iter().any(|r| r == e))
            .collect()
    }

    /// Whether SETs of `event_type` go on this stream (verification and stream-updated
    /// always do: SSF 1.0 sections 8.1.4 and 8.1.5).
    pub fn delivers(&self, event_type: &str) -> bool {
        !EVENTS_SUPPORTED.contains(&event_type) || self.events_delivered().contains(&event_type)
    }

    /// The stream's configuration as SSF answers it: `issuer` is the transmitter's, and
    /// `poll_endpoint` the URL a poll stream is read at. Never the `authorization_header`.
    pub fn configuration(&self, issuer: &str, poll_endpoint: &str) -> Value {
        let delivery = match &self.delivery {
            Delivery::Push { endpoint_url, .. } => {
                json!({"method": PUSH, "endpoint_url": endpoint_url})
            }
            Delivery::Poll => json!({"method": POLL, "endpoint_url": poll_endpoint}),
        };
        let mut config = json!({
            "stream_id": self.stream_id,
            "iss": issuer,
            "aud": self.client_id,
            "events_supported": EVENTS_SUPPORTED,
            "events_requested": self.events_requested,
            "events_delivered": self.events_delivered(),
            "delivery": delivery,
            "min_verification_interval": MIN_VERIFICATION_INTERVAL,
        });
        if let Some(description) = &self.description {
            config["description"] = json!(description);
        }
        config
    }

    /// The stream's status as the status endpoint answers it.
    pub fn status_answer(&self) -> Value {
        let mut answer = json!({"stream_id": self.stream_id, "status": self.status.as_str()});
        if let Some(reason) = &self.reason {
            answer["reason"] = json!(reason);
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    fn push(url: &str) -> Value {
        json!({"delivery": {"method": PUSH, "endpoint_url": url, "authorization_header": "Bearer s3cret"},
               "events_requested": [SESSION_REVOKED, "urn:example:unknown", SESSION_REVOKED],
               "unknown_member": {"ignored": true}})
    }

    #[test]
    fn a_push_stream_is_created_with_the_intersection_delivered_and_no_secret_answered() {
        let stream = Requested::read(&push("https://app.example.com/ssf"), false)
            .unwrap()
            .create(ID.to_owned(), "client-1".to_owned());
        assert_eq!(stream.events_requested.len(), 2, "duplicates collapse");
        let config = stream.configuration("https://ssf.example.com", "unused");
        assert_eq!(config["events_delivered"], json!([SESSION_REVOKED]));
        assert_eq!(config["aud"], "client-1");
        assert_eq!(config["iss"], "https://ssf.example.com");
        assert_eq!(
            config["delivery"]["endpoint_url"],
            "https://app.example.com/ssf"
        );
        assert!(!config.to_string().contains("s3cret"));
        assert!(stream.delivers(SESSION_REVOKED));
        assert!(!stream.delivers(ACCOUNT_DISABLED));
        assert!(stream.delivers(super::super::set::VERIFICATION));
    }

    #[test]
    fn a_poll_stream_is_given_the_transmitters_endpoint() {
        let stream = Requested::read(
            &json!({"delivery": {"method": POLL, "endpoint_url": "https://evil.example/"}}),
            false,
        )
        .unwrap()
        .create(ID.to_owned(), "c".to_owned());
        let config = stream.configuration(
            "https://ssf.example.com",
            "https://ssf.example.com/ssf/poll/x",
        );
        assert_eq!(
            config["delivery"]["endpoint_url"],
            "https://ssf.example.com/ssf/poll/x"
        );
        assert_eq!(config["events_delivered"], json!([]));
    }

    #[test]
    fn hostile_members_are_refused_with_a_reason() {
        for (body, reason) in [
            (json!([]), "JSON object"),
            (json!({"delivery": "push"}), "delivery must be an object"),
            (
                json!({"delivery": {"method": "urn:example:smoke-signals"}}),
                "delivery.method",
            ),
            (json!({"delivery": {"method": PUSH}}), "endpoint_url"),
            (
                json!({"delivery": {"method": PUSH, "endpoint_url": "http://app.example.com/"}}),
                "https",
            ),
            (
                json!({"delivery": {"method": PUSH, "endpoint_url": "https://169.254.169.254/latest"}}),
                "public address",
            ),
            (
                json!({"delivery": {"method": PUSH, "endpoint_url": "https://127.0.0.1/"}}),
                "public address",
            ),
            (
                json!({"delivery": {"method": PUSH, "endpoint_url": "https://app.example.com/", "authorization_header": "Bearer x\r\nX-Evil: 1"}}),
                "visible ASCII",
            ),
            (
                json!({"delivery": {"method": PUSH, "endpoint_url": "https://app.example.com/", "authorization_header": "x".repeat(MAX_AUTHORIZATION_BYTES + 1)}}),
                "visible ASCII",
            ),
            (
                json!({"events_requested": SESSION_REVOKED}),
                "events_requested",
            ),
            (
                json!({"events_requested": vec![SESSION_REVOKED; MAX_EVENTS_REQUESTED + 1]}),
                "events_requested",
            ),
            (json!({"events_requested": [7]}), "events_requested"),
            (
                json!({"description": "d".repeat(MAX_DESCRIPTION_CHARS + 1)}),
                "description",
            ),
            (json!({"description": 5}), "description"),
        ] {
            let refused = Requested::read(&body, false).unwrap_err().to_string();
            assert!(refused.contains(reason), "{body}: {refused}");
        }
    }

    #[test]
    fn loopback_endpoints_only_when_allowed() {
        let body = json!({"delivery": {"method": PUSH, "endpoint_url": "http://127.0.0.1:9/x"}});
        assert!(Requested::read(&body, false).is_err());
        assert!(Requested::read(&body, true).is_ok());
    }

    #[test]
    fn an_update_replaces_what_it_names_and_a_replacement_everything() {
        let stream = Requested::read(&push("https://app.example.com/ssf"), false)
            .unwrap()
            .create(ID.to_owned(), "c".to_owned());
        let patched = Requested::read(&json!({"description": "mine"}), false)
            .unwrap()
            .apply(&stream, false)
            .unwrap();
        assert_eq!(patched.description.as_deref(), Some("mine"));
        assert_eq!(patched.events_requested, stream.events_requested);
        let replaced = Requested::read(&json!({"delivery": {"method": POLL}}), false)
            .unwrap()
            .apply(&stream, true)
            .unwrap();
        assert_eq!(replaced.delivery, Delivery::Poll);
        assert!(replaced.events_requested.is_empty());
        assert_eq!(replaced.client_id, "c");
        assert!(Requested::read(&json!({}), false)
            .unwrap()
            .apply(&stream, true)
            .is_err());
    }

    #[test]
    fn an_update_without_the_header_keeps_it_for_the_same_endpoint_and_null_drops_it() {
        let stream = Requested::read(&push("https://app.example.com/ssf"), false)
            .unwrap()
            .create(ID.to_owned(), "c".to_owned());
        let header = |s: &Stream| match &s.delivery {
            Delivery::Push {
                authorization_header,
                ..
            } => authorization_header.clone(),
            Delivery::Poll => None,
        };
        let same =
            json!({"delivery": {"method": PUSH, "endpoint_url": "https://app.example.com/ssf"}});
        let kept = Requested::read(&same, false)
            .unwrap()
            .apply(&stream, true)
            .unwrap();
        assert_eq!(header(&kept).as_deref(), Some("Bearer s3cret"));
        let moved =
            json!({"delivery": {"method": PUSH, "endpoint_url": "https://other.example.com/ssf"}});
        let moved = Requested::read(&moved, false)
            .unwrap()
            .apply(&stream, true)
            .unwrap();
        assert_eq!(
            header(&moved),
            None,
            "a new endpoint never inherits the old credential"
        );
        let dropped = json!({"delivery": {"method": PUSH, "endpoint_url": "https://app.example.com/ssf", "authorization_header": null}});
        let dropped = Requested::read(&dropped, false)
            .unwrap()
            .apply(&stream, false)
            .unwrap();
        assert_eq!(header(&dropped), None);
    }

    #[test]
    fn transmitter_supplied_members_may_be_repeated_never_changed() {
        let answered = json!({"stream_id": ID, "iss": "https://ssf.example.com", "aud": "c", "events_delivered": [SESSION_REVOKED]});
        assert!(refuse_changed_supplied(
            &json!({"stream_id": ID, "iss": "https://ssf.example.com"}),
            &answered
        )
        .is_ok());
        for changed in [
            json!({"iss": "https://evil.example"}),
            json!({"aud": "other"}),
            json!({"events_delivered": []}),
        ] {
            assert!(
                refuse_changed_supplied(&changed, &answered).is_err(),
                "{changed}"
            );
        }
    }

    #[test]
    fn statuses_and_stream_ids_are_read_strictly() {
        assert_eq!(
            read_status(&json!({"status": "paused", "reason": "maintenance"})).unwrap(),
            (Status::Paused, Some("maintenance".to_owned()))
        );
        assert!(read_status(&json!({"status": "PAUSED"})).is_err());
        assert!(read_status(&json!({"status": "enabled", "reason": 1})).is_err());
        // Bytes as JSON, not characters: 200 control characters escape to 1,200 bytes.
        assert!(read_status(&json!({"status": "paused", "reason": "\u{1}".repeat(200)})).is_err());
        assert!(read_status(
            &json!({"status": "paused", "reason": "r".repeat(MAX_REASON_BYTES - 2)})
        )
        .is_ok());
        assert_eq!(stream_id_of(&json!({"stream_id": ID})).unwrap(), ID);
        for bad in [
            json!({}),
            json!({"stream_id": "../x"}),
            json!({"stream_id": ID.to_uppercase()}),
        ] {
            assert!(stream_id_of(&bad).is_err(), "{bad}");
        }
    }
}
