//! The streams table in DynamoDB (`SSF_STREAMS_TABLE`: partition key `pk`, sort key `sk`,
//! TTL attribute `expiresAt`). A stream is the item (`stream`, `<stream id>`) with its
//! configuration as JSON (`stream`), its client (`clientId`) and its excluded subjects
//! (`excluded`, a string set) and its last verification (`verifiedAt`); a waiting SET is the
//! item (`poll#<stream id>`, `<jti>`), so the same `jti` kept twice is one item, or
//! (`held#<stream id>`, `<milliseconds>#<jti>`), so that held SETs come back in order.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Select};
use cognito_names::UnixSeconds;
use cognito_revocation::sdk_error::describe;
use futures_util::{StreamExt, TryStreamExt};

use super::{
    waiting_key, Kept, LimitReached, Streams, TableError, Waited, Waiting, MAX_EXCLUDED_SUBJECTS,
};
use crate::core::set::PendingSet;
use crate::core::stream::Stream;

const STREAMS: &str = "stream";

/// The streams table in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoDbStreams {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

type Item = HashMap<String, AttributeValue>;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn partition(stream_id: &str, waiting: Waiting) -> String {
    match waiting {
        Waiting::Poll => format!("poll#{stream_id}"),
        Waiting::Held => format!("held#{stream_id}"),
    }
}

fn call_failed<E>(err: aws_sdk_dynamodb::error::SdkError<E>) -> TableError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    TableError(describe(&err))
}

fn unreadable(what: &str) -> TableError {
    TableError(format!("an unreadable {what} item"))
}

fn kept_of(item: &Item) -> Result<Kept, TableError> {
    let stream = item
        .get("stream")
        .and_then(|v| v.as_s().ok())
        .and_then(|json| serde_json::from_str::<Stream>(json).ok())
        .ok_or_else(|| unreadable("stream"))?;
    let excluded = item
        .get("excluded")
        .and_then(|v| v.as_ss().ok())
        .cloned()
        .unwrap_or_default();
    Ok(Kept { stream, excluded })
}

fn stream_json(stream: &Stream) -> Result<String, TableError> {
    serde_json::to_string(stream).map_err(|e| TableError(e.to_string()))
}

impl DynamoDbStreams {
    /// The table `table`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Every item of partition `pk` (filtered to `client_id` for streams), page by page.
    async fn query(&self, pk: &str, client_id: Option<&str>) -> Result<Vec<Item>, TableError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .query_partition(pk, client_id)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(call_failed)?;
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// A strongly consistent `Query` of partition `pk` (filtered to `client_id`'s streams when
    /// given), its paging to be added.
    fn query_partition(
        &self,
        pk: &str,
        client_id: Option<&str>,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true);
        match client_id {
            Some(client) => query
                .filter_expression("clientId = :client")
                .expression_attribute_values(":client", s(client)),
            None => query,
        }
    }

    /// An `UpdateItem` of the stream `stream_id`'s item, its expression to be added.
    fn update_stream(
        &self,
        stream_id: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(STREAMS))
            .key("sk", s(stream_id))
    }

    async fn count(&self, client_id: &str) -> Result<usize, TableError> {
        let mut count = 0;
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .query_partition(STREAMS, Some(client_id))
                .select(Select::Count)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(call_failed)?;
            count += page.count.max(0) as usize;
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(count);
            }
        }
    }

    async fn delete_item(&self, pk: String, sk: String) -> Result<(), TableError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .send()
            .await
            .map_err(call_failed)?;
        Ok(())
    }
}

impl Streams for DynamoDbStreams {
    async fn create(
        &self,
        stream: &Stream,
        limit: usize,
    ) -> Result<Result<(), LimitReached>, TableError> {
        // Counted, then written: two creations racing at the limit may both pass; the limit
        // bounds a client's streams, it is not a quota to the unit.
        if self.count(&stream.client_id).await? >= limit {
            return Ok(Err(LimitReached));
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(STREAMS))
            .item("sk", s(&stream.stream_id))
            .item("clientId", s(&stream.client_id))
            .item("version", AttributeValue::N(stream.version.to_string()))
            .item("stream", s(stream_json(stream)?))
            .condition_expression("attribute_not_exists(sk)")
            .send()
            .await
            .map_err(call_failed)?;
        Ok(Ok(()))
    }

    async fn get(&self, stream_id: &str) -> Result<Option<Kept>, TableError> {
        let answer = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(STREAMS))
            .key("sk", s(stream_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(call_failed)?;
        answer.item.as_ref().map(kept_of).transpose()
    }

    async fn list(&self, client_id: Option<&str>) -> Result<Vec<Kept>, TableError> {
        let items = self.query(STREAMS, client_id).await?;
        items.iter().map(kept_of).collect()
    }

    async fn put(&self, stream: &Stream) -> Result<bool, TableError> {
        // Version 0 is a stream's creation, never a change.
        let Some(previous) = stream.version.checked_sub(1) else {
            return Ok(false);
        };
        let written = self
            .update_stream(&stream.stream_id)
            .update_expression("SET #stream = :stream, #version = :version")
            .condition_expression("attribute_exists(sk) AND #version = :previous")
            .expression_attribute_names("#stream", "stream")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":stream", s(stream_json(stream)?))
            .expression_attribute_values(":version", AttributeValue::N(stream.version.to_string()))
            .expression_attribute_values(":previous", AttributeValue::N(previous.to_string()))
            .send()
            .await;
        match written {
            Ok(_) => Ok(true),
            // Changed or deleted meanwhile.
            Err(err) if conditional(&err) => Ok(false),
            Err(err) => Err(call_failed(err)),
        }
    }

