//! Shared test equipment: [`TestApp`], the responder on in-memory fakes of its ports with verb
//! methods; the fakes themselves; errors of every class as the SDK reports them; builders for
//! configurations and batches.

#![allow(dead_code)]

pub mod fake_aws;
pub mod http_stub;
pub mod moto;
pub mod runtime_api;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::error::{ErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::admin_user_global_sign_out::AdminUserGlobalSignOutError as ApiError;
use aws_sdk_cognitoidentityprovider::types::error as api;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use cognito_revocation::{Cutoff, Subject};
use cognito_signout_responder::{
    lookup_error, sign_out_error, Action, Batch, BodyEncoding, CallError, Config, DeadLetter,
    DeadLetterError, DeadLetters, ErrorClass, QueueUrl, Record, Recorded, Report, Responder,
    RevocationError, RevocationTargets, Revocations, Scope, SignOut, SignedOut, Source, Target,
    Timeouts, UserRecord,
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

/// What the fake Cognito answers for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Ok,
    Fail(ErrorClass),
}

/// An in-memory Cognito: answers per username (default `Ok`), after an optional delay in
/// tokio time, and records every call and the most calls ever in flight at once.
#[derive(Debug, Default)]
pub struct FakeCognito {
    answers: Mutex<HashMap<String, Answer>>,
    delay: Duration,
    calls: Mutex<Vec<(Target, Instant)>>,
    lookups: Mutex<Vec<Target>>,
    lookup_answers: Mutex<HashMap<String, Answer>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Every user-update call: the action, the user, when it started and when it returned.
    updates: Mutex<Vec<(Action, Target, Instant, Instant)>>,
    /// Answers of the lock actions, per user and action (default `Ok`).
    lock_answers: Mutex<HashMap<(String, Action), Answer>>,
    /// Users whose status is `RESET_REQUIRED` (a successful reset puts them there).
    reset_required: Mutex<std::collections::HashSet<String>>,
    /// Users a successful disable disabled.
    disabled: Mutex<std::collections::HashSet<String>>,
}

impl FakeCognito {
    /// `action` on `user` answers `answer`.
    pub fn lock_answer(self, user: &str, action: Action, answer: Answer) -> Self {
        self.lock_answers
            .lock()
            .unwrap()
            .insert((user.to_owned(), action), answer);
        self
    }

    /// `user` starts in `RESET_REQUIRED`.
    pub fn reset_pending(self, user: &str) -> Self {
        self.reset_required.lock().unwrap().insert(user.to_owned());
        self
    }

    /// Every user-update call made: action, user, start and return.
    pub fn updates(&self) -> Vec<(Action, Target, Instant, Instant)> {
        self.updates.lock().unwrap().clone()
    }

    /// The actions called on `user`, in the order they were made.
    pub fn actions_on(&self, user: &str) -> Vec<Action> {
        self.updates()
            .into_iter()
            .filter(|(_, t, _, _)| t.user.as_str() == user)
            .map(|(a, _, _, _)| a)
            .collect()
    }

    /// Whether `user` is disabled.
    pub fn is_disabled(&self, user: &str) -> bool {
        self.disabled.lock().unwrap().contains(user)
    }

    /// Whether `user` is in `RESET_REQUIRED`.
    pub fn is_reset_required(&self, user: &str) -> bool {
        self.reset_required.lock().unwrap().contains(user)
    }

    async fn lock(&self, action: Action, target: &Target) -> Result<(), CallError> {
        let started = Instant::now();
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.updates
            .lock()
            .unwrap()
            .push((action, target.clone(), started, Instant::now()));
        let answer = self
            .lock_answers
            .lock()
            .unwrap()
            .get(&(target.user.as_str().to_owned(), action))
            .copied()
            .unwrap_or(Answer::Ok);
        match answer {
            Answer::Ok => {
                let user = target.user.as_str().to_owned();
                match action {
                    Action::ResetPassword => self.reset_required.lock().unwrap().insert(user),
                    Action::Disable => self.disabled.lock().unwrap().insert(user),
                    Action::SignOut => false,
                };
                Ok(())
            }
            Answer::Fail(class) => {
                let err = api_error(class);
                Err(CallError::new(
                    action.operation(),
                    err.class(),
                    err.code(),
                    err.message(),
                ))
            }
        }
    }
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_delay(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }

    pub fn answer(self, user: &str, answer: Answer) -> Self {
        self.answers.lock().unwrap().insert(user.to_owned(), answer);
        self
    }

