//! Alert storms (docs/alerts-and-dead-letters.md#already-signed-out-alert-storms-cost-one-call-per-user): a user whose whole sequence was recorded after an
//! alert was raised costs no Cognito write for that alert, from the instance's memory or,
//! when Cognito itself named the `sub`, from the cutoff table; alerts raised later still act.
//! Each storm runs on the in-memory fakes and again on moto (`on_moto`: the real adapters over
//! HTTP, real users whose refresh tokens are then refused, the sign-outs counted as they leave
//! for moto).

use cognito_signout_responder::{Action, OutcomeKind};
use serde_json::json;

use crate::helpers::*;

fn storm_batch(
    users: std::ops::Range<usize>,
    round: usize,
    sent_ms: u64,
) -> cognito_signout_responder::Batch {
    let bodies: Vec<(String, String)> = users
        .map(|u| (format!("r{round}-u{u}"), request(&format!("user{u}"))))
        .collect();
    let refs: Vec<(&str, &str)> = bodies
        .iter()
        .map(|(i, b)| (i.as_str(), b.as_str()))
        .collect();
    sqs_batch_sent(&refs, sent_ms)
}

#[tokio::test]
async fn a_storm_of_ten_alerts_per_user_over_ten_invocations_costs_one_sign_out_per_user() {
    let app = TestApp::with_vars(&[
        ("MAX_REQUESTS_PER_SECOND", "10000"),
        ("MAX_CONCURRENCY", "50"),
    ]);
    // Every alert was raised before the first sign-out (a detector firing at every attempt).
    let raised = now_ms() - 60_000;
    for round in 0..10 {
        // Ten invocations, each naming every user once.
        let report = app.settle(&storm_batch(0..100, round, raised)).await;
        assert_eq!(report.count(OutcomeKind::SignedOut), 100, "round {round}");
        if round > 0 {
            assert_eq!(report.already_signed_out, 100, "round {round}");
            assert!(report
                .settlements
                .iter()
                .all(|s| s.code().as_deref() == Some("AlreadySignedOut")));
        }
    }
    assert_eq!(app.cognito().calls().len(), 100, "was 1,000 before");
    assert_eq!(app.responder.remembered_users(), 100);
}

#[tokio::test]
async fn an_alert_raised_after_the_sign_out_signs_the_user_out_again() {
    let app = TestApp::with_vars(&[]);
    app.settle(&storm_batch(0..1, 0, now_ms() - 60_000)).await;
    // Raised a few seconds from now: after the recorded sign-out, so acted on.
    let later = app.settle(&storm_batch(0..1, 1, now_ms() + 5_000)).await;
    assert_eq!(later.already_signed_out, 0);
    assert_eq!(app.cognito().calls().len(), 2);
    // An alert with no time is never skipped.
    app.send_alerts(&[("m-no-time", &request("user0"))]).await;
    assert_eq!(app.cognito().calls().len(), 3);
}

#[tokio::test]
async fn an_alert_asking_more_than_was_taken_is_acted_on() {
    let app = TestApp::with_vars(&[("ALLOWED_ACTIONS", "sign-out,disable")]);
    let raised = now_ms() - 60_000;
    app.settle(&sqs_batch_sent(&[("m1", &request("alice"))], raised))
        .await;
    let disable =
        json!({"UserPoolId": POOL, "Username": "alice", "Actions": ["disable"]}).to_string();
    let report = app
        .settle(&sqs_batch_sent(&[("m2", &disable)], raised))
        .await;
    assert_eq!(report.already_signed_out, 0);
    assert_eq!(
        app.cognito().actions_on("alice"),
        [Action::SignOut, Action::Disable, Action::SignOut]
    );
    // Now both were taken: the same ask again is skipped.
    let again = app
        .settle(&sqs_batch_sent(&[("m3", &disable)], raised))
        .await;
    assert_eq!(again.already_signed_out, 1);
}

#[tokio::test]
async fn a_dry_run_remembers_nothing() {
    let app = TestApp::with_vars(&[("DRY_RUN", "true")]);
    let raised = now_ms() - 60_000;
    app.settle(&storm_batch(0..5, 0, raised)).await;
    let second = app.settle(&storm_batch(0..5, 1, raised)).await;
    assert_eq!(second.already_signed_out, 0);
    assert_eq!(app.responder.remembered_users(), 0);
}

