//! Shared test equipment: [`TestApp`], the responder on in-memory fakes of its ports with verb
//! methods; the fakes themselves; errors of every class as the SDK reports them; builders for
//! configurations and batches.

#![allow(dead_code)]

pub mod fake_aws;
pub mod http_stub;
pub mod moto;
pub mod runtime_api;

mod fakes;
pub use fakes::*;

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::error::{ErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::admin_user_global_sign_out::AdminUserGlobalSignOutError as ApiError;
use aws_sdk_cognitoidentityprovider::types::error as api;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use cognito_signout_responder::{
    sign_out_error, Batch, BodyEncoding, CallError, Config, DeadLetter, ErrorClass, Record, Report,
    Responder, Source, Timeouts,
};
use tokio::time::Instant;

pub const POOL: &str = "us-east-1_Example1";

/// A [`CallError`] of `class`, built the way the SDK reports it. A class no Cognito answer
/// can have panics rather than turning silently into another.
pub fn api_error(class: ErrorClass) -> CallError {
    let service = |err: ApiError, status: u16| {
        SdkError::service_error(
            err,
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty()),
        )
    };
    let err = match class {
        ErrorClass::Invalid => service(
            ApiError::InvalidParameterException(api::InvalidParameterException::builder().build()),
            400,
        ),
        ErrorClass::UserNotFound => service(
            ApiError::UserNotFoundException(api::UserNotFoundException::builder().build()),
            400,
        ),
        ErrorClass::PoolNotFound => service(
            ApiError::ResourceNotFoundException(api::ResourceNotFoundException::builder().build()),
            400,
        ),
        ErrorClass::NotAuthorized => service(
            ApiError::NotAuthorizedException(api::NotAuthorizedException::builder().build()),
            400,
        ),
        ErrorClass::Throttled => service(
            ApiError::TooManyRequestsException(api::TooManyRequestsException::builder().build()),
            400,
        ),
        ErrorClass::Internal => service(
            ApiError::InternalErrorException(api::InternalErrorException::builder().build()),
            500,
        ),
        ErrorClass::Transport => SdkError::timeout_error("attempt timed out"),
        ErrorClass::Unknown => service(
            ApiError::generic(ErrorMetadata::builder().code("BrandNewException").build()),
            400,
        ),
        ErrorClass::Malformed
        | ErrorClass::ForbiddenPool
        | ErrorClass::ForbiddenAction
        | ErrorClass::RetriesExhausted => {
            panic!("Cognito never answers with class {class}: it is decided before or after a call")
        }
    };
    sign_out_error(&err)
}

/// The classes a Cognito answer (or the way to it) can have; the others are decided before or
/// after a call.
pub const COGNITO_CLASSES: [ErrorClass; 8] = [
    ErrorClass::Invalid,
    ErrorClass::UserNotFound,
    ErrorClass::PoolNotFound,
    ErrorClass::NotAuthorized,
    ErrorClass::Throttled,
    ErrorClass::Internal,
    ErrorClass::Transport,
    ErrorClass::Unknown,
];

/// The original alert a letter holds, whatever form it was sent in (the fallback forms of
/// `BodyEncoding` decoded).
pub fn original_body(letter: &DeadLetter) -> String {
    use base64::Engine;
    let decode = |text: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .expect("a base64 body")
    };
    match letter.encoding {
        BodyEncoding::Original | BodyEncoding::Truncated => letter.body.clone(),
        BodyEncoding::Base64 => String::from_utf8(decode(&letter.body)).expect("UTF-8"),
        BodyEncoding::GzipBase64 => {
            let mut out = String::new();
            std::io::Read::read_to_string(
                &mut flate2::read::GzDecoder::new(&decode(&letter.body)[..]),
                &mut out,
            )
            .expect("gzip");
            out
        }
    }
}

/// A configuration from the contract's variables, `DLQ_URL` filled in.
pub fn config(vars: &[(&str, &str)]) -> Config {
    let mut all = vec![(
        "DLQ_URL".to_owned(),
        "https://sqs.us-east-1.amazonaws.com/123456789012/dlq".to_owned(),
    )];
    all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::from_vars(all).expect("test configuration is valid")
}

/// Time limits small enough for tests in tokio's paused time.
pub fn test_timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_millis(100),
        cognito_attempt: Duration::from_millis(100),
        cognito_operation: Duration::from_millis(200),
        dead_letter_attempt: Duration::from_millis(100),
        dead_letter_operation: Duration::from_millis(100),
        return_margin: Duration::ZERO,
    }
}

/// The responder under test, on in-memory fakes of its ports (in the spirit of
/// zero-to-production's `TestApp`): build it with the fakes and variables a test needs, then
/// drive it with verbs.
pub struct TestApp {
    pub responder: Responder<FakeCognito, FakeDeadLetters, FakeRevocations>,
}

impl TestApp {
    /// A responder on `cognito` and `dead_letters`, configured by `vars` (`DLQ_URL` filled in)
    /// with [`test_timeouts`].
    pub fn spawn(
        cognito: FakeCognito,
        dead_letters: FakeDeadLetters,
        vars: &[(&str, &str)],
    ) -> Self {
        Self::spawn_revoking(cognito, dead_letters, FakeRevocations::new(), vars)
    }

