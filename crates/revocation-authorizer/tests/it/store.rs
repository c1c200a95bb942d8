//! The library's DynamoDB store against moto's DynamoDB: the record of docs/revocation.md,
//! and a write that only ever raises the cutoff; and against a stub that answers a
//! megabyte-long error, which must reach the log bounded.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client as DynamoDb;
use cognito_revocation::{
    Cutoff, CutoffKey, CutoffStore, DynamoDbCutoffStore, Raise, StoreErrorClass, Subject,
    UnixSeconds, UserPoolId,
};

use crate::helpers::http_stub::{HttpStub, StubReply};
use crate::helpers::moto::{self, Moto};

fn cutoff(at: u64, message: &str) -> Cutoff {
    Cutoff::new(
        UserPoolId::parse("us-east-1_AbC123").unwrap(),
        Subject::parse("7d1e2a3b-0000-4000-8000-000000000001").unwrap(),
        "alice",
        UNIX_EPOCH + Duration::from_millis(at),
        Duration::from_secs(86_400),
        message,
    )
}

async fn item(dynamodb: &DynamoDb, key: &CutoffKey) -> HashMap<String, AttributeValue> {
    dynamodb
        .get_item()
        .table_name("cutoffs")
        .key("pk", AttributeValue::S(key.as_str().to_owned()))
        .send()
        .await
        .expect("get item")
        .item
        .expect("the item exists")
}

fn n(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .cloned()
        .unwrap_or_else(|| panic!("{name} is not a number: {item:?}"))
}

fn s(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_else(|| panic!("{name} is not a string: {item:?}"))
}

#[tokio::test]
async fn the_store_writes_the_contract_record_and_only_ever_raises_it() {
    let moto = Moto::start().await;
    let dynamodb = DynamoDb::new(&moto.sdk_config().await);
    moto::create_cutoff_table(&dynamodb, "cutoffs").await;
    let store = DynamoDbCutoffStore::new(dynamodb.clone(), "cutoffs");
    let first = cutoff(1_800_000_000_200, "m-1");
    let key = first.key();
    assert_eq!(store.revoked_before(&key).await.unwrap(), None);

    assert_eq!(store.raise(&first).await.unwrap(), Raise::Recorded);
    let stored = item(&dynamodb, &key).await;
    assert_eq!(
        s(&stored, "pk"),
        "us-east-1_AbC123#7d1e2a3b-0000-4000-8000-000000000001"
    );
    assert_eq!(n(&stored, "revokedBefore"), "1800000001");
    assert_eq!(n(&stored, "expiresAt"), "1800086401");
    assert_eq!(s(&stored, "userPoolId"), "us-east-1_AbC123");
    assert_eq!(s(&stored, "username"), "alice");
    assert_eq!(s(&stored, "sub"), "7d1e2a3b-0000-4000-8000-000000000001");
    assert_eq!(s(&stored, "alertMessageId"), "m-1");
    assert_eq!(
        store.revoked_before(&key).await.unwrap(),
        Some(UnixSeconds::new(1_800_000_001))
    );

    // A redelivered alert or a racing older sign-out: kept, not lowered, not an error.
    assert_eq!(
        store
            .raise(&cutoff(1_799_999_000_000, "m-0"))
            .await
            .unwrap(),
        Raise::KeptLater
    );
    assert_eq!(
        store
            .raise(&cutoff(1_800_000_001_000, "m-1-again"))
            .await
            .unwrap(),
        Raise::KeptLater
    );
    let kept = item(&dynamodb, &key).await;
    assert_eq!(n(&kept, "revokedBefore"), "1800000001");
    assert_eq!(s(&kept, "alertMessageId"), "m-1");

    // A later sign-out raises it.
    assert_eq!(
        store
            .raise(&cutoff(1_800_000_100_000, "m-2"))
            .await
            .unwrap(),
        Raise::Recorded
    );
    let raised = item(&dynamodb, &key).await;
    assert_eq!(n(&raised, "revokedBefore"), "1800000100");
    assert_eq!(n(&raised, "expiresAt"), "1800086500");
    assert_eq!(s(&raised, "alertMessageId"), "m-2");
}

#[tokio::test]
async fn a_missing_table_is_an_error_of_class_unknown() {
    let moto = Moto::start().await;
    let dynamodb = DynamoDb::new(&moto.sdk_config().await);
    let store = DynamoDbCutoffStore::new(dynamodb, "no-such-table");
    let err = store.raise(&cutoff(1_000, "m")).await.unwrap_err();
    assert_eq!(err.class(), StoreErrorClass::Unknown);
    assert_eq!(err.code(), "ResourceNotFoundException");
    let err = store
        .revoked_before(&cutoff(1_000, "m").key())
        .await
        .unwrap_err();
    assert_eq!(err.class(), StoreErrorClass::Unknown);
}

#[tokio::test]
async fn a_megabyte_error_from_the_table_reaches_the_log_bounded() {
    let message = format!("denied\n{}", "x".repeat(1 << 20));
    let body = serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
        "message": message,
    })
    .to_string();
    let stub =
        HttpStub::start(move |_| StubReply::json(400, "application/x-amz-json-1.0", body.clone()))
            .await;
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(stub.url())
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    let store = DynamoDbCutoffStore::new(DynamoDb::new(&sdk), "cutoffs");
    let err = store
        .revoked_before(&cutoff(1_000, "m").key())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "AccessDeniedException");
    let logged = err.to_string();
    assert!(logged.len() <= 600, "{} bytes", logged.len());
    assert!(
        logged.contains("AccessDeniedException (HTTP 400): denied\\nxxx"),
        "{logged}"
    );
    assert!(!logged.contains('\n'));
}
