//! The AWS adapter of [`Revocations`]: cutoffs through the revocation library's DynamoDB store
//! (a conditional `UpdateItem` that only raises `revokedBefore`), events through EventBridge
//! `PutEvents`. It owns the conversion of the core's [`SignedOut`] into the event's `Detail`
//! and of the SDKs' errors into plain [`CallError`]s. The SDK clients are built on first use,
//! so an instance that never signs anyone out pays nothing for them at cold start.

use std::sync::OnceLock;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_eventbridge::error::SdkError;
use aws_sdk_eventbridge::operation::put_events::PutEventsError;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use cognito_revocation::{
    CutoffKey, CutoffStore, DynamoDbCutoffStore, StoreError, StoreErrorClass, Subject,
};

use crate::aws_error::{call_error, class_by_code};
use crate::core::already::Recorded;
use crate::core::call_error::CallError;
use crate::core::error_class::ErrorClass;
use crate::core::identity::Target;
use crate::core::revocation::{RevocationError, SignedOut, EVENT_DETAIL_TYPE};
use crate::core::text::loggable;
use crate::core::timeouts::Timeouts;
use crate::revocation::{Revocations, Scope};

/// Where cutoffs and events go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationTargets {
    /// `REVOCATION_TABLE`.
    pub table: Option<String>,
    /// `EVENT_BUS_NAME` (a name or an ARN).
    pub bus: Option<String>,
    /// `EVENT_SOURCE`.
    pub source: String,
    /// `REVOCATION_RETENTION_SECONDS`: how long a cutoff is kept (the table's TTL).
    pub retention: Duration,
}

impl RevocationTargets {
    /// What an adapter for these targets writes.
    pub fn scope(&self) -> Scope {
        Scope::of(self.table.is_some(), self.bus.is_some())
    }
}

/// Cutoffs in DynamoDB, events in EventBridge.
#[derive(Debug)]
pub struct AwsRevocations {
    sdk: SdkConfig,
    timeouts: Timeouts,
    targets: RevocationTargets,
    store: OnceLock<DynamoDbCutoffStore>,
    events: OnceLock<aws_sdk_eventbridge::Client>,
}

impl AwsRevocations {
    /// The adapter for `targets`, its clients built from `sdk` when first needed.
    pub fn new(sdk: &SdkConfig, timeouts: &Timeouts, targets: RevocationTargets) -> Self {
        Self {
            sdk: sdk.clone(),
            timeouts: *timeouts,
            targets,
            store: OnceLock::new(),
            events: OnceLock::new(),
        }
    }

    fn timeout_config(&self) -> aws_config::timeout::TimeoutConfig {
        lambda_edge::sdk_timeouts(
            self.timeouts.connect,
            self.timeouts.cognito_attempt,
            self.timeouts.cognito_operation,
        )
    }

    fn store(&self, table: &str) -> &DynamoDbCutoffStore {
        self.store.get_or_init(|| {
            let conf = aws_sdk_dynamodb::config::Builder::from(&self.sdk)
                .timeout_config(self.timeout_config())
                .build();
            DynamoDbCutoffStore::new(aws_sdk_dynamodb::Client::from_conf(conf), table)
        })
    }

    fn events(&self) -> &aws_sdk_eventbridge::Client {
        self.events.get_or_init(|| {
            let conf = aws_sdk_eventbridge::config::Builder::from(&self.sdk)
                .timeout_config(self.timeout_config())
                .build();
            aws_sdk_eventbridge::Client::from_conf(conf)
        })
    }
}

impl Revocations for AwsRevocations {
    fn scope(&self) -> Scope {
        self.targets.scope()
    }

    async fn record(&self, user: &SignedOut) -> Result<(), RevocationError> {
        // The runner asks only within the scope, which names a table.
        let Some(table) = &self.targets.table else {
            return Ok(());
        };
        let cutoff = user.cutoff(self.targets.retention);
        self.store(table)
            .raise(&cutoff)
            .await
            .map_err(|err| RevocationError::Cutoff(store_error(&err, "UpdateItem")))?;
        tracing::info!(
            user_pool_id = user.target.pool.as_str(),
            username = user.target.user.as_str(),
            sub = %loggable(user.sub.as_str(), 256),
            revoked_before = cutoff.revoked_before().get(),
            expires_at = cutoff.expires_at().get(),
            "cutoff recorded"
        );
        Ok(())
    }

    async fn recorded(
        &self,
        target: &Target,
        sub: &Subject,
    ) -> Result<Option<Recorded>, RevocationError> {
        let Some(table) = &self.targets.table else {
            return Ok(None);
        };
        let found = self
            .store(table)
            .recorded_item(&CutoffKey::new(&target.pool, sub))
            .await
            .map_err(|err| RevocationError::Cutoff(store_error(&err, "GetItem")))?;
        // The item stands for this user only when it was written for this username: the
        // `sub` that chose the key came from the alert, and must not let another user's
        // cutoff skip this one's sign-out.
        let found = found.filter(|item| item.username.as_deref() == Some(target.user.as_str()));
        Ok(found.map(|item| Recorded::from_names(item.revoked_before, &item.actions)))
    }

    async fn publish(&self, users: &[SignedOut]) -> Vec<Result<(), RevocationError>> {
        let Some(bus) = &self.targets.bus else {
            return users.iter().map(|_| Ok(())).collect();
        };
        let entries = users
            .iter()
            .map(|user| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(bus)
                    .source(&self.targets.source)
                    .detail_type(EVENT_DETAIL_TYPE)
                    .detail(user.event_detail())
                    .build()
            })
            .collect::<Vec<_>>();
        match self
            .events()
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
        {
            Ok(output) => {
                let answered = output.entries();
                (0..users.len())
                    .map(|i| match answered.get(i) {
                        Some(entry) if entry.event_id().is_some_and(|id| !id.is_empty()) => Ok(()),
                        Some(entry) => {
                            let code = entry.error_code().unwrap_or("NoEventId");
                            Err(RevocationError::Event(CallError::new(
                                "PutEvents",
                                class_by_code(Some(code), 200),
                                code,
                                entry.error_message().unwrap_or(""),
                            )))
                        }
                        None => Err(RevocationError::Event(CallError::new(
                            "PutEvents",
                            ErrorClass::Unknown,
                            "NoResult",
                            "the answer has no entry for the event",
                        ))),
                    })
                    .collect()
            }
            Err(err) => {
                let err = put_events_error(&err);
                users
                    .iter()
                    .map(|_| Err(RevocationError::Event(err.clone())))
                    .collect()
            }
        }
    }
}

/// A failed `PutEvents` request.
fn put_events_error(err: &SdkError<PutEventsError>) -> CallError {
    call_error("PutEvents", err, |err| match err {
        PutEventsError::InternalException(_) => Some((ErrorClass::Internal, "InternalException")),
        _ => None,
    })
}

/// A failed cutoff write, classed by the revocation library, its text bounded here.
fn store_error(err: &StoreError, operation: &'static str) -> CallError {
    let class = match err.class() {
        StoreErrorClass::Throttled => ErrorClass::Throttled,
        StoreErrorClass::Internal => ErrorClass::Internal,
        StoreErrorClass::Transport => ErrorClass::Transport,
        StoreErrorClass::Unknown => ErrorClass::Unknown,
    };
    CallError::new(operation, class, err.code(), err.to_string())
}
