//! The AWS adapters on moto: SETs signed by KMS keys (RSA_2048, SIGN_VERIFY) verify against
//! the JWKS read with `GetPublicKey`, both keys published; the streams table on DynamoDB;
//! retries and dead letters on SQS; and a user pool's own access token (a user's sign-in,
//! without the transmitter's scope) refused with 403.

use std::time::Instant;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use cognito_names::UnixSeconds;
use cognito_revocation::{
    AcceptedTokenUse, HttpsKeySource, JwksEndpoint, TokenPolicy, UserPoolId, Verifier,
};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::json;
use ssf_transmitter::*;
use test_support::moto::{self, Moto};

use crate::helpers::*;

pub(crate) async fn streams_table(dynamodb: &aws_sdk_dynamodb::Client, name: &str) {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("an attribute")
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("a key")
    };
    dynamodb
        .create_table()
        .table_name(name)
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("the streams table");
}

fn stream(id: &str, client: &str) -> Stream {
    Stream {
        stream_id: id.to_owned(),
        client_id: client.to_owned(),
        delivery: Delivery::Poll,
        events_requested: vec![SESSION_REVOKED.to_owned()],
        description: Some("on moto".to_owned()),
        status: Status::Enabled,
        reason: None,
        version: 0,
    }
}

#[tokio::test]
async fn kms_signs_sets_that_verify_against_the_published_keys() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let kms = aws_sdk_kms::Client::new(&sdk);
    let (first, second) = (rsa_key(&kms).await, rsa_key(&kms).await);
    let signer = KmsSigner::new(kms.clone(), vec![first.clone(), second]);
    let keys = signer.public_keys().await.expect("the public keys");
    assert_eq!(keys.len(), 2, "both keys of a rotation are published");
    assert_ne!(keys[0].kid, keys[1].kid);
    assert_eq!(
        signer.public_keys().await.unwrap()[0].kid,
        keys[0].kid,
        "a stable kid"
    );
    let transmitter = Transmitter::new(
        test_settings(60),
        signer,
        MemoryStreams::new(),
        MemoryDeliveryQueue::new(),
        100,
    );
    let set = PendingSet::new(
        ISSUER,
        "clienta1",
        "s",
        "evt-1",
        json!({"format": "opaque", "id": "s"}),
        (VERIFICATION, json!({"state": "x"})),
    );
    let signed = transmitter.sign(&set).await.expect("signed by KMS");
    let jwk = keys[0].to_json();
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let decoded = jsonwebtoken::decode::<serde_json::Value>(&signed, &key, &validation)
        .expect("verifies with the first key");
    assert_eq!(decoded.header.kid.as_deref(), Some(keys[0].kid.as_str()));
    assert_eq!(decoded.claims["jti"], set.jti);
    // Not with the second key.
    let other = keys[1].to_json();
    let other = DecodingKey::from_rsa_components(
        other["n"].as_str().unwrap(),
        other["e"].as_str().unwrap(),
    )
    .unwrap();
    assert!(jsonwebtoken::decode::<serde_json::Value>(&signed, &other, &validation).is_err());
    // A key that does not exist is an error, not a panic.
    let missing = KmsSigner::new(kms, vec!["alias/missing".to_owned()]);
    assert!(missing.public_keys().await.is_err());
    assert!(missing.sign(b"x").await.is_err());
}