#[tokio::test]
async fn a_failed_sequence_is_not_remembered() {
    let app = TestApp::spawn_revoking(
        FakeCognito::new(),
        FakeDeadLetters::new(),
        FakeRevocations::new().failing_cutoff("alice"),
        &[("REVOCATION_TABLE", "cutoffs")],
    );
    let raised = now_ms() - 60_000;
    app.settle(&sqs_batch_sent(&[("m1", &request("alice"))], raised))
        .await;
    let second = app
        .settle(&sqs_batch_sent(&[("m2", &request("alice"))], raised))
        .await;
    assert_eq!(second.already_signed_out, 0);
    assert_eq!(app.cognito().calls_for("alice"), 2);
}

fn takeover_line(user: &str, sub: &str) -> String {
    json!({"eventSource": "USER_ACTIVITY", "logSourceId": {"userPoolId": POOL},
           "message": {"eventType": "SignIn", "userName": user, "userSub": sub, "userPoolId": POOL,
                       "riskDecision": "AccountTakeover", "riskLevel": "High"}})
    .to_string()
}

#[tokio::test]
async fn a_second_instance_skips_through_the_table_when_cognito_named_the_sub() {
    let vars = [("REVOCATION_TABLE", "cutoffs")];
    let shared = FakeRevocations::new();
    let first = TestApp::spawn_revoking(
        FakeCognito::new(),
        FakeDeadLetters::new(),
        shared.clone(),
        &vars,
    );
    let line = takeover_line("alice", "sub-alice");
    first
        .settle(&log_payload_batch_in(
            std::slice::from_ref(&line),
            Some(LOG_OWNER),
        ))
        .await;
    assert_eq!(first.cognito().calls_for("alice"), 1);
    assert_eq!(
        first.cognito().lookups().len(),
        1,
        "the sub written is Cognito's own answer, whatever the line says"
    );
    assert_eq!(shared.cutoffs()[0].sub().as_str(), "sub-alice");

    // Another instance (an empty memory), the same table: the line, raised before the cutoff,
    // is skipped after one read.
    let second = TestApp::spawn_revoking(
        FakeCognito::new(),
        FakeDeadLetters::new(),
        shared.clone(),
        &vars,
    );
    let report = second
        .settle(&log_payload_batch_in(
            std::slice::from_ref(&line),
            Some(LOG_OWNER),
        ))
        .await;
    assert_eq!(report.already_signed_out, 1);
    assert_eq!(second.cognito().calls_for("alice"), 0);
    assert_eq!(
        shared.reads(),
        2,
        "one read per instance, before the sign-out"
    );

    // The same line from a log of another account (or one a producer wrote): its sub is not
    // trusted, nothing is read, and the user is signed out.
    let third = TestApp::spawn_revoking(
        FakeCognito::new(),
        FakeDeadLetters::new(),
        shared.clone(),
        &vars,
    );
    let report = third
        .settle(&log_payload_batch_in(&[line], Some("999999999999")))
        .await;
    assert_eq!(report.already_signed_out, 0);
    assert_eq!(third.cognito().calls_for("alice"), 1);
    assert_eq!(
        third.cognito().lookups().len(),
        1,
        "the sub is read from Cognito"
    );
    assert_eq!(shared.reads(), 2);
}

// ---------------------------------------------------------------------------------------------
// The same storms on moto: the real Cognito, DynamoDB and SQS adapters over HTTP, real users.
// ---------------------------------------------------------------------------------------------

mod on_moto {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_sdk_cognitoidentityprovider::Client as Cognito;
    use cognito_signout_responder::{
        AwsRevocations, CallError, CognitoSignOut, OutcomeKind, Report, Responder, SignOut,
        SqsDeadLetters, Target, Timeouts, UserRecord,
    };
    use serde_json::json;
    use test_support::moto::{self, Moto, Pool};

    use crate::helpers::{
        config, far_deadline, log_payload_batch_in, now_ms, sqs_batch_sent, LOG_OWNER,
    };

    const TABLE: &str = "revocation-cutoffs";

    /// The real Cognito adapter, counting the sign-outs that reach moto.
    struct Counted {
        cognito: CognitoSignOut,
        sign_outs: AtomicUsize,
    }

    impl SignOut for Counted {
        async fn sign_out(&self, target: &Target) -> Result<(), CallError> {
            self.sign_outs.fetch_add(1, Ordering::SeqCst);
            self.cognito.sign_out(target).await
        }

        async fn reset_password(&self, target: &Target) -> Result<(), CallError> {
            self.cognito.reset_password(target).await
        }

