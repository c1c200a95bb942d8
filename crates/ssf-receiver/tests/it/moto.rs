//! The real adapters on moto: subjects looked up with `ListUsers` (by `sub`, by federated
//! username, by verified email across two pools), alerts stored on SQS and confirmed, replay
//! items in DynamoDB, and a queue that cannot be reached.

use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use aws_sdk_cognitoidentityprovider::Client as Cognito;
use cognito_names::UserPoolId;
use serde_json::{json, Value};
use ssf_receiver::CognitoUsers;
use ssf_receiver::Directory;
use ssf_receiver::DynamoDbReplays;
use ssf_receiver::HttpsClient;
use ssf_receiver::Receiver;
use ssf_receiver::SqsAlertQueue;
use ssf_receiver::{HttpsTransmitterKeySource, JwksLocation};
use std::sync::Arc;
use test_support::moto::{self, Moto};

use crate::helpers::*;

async fn user(
    cognito: &Cognito,
    pool: &str,
    username: &str,
    email: Option<(&str, bool)>,
) -> String {
    let mut request = cognito
        .admin_create_user()
        .user_pool_id(pool)
        .username(username)
        .message_action(MessageActionType::Suppress);
    if let Some((address, verified)) = email {
        request = request
            .user_attributes(
                AttributeType::builder()
                    .name("email")
                    .value(address)
                    .build()
                    .unwrap(),
            )
            .user_attributes(
                AttributeType::builder()
                    .name("email_verified")
                    .value(verified.to_string())
                    .build()
                    .unwrap(),
            );
    }
    request.send().await.expect("create user");
    let pool = moto::Pool {
        id: pool.to_owned(),
        client_id: String::new(),
    };
    moto::sub_of(cognito, &pool, username).await
}

fn bodies(received: &[moto::Received]) -> Vec<Value> {
    received
        .iter()
        .map(|m| serde_json::from_str(&m.body).unwrap())
        .collect()
}

#[tokio::test]
async fn subjects_are_found_with_list_users_and_alerts_stored_on_sqs() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = Cognito::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let first = moto::create_pool(&cognito, "first").await.id;
    let second = moto::create_pool(&cognito, "second").await.id;
    let alice_sub = user(
        &cognito,
        &first,
        "alice",
        Some(("shared@example.com", true)),
    )
    .await;
    user(
        &cognito,
        &second,
        "alice2",
        Some(("shared@example.com", true)),
    )
    .await;
    user(
        &cognito,
        &second,
        "mallory",
        Some(("shared@example.com", false)),
    )
    .await;
    user(&cognito, &first, "Google_1122334455", None).await;
    let queue = moto::create_queue(&sqs, "alerts").await;
    moto::create_cutoff_table(&dynamodb, "cutoffs").await;

    let transmitter = transmitter().await;
    let issuer = format!("{}/tenant", transmitter.url());
    let mut settings = settings(
        &issuer,
        vec![
            cognito_names::Action::SignOut,
            cognito_names::Action::ResetPassword,
        ],
    );
    settings.directory = Directory {
        issuer: issuer.clone(),
        pools: vec![
            first.parse::<UserPoolId>().unwrap(),
            second.parse().unwrap(),
        ],
        identity_provider: Some("Google".to_owned()),
    };
    let receiver = Receiver::new(
        settings,
        HttpsTransmitterKeySource::new(
            Arc::new(HttpsClient::new()),
            JwksLocation::Configured(format!("{}/jwks", transmitter.url()).parse().unwrap()),
        ),
        CognitoUsers::new(&sdk),
        SqsAlertQueue::new(&sdk, &queue),
        DynamoDbReplays::new(&sdk, "cutoffs"),
    );
    let first_issuer = format!("https://cognito-idp.{}.amazonaws.com/{first}", moto::REGION);

    // A Cognito iss_sub, by sub; compromise asks the lock actions too.
    let by_sub = sign(&claims(
        &issuer,
        "j-sub",
        CREDENTIAL_COMPROMISE,
        iss_sub(&first_issuer, &alice_sub),
    ));
    let receipt = receiver.receive(&by_sub).await;
    assert!(
        matches!(receipt, ssf_receiver::Receipt::Accepted(ref a) if a.alerts_queued == 1),
        "{receipt:?}"
    );
    // The same SET again: a replay, nothing queued.
    assert!(matches!(
        receiver.receive(&by_sub).await,
        ssf_receiver::Receipt::Replayed { .. }
    ));
    // The transmitter's own user, federated as Google_<sub>.
    let federated = sign(&claims(
        &issuer,
        "j-fed",
        SESSION_REVOKED,
        iss_sub(&issuer, "1122334455"),
    ));
    assert!(
        matches!(receiver.receive(&federated).await, ssf_receiver::Receipt::Accepted(ref a) if a.alerts_queued == 1)
    );
    // An email matching users of two pools, the unverified one left out.
    let by_email = sign(&claims(
        &issuer,
        "j-mail",
        SESSION_REVOKED,
        email("shared@example.com"),
    ));
    assert!(
        matches!(receiver.receive(&by_email).await, ssf_receiver::Receipt::Accepted(ref a) if a.alerts_queued == 2)
    );
    // Nobody.
    let unknown = sign(&claims(
        &issuer,
        "j-none",
        SESSION_REVOKED,
        iss_sub(&first_issuer, "no-such-sub"),
    ));
    assert!(
        matches!(receiver.receive(&unknown).await, ssf_receiver::Receipt::Accepted(ref a) if a.alerts_queued == 0 && a.subjects_unknown == 1)
    );

    let received = bodies(&moto::drain(&sqs, &queue).await);
    let mut summary: Vec<(String, String, Value)> = received
        .iter()
        .map(|b| {
            (
                b["UserPoolId"].as_str().unwrap().to_owned(),
                b["Username"].as_str().unwrap().to_owned(),
                b["Actions"].clone(),
            )
        })
        .collect();
    let mut expected = vec![
        (
            first.clone(),
            "alice".to_owned(),
            json!(["sign-out", "reset-password"]),
        ),
        (
            first.clone(),
            "Google_1122334455".to_owned(),
            json!(["sign-out"]),
        ),
        (first.clone(), "alice".to_owned(), json!(["sign-out"])),
        (second.clone(), "alice2".to_owned(), json!(["sign-out"])),
    ];
    // SQS keeps no order between messages: compare as sorted lists.
    let order = |(p, u, a): &(String, String, Value)| (p.clone(), u.clone(), a.to_string());
    summary.sort_by_key(order);
    expected.sort_by_key(order);
    assert_eq!(summary, expected);
    assert!(received
        .iter()
        .all(|b| b["Source"] == "ssf" && b["Issuer"] == issuer.as_str()));

    let item = dynamodb
        .get_item()
        .table_name("cutoffs")
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("set#{issuer}#j-sub")),
        )
        .send()
        .await
        .unwrap();
    assert!(item.item().and_then(|i| i.get("expiresAt")).is_some());
}