    async fn delete(&self, stream_id: &str) -> Result<(), TableError> {
        self.delete_item(STREAMS.to_owned(), stream_id.to_owned())
            .await?;
        self.clear(stream_id, Waiting::Poll).await?;
        self.clear(stream_id, Waiting::Held).await
    }

    async fn exclude(&self, stream_id: &str, key: &str) -> Result<bool, TableError> {
        let added = self
            .update_stream(stream_id)
            .update_expression("ADD excluded :subject")
            .condition_expression(
                "attribute_exists(sk) AND (attribute_not_exists(excluded) OR contains(excluded, :one) OR size(excluded) < :max)",
            )
            .expression_attribute_values(":subject", AttributeValue::Ss(vec![key.to_owned()]))
            .expression_attribute_values(":one", s(key))
            .expression_attribute_values(":max", AttributeValue::N(MAX_EXCLUDED_SUBJECTS.to_string()))
            .send()
            .await;
        match added {
            Ok(_) => Ok(true),
            // Deleted meanwhile (nothing to do), or at the limit.
            Err(err) if conditional(&err) => Ok(self.get(stream_id).await?.is_none()),
            Err(err) => Err(call_failed(err)),
        }
    }

    async fn include(&self, stream_id: &str, key: &str) -> Result<(), TableError> {
        let removed = self
            .update_stream(stream_id)
            .update_expression("DELETE excluded :subject")
            .condition_expression("attribute_exists(sk)")
            .expression_attribute_values(":subject", AttributeValue::Ss(vec![key.to_owned()]))
            .send()
            .await;
        match removed {
            Ok(_) => Ok(()),
            Err(err) if conditional(&err) => Ok(()),
            Err(err) => Err(call_failed(err)),
        }
    }

    async fn claim_verification(
        &self,
        stream_id: &str,
        now: u64,
        interval: u64,
    ) -> Result<bool, TableError> {
        let claimed = self
            .update_stream(stream_id)
            .update_expression("SET verifiedAt = :now")
            .condition_expression("attribute_exists(sk) AND (attribute_not_exists(verifiedAt) OR verifiedAt <= :since)")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":since", AttributeValue::N(now.saturating_sub(interval).to_string()))
            .send()
            .await;
        match claimed {
            Ok(_) => Ok(true),
            Err(err) if conditional(&err) => Ok(false),
            Err(err) => Err(call_failed(err)),
        }
    }

    async fn keep(
        &self,
        set: &PendingSet,
        waiting: Waiting,
        expires_at: UnixSeconds,
    ) -> Result<(), TableError> {
        let json = serde_json::to_string(set).map_err(|e| TableError(e.to_string()))?;
        let held_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(partition(&set.stream_id, waiting)))
            .item("sk", s(waiting_key(set, waiting, held_at)))
            .item("set", s(json))
            .item("expiresAt", AttributeValue::N(expires_at.get().to_string()))
            .send()
            .await
            .map_err(call_failed)?;
        Ok(())
    }

    async fn waiting(
        &self,
        stream_id: &str,
        waiting: Waiting,
        max: usize,
    ) -> Result<(Vec<Waited>, bool), TableError> {
        let pk = partition(stream_id, waiting);
        let now = crate::unix_now().get();
        let (mut found, mut expired) = (Vec::new(), Vec::new());
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .query_partition(&pk, None)
                .limit(100)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(call_failed)?;
            for item in page.items.unwrap_or_default() {
                let key = item
                    .get("sk")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .ok_or_else(|| unreadable("SET"))?;
                // TTL deletes within days, not at once: an expired SET is forgotten here.
                let live = item
                    .get("expiresAt")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse::<u64>().ok())
                    .is_none_or(|at| at > now);
                if !live {
                    expired.push(key);
                    continue;
                }
                if found.len() == max {
                    self.forget(stream_id, waiting, &expired).await?;
                    return Ok((found, true));
                }
                let set = item
                    .get("set")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|json| serde_json::from_str(json).ok())
                    .ok_or_else(|| unreadable("SET"))?;
                found.push(Waited { key, set });
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                self.forget(stream_id, waiting, &expired).await?;
                return Ok((found, false));
            }
        }
    }

    async fn forget(
        &self,
        stream_id: &str,
        waiting: Waiting,
        keys: &[String],
    ) -> Result<(), TableError> {
        let pk = partition(stream_id, waiting);
        futures_util::stream::iter(keys.iter().cloned())
            .map(|key| self.delete_item(pk.clone(), key))
            .buffer_unordered(16)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    async fn clear(&self, stream_id: &str, waiting: Waiting) -> Result<(), TableError> {
        let items = self.query(&partition(stream_id, waiting), None).await?;
        let keys: Vec<String> = items
            .iter()
            .filter_map(|item| item.get("sk").and_then(|v| v.as_s().ok()).cloned())
            .collect();
        self.forget(stream_id, waiting, &keys).await
    }
}

/// Whether `err` is a failed condition.
fn conditional<R>(
    err: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::update_item::UpdateItemError,
        R,
    >,
) -> bool {
    err.as_service_error()
        .is_some_and(|e| e.is_conditional_check_failed_exception())
}