        async fn disable(&self, target: &Target) -> Result<(), CallError> {
            self.cognito.disable(target).await
        }

        async fn lookup(&self, target: &Target) -> Result<UserRecord, CallError> {
            self.cognito.lookup(target).await
        }
    }

    type Instance = Responder<Counted, SqsDeadLetters, AwsRevocations>;

    /// One responder instance (its own memory) on moto, with `vars`.
    fn instance(sdk: &aws_config::SdkConfig, vars: &[(&str, &str)]) -> Instance {
        let config = config(vars);
        let timeouts = Timeouts::default();
        Responder::new(
            Counted {
                cognito: CognitoSignOut::new(sdk, &timeouts),
                sign_outs: AtomicUsize::new(0),
            },
            SqsDeadLetters::new(sdk, &timeouts),
            AwsRevocations::new(sdk, &timeouts, config.revocation_targets.clone()),
            config.responder.clone(),
            timeouts,
        )
    }

    fn sign_outs(instance: &Instance) -> usize {
        instance.signer().sign_outs.load(Ordering::SeqCst)
    }

    /// `line` as CloudWatch Logs delivers it to a function of `account`, settled by `instance`.
    async fn delivered(instance: &Instance, line: &str, account: &str) -> Report {
        let batch = log_payload_batch_in(&[line.to_owned()], Some(account));
        instance.settle(&batch, far_deadline()).await
    }

    fn alert(pool: &Pool, user: &str) -> String {
        json!({"UserPoolId": pool.id, "Username": user}).to_string()
    }

    #[tokio::test]
    async fn a_storm_of_ten_alerts_per_user_over_ten_invocations_costs_one_sign_out_per_user() {
        let moto = Moto::start().await;
        let sdk = moto.sdk_config().await;
        let cognito = Cognito::new(&sdk);
        let pool = moto::create_pool(&cognito, "storm").await;
        let watched = [0, 50, 99];
        let mut sessions = Vec::new();
        for u in 0..100 {
            let user = format!("user{u}");
            if watched.contains(&u) {
                sessions.push(moto::user_with_session(&cognito, &pool, &user).await);
            } else {
                moto::create_user(&cognito, &pool, &user).await;
            }
        }
        let responder = instance(
            &sdk,
            &[
                ("ALLOWED_USER_POOL_IDS", pool.id.as_str()),
                ("MAX_REQUESTS_PER_SECOND", "unlimited"),
                ("MAX_CONCURRENCY", "20"),
            ],
        );

        // Every alert was raised before the first sign-out: a detector firing at every attempt.
        let raised = now_ms() - 60_000;
        for round in 0..10 {
            let bodies: Vec<(String, String)> = (0..100)
                .map(|u| (format!("r{round}-u{u}"), alert(&pool, &format!("user{u}"))))
                .collect();
            let records: Vec<(&str, &str)> = bodies
                .iter()
                .map(|(i, b)| (i.as_str(), b.as_str()))
                .collect();
            let report = responder
                .settle(&sqs_batch_sent(&records, raised), far_deadline())
                .await;
            assert_eq!(report.count(OutcomeKind::SignedOut), 100, "round {round}");
            let skipped = if round == 0 { 0 } else { 100 };
            assert_eq!(report.already_signed_out, skipped, "round {round}");
        }
        assert_eq!(
            sign_outs(&responder),
            100,
            "1,000 alerts, one sign-out per user (was 1,000)"
        );
        for session in &sessions {
            assert!(
                moto::refresh(&cognito, &pool, session).await.is_err(),
                "a watched user's refresh token is refused: really signed out"
            );
        }

        // An alert raised after the recorded sign-out acts again.
        let later = alert(&pool, "user0");
        let report = responder
            .settle(
                &sqs_batch_sent(&[("later", later.as_str())], now_ms() + 5_000),
                far_deadline(),
            )
            .await;
        assert_eq!(report.already_signed_out, 0);
        assert_eq!(sign_outs(&responder), 101);
    }

