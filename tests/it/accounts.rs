//! Pools in other accounts (docs/deployment.md#pools-in-many-accounts): an alert naming a pool by an ARN of another
//! account is acted on there with the credentials of the member role; a refused AssumeRole is
//! `not-authorized`; the allow-list is read account by account; the own account works without
//! any role.

use cognito_signout_responder::{aws_responder, Batch, Config, ErrorClass, OutcomeKind};
use serde_json::json;
use test_support::moto::{self, Moto};

use crate::helpers::fake_aws::{self, fault_timeouts, sdk_for};
use crate::helpers::http_stub::{HttpStub, StubReply};
use crate::helpers::*;

const MEMBER: &str = "222222222222";
const OWN: &str = "123456789012";

fn arn(account: &str, pool: &str) -> String {
    format!("arn:aws:cognito-idp:us-east-1:{account}:userpool/{pool}")
}

fn alert_batch(body: &str) -> Batch {
    let payload = json!({"Records": [{
        "messageId": "m1", "body": body, "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts",
        "attributes": {"ApproximateReceiveCount": "1"}}]})
    .to_string();
    let raw: Box<serde_json::value::RawValue> = serde_json::from_str(&payload).unwrap();
    Batch::from_payload_in(&raw, "req", Some(OWN))
}

#[tokio::test]
async fn the_allow_list_is_read_account_by_account_in_cross_account_mode() {
    let pool = "us-east-1_Member1";
    let app = TestApp::with_vars(&[
        ("CROSS_ACCOUNT_ROLE_NAME", "member"),
        (
            "ALLOWED_USER_POOL_IDS",
            &format!("{},{}", arn(MEMBER, pool), arn(OWN, POOL)),
        ),
    ]);
    let member = json!({"UserPoolArn": arn(MEMBER, pool), "Username": "alice"}).to_string();
    let report = app.settle(&alert_batch(&member)).await;
    assert_eq!(report.count(OutcomeKind::SignedOut), 1);
    assert_eq!(app.cognito().calls()[0].pool.account(), Some(MEMBER));

    // The same pool id named alone means the function's own account, which the list does
    // not allow for it.
    let alone = json!({"UserPoolId": pool, "Username": "alice"}).to_string();
    let report = app.settle(&alert_batch(&alone)).await;
    assert_eq!(
        report.settlements[0].class(),
        Some(ErrorClass::ForbiddenPool)
    );

    // An ARN of a third account for a listed pool id reaches nothing.
    let third = json!({"UserPoolArn": arn("333333333333", pool), "Username": "alice"}).to_string();
    let report = app.settle(&alert_batch(&third)).await;
    assert_eq!(
        report.settlements[0].class(),
        Some(ErrorClass::ForbiddenPool)
    );

    // The own account's pool by id alone matches its ARN in the list: no role involved.
    let own = json!({"UserPoolId": POOL, "Username": "bob"}).to_string();
    let report = app.settle(&alert_batch(&own)).await;
    assert_eq!(report.count(OutcomeKind::SignedOut), 1);
    assert_eq!(app.cognito().calls().last().unwrap().pool.account(), None);
}

#[tokio::test]
async fn a_finding_names_its_account_and_one_that_disagrees_with_its_pool_is_invalid() {
    let decoder = cognito_signout_responder::AlertDecoder {
        finding_accounts: true,
        ..Default::default()
    };
    let finding = |account: &str, pool: &str| {
        json!({"AwsAccountId": account, "ProductFields": {"UserPoolArn": pool, "Username": "alice"}})
            .to_string()
    };
    let target = decoder
        .decode_finding(&finding(MEMBER, &arn(MEMBER, "us-east-1_Member1")))
        .unwrap();
    assert_eq!(target.pool.account(), Some(MEMBER));
    let err = decoder
        .decode_finding(&finding(MEMBER, &arn("333333333333", "us-east-1_Member1")))
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Invalid);
    let by_id = json!({"AwsAccountId": MEMBER, "ProductFields": {"UserPoolId": "us-east-1_Member1", "Username": "alice"}}).to_string();
    assert_eq!(
        decoder.decode_finding(&by_id).unwrap().pool.account(),
        Some(MEMBER)
    );
}

