//! The streams table in memory, for tests and benchmarks.

use std::collections::BTreeMap;
use std::sync::Mutex;

use cognito_names::UnixSeconds;

use super::{
    waiting_key, Kept, LimitReached, Streams, TableError, Waited, Waiting, MAX_EXCLUDED_SUBJECTS,
};
use crate::core::set::PendingSet;
use crate::core::stream::Stream;

#[derive(Debug, Default)]
struct Tables {
    streams: BTreeMap<String, Kept>,
    /// `(stream id, held, key)` to the SET and when it expires.
    waiting: BTreeMap<(String, bool, String), (PendingSet, u64)>,
    /// The last verification of each stream.
    verified: BTreeMap<String, u64>,
    /// Hold times that never repeat, as a clock would give.
    held: u128,
}

/// The streams table in memory.
#[derive(Debug, Default)]
pub struct MemoryStreams {
    tables: Mutex<Tables>,
}

impl MemoryStreams {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn held(waiting: Waiting) -> bool {
    waiting == Waiting::Held
}

impl Streams for MemoryStreams {
    async fn create(
        &self,
        stream: &Stream,
        limit: usize,
    ) -> Result<Result<(), LimitReached>, TableError> {
        let mut tables = self.tables();
        let owned = tables
            .streams
            .values()
            .filter(|k| k.stream.client_id == stream.client_id)
            .count();
        if owned >= limit {
            return Ok(Err(LimitReached));
        }
        tables.streams.insert(
            stream.stream_id.clone(),
            Kept {
                stream: stream.clone(),
                excluded: Vec::new(),
            },
        );
        Ok(Ok(()))
    }

    async fn get(&self, stream_id: &str) -> Result<Option<Kept>, TableError> {
        Ok(self.tables().streams.get(stream_id).cloned())
    }

    async fn list(&self, client_id: Option<&str>) -> Result<Vec<Kept>, TableError> {
        Ok(self
            .tables()
            .streams
            .values()
            .filter(|k| client_id.is_none_or(|c| k.stream.client_id == c))
            .cloned()
            .collect())
    }

    async fn put(&self, stream: &Stream) -> Result<bool, TableError> {
        match self.tables().streams.get_mut(&stream.stream_id) {
            Some(kept) if kept.stream.version + 1 == stream.version => {
                kept.stream = stream.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete(&self, stream_id: &str) -> Result<(), TableError> {
        let mut tables = self.tables();
        tables.streams.remove(stream_id);
        tables.waiting.retain(|(id, ..), _| id != stream_id);
        Ok(())
    }

    async fn exclude(&self, stream_id: &str, key: &str) -> Result<bool, TableError> {
        let mut tables = self.tables();
        let Some(kept) = tables.streams.get_mut(stream_id) else {
            return Ok(true);
        };
        if !kept.excludes(key) {
            if kept.excluded.len() >= MAX_EXCLUDED_SUBJECTS {
                return Ok(false);
            }
            kept.excluded.push(key.to_owned());
        }
        Ok(true)
    }

    async fn include(&self, stream_id: &str, key: &str) -> Result<(), TableError> {
        if let Some(kept) = self.tables().streams.get_mut(stream_id) {
            kept.excluded.retain(|k| k != key);
        }
        Ok(())
    }

    async fn claim_verification(
        &self,
        stream_id: &str,
        now: u64,
        interval: u64,
    ) -> Result<bool, TableError> {
        let mut tables = self.tables();
        let recent = tables
            .verified
            .get(stream_id)
            .is_some_and(|last| now < last.saturating_add(interval));
        if !recent {
            tables.verified.insert(stream_id.to_owned(), now);
        }
        Ok(!recent)
    }

    async fn keep(
        &self,
        set: &PendingSet,
        waiting: Waiting,
        expires_at: UnixSeconds,
    ) -> Result<(), TableError> {
        let mut tables = self.tables();
        tables.held += 1;
        let key = waiting_key(set, waiting, tables.held);
        tables.waiting.insert(
            (set.stream_id.clone(), held(waiting), key),
            (set.clone(), expires_at.get()),
        );
        Ok(())
    }

    async fn waiting(
        &self,
        stream_id: &str,
        waiting: Waiting,
        max: usize,
    ) -> Result<(Vec<Waited>, bool), TableError> {
        let now = crate::unix_now().get();
        let mut tables = self.tables();
        tables.waiting.retain(|(id, h, _), (_, expires)| {
            !(id == stream_id && *h == held(waiting) && *expires <= now)
        });
        let mut sets = tables
            .waiting
            .iter()
            .filter(|((id, h, _), _)| id == stream_id && *h == held(waiting))
            .map(|((.., key), (set, _))| Waited {
                key: key.clone(),
                set: set.clone(),
            });
        let found: Vec<Waited> = sets.by_ref().take(max).collect();
        Ok((found, sets.next().is_some()))
    }

    async fn forget(
        &self,
        stream_id: &str,
        waiting: Waiting,
        keys: &[String],
    ) -> Result<(), TableError> {
        self.tables().waiting.retain(|(id, h, key), _| {
            !(id == stream_id && *h == held(waiting) && keys.contains(key))
        });
        Ok(())
    }

    async fn clear(&self, stream_id: &str, waiting: Waiting) -> Result<(), TableError> {
        self.tables()
            .waiting
            .retain(|(id, h, _), _| !(id == stream_id && *h == held(waiting)));
        Ok(())
    }
}
