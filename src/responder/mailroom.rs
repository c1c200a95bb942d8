//! The mailroom: one invocation's dead letters, gathered ([`super::gather`]) into
//! `SendMessageBatch` requests of up to ten letters and 256 KiB for one queue, each letter's
//! own result handed back to the record that posted it. Every send starts before the last
//! moment a dead-letter send may start and is abandoned at the dead-letter cutoff.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;
use tokio::time::Instant;

use cognito_names::QueueUrl;

use crate::core::letter::{
    DeadLetter, DeadLetterError, DeadLetterRoutes, MAX_BATCH_ENTRIES, MAX_MESSAGE_BYTES,
};
use crate::core::timeouts::Timeouts;
use crate::dead_letters::DeadLetters;
use crate::responder::gather::Gather;
use crate::responder::permit::permit_before;

/// One invocation's mailroom.
pub struct Mailroom<'a, D> {
    dead_letters: &'a D,
    routes: &'a DeadLetterRoutes,
    sends: &'a Semaphore,
    timeouts: Timeouts,
    deadline: Instant,
    gather: Gather<QueueUrl, DeadLetter, DeadLetterError>,
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
            gather: Gather::new(MAX_BATCH_ENTRIES, MAX_MESSAGE_BYTES),
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
        let latest = self
            .timeouts
            .latest_dead_letter_start(self.deadline)
            .unwrap_or(self.deadline);
        self.gather
            .post(
                queue,
                letter,
                size,
                latest,
                |queue, letters| self.send(queue, letters),
                lost,
            )
            .await
    }

    async fn send(
        &self,
        queue: QueueUrl,
        letters: Vec<DeadLetter>,
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
        match tokio::time::timeout_at(cutoff, self.dead_letters.send_batch(&queue, &letters)).await
        {
            Ok(results) => results,
            Err(_) => every(DeadLetterError::CutOff),
        }
    }
}

/// An adapter that answers for fewer letters than it was given stored nothing for the rest, as
/// far as anyone can tell.
fn lost() -> DeadLetterError {
    DeadLetterError::Unconfirmed("no result for the message".to_owned())
}