#[tokio::test]
async fn a_refused_assume_role_is_dead_lettered_not_authorized() {
    let stub = HttpStub::start(|req| {
        if req.body_text().contains("Action=AssumeRole") {
            return StubReply::Respond {
                status: 403,
                headers: vec![("content-type".into(), "text/xml".into())],
                body: br#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not trusted</Message></Error><RequestId>r1</RequestId></ErrorResponse>"#.to_vec(),
                delay: std::time::Duration::ZERO,
            };
        }
        match fake_aws::operation(req) {
            "SendMessageBatch" => fake_aws::sqs_sent(req),
            _ => fake_aws::cognito_ok(),
        }
    })
    .await;
    let endpoint = format!("http://{}", stub.addr);
    let pool = "us-east-1_Member1";
    let config = Config::from_vars(
        [
            ("DLQ_URL", format!("{endpoint}/000000000000/dlq")),
            ("CROSS_ACCOUNT_ROLE_NAME", "member".to_owned()),
            ("ALLOWED_USER_POOL_IDS", arn(MEMBER, pool)),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    )
    .unwrap();
    let responder = aws_responder(&sdk_for(&endpoint, 1).await, &config, fault_timeouts());
    let body = json!({"UserPoolArn": arn(MEMBER, pool), "Username": "alice"}).to_string();
    let report = responder.settle(&alert_batch(&body), far_deadline()).await;
    assert_eq!(
        report.settlements[0].kind(),
        OutcomeKind::DeadLettered,
        "{:?}",
        report.settlements[0].outcome()
    );
    assert_eq!(
        report.settlements[0].class(),
        Some(ErrorClass::NotAuthorized)
    );
    assert_eq!(
        report.settlements[0].code().as_deref(),
        Some("AccessDenied")
    );
    let cognito_calls = stub
        .requests()
        .iter()
        .filter(|r| fake_aws::operation(r) == "AdminUserGlobalSignOut")
        .count();
    assert_eq!(cognito_calls, 0, "no call without the member's credentials");
}

#[tokio::test]
async fn an_alert_naming_a_pool_of_another_account_signs_its_user_out_there() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    // moto separates accounts by the credentials of an assumed role.
    let member_sdk = moto::account_sdk(&sdk, MEMBER).await;
    let member_cognito = aws_sdk_cognitoidentityprovider::Client::new(&member_sdk);
    let own_cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let member_pool = moto::create_pool(&member_cognito, "member-users").await;
    let member_token = moto::user_with_session(&member_cognito, &member_pool, "alice").await;
    let own_pool = moto::create_pool(&own_cognito, "own-users").await;
    let own_token = moto::user_with_session(&own_cognito, &own_pool, "bob").await;
    // The member's pool is not the own account's.
    assert!(own_cognito
        .describe_user_pool()
        .user_pool_id(&member_pool.id)
        .send()
        .await
        .is_err());

    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dlq = sqs.create_queue().queue_name("dlq").send().await.unwrap();
    let config = Config::from_vars(
        [
            ("DLQ_URL", dlq.queue_url().unwrap_or_default().to_owned()),
            ("CROSS_ACCOUNT_ROLE_NAME", "member".to_owned()),
            (
                "ALLOWED_USER_POOL_IDS",
                format!("{},{}", arn(MEMBER, &member_pool.id), own_pool.id),
            ),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    )
    .unwrap();
    let responder = aws_responder(
        &sdk,
        &config,
        cognito_signout_responder::Timeouts::default(),
    );
    let member_alert =
        json!({"UserPoolArn": arn(MEMBER, &member_pool.id), "Username": "alice"}).to_string();
    let own_alert = json!({"UserPoolId": own_pool.id, "Username": "bob"}).to_string();
    for body in [member_alert, own_alert] {
        let report = responder.settle(&alert_batch(&body), far_deadline()).await;
        assert_eq!(
            report.count(OutcomeKind::SignedOut),
            1,
            "{:?}",
            report.settlements[0].outcome()
        );
    }
    assert!(
        moto::refresh(&member_cognito, &member_pool, &member_token)
            .await
            .is_err(),
        "alice's refresh token is revoked in the member account"
    );
    assert!(
        moto::refresh(&own_cognito, &own_pool, &own_token)
            .await
            .is_err(),
        "bob, in the own account, with no role"
    );
    assert_eq!(responder.signer().accounts_in_use(), 1);
}

#[tokio::test]
async fn sixty_alerts_across_two_accounts_assume_each_role_once() {
    const OTHER: &str = "333333333333";
    let stub = HttpStub::start(|req| {
        if req.body_text().contains("Action=AssumeRole") {
            let account = if req.body_text().contains(OTHER) {
                OTHER
            } else {
                MEMBER
            };
            let body = format!(
                r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIA{account}</AccessKeyId><SecretAccessKey>test-only</SecretAccessKey><SessionToken>test-only</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn:aws:sts::{account}:assumed-role/member/s</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>"#
            );
            return StubReply::Respond {
                status: 200,
                headers: vec![("content-type".into(), "text/xml".into())],
                body: body.into_bytes(),
                // Slow enough that every alert asks while the first call is in flight.
                delay: std::time::Duration::from_millis(300),
            };
        }
        match fake_aws::operation(req) {
            "SendMessageBatch" => fake_aws::sqs_sent(req),
            _ => fake_aws::cognito_ok(),
        }
    })
    .await;
    let endpoint = format!("http://{}", stub.addr);
    let pool = |account: &str| {
        if account == MEMBER {
            "us-east-1_Member1"
        } else {
            "us-east-1_Member2"
        }
    };
    let config = Config::from_vars(
        [
            ("DLQ_URL", format!("{endpoint}/000000000000/dlq")),
            ("CROSS_ACCOUNT_ROLE_NAME", "member".to_owned()),
            (
                "ALLOWED_USER_POOL_IDS",
                format!("{},{}", arn(MEMBER, pool(MEMBER)), arn(OTHER, pool(OTHER))),
            ),
            ("MAX_REQUESTS_PER_SECOND", "unlimited".to_owned()),
            ("MAX_CONCURRENCY", "64".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    )
    .unwrap();
    let responder = aws_responder(&sdk_for(&endpoint, 1).await, &config, fault_timeouts());
    let bodies: Vec<(String, String)> = (0..60)
        .map(|i| {
            let account = if i % 2 == 0 { MEMBER } else { OTHER };
            let body =
                json!({"UserPoolArn": arn(account, pool(account)), "Username": format!("user{i}")});
            (format!("m{i}"), body.to_string())
        })
        .collect();
    let records: Vec<(&str, &str)> = bodies
        .iter()
        .map(|(id, body)| (id.as_str(), body.as_str()))
        .collect();
    let report = responder.settle(&sqs_batch(&records), far_deadline()).await;
    assert_eq!(report.count(OutcomeKind::SignedOut), 60);
    let assumed = stub
        .requests()
        .iter()
        .filter(|r| r.body_text().contains("Action=AssumeRole"))
        .count();
    assert_eq!(assumed, 2, "one AssumeRole in flight per account");
    assert_eq!(responder.signer().accounts_in_use(), 2);
}
