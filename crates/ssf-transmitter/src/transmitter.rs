//! The runner: a SET from its cause to its receiver. A responder event becomes one SET per
//! stream and event type, each routed by its stream's status and delivery: pushed at once
//! (a failure queued for retry), kept for a poll, held while paused, or dropped when
//! disabled. A retry is tried again, re-queued with a longer wait, or given up to the
//! dead-letter queue. Every push is signed afresh (its own `iat`), paced under the `Sign`
//! cap, and logged in one line without the SET or any credential.
//!
//! A SET is durable before its cause is reported handled: pushed (202 or a final 400),
//! on the delivery queue, or in the table. Any failure to make it so is this module's
//! [`TransmitterFailure`], and the invocation fails so that Lambda (or SQS) delivers the cause again;
//! the SETs it makes again have the same `jti`s.

use std::collections::BTreeMap;
use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cognito_names::UnixSeconds;
use futures_util::future::join_all;
use serde_json::Value;

use crate::core::api::Endpoints;
use crate::core::api::PollRequest;
use crate::core::endpoint::{EndpointRefusal, ReceiverEndpoint};
use crate::core::retry::{next_step, NextStep, Retry};
use crate::core::set::{signing_input, stream_subject, stream_updated, PendingSet, SignedOutUser};
use crate::core::stream::{Delivery, Status, Stream};
use crate::deliveries::{DeadLetter, DeliveryQueue, QueueError};
use crate::push::{known_err, PushAnswer, PushClient};
use crate::signer::{Pace, SignError, Signer};
use crate::streams::{with_status, Kept, Streams, TableError, Waiting};
use crate::unix_now;

/// What the configuration asks of the runner.
#[derive(Debug, Clone)]
pub struct TransmitterSettings {
    /// The transmitter's endpoints (and issuer, the SETs' `iss`).
    pub endpoints: Endpoints,
    /// `SSF_ALLOW_LOOPBACK_RECEIVERS`.
    pub allow_loopback: bool,
    /// `SSF_PUSH_RETRY_SECONDS`.
    pub push_retry_seconds: u64,
    /// `SSF_POLL_RETENTION_SECONDS`.
    pub poll_retention_seconds: u64,
    /// `SSF_MAX_STREAMS_PER_CLIENT`.
    pub max_streams_per_client: usize,
}

/// A SET that could not be made durable: the invocation fails, and its cause comes again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransmitterFailure {
    /// The streams table failed.
    #[error(transparent)]
    Table(#[from] TableError),
    /// The delivery queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The stream changed (or was deleted) between its reading and this change.
    #[error("the stream changed meanwhile")]
    Conflict,
}

/// What an invocation did with SETs, for its metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Pushes answered 202.
    pub delivered: u64,
    /// Pushes that failed and were queued to be tried again.
    pub retried: u64,
    /// SETs given up to the dead-letter queue.
    pub dead_lettered: u64,
    /// SETs a receiver refused (a 400, or a poll's `setErrs`), by `err`.
    pub refused: BTreeMap<String, u64>,
    /// SETs kept for a poll or held while paused.
    pub kept: u64,
    /// Milliseconds from the invocation's start to each 202.
    pub latencies: Vec<f64>,
    /// The streams counted, when the invocation listed them all.
    pub streams: Option<usize>,
}

impl Report {
    /// Adds `other` to this report.
    pub fn add(&mut self, other: Report) {
        self.delivered += other.delivered;
        self.retried += other.retried;
        self.dead_lettered += other.dead_lettered;
        self.kept += other.kept;
        for (err, n) in other.refused {
            *self.refused.entry(err).or_default() += n;
        }
        self.latencies.extend(other.latencies);
        self.streams = other.streams.or(self.streams);
    }

    fn refusal(err: &str) -> Self {
        let mut report = Self::default();
        report.refused.insert(err.to_owned(), 1);
        report
    }
}

/// The runner, on its adapters.
#[derive(Debug)]
pub struct Transmitter<G, S, Q> {
    settings: TransmitterSettings,
    signer: G,
    streams: S,
    queue: Q,
    pusher: PushClient,
    pace: Pace,
    /// SETs signed for a poll, by stream and `jti`, with when: a SET a receiver polls again
    /// before acknowledging it is answered as signed then (for [`POLL_RESIGN_SECONDS`]), not
    /// signed again, so that polling costs no `Sign` per poll.
    polled: std::sync::Mutex<std::collections::HashMap<(String, String), (String, u64)>>,
}

