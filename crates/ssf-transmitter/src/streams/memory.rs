//! The streams table in memory, for tests and benchmarks.

use std::collections::BTreeMap;
use std::sync::Mutex;

use cognito_names::UnixSeconds;

use super::{Kept, LimitReached, Streams, TableError, Waiting, MAX_EXCLUDED_SUBJECTS};
use crate::core::set::PendingSet;
use crate::core::stream::Stream;

#[derive(Debug, Default)]
struct Tables {
    streams: BTreeMap<String, Kept>,
    /// `(stream id, poll or held, order, jti)` to the SET.
    waiting: BTreeMap<(String, bool, u64, String), PendingSet>,
    order: u64,
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

    async fn put(&self, stream: &Stream) -> Result<(), TableError> {
        if let Some(kept) = self.tables().streams.get_mut(&stream.stream_id) {
            kept.stream = stream.clone();
        }
        Ok(())
    }

    async fn delete(&self, stream_id: &str) -> Result<(), TableError> {
        let mut tables = self.tables();
        tables.streams.remove(stream_id);
        tables.waiting.retain(|(id, ..), _| id != stream_id);
        Ok(())
    }

    async fn exclude(
        &self,
        stream_id: &str,
        key: &str,
        excluded: bool,
    ) -> Result<bool, TableError> {
        let mut tables = self.tables();
        let Some(kept) = tables.streams.get_mut(stream_id) else {
            return Ok(true);
        };
        kept.excluded.retain(|k| k != key);
        if excluded {
            if kept.excluded.len() >= MAX_EXCLUDED_SUBJECTS {
                return Ok(false);
            }
            kept.excluded.push(key.to_owned());
        }
        Ok(true)
    }

    async fn keep(
        &self,
        set: &PendingSet,
        waiting: Waiting,
        _expires_at: UnixSeconds,
    ) -> Result<(), TableError> {
        let mut tables = self.tables();
        let known = tables
            .waiting
            .keys()
            .any(|(id, h, _, jti)| *id == set.stream_id && *h == held(waiting) && *jti == set.jti);
        if !known {
            tables.order += 1;
            let order = tables.order;
            tables.waiting.insert(
                (set.stream_id.clone(), held(waiting), order, set.jti.clone()),
                set.clone(),
            );
        }
        Ok(())
    }

    async fn waiting(
        &self,
        stream_id: &str,
        waiting: Waiting,
        max: usize,
    ) -> Result<(Vec<PendingSet>, bool), TableError> {
        let tables = self.tables();
        let mut sets = tables
            .waiting
            .iter()
            .filter(|((id, h, ..), _)| id == stream_id && *h == held(waiting))
            .map(|(_, set)| set.clone());
        let found: Vec<PendingSet> = sets.by_ref().take(max).collect();
        Ok((found, sets.next().is_some()))
    }

    async fn forget(
        &self,
        stream_id: &str,
        waiting: Waiting,
        jtis: &[String],
    ) -> Result<(), TableError> {
        self.tables().waiting.retain(|(id, h, _, jti), _| {
            !(id == stream_id && *h == held(waiting) && jtis.contains(jti))
        });
        Ok(())
    }
}