    pub fn calls(&self) -> Vec<Target> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| t.clone())
            .collect()
    }

    pub fn call_starts(&self) -> Vec<Instant> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|(_, at)| *at)
            .collect()
    }

    pub fn calls_for(&self, user: &str) -> usize {
        self.calls()
            .iter()
            .filter(|t| t.user.as_str() == user)
            .count()
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn answer_for(&self, user: &str) -> Answer {
        self.answers
            .lock()
            .unwrap()
            .get(user)
            .copied()
            .unwrap_or(Answer::Ok)
    }
}

impl SignOut for FakeCognito {
    async fn sign_out(&self, target: &Target) -> Result<(), CallError> {
        self.calls
            .lock()
            .unwrap()
            .push((target.clone(), Instant::now()));
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let started = Instant::now();
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.updates.lock().unwrap().push((
            Action::SignOut,
            target.clone(),
            started,
            Instant::now(),
        ));
        match self.answer_for(target.user.as_str()) {
            Answer::Ok => Ok(()),
            Answer::Fail(class) => Err(api_error(class)),
        }
    }

    async fn reset_password(&self, target: &Target) -> Result<(), CallError> {
        self.lock(Action::ResetPassword, target).await
    }

    async fn disable(&self, target: &Target) -> Result<(), CallError> {
        self.lock(Action::Disable, target).await
    }

    async fn lookup(&self, target: &Target) -> Result<UserRecord, CallError> {
        self.lookups.lock().unwrap().push(target.clone());
        match self.lookup_answers.lock().unwrap().get(target.user.as_str()) {
            Some(Answer::Fail(ErrorClass::UserNotFound)) => Err(lookup_error(
                &SdkError::service_error(
                    aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserError::UserNotFoundException(
                        api::UserNotFoundException::builder().build(),
                    ),
                    HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::empty()),
                ),
            )),
            Some(Answer::Fail(_)) => Err(lookup_error(&SdkError::<
                aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserError,
                HttpResponse,
            >::timeout_error("lookup timed out"))),
            _ => Ok(UserRecord {
                sub: Subject::parse(&format!("sub-{}", target.user.as_str())).expect("a sub"),
                reset_required: self.is_reset_required(target.user.as_str()),
            }),
        }
    }
}

impl FakeCognito {
    /// `AdminGetUser` for `user` answers `answer` (`UserNotFound`, or any other class as a
    /// timeout); by default it answers `sub-<user>`.
    pub fn lookup(self, user: &str, answer: Answer) -> Self {
        self.lookup_answers
            .lock()
            .unwrap()
            .insert(user.to_owned(), answer);
        self
    }

    /// The users whose `sub` was looked up, in order.
    pub fn lookups(&self) -> Vec<Target> {
        self.lookups.lock().unwrap().clone()
    }
}

/// In-memory cutoffs and events: records what it was given, and fails the users it is told
/// to (cutoffs or events).
#[derive(Debug, Default, Clone)]
pub struct FakeRevocations {
    /// Strongly consistent reads of the table made.
    reads: Arc<Mutex<usize>>,
    /// What it writes: set from the test's configuration by [`TestApp::spawn_revoking`].
    targets: Arc<Mutex<RevocationTargets>>,
    cutoffs: Arc<Mutex<Vec<Cutoff>>>,
    events: Arc<Mutex<Vec<SignedOut>>>,
    requests: Arc<Mutex<usize>>,
    fail_cutoff: Arc<Mutex<Vec<String>>>,
    fail_event: Arc<Mutex<Vec<String>>>,
}

impl FakeRevocations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes what a deployment with `targets` writes (its scope and retention).
    pub fn with_targets(self, targets: RevocationTargets) -> Self {
        *self.targets.lock().unwrap() = targets;
        self
    }

    /// Recording `user`'s cutoff fails.
    pub fn failing_cutoff(self, user: &str) -> Self {
        self.fail_cutoff.lock().unwrap().push(user.to_owned());
        self
    }

    /// Publishing `user`'s event fails.
    pub fn failing_event(self, user: &str) -> Self {
        self.fail_event.lock().unwrap().push(user.to_owned());
        self
    }

    pub fn cutoffs(&self) -> Vec<Cutoff> {
        self.cutoffs.lock().unwrap().clone()
    }

    pub fn events(&self) -> Vec<SignedOut> {
        self.events.lock().unwrap().clone()
    }

    /// Reads of the table made (the already-signed-out check).
    pub fn reads(&self) -> usize {
        *self.reads.lock().unwrap()
    }

    /// Stores `cutoff` as if another instance had recorded it.
    pub fn seeded(self, cutoff: Cutoff) -> Self {
        self.cutoffs.lock().unwrap().push(cutoff);
        self
    }

    /// `PutEvents` requests made.
    pub fn event_requests(&self) -> usize {
        *self.requests.lock().unwrap()
    }
}