    #[tokio::test]
    async fn a_second_instance_skips_through_the_table_when_cognito_named_the_sub() {
        let moto = Moto::start().await;
        let sdk = moto.sdk_config().await;
        let cognito = Cognito::new(&sdk);
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        moto::create_cutoff_table(&dynamodb, TABLE).await;
        let pool = moto::create_pool(&cognito, "takeovers").await;
        let session = moto::user_with_session(&cognito, &pool, "alice").await;
        let sub = moto::sub_of(&cognito, &pool, "alice").await;
        let line = json!({
            "eventSource": "USER_ACTIVITY", "logSourceId": {"userPoolId": pool.id},
            "message": {"eventType": "SignIn", "userName": "alice", "userSub": sub,
                        "userPoolId": pool.id, "riskDecision": "AccountTakeover", "riskLevel": "High"}})
        .to_string();
        let vars = [
            ("ALLOWED_USER_POOL_IDS", pool.id.as_str()),
            ("REVOCATION_TABLE", TABLE),
        ];

        let first = instance(&sdk, &vars);
        let report = delivered(&first, &line, LOG_OWNER).await;
        assert_eq!(report.count(OutcomeKind::SignedOut), 1);
        assert_eq!(sign_outs(&first), 1);
        assert!(moto::refresh(&cognito, &pool, &session).await.is_err());
        assert!(
            moto::cutoff_item(&dynamodb, TABLE, &pool.id, &sub)
                .await
                .is_some(),
            "the cutoff is recorded under the sub Cognito named"
        );

        // Another instance (an empty memory), the same table: the line, raised before the
        // cutoff, is settled AlreadySignedOut after one read, with no Cognito write.
        let second = instance(&sdk, &vars);
        let report = delivered(&second, &line, LOG_OWNER).await;
        assert_eq!(report.already_signed_out, 1);
        assert_eq!(sign_outs(&second), 0);

        // The same line delivered to a function of another account: its sub is not trusted,
        // and the user is signed out again.
        let third = instance(&sdk, &vars);
        let report = delivered(&third, &line, "999999999999").await;
        assert_eq!(report.already_signed_out, 0);
        assert_eq!(sign_outs(&third), 1);
    }

    #[tokio::test]
    async fn a_forged_owner_and_sub_cannot_point_a_cutoff_or_a_skip_at_another_user() {
        let moto = Moto::start().await;
        let sdk = moto.sdk_config().await;
        let cognito = Cognito::new(&sdk);
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        moto::create_cutoff_table(&dynamodb, TABLE).await;
        let pool = moto::create_pool(&cognito, "forged").await;
        let alice_session = moto::user_with_session(&cognito, &pool, "alice").await;
        moto::create_user(&cognito, &pool, "bob").await;
        let alice = moto::sub_of(&cognito, &pool, "alice").await;
        let bob = moto::sub_of(&cognito, &pool, "bob").await;
        let vars = [
            ("ALLOWED_USER_POOL_IDS", pool.id.as_str()),
            ("REVOCATION_TABLE", TABLE),
        ];
        let responder = instance(&sdk, &vars);
        // Bob is signed out first: his cutoff is in the table.
        let report = responder
            .settle(
                &sqs_batch_sent(&[("bob", alert(&pool, "bob").as_str())], now_ms()),
                far_deadline(),
            )
            .await;
        assert_eq!(report.count(OutcomeKind::SignedOut), 1);

        // A direct invocation shaped as the function's own log, naming alice with bob's sub,
        // raised before bob's cutoff.
        let forged = json!({
            "eventSource": "USER_ACTIVITY", "logSourceId": {"userPoolId": pool.id},
            "message": {"eventType": "SignIn", "userName": "alice", "userSub": bob,
                        "userPoolId": pool.id, "riskDecision": "AccountTakeover", "riskLevel": "High"}})
        .to_string();
        let other = instance(&sdk, &vars);
        let report = delivered(&other, &forged, LOG_OWNER).await;
        assert_eq!(
            report.already_signed_out, 0,
            "bob's item does not stand for alice"
        );
        assert_eq!(report.count(OutcomeKind::SignedOut), 1);
        assert_eq!(sign_outs(&other), 1);
        assert!(moto::refresh(&cognito, &pool, &alice_session)
            .await
            .is_err());

        let item = moto::cutoff_item(&dynamodb, TABLE, &pool.id, &alice)
            .await
            .expect("alice's cutoff is written under the sub Cognito returns for alice");
        assert_eq!(
            item["username"].as_s().ok().map(String::as_str),
            Some("alice")
        );
        let bobs = moto::cutoff_item(&dynamodb, TABLE, &pool.id, &bob)
            .await
            .expect("bob's cutoff");
        assert_eq!(
            bobs["username"].as_s().ok().map(String::as_str),
            Some("bob"),
            "bob's cutoff is untouched"
        );
    }
}