#[tokio::test]
async fn a_missing_queue_or_pool_is_a_failure_not_a_refusal() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = Cognito::new(&sdk);
    let pool = moto::create_pool(&cognito, "p").await.id;
    let sub = user(&cognito, &pool, "alice", None).await;
    let transmitter = transmitter().await;
    let issuer = format!("{}/tenant", transmitter.url());
    let build = |pools: Vec<UserPoolId>, queue: &str| {
        let mut settings = settings(&issuer, vec![cognito_names::Action::SignOut]);
        settings.directory.pools = pools;
        Receiver::new(
            settings,
            HttpsTransmitterKeySource::new(
                Arc::new(HttpsClient::new()),
                JwksLocation::Configured(format!("{}/jwks", transmitter.url()).parse().unwrap()),
            ),
            CognitoUsers::new(&sdk),
            SqsAlertQueue::new(&sdk, queue),
            ssf_receiver::NoReplays,
        )
    };
    let pool_issuer = format!("https://cognito-idp.{}.amazonaws.com/{pool}", moto::REGION);
    let set = sign(&claims(
        &issuer,
        "j",
        SESSION_REVOKED,
        iss_sub(&pool_issuer, &sub),
    ));
    let no_queue = build(
        vec![pool.parse().unwrap()],
        &format!("{}/123456789012/no-such-queue", moto.endpoint),
    );
    let receipt = no_queue.receive(&set).await;
    assert!(
        matches!(
            receipt,
            ssf_receiver::Receipt::Failed {
                failure: ssf_receiver::ReceiverFailure::Queue(_),
                ..
            }
        ),
        "{receipt:?}"
    );
    // A listed pool that does not exist: ListUsers fails.
    let missing = format!("{}_NoSuchPool1", moto::REGION);
    let gone = build(vec![missing.parse().unwrap()], "http://127.0.0.1:1/q");
    let set = sign(&claims(
        &issuer,
        "j2",
        SESSION_REVOKED,
        email("a@example.com"),
    ));
    let receipt = gone.receive(&set).await;
    assert!(
        matches!(
            receipt,
            ssf_receiver::Receipt::Failed {
                failure: ssf_receiver::ReceiverFailure::Users(_),
                ..
            }
        ),
        "{receipt:?}"
    );
}

#[tokio::test]
async fn a_secret_is_read_from_secrets_manager_again_after_rotation_and_a_missing_one_is_named() {
    use ssf_receiver::{SecretArn, Secrets, SecretsManager};
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let created = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name("ssf-push-authorization")
        .secret_string("Bearer from-the-secret\n")
        .send()
        .await
        .expect("create secret");
    let arn: SecretArn = created
        .arn()
        .expect("an ARN")
        .parse()
        .expect("a secret ARN");
    let secrets = SecretsManager::new(&sdk);
    assert_eq!(
        secrets.secret_string(&arn).await.expect("the value"),
        "Bearer from-the-secret\n"
    );
    let missing: SecretArn = arn
        .as_str()
        .replace("ssf-push-authorization", "nothing-here")
        .parse()
        .expect("a secret ARN");
    let err = secrets
        .secret_string(&missing)
        .await
        .expect_err("no such secret");
    assert_eq!(err.code, "ResourceNotFoundException", "{err}");

    // Rotated while the function runs: read again through the same adapter.
    let credential = ssf_receiver::Rotating::from_secret(
        "Bearer from-the-secret"
            .parse::<ssf_receiver::Authorization>()
            .expect("a header value"),
        arn.clone(),
        "SSF_AUTHORIZATION_SECRET_ARN",
        std::sync::Arc::new(SecretsManager::new(&sdk)),
        std::time::Duration::ZERO,
    );
    aws_sdk_secretsmanager::Client::new(&sdk)
        .put_secret_value()
        .secret_id(arn.as_str())
        .secret_string("Bearer rotated")
        .send()
        .await
        .expect("rotate");
    assert!(credential.reread().await, "the rotated value is read");
    assert!(credential.current().admits(Some("Bearer rotated")));
    assert!(!credential.current().admits(Some("Bearer from-the-secret")));
}
