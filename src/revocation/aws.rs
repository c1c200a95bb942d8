//! The AWS adapter of [`Revocations`]: cutoffs through the revocation library's DynamoDB store
//! (a conditional `UpdateItem` that only raises `revokedBefore`), events through EventBridge
//! `PutEvents`. The SDK clients are built on first use, so an instance that never signs anyone
//! out pays nothing for them at cold start.

use std::sync::{Arc, OnceLock};

use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use cognito_revocation::{Cutoff, CutoffStore, DynamoDbCutoffStore};

use crate::core::revocation::{RevocationError, SignedOut, EVENT_DETAIL_TYPE};
use crate::core::text::{sqs_safe, truncate};
use crate::core::timeouts::Timeouts;
use crate::revocation::Revocations;

/// Where cutoffs and events go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationTargets {
    /// `REVOCATION_TABLE`.
    pub table: Option<String>,
    /// `EVENT_BUS_NAME` (a name or an ARN).
    pub bus: Option<String>,
    /// `EVENT_SOURCE`.
    pub source: String,
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

    fn timeout_config(&self) -> TimeoutConfig {
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
    async fn record(&self, cutoff: &Cutoff) -> Result<(), RevocationError> {
        let Some(table) = &self.targets.table else {
            return Ok(());
        };
        self.store(table)
            .raise(cutoff)
            .await
            .map(|_| ())
            .map_err(|err| RevocationError::Cutoff(Arc::new(err)))
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
                        Some(entry) => Err(RevocationError::EventRefused {
                            code: truncate(
                                &sqs_safe(entry.error_code().unwrap_or("NoEventId")),
                                128,
                            ),
                            message: truncate(&sqs_safe(entry.error_message().unwrap_or("")), 512),
                        }),
                        None => Err(RevocationError::EventRefused {
                            code: "NoResult".to_owned(),
                            message: "the answer has no entry for the event".to_owned(),
                        }),
                    })
                    .collect()
            }
            Err(err) => {
                let err = Arc::new(err);
                users
                    .iter()
                    .map(|_| Err(RevocationError::EventRequest(err.clone())))
                    .collect()
            }
        }
    }
}