#[tokio::test]
async fn the_streams_table_on_dynamodb() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    streams_table(&dynamodb, "streams").await;
    let table = DynamoDbStreams::new(dynamodb, "streams");
    let (a, b) = ("0".repeat(31) + "a", "0".repeat(31) + "b");
    assert_eq!(
        table.create(&stream(&a, "clienta1"), 1).await.unwrap(),
        Ok(())
    );
    assert!(
        table
            .create(&stream(&b, "clienta1"), 1)
            .await
            .unwrap()
            .is_err(),
        "past the limit"
    );
    assert_eq!(
        table.create(&stream(&b, "clientb2"), 1).await.unwrap(),
        Ok(())
    );
    assert_eq!(table.list(Some("clienta1")).await.unwrap().len(), 1);
    assert_eq!(table.list(None).await.unwrap().len(), 2);
    let mut paused = stream(&a, "clienta1");
    paused.status = Status::Paused;
    assert!(
        !table.put(&paused).await.unwrap(),
        "a change must raise the version"
    );
    paused.version = 1;
    assert!(table.put(&paused).await.unwrap());
    assert!(
        !table.put(&paused).await.unwrap(),
        "the same change twice: the second is stale"
    );
    assert_eq!(
        table.get(&a).await.unwrap().unwrap().stream.status,
        Status::Paused
    );
    assert!(table.exclude(&a, "iss sub-1").await.unwrap());
    assert!(
        table.exclude(&a, "iss sub-1").await.unwrap(),
        "twice is once"
    );
    assert!(table.get(&a).await.unwrap().unwrap().excludes("iss sub-1"));
    table.include(&a, "iss sub-1").await.unwrap();
    assert!(!table.get(&a).await.unwrap().unwrap().excludes("iss sub-1"));
    // One verification per interval.
    assert!(table.claim_verification(&a, 1000, 5).await.unwrap());
    assert!(!table.claim_verification(&a, 1004, 5).await.unwrap());
    assert!(table.claim_verification(&a, 1005, 5).await.unwrap());
    let later = UnixSeconds::new(now() + 3600);
    let set = |n: &str| {
        PendingSet::new(
            ISSUER,
            "clienta1",
            &a,
            n,
            json!({}),
            (SESSION_REVOKED, json!({})),
        )
    };
    for n in ["e1", "e2", "e3", "e1"] {
        table.keep(&set(n), Waiting::Poll, later).await.unwrap();
    }
    let (two, more) = table.waiting(&a, Waiting::Poll, 2).await.unwrap();
    assert_eq!((two.len(), more), (2, true));
    let (all, more) = table.waiting(&a, Waiting::Poll, 10).await.unwrap();
    assert_eq!((all.len(), more), (3, false), "the same jti kept once");
    assert!(table
        .waiting(&a, Waiting::Held, 10)
        .await
        .unwrap()
        .0
        .is_empty());
    // Held SETs come back in the order they were held, past any number of expired ones
    // (which are forgotten on the way).
    for n in 0..120 {
        table
            .keep(
                &set(&format!("old-{n}")),
                Waiting::Held,
                UnixSeconds::new(now() - 1),
            )
            .await
            .unwrap();
    }
    for n in ["h-c", "h-a", "h-b"] {
        table.keep(&set(n), Waiting::Held, later).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let (held, more) = table.waiting(&a, Waiting::Held, 2).await.unwrap();
    let txns: Vec<&str> = held
        .iter()
        .map(|w| w.set.claims["txn"].as_str().unwrap())
        .collect();
    assert_eq!((txns, more), (vec!["h-c", "h-a"], true));
    let (held, more) = table.waiting(&a, Waiting::Held, 10).await.unwrap();
    assert_eq!(
        (held.len(), more),
        (3, false),
        "the expired ones are not answered"
    );
    table
        .forget(&a, Waiting::Poll, &[all[0].key.clone()])
        .await
        .unwrap();
    assert_eq!(
        table.waiting(&a, Waiting::Poll, 10).await.unwrap().0.len(),
        2
    );
    table.delete(&a).await.unwrap();
    assert!(table.get(&a).await.unwrap().is_none());
    assert!(
        table
            .waiting(&a, Waiting::Poll, 10)
            .await
            .unwrap()
            .0
            .is_empty(),
        "deleted with its stream"
    );
    assert!(
        table.exclude(&a, "iss sub-1").await.unwrap(),
        "a deleted stream: nothing to do"
    );
    table.include(&a, "iss sub-1").await.unwrap();
}

#[tokio::test]
async fn retries_and_dead_letters_on_sqs() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let delivery = moto::create_queue(&sqs, "deliveries").await;
    let dead = moto::create_queue(&sqs, "dead").await;
    let queue = SqsDeliveryQueue::new(sqs.clone(), delivery.clone(), dead.clone());
    let retry = Retry {
        set: PendingSet::new(
            ISSUER,
            "clienta1",
            "s",
            "evt-1",
            json!({}),
            (SESSION_REVOKED, json!({})),
        ),
        first_attempt_at: now(),
        attempts: 1,
        last_answer: "503".to_owned(),
    };
    queue.retry(&retry, 0).await.unwrap();
    let got = moto::drain(&sqs, &delivery).await;
    assert_eq!(serde_json::from_str::<Retry>(&got[0].body).unwrap(), retry);
    queue
        .dead_letter(&DeadLetter {
            stream_id: "s".into(),
            jti: retry.set.jti.clone(),
            event_type: SESSION_REVOKED.into(),
            attempts: 9,
            first_attempt_at: 1,
            last_answer: "timeout".into(),
            reason: "the retry window is spent".into(),
            claims: json!({}),
        })
        .await
        .unwrap();
    let letter: serde_json::Value =
        serde_json::from_str(&moto::drain(&sqs, &dead).await[0].body).unwrap();
    assert_eq!(
        (letter["streamId"].as_str(), letter["lastAnswer"].as_str()),
        (Some("s"), Some("timeout"))
    );
}

#[tokio::test]
async fn a_user_pools_own_access_token_lacks_the_scope() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let pool = moto::create_pool(&cognito, "auth").await;
    moto::create_user(&cognito, &pool, "mallory").await;
    let tokens = moto::sign_in(&cognito, &pool, "mallory").await;
    let policy = TokenPolicy::any_client(
        [UserPoolId::parse(&pool.id).unwrap()],
        AcceptedTokenUse::Access,
    )
    .unwrap();
    let keys = HttpsKeySource::new(JwksEndpoint::from_vars(Some(moto.endpoint.clone()), None));
    let api = Api::new(
        Verifier::new(policy, keys),
        MANAGE.to_owned(),
        READ.to_owned(),
    );
    let transmitter = Transmitter::new(
        test_settings(60),
        signer(),
        MemoryStreams::new(),
        MemoryDeliveryQueue::new(),
        100,
    );
    let request = |token: &str| Request {
        method: "POST".into(),
        path: "/ssf/stream".into(),
        stream_id: None,
        authorization: Some(format!("Bearer {token}")),
        body: Ok(br#"{"delivery": {"method": "urn:ietf:rfc:8936"}}"#.to_vec()),
    };
    let (answer, _) = api
        .serve(&transmitter, &request(&tokens.access), Instant::now())
        .await;
    assert_eq!(answer.status, 403, "{:?}", answer.body);
    let body = answer.body.expect("a body");
    assert_eq!(
        body["error_description"],
        "the token lacks the scope ssf/ssf.manage"
    );
    // Its ID token is not an access token at all.
    let (answer, _) = api
        .serve(&transmitter, &request(&tokens.id), Instant::now())
        .await;
    assert_eq!(answer.status, 401);
}