    /// A responder whose cutoffs and events go to `revocations` (set `REVOCATION_TABLE` and
    /// `EVENT_BUS_NAME` in `vars` to turn them on).
    pub fn spawn_revoking(
        cognito: FakeCognito,
        dead_letters: FakeDeadLetters,
        revocations: FakeRevocations,
        vars: &[(&str, &str)],
    ) -> Self {
        let config = config(vars);
        Self {
            responder: Responder::new(
                cognito,
                dead_letters,
                revocations.with_targets(config.revocation_targets),
                config.responder,
                test_timeouts(),
            ),
        }
    }

    /// The fake cutoff table and event bus.
    pub fn revocations(&self) -> &FakeRevocations {
        self.responder.revocations()
    }

    /// A responder on fakes that sign everyone out and store every letter.
    pub fn with_vars(vars: &[(&str, &str)]) -> Self {
        Self::spawn(FakeCognito::new(), FakeDeadLetters::new(), vars)
    }

    /// Settles `batch` with all the time in the world.
    pub async fn settle(&self, batch: &Batch) -> Report {
        self.responder.settle(batch, far_deadline()).await
    }

    /// Settles `batch` before `deadline`.
    pub async fn settle_by(&self, batch: &Batch, deadline: Instant) -> Report {
        self.responder.settle(batch, deadline).await
    }

    /// Sends `(message id, body)` alerts as one standard-queue SQS batch and settles it.
    pub async fn send_alerts(&self, alerts: &[(&str, &str)]) -> Report {
        self.settle(&sqs_batch(alerts)).await
    }

    /// The fake Cognito.
    pub fn cognito(&self) -> &FakeCognito {
        self.responder.signer()
    }

    /// The fake dead-letter queues.
    pub fn dead_letters(&self) -> &FakeDeadLetters {
        self.responder.dead_letters()
    }

    /// Every letter stored so far.
    pub fn letters(&self) -> Vec<DeadLetter> {
        self.dead_letters().sent()
    }
}

/// The wall clock in milliseconds since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64
}

/// A standard-queue SQS batch of `(id, body)` records sent (`SentTimestamp`) at `sent_ms`.
pub fn sqs_batch_sent(records: &[(&str, &str)], sent_ms: u64) -> Batch {
    let records: Vec<serde_json::Value> = records
        .iter()
        .map(|(id, body)| {
            serde_json::json!({
                "messageId": id, "body": body, "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts",
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": sent_ms.to_string()},
            })
        })
        .collect();
    batch_from_json(&serde_json::json!({ "Records": records }).to_string())
}

/// A far deadline: no record is cut short by it.
pub fn far_deadline() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

/// A request body naming `user` in the test pool.
pub fn request(user: &str) -> String {
    format!(r#"{{"UserPoolId":"{POOL}","Username":"{user}"}}"#)
}

/// An SQS record with id `id`.
pub fn record(id: &str, body: &str) -> Record {
    Record {
        message_id: id.to_owned(),
        body: body.to_owned(),
        receive_count: Some(1),
        group_id: None,
        source_arn: Some("arn:aws:sqs:us-east-1:123456789012:alerts".to_owned()),
        origin: Default::default(),
        provenance: Default::default(),
    }
}

/// A standard-queue SQS batch of `(id, body)` records.
pub fn sqs_batch(records: &[(&str, &str)]) -> Batch {
    Batch {
        source: Source::Sqs { fifo: false },
        records: records.iter().map(|(id, body)| record(id, body)).collect(),
    }
}

/// A standard-queue SQS batch of `n` alerts, each naming its own user (`user0`, ...) and
/// with its own message id (`m0`, ...).
pub fn users_batch(n: usize) -> Batch {
    Batch {
        source: Source::Sqs { fifo: false },
        records: (0..n)
            .map(|i| record(&format!("m{i}"), &request(&format!("user{i}"))))
            .collect(),
    }
}

/// A batch read from a JSON payload, the way the runtime hands it over.
pub fn batch_from_json(json: &str) -> Batch {
    let raw: Box<serde_json::value::RawValue> =
        serde_json::from_str(json).expect("payload is JSON");
    Batch::from_payload(&raw, "request-1")
}

/// A CloudWatch Logs subscription payload (base64 of gzip) carrying `lines` as log events of
/// a user pool's exported user-activity log.
pub fn log_payload_batch(lines: &[String]) -> Batch {
    log_payload_batch_in(lines, None)
}

/// The account that owns the test log group (the payload's `owner`).
pub const LOG_OWNER: &str = "123456789012";

/// [`log_payload_batch`], delivered to a function of `account`.
pub fn log_payload_batch_in(lines: &[String], account: Option<&str>) -> Batch {
    use base64::Engine;
    use std::io::Write;
    let events: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            serde_json::json!({"id": format!("e{i}"), "timestamp": now_ms() - 10_000 + i as u64, "message": line})
        })
        .collect();
    let data = serde_json::json!({
        "messageType": "DATA_MESSAGE",
        "owner": LOG_OWNER,
        "logGroup": "/aws/cognito/userpool/userauthevents",
        "logStream": "stream",
        "subscriptionFilters": ["alerts"],
        "logEvents": events,
    });
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(data.to_string().as_bytes()).expect("gzip");
    let encoded = base64::engine::general_purpose::STANDARD.encode(gzip.finish().expect("gzip"));
    let payload = serde_json::json!({"awslogs": {"data": encoded}}).to_string();
    let raw: Box<serde_json::value::RawValue> = serde_json::from_str(&payload).expect("JSON");
    Batch::from_payload_in(&raw, "request-1", account)
}
