//! The mailroom: gathers the dead letters of one invocation into `SendMessageBatch` requests
//! (up to ten letters and 256 KiB per request, one queue each) and hands each letter's own
//! result back to the record that posted it.
//!
//! A record posts its letter and waits for that letter's result, so a FIFO message group can
//! still stop at a letter that was not stored. A request leaves as soon as ten letters for
//! its queue are waiting, or [`LINGER`] after the first of them was posted: a flood of junk
//! alerts, all refused before any call, fills whole requests at once, while a letter that
//! follows a Cognito call waits a few milliseconds at most for company. No wait outlives the
//! last moment a send may start.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{oneshot, Semaphore};
use tokio::time::Instant;

use crate::core::letter::{
    DeadLetter, DeadLetterError, DeadLetterRoutes, QueueUrl, MAX_BATCH_ENTRIES, MAX_MESSAGE_BYTES,
};
use crate::core::timeouts::Timeouts;
use crate::dead_letters::DeadLetters;
use crate::responder::permit::permit_before;

/// How long the first letter of a request waits for others to join it.
pub const LINGER: Duration = Duration::from_millis(5);

type Reply = oneshot::Sender<Result<(), DeadLetterError>>;

/// Letters waiting for one queue.
#[derive(Default)]
struct Bundle {
    /// Bumped each time an empty bundle gets its first letter, so the letter's poster flushes
    /// only the bundle it started.
    generation: u64,
    bytes: usize,
    letters: Vec<DeadLetter>,
    replies: Vec<Reply>,
}

impl Bundle {
    fn take(&mut self) -> (Vec<DeadLetter>, Vec<Reply>) {
        self.bytes = 0;
        (
            std::mem::take(&mut self.letters),
            std::mem::take(&mut self.replies),
        )
    }
}

/// One invocation's mailroom.
pub struct Mailroom<'a, D> {
    dead_letters: &'a D,
    routes: &'a DeadLetterRoutes,
    sends: &'a Semaphore,
    timeouts: Timeouts,
    deadline: Instant,
    pending: Mutex<HashMap<QueueUrl, Bundle>>,
    requests: AtomicUsize,
}

impl<'a, D: DeadLetters> Mailroom<'a, D> {
    /// A mailroom sending through `dead_letters`, at most as many requests at once as
    /// `sends` has permits, every send started and ended in time for `deadline`.
    pub fn new(
        dead_letters: &'a D,
        routes: &'a DeadLetterRoutes,
        sends: &'a Semaphore,
        timeouts: Timeouts,
        deadline: Instant,
    ) -> Self {
        Self {
            dead_letters,
            routes,
            sends,
            timeouts,
            deadline,
            pending: Mutex::new(HashMap::new()),
            requests: AtomicUsize::new(0),
        }
    }

    /// How many requests were sent.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Posts `letter` to its class's queue and waits for it to be stored, or for the reason it
    /// was not.
    pub async fn post(&self, letter: DeadLetter) -> Result<(), DeadLetterError> {
        let queue = self.routes.url_for(letter.class).clone();
        let size = letter.size();
        let (reply, result) = oneshot::channel();
        let mut ready = Vec::new();
        let started = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let bundle = pending.entry(queue.clone()).or_default();
            if !bundle.letters.is_empty() && bundle.bytes + size > MAX_MESSAGE_BYTES {
                ready.push(bundle.take());
            }
            let started = bundle.letters.is_empty().then(|| {
                bundle.generation += 1;
                bundle.generation
            });
            bundle.bytes += size;
            bundle.letters.push(letter);
            bundle.replies.push(reply);
            if bundle.letters.len() >= MAX_BATCH_ENTRIES {
                ready.push(bundle.take());
            }
            started
        };
        for (letters, replies) in ready {
            self.flush(&queue, letters, replies).await;
        }
        let mut result = result;
        if let Some(generation) = started {
            let latest = self
                .timeouts
                .latest_dead_letter_start(self.deadline)
                .unwrap_or(self.deadline);
            let wake = (Instant::now() + LINGER).min(latest);
            tokio::select! {
                biased;
                done = &mut result => return done.unwrap_or_else(|_| Err(lost())),
                _ = tokio::time::sleep_until(wake) => {}
            }
            let mine = {
                let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                pending
                    .get_mut(&queue)
                    .filter(|b| b.generation == generation && !b.letters.is_empty())
                    .map(Bundle::take)
            };
            if let Some((letters, replies)) = mine {
                self.flush(&queue, letters, replies).await;
            }
        }
        result.await.unwrap_or_else(|_| Err(lost()))
    }

    /// Sends one request and answers each letter's poster.
    async fn flush(&self, queue: &QueueUrl, letters: Vec<DeadLetter>, replies: Vec<Reply>) {
        let results = self.send(queue, &letters).await;
        for (reply, result) in replies.into_iter().zip(results) {
            // A poster that stopped waiting has nothing left to learn.
            let _ = reply.send(result);
        }
    }

    async fn send(
        &self,
        queue: &QueueUrl,
        letters: &[DeadLetter],
    ) -> Vec<Result<(), DeadLetterError>> {
        let every = |err: DeadLetterError| letters.iter().map(|_| Err(err.clone())).collect();
        let Some(latest) = self.timeouts.latest_dead_letter_start(self.deadline) else {
            return every(DeadLetterError::DeadlineReached);
        };
        let Some(_permit) = permit_before(self.sends, latest).await else {
            return every(DeadLetterError::DeadlineReached);
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        let cutoff = self.timeouts.dead_letter_cutoff(self.deadline);
        match tokio::time::timeout_at(cutoff, self.dead_letters.send_batch(queue, letters)).await {
            Ok(mut results) => {
                // An adapter that answers for fewer letters than it was given stored nothing
                // for the rest, as far as anyone can tell.
                results.resize_with(letters.len(), || {
                    Err(DeadLetterError::Unconfirmed(
                        "no result for the message".to_owned(),
                    ))
                });
                results
            }
            Err(_) => every(DeadLetterError::CutOff),
        }
    }
}

fn lost() -> DeadLetterError {
    DeadLetterError::Other("the send was abandoned before it answered".to_owned())
}
