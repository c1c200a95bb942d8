//! A [`TransmitterKeySource`] that serves scripted answers and counts its fetches, for tests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::TransmitterKeySource;
use crate::transmitter::FetchError;

/// Serves its answers in order, repeating the last one.
#[derive(Debug)]
pub struct StaticKeySource {
    answers: Mutex<Vec<Result<Vec<u8>, FetchError>>>,
    fetches: AtomicUsize,
}

impl StaticKeySource {
    /// Always `document`.
    pub fn new(document: impl Into<Vec<u8>>) -> Self {
        Self::scripted(vec![Ok(document.into())])
    }

    /// `answers` in order, the last repeated (at least one is needed).
    pub fn scripted(answers: Vec<Result<Vec<u8>, FetchError>>) -> Self {
        Self {
            answers: Mutex::new(answers),
            fetches: AtomicUsize::new(0),
        }
    }

    /// How many fetches were made.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl TransmitterKeySource for StaticKeySource {
    async fn fetch(&self) -> Result<Vec<u8>, FetchError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        match answers.len() {
            0 => Err(FetchError::Document("no scripted answer".to_owned())),
            1 => answers[0].clone(),
            _ => answers.remove(0),
        }
    }
}
