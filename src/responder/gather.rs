//! Gathering: items posted one at a time by concurrent records, sent together in requests of
//! at most `max_entries` items and `max_bytes` bytes, one destination each, with each item's
//! own result handed back to its poster. The dead-letter mailroom (`SendMessageBatch`) and the
//! signed-out events (`PutEvents`) both gather this way.
//!
//! A record posts its item and waits for that item's result, so a FIFO message group can still
//! stop at an item that failed. A request leaves as soon as `max_entries` items for its
//! destination are waiting, or [`LINGER`] after the first of them was posted (never later than
//! the given latest start): a flood that arrives at once fills whole requests, while an item
//! that follows a Cognito call waits a few milliseconds at most for company.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

/// How long the first item of a request waits for others to join it.
pub const LINGER: Duration = Duration::from_millis(5);

type Reply<E> = oneshot::Sender<Result<(), E>>;

/// Items waiting for one destination.
struct Bundle<T, E> {
    /// Bumped each time an empty bundle gets its first item, so that item's poster sends only
    /// the bundle it started.
    generation: u64,
    bytes: usize,
    items: Vec<T>,
    replies: Vec<Reply<E>>,
}

impl<T, E> Default for Bundle<T, E> {
    fn default() -> Self {
        Self {
            generation: 0,
            bytes: 0,
            items: Vec::new(),
            replies: Vec::new(),
        }
    }
}

impl<T, E> Bundle<T, E> {
    fn take(&mut self) -> (Vec<T>, Vec<Reply<E>>) {
        self.bytes = 0;
        (
            std::mem::take(&mut self.items),
            std::mem::take(&mut self.replies),
        )
    }
}

/// Gathers items of type `T` by destination `K`; a failed item's error is `E`.
pub struct Gather<K, T, E> {
    max_entries: usize,
    max_bytes: usize,
    pending: Mutex<HashMap<K, Bundle<T, E>>>,
}

impl<K: Eq + Hash + Clone, T, E> Gather<K, T, E> {
    /// Requests of at most `max_entries` items and `max_bytes` bytes.
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            max_entries,
            max_bytes,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// Posts `item` (`size` bytes) for `key` and waits for its result. `send` sends one request
    /// and answers one result per item, in order; `latest` bounds the linger. `lost` is the
    /// error of an item whose request ended without answering for it.
    pub async fn post<F, Fut>(
        &self,
        key: K,
        item: T,
        size: usize,
        latest: Instant,
        send: F,
        lost: fn() -> E,
    ) -> Result<(), E>
    where
        F: Fn(K, Vec<T>) -> Fut,
        Fut: Future<Output = Vec<Result<(), E>>>,
    {
        let (reply, result) = oneshot::channel();
        let mut ready = Vec::new();
        let started = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let bundle = pending.entry(key.clone()).or_default();
            if !bundle.items.is_empty() && bundle.bytes + size > self.max_bytes {
                ready.push(bundle.take());
            }
            let started = bundle.items.is_empty().then(|| {
                bundle.generation += 1;
                bundle.generation
            });
            bundle.bytes += size;
            bundle.items.push(item);
            bundle.replies.push(reply);
            if bundle.items.len() >= self.max_entries {
                ready.push(bundle.take());
            }
            started
        };
        for (items, replies) in ready {
            answer(replies, send(key.clone(), items).await, lost);
        }
        let mut result = result;
        if let Some(generation) = started {
            let wake = (Instant::now() + LINGER).min(latest);
            tokio::select! {
                biased;
                done = &mut result => return done.unwrap_or_else(|_| Err(lost())),
                _ = tokio::time::sleep_until(wake) => {}
            }
            let mine = {
                let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                pending
                    .get_mut(&key)
                    .filter(|b| b.generation == generation && !b.items.is_empty())
                    .map(Bundle::take)
            };
            if let Some((items, replies)) = mine {
                answer(replies, send(key, items).await, lost);
            }
        }
        result.await.unwrap_or_else(|_| Err(lost()))
    }
}

/// Hands each poster its item's result; an item the request did not answer for gets `lost`.
fn answer<E>(replies: Vec<Reply<E>>, results: Vec<Result<(), E>>, lost: fn() -> E) {
    let mut results = results.into_iter();
    for reply in replies {
        // A poster that stopped waiting has nothing left to learn.
        let _ = reply.send(results.next().unwrap_or_else(|| Err(lost())));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures_util::future::join_all;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn items_posted_together_share_requests_of_the_maximum_size() {
        let gather: Gather<&str, usize, String> = Gather::new(10, 1000);
        let requests = AtomicUsize::new(0);
        let far = Instant::now() + Duration::from_secs(60);
        let send = |_key: &str, items: Vec<usize>| {
            requests.fetch_add(1, Ordering::SeqCst);
            async move { items.iter().map(|_| Ok(())).collect() }
        };
        let results =
            join_all((0..25).map(|i| gather.post("q", i, 1, far, send, || "lost".to_owned())))
                .await;
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(requests.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn each_poster_gets_its_own_items_result() {
        let gather: Gather<&str, usize, String> = Gather::new(10, 1000);
        let far = Instant::now() + Duration::from_secs(60);
        let send = |_key: &str, items: Vec<usize>| async move {
            items
                .iter()
                .map(|i| {
                    if i % 2 == 0 {
                        Ok(())
                    } else {
                        Err(format!("odd {i}"))
                    }
                })
                .collect()
        };
        let results =
            join_all((0..4).map(|i| gather.post("q", i, 1, far, send, || "lost".to_owned()))).await;
        assert_eq!(
            results,
            [
                Ok(()),
                Err("odd 1".to_owned()),
                Ok(()),
                Err("odd 3".to_owned())
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_item_leaves_after_the_linger_and_an_unanswered_one_is_lost() {
        let gather: Gather<&str, usize, String> = Gather::new(10, 1000);
        let start = Instant::now();
        let send = |_key: &str, _items: Vec<usize>| async move { Vec::new() };
        let result = gather
            .post("q", 1, 1, start + Duration::from_secs(60), send, || {
                "lost".to_owned()
            })
            .await;
        assert_eq!(result, Err("lost".to_owned()));
        assert_eq!(Instant::now() - start, LINGER);
    }

    #[tokio::test(start_paused = true)]
    async fn destinations_and_size_limits_split_requests() {
        let gather: Gather<&str, usize, String> = Gather::new(10, 10);
        let requests = Mutex::new(Vec::new());
        let far = Instant::now() + Duration::from_secs(60);
        let send = |key: &str, items: Vec<usize>| {
            requests.lock().unwrap().push((key.to_owned(), items.len()));
            async move { items.iter().map(|_| Ok(())).collect() }
        };
        let posts = [("a", 6), ("b", 1), ("a", 6), ("b", 1)];
        join_all(
            posts
                .iter()
                .map(|(key, size)| gather.post(*key, 0, *size, far, send, || "lost".to_owned())),
        )
        .await;
        let mut seen = requests.into_inner().unwrap();
        seen.sort();
        assert_eq!(
            seen,
            [("a".into(), 1), ("a".into(), 1), ("b".to_owned(), 2)]
        );
    }
}