/// How long a SET signed for a poll is answered again as it was.
pub const POLL_RESIGN_SECONDS: u64 = 300;
/// The most polled SETs an instance remembers.
const MAX_POLLED: usize = 10_000;

/// A number in `[0, 1)` for jitter, from the system's random generator.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return 0.5;
    }
    f64::from(u32::from_be_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

/// A fresh random id: 32 hex digits (a stream id, a verification's `txn`).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    // The system's generator does not fail on Linux; should it, the time keeps ids distinct
    // enough for a stream id (never a secret: a stream is its client's alone).
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl<G: Signer, S: Streams, Q: DeliveryQueue> Transmitter<G, S, Q> {
    /// The runner on `signer`, `streams` and `queue`, signing at most `signs_per_second`.
    pub fn new(
        settings: TransmitterSettings,
        signer: G,
        streams: S,
        queue: Q,
        signs_per_second: u32,
    ) -> Self {
        Self {
            settings,
            signer,
            streams,
            queue,
            pusher: PushClient::new(),
            pace: Pace::new(signs_per_second),
            polled: std::sync::Mutex::default(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &TransmitterSettings {
        &self.settings
    }

    /// Whether `stream` may be pushed to now: a push stream's endpoint resolved and every
    /// address checked, as before each delivery (nothing connected to); a poll stream may.
    pub async fn check_endpoint(&self, stream: &Stream) -> Result<(), EndpointRefusal> {
        let Delivery::Push { endpoint_url, .. } = &stream.delivery else {
            return Ok(());
        };
        let endpoint = ReceiverEndpoint::parse(endpoint_url, self.settings.allow_loopback)?;
        self.pusher.check(&endpoint).await
    }

    /// The signer.
    pub fn signer(&self) -> &G {
        &self.signer
    }

    /// The streams table.
    pub fn streams(&self) -> &S {
        &self.streams
    }

    /// The compact SET of `set`, signed now with the first key.
    pub async fn sign(&self, set: &PendingSet) -> Result<String, SignError> {
        let keys = self.signer.public_keys().await?;
        let kid = keys
            .first()
            .map(|k| k.kid.clone())
            .ok_or_else(|| SignError::Call("no signing key".to_owned()))?;
        let claims = set.claims_at(unix_now());
        let input = signing_input(&kid, &claims)
            .ok_or_else(|| SignError::Call("the signing input is over 4096 bytes".to_owned()))?;
        self.pace.wait().await;
        let signature = self.signer.sign(input.as_bytes()).await?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// `set` signed for a poll of `stream_id`: as it was signed for an earlier poll less than
    /// [`POLL_RESIGN_SECONDS`] ago, else now.
    async fn sign_for_poll(&self, stream_id: &str, set: &PendingSet) -> Result<String, SignError> {
        let now = unix_now().get();
        let key = (stream_id.to_owned(), set.jti.clone());
        let remembered = |polled: &std::collections::HashMap<_, (String, u64)>| {
            polled
                .get(&key)
                .filter(|(_, at)| now < at + POLL_RESIGN_SECONDS)
                .map(|(signed, _)| signed.clone())
        };
        if let Some(signed) = remembered(
            &self
                .polled
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        ) {
            return Ok(signed);
        }
        let signed = self.sign(set).await?;
        let mut polled = self
            .polled
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if polled.len() >= MAX_POLLED {
            polled.retain(|_, (_, at)| now < *at + POLL_RESIGN_SECONDS);
            if polled.len() >= MAX_POLLED {
                polled.clear();
            }
        }
        polled.insert(key, (signed.clone(), now));
        Ok(signed)
    }

    /// Every SET a responder event makes, routed.
    pub async fn on_signed_out(
        &self,
        user: &SignedOutUser,
        started: Instant,
    ) -> Result<Report, TransmitterFailure> {
        let streams = self.streams.list(None).await?;
        let subject = user.subject();
        let key = crate::core::api::subject_key_of(&user.pool.issuer(), user.sub.as_str());
        let events = user.events();
        let routes = streams
            .iter()
            .filter(|kept| kept.stream.status != Status::Disabled && !kept.excludes(&key))
            .flat_map(|kept| {
                events
                    .iter()
                    .filter(|(event_type, _)| kept.stream.delivers(event_type))
                    .map(|event| {
                        let set = PendingSet::new(
                            self.settings.endpoints.issuer(),
                            &kept.stream.client_id,
                            &kept.stream.stream_id,
                            &user.event_id,
                            subject.clone(),
                            event.clone(),
                        );
                        self.route(kept, set, started)
                    })
                    .collect::<Vec<_>>()
            });
        let mut report = Report {
            streams: Some(streams.len()),
            ..Report::default()
        };
        for routed in join_all(routes).await {
            report.add(routed?);
        }
        Ok(report)
    }

    /// Routes one SET on `kept` by its status and delivery. A SET held while the stream
    /// was being enabled again is released at once.
    pub async fn route(
        &self,
        kept: &Kept,
        set: PendingSet,
        started: Instant,
    ) -> Result<Report, TransmitterFailure> {
        let expires_at = UnixSeconds::new(unix_now().get() + self.settings.poll_retention_seconds);
        match (&kept.stream.status, &kept.stream.delivery) {
            (Status::Disabled, _) => Ok(Report::default()),
            (Status::Paused, _) => {
                self.streams.keep(&set, Waiting::Held, expires_at).await?;
                let mut report = Report {
                    kept: 1,
                    ..Report::default()
                };
                if let Some(now) = self.streams.get(&kept.stream.stream_id).await? {
                    if now.stream.status == Status::Enabled {
                        report.add(Box::pin(self.release(&now, Waiting::Held, started)).await?);
                    }
                }
                Ok(report)
            }
            (Status::Enabled, Delivery::Poll) => {
                self.streams.keep(&set, Waiting::Poll, expires_at).await?;
                Ok(Report {
                    kept: 1,
                    ..Report::default()
                })
            }
            (Status::Enabled, Delivery::Push { .. }) => {
                let retry = Retry {
                    set,
                    first_attempt_at: unix_now().get(),
                    attempts: 0,
                    last_answer: String::new(),
                };
                self.attempt(kept, retry, started).await
            }
        }
    }

    /// Routes, in the order they wait, the SETs waiting on `kept` as `from` (held while it
    /// was paused, or kept for a poll before it became a push stream), forgetting each batch
    /// once routed.
    pub async fn release(
        &self,
        kept: &Kept,
        from: Waiting,
        started: Instant,
    ) -> Result<Report, TransmitterFailure> {
        let mut report = Report::default();
        loop {
            let (waiting, more) = self
                .streams
                .waiting(&kept.stream.stream_id, from, 100)
                .await?;
            let keys: Vec<String> = waiting.iter().map(|w| w.key.clone()).collect();
            // One at a time: a receiver hears a paused stream's SETs in the order they were made.
            for waited in waiting {
                report.add(Box::pin(self.route(kept, waited.set, started)).await?);
            }
            self.streams
                .forget(&kept.stream.stream_id, from, &keys)
                .await?;
            if !more {
                return Ok(report);
            }
        }
    }

    /// One push attempt of `retry` on `kept`, and what follows it.
    async fn attempt(
        &self,
        kept: &Kept,
        mut retry: Retry,
        started: Instant,
    ) -> Result<Report, TransmitterFailure> {
        retry.attempts += 1;
        let answer = self.push(kept, &retry).await;
        tracing::info!(
            jti = %retry.set.jti,
            stream_id = %kept.stream.stream_id,
            receiver = %receiver_host(kept),
            answer = %answer.describe(),
            attempt = retry.attempts,
            "push"
        );
        match answer {
            PushAnswer::Accepted => Ok(Report {
                delivered: 1,
                latencies: vec![lambda_edge::emf::milliseconds_of(started.elapsed())],
                ..Report::default()
            }),
            PushAnswer::Refused { err } => Ok(Report::refusal(err)),
            PushAnswer::Failed { answer } => {
                retry.last_answer = answer;
                let now = unix_now().get();
                match next_step(
                    retry.first_attempt_at,
                    now,
                    retry.attempts,
                    self.settings.push_retry_seconds,
                    jitter(),
                ) {
                    NextStep::RetryAfter(delay) => {
                        self.queue.retry(&retry, delay).await?;
                        Ok(Report {
                            retried: 1,
                            ..Report::default()
                        })
                    }
                    NextStep::GiveUp => {
                        self.dead_letter(&retry, "the retry window is spent")
                            .await?;
                        Ok(Report {
                            dead_lettered: 1,
                            ..Report::default()
                        })
                    }
                }
            }
        }
    }

    /// Connects to the stream's endpoint (checked again), then signs, then sends: an endpoint
    /// that cannot be reached costs no `Sign`.
    async fn push(&self, kept: &Kept, retry: &Retry) -> PushAnswer {
        let Delivery::Push {
            endpoint_url,
            authorization_header,
        } = &kept.stream.delivery
        else {
            return PushAnswer::Failed {
                answer: "not a push stream".to_owned(),
            };
        };
        let endpoint = match ReceiverEndpoint::parse(endpoint_url, self.settings.allow_loopback) {
            Ok(endpoint) => endpoint,
            Err(refused) => {
                return PushAnswer::Failed {
                    answer: refused.to_string(),
                }
            }
        };
        let connection = match self.pusher.connect(&endpoint).await {
            Ok(connection) => connection,
            Err(failed) => return failed,
        };
        match self.sign(&retry.set).await {
            Ok(set) => {
                connection
                    .send(&endpoint, authorization_header.as_deref(), &set)
                    .await
            }
            Err(err) => PushAnswer::Failed {
                answer: format!("not signed: {err}"),
            },
        }
    }

    async fn dead_letter(&self, retry: &Retry, reason: &str) -> Result<(), QueueError> {
        tracing::warn!(jti = %retry.set.jti, stream_id = %retry.set.stream_id, attempts = retry.attempts, last_answer = %retry.last_answer, "{reason}: dead-lettered");
        self.queue
            .dead_letter(&DeadLetter {
                stream_id: retry.set.stream_id.clone(),
                jti: retry.set.jti.clone(),
                event_type: retry.set.event_type.clone(),
                attempts: retry.attempts,
                first_attempt_at: retry.first_attempt_at,
                last_answer: retry.last_answer.clone(),
                reason: reason.to_owned(),
                claims: retry.set.claims.clone(),
            })
            .await
    }

    /// Sends a delivery-queue record that is not a retry to the dead-letter queue.
    pub async fn unreadable(&self, body: &str) -> Result<Report, TransmitterFailure> {
        tracing::warn!("an unreadable delivery-queue message: dead-lettered");
        self.queue.dead_letter(&unreadable_retry(body)).await?;
        Ok(Report {
            dead_lettered: 1,
            ..Report::default()
        })
    }

    /// A retry from the delivery queue: tried again on its stream as the stream is now. A
    /// retry whose SET is not one this transmitter made for that stream (its `iss`, its
    /// `aud`, its `jti` from its causes) is never signed: dead-lettered.
    pub async fn on_retry(
        &self,
        retry: Retry,
        started: Instant,
    ) -> Result<Report, TransmitterFailure> {
        let Some(kept) = self.streams.get(&retry.set.stream_id).await? else {
            tracing::info!(jti = %retry.set.jti, stream_id = %retry.set.stream_id, "the stream was deleted: not delivered");
            return Ok(Report::default());
        };
        if !self.made_for(&retry.set, &kept) {
            self.dead_letter(&retry, "not a SET this transmitter made for the stream")
                .await?;
            return Ok(Report {
                dead_lettered: 1,
                ..Report::default()
            });
        }
        match (&kept.stream.status, &kept.stream.delivery) {
            (Status::Enabled, Delivery::Push { .. }) => self.attempt(&kept, retry, started).await,
            _ => self.route(&kept, retry.set, started).await,
        }
    }

    /// Whether `set` is what this transmitter makes for `kept`.
    fn made_for(&self, set: &PendingSet, kept: &Kept) -> bool {
        let claims = &set.claims;
        let txn = claims["txn"].as_str().unwrap_or_default();
        claims["iss"] == self.settings.endpoints.issuer()
            && claims["aud"] == kept.stream.client_id.as_str()
            && claims["jti"] == set.jti.as_str()
            && claims["events"].get(&set.event_type).is_some()
            && set.jti == crate::core::set::jti(txn, &kept.stream.stream_id, &set.event_type)
    }

    /// Sets `kept`'s status (unless it changed meanwhile: [`TransmitterFailure::Conflict`]), announcing
    /// the change with a stream-updated SET (a pause or a stop routed as the stream was, so
    /// that it is heard while the stream still delivers; a resume as it is), then, when it is
    /// enabled, releases what it held (also when it was enabled already: a resume that failed
    /// half-way is finished by asking again), or, when it is disabled, forgets what waits.
    pub async fn change_status(
        &self,
        kept: &Kept,
        status: Status,
        reason: Option<String>,
        started: Instant,
    ) -> Result<(Kept, Report), TransmitterFailure> {
        let changed = status != kept.stream.status || reason != kept.stream.reason;
        let announcement = || {
            PendingSet::new(
                self.settings.endpoints.issuer(),
                &kept.stream.client_id,
                &kept.stream.stream_id,
                &random_id(),
                stream_subject(&kept.stream.stream_id),
                stream_updated(status.as_str(), reason.as_deref()),
            )
        };
        let now = Kept {
            stream: with_status(kept, status, reason.clone()),
            excluded: kept.excluded.clone(),
        };
        if changed {
            if !self.streams.put(&now.stream).await? {
                return Err(TransmitterFailure::Conflict);
            }
            tracing::info!(stream_id = %now.stream.stream_id, status = status.as_str(), "stream status changed");
        }
        let mut report = Report::default();
        if changed && status != Status::Enabled {
            // Routed as the stream was: heard while it still delivers.
            report.add(self.route(kept, announcement(), started).await?);
        }
        match status {
            Status::Enabled => {
                if changed {
                    report.add(self.route(&now, announcement(), started).await?);
                }
                report.add(self.release(&now, Waiting::Held, started).await?);
            }
            Status::Disabled => {
                for waiting in [Waiting::Held, Waiting::Poll] {
                    self.streams.clear(&now.stream.stream_id, waiting).await?;
                }
            }
            Status::Paused => {}
        }
        Ok((now, report))
    }

    /// The SETs a poll answers (signed now) after forgetting those it acknowledges or refuses.
    pub async fn poll(
        &self,
        kept: &Kept,
        request: &PollRequest,
    ) -> Result<(BTreeMap<String, String>, bool, Report), TransmitterFailure> {
        let stream_id = &kept.stream.stream_id;
        let mut report = Report::default();
        let mut forgotten: Vec<String> = request.acks.clone();
        for (jti, err) in &request.errors {
            tracing::info!(jti = %jti, stream_id = %stream_id, err = %err, "the receiver refused a polled SET");
            report.add(Report::refusal(known_err(err)));
            forgotten.push(jti.clone());
        }
        self.streams
            .forget(stream_id, Waiting::Poll, &forgotten)
            .await?;
        if kept.stream.status != Status::Enabled {
            return Ok((BTreeMap::new(), false, report));
        }
        let (waiting, more) = self
            .streams
            .waiting(stream_id, Waiting::Poll, request.max_events)
            .await?;
        let mut answered = BTreeMap::new();
        for waited in waiting {
            match self.sign_for_poll(stream_id, &waited.set).await {
                Ok(signed) => {
                    answered.insert(waited.set.jti.clone(), signed);
                }
                // Kept: the next poll answers it.
                Err(err) => {
                    tracing::warn!(jti = %waited.set.jti, stream_id = %stream_id, "not signed: {err}");
                    return Ok((answered, true, report));
                }
            }
        }
        report.delivered += answered.len() as u64;
        Ok((answered, more, report))
    }
}

/// The receiver's host, for the log line.
fn receiver_host(kept: &Kept) -> String {
    match &kept.stream.delivery {
        Delivery::Push { endpoint_url, .. } => ReceiverEndpoint::parse(endpoint_url, true)
            .map_or_else(|_| "unusable endpoint".to_owned(), |e| e.host().to_owned()),
        Delivery::Poll => "poll".to_owned(),
    }
}

/// The retry message of a delivery-queue record.
pub fn read_retry(body: &str) -> Option<Retry> {
    serde_json::from_str::<Retry>(body).ok()
}

/// A dead letter for a delivery-queue record that is not a retry this transmitter wrote.
pub fn unreadable_retry(body: &str) -> DeadLetter {
    DeadLetter {
        stream_id: String::new(),
        jti: String::new(),
        event_type: String::new(),
        attempts: 0,
        first_attempt_at: 0,
        last_answer: String::new(),
        reason: "an unreadable delivery-queue message".to_owned(),
        claims: Value::String(body.chars().take(4096).collect()),
    }
}