impl Revocations for FakeRevocations {
    fn scope(&self) -> Scope {
        self.targets.lock().unwrap().scope()
    }

    async fn record(&self, user: &SignedOut) -> Result<(), RevocationError> {
        let retention = self.targets.lock().unwrap().retention;
        let cutoff = user.cutoff(retention);
        if self
            .fail_cutoff
            .lock()
            .unwrap()
            .iter()
            .any(|u| u == cutoff.username())
        {
            return Err(RevocationError::Other("table unavailable".into()));
        }
        self.cutoffs.lock().unwrap().push(cutoff);
        Ok(())
    }

    async fn recorded(
        &self,
        target: &Target,
        sub: &Subject,
    ) -> Result<Option<Recorded>, RevocationError> {
        *self.reads.lock().unwrap() += 1;
        let key = format!("{}#{}", target.pool.as_str(), sub.as_str());
        Ok(self
            .cutoffs
            .lock()
            .unwrap()
            .iter()
            // As the table adapter does: an item written for another username is not this
            // user's.
            .filter(|c| c.key().as_str() == key && c.username() == target.user.as_str())
            .map(|c| Recorded {
                revoked_before: c.revoked_before(),
                actions: c
                    .actions()
                    .iter()
                    .filter_map(|a| a.parse::<Action>().ok())
                    .fold(cognito_signout_responder::Actions::NONE, |set, a| {
                        set.with(a)
                    }),
            })
            .reduce(Recorded::merge))
    }

    async fn publish(&self, users: &[SignedOut]) -> Vec<Result<(), RevocationError>> {
        *self.requests.lock().unwrap() += 1;
        users
            .iter()
            .map(|user| {
                if self
                    .fail_event
                    .lock()
                    .unwrap()
                    .iter()
                    .any(|u| u == user.target.user.as_str())
                {
                    return Err(RevocationError::Event(CallError::new(
                        "PutEvents",
                        ErrorClass::Internal,
                        "InternalFailure",
                        "injected",
                    )));
                }
                self.events.lock().unwrap().push(user.clone());
                Ok(())
            })
            .collect()
    }
}

/// An in-memory dead-letter queue that records what it stored, and refuses the letters of
/// the message ids it is told to.
#[derive(Debug, Default, Clone)]
pub struct FakeDeadLetters {
    sent: Arc<Mutex<Vec<DeadLetter>>>,
    refuse: Arc<Mutex<Vec<String>>>,
    refuse_all: bool,
    delay: Duration,
    requests: Arc<Mutex<usize>>,
    queues: Arc<Mutex<Vec<String>>>,
}

impl FakeDeadLetters {
    pub fn new() -> Self {
        Self::default()
    }

    /// A queue that takes `delay` (tokio time) to store each letter.
    pub fn slow(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }

    pub fn refusing_all() -> Self {
        Self {
            refuse_all: true,
            ..Self::default()
        }
    }

    pub fn refuse(self, message_id: &str) -> Self {
        self.refuse.lock().unwrap().push(message_id.to_owned());
        self
    }

    pub fn sent(&self) -> Vec<DeadLetter> {
        self.sent.lock().unwrap().clone()
    }

    pub fn sent_ids(&self) -> Vec<String> {
        self.sent()
            .into_iter()
            .map(|l| l.deduplication_id)
            .collect()
    }
}

impl FakeDeadLetters {
    /// How many batch requests were made.
    pub fn requests(&self) -> usize {
        *self.requests.lock().unwrap()
    }

    /// The queue each stored letter went to, in order.
    pub fn queues(&self) -> Vec<String> {
        self.queues.lock().unwrap().clone()
    }
}

impl DeadLetters for FakeDeadLetters {
    async fn send_batch(
        &self,
        queue: &QueueUrl,
        letters: &[DeadLetter],
    ) -> Vec<Result<(), DeadLetterError>> {
        *self.requests.lock().unwrap() += 1;
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        letters
            .iter()
            .map(|letter| {
                if self.refuse_all
                    || self
                        .refuse
                        .lock()
                        .unwrap()
                        .contains(&letter.deduplication_id)
                {
                    return Err(DeadLetterError::Other("queue unavailable".into()));
                }
                self.sent.lock().unwrap().push(letter.clone());
                self.queues.lock().unwrap().push(queue.to_string());
                Ok(())
            })
            .collect()
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
