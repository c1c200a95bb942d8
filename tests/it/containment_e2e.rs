//! The proof of docs/containment.md, end to end against moto with the real binaries under the
//! Runtime API emulator: an alert that asks `disable` locks the user out (no sign-in with the
//! password, the old access token refused by the authorizer, the actions recorded in the cutoff
//! and the event); one that asks `reset-password` leaves the user `RESET_REQUIRED`; the same
//! alerts under the default bound only sign out and are dead-lettered `forbidden-action`; a
//! start-up `ACTIONS` beyond the bound stops the function; and the threat-protection and
//! Security Hub mappings take the lock actions they name.

use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, UserStatusType};
use aws_sdk_cognitoidentityprovider::Client as Cognito;
use serde_json::{json, Value};
use test_support::api_gateway::{http_allowed, http_event};
use test_support::moto::{self, Moto, Pool, PASSWORD};
use test_support::runtime_api::{run_binary, Answer, Run};

use crate::helpers::runtime_api::{run_function, sibling_binary};

const TABLE: &str = "revocation-cutoffs";
const ALL_ACTIONS: &str = "sign-out,reset-password,disable";

/// moto with a pool whose users have a password and a verified email (Cognito resets only
/// the password of a user it can send the code to), the cutoff table, a dead-letter queue, and
/// a queue that a rule feeds with the `Cognito User Signed Out` events.
struct Stage {
    moto: Moto,
    cognito: Cognito,
    dynamodb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    pool: Pool,
    dlq: String,
    events: String,
}

impl Stage {
    async fn start(users: &[&str]) -> Self {
        let moto = Moto::start().await;
        let sdk = moto.sdk_config().await;
        let cognito = Cognito::new(&sdk);
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let bus = aws_sdk_eventbridge::Client::new(&sdk);
        let pool = moto::create_pool(&cognito, "app-users").await;
        for user in users {
            moto::create_user(&cognito, &pool, user).await;
            cognito
                .admin_update_user_attributes()
                .user_pool_id(&pool.id)
                .username(*user)
                .user_attributes(attribute("email", &format!("{user}@example.com")))
                .user_attributes(attribute("email_verified", "true"))
                .send()
                .await
                .expect("verified email");
        }
        moto::create_cutoff_table(&dynamodb, TABLE).await;
        let dlq = moto::create_queue(&sqs, "failed-alerts").await;
        let events = moto::create_queue(&sqs, "signed-out-events").await;
        moto::route_events_to_queue(&bus, &sqs, "Cognito User Signed Out", &events).await;
        Self {
            moto,
            cognito,
            dynamodb,
            sqs,
            pool,
            dlq,
            events,
        }
    }

    /// The responder's environment: this stage's pool, queue, table and bus, and `vars`.
    fn env(&self, vars: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = self.moto.env();
        env.extend(
            [
                ("DLQ_URL", self.dlq.as_str()),
                ("ALLOWED_USER_POOL_IDS", self.pool.id.as_str()),
                ("REVOCATION_TABLE", TABLE),
                ("EVENT_BUS_NAME", "default"),
            ]
            .into_iter()
            .chain(vars.iter().copied())
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        env
    }

    /// An alert naming `user` of this stage's pool, asking `actions`.
    fn alert(&self, user: &str, actions: &[&str]) -> String {
        json!({"UserPoolId": self.pool.id, "Username": user, "Actions": actions}).to_string()
    }

    /// Runs the responder's binary with `vars` on `alerts` (request id, payload).
    async fn respond(&self, vars: &[(&str, &str)], alerts: &[(&str, String)]) -> Run {
        let events: Vec<(String, String)> = alerts
            .iter()
            .map(|(id, payload)| ((*id).to_owned(), payload.clone()))
            .collect();
        run_function(&self.env(vars), &events, 30_000).await
    }

    /// `(enabled, status)` of `user`, as AdminGetUser reads them.
    async fn user(&self, user: &str) -> (bool, UserStatusType) {
        let got = self
            .cognito
            .admin_get_user()
            .user_pool_id(&self.pool.id)
            .username(user)
            .send()
            .await
            .expect("get user");
        (got.enabled(), got.user_status().cloned().expect("a status"))
    }

    /// A sign-in with `user`'s password: its refresh token, or Cognito's error code.
    async fn sign_in(&self, user: &str) -> Result<String, String> {
        let auth = self
            .cognito
            .admin_initiate_auth()
            .user_pool_id(&self.pool.id)
            .client_id(&self.pool.client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", user)
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await
            .map_err(|e| e.code().unwrap_or("no code").to_owned())?;
        auth.authentication_result()
            .and_then(|r| r.refresh_token())
            .map(str::to_owned)
            .ok_or_else(|| format!("no tokens: {:?}", auth.challenge_name()))
    }

    /// The `actions` list of `user`'s cutoff item.
    async fn cutoff_actions(&self, user: &str) -> Vec<String> {
        let sub = moto::sub_of(&self.cognito, &self.pool, user).await;
        let item = moto::cutoff_item(&self.dynamodb, TABLE, &self.pool.id, &sub)
            .await
            .unwrap_or_else(|| panic!("{user}'s cutoff"));
        item.get("actions")
            .and_then(|v| v.as_l().ok())
            .unwrap_or_else(|| panic!("a list of actions in {item:?}"))
            .iter()
            .map(|a| a.as_s().expect("an action name").clone())
            .collect()
    }

    /// The `detail` of every `Cognito User Signed Out` event delivered so far.
    async fn events(&self) -> Vec<Value> {
        moto::drain(&self.sqs, &self.events)
            .await
            .iter()
            .map(|m| serde_json::from_str::<Value>(&m.body).expect("an event")["detail"].clone())
            .collect()
    }
}

fn attribute(name: &str, value: &str) -> AttributeType {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .expect("an attribute")
}

fn response(run: &Run, id: &str) -> Value {
    match run.answers.get(id) {
        Some(Answer::Response(value)) => value.clone(),
        other => panic!(
            "{id}: expected a response, got {other:?}\nstdout: {}\nstderr: {}",
            run.stdout, run.stderr
        ),
    }
}

#[tokio::test]
async fn a_disable_alert_locks_the_user_out_and_refuses_the_old_access_token() {
    let stage = Stage::start(&["alice", "bob"]).await;
    let alice_old = moto::sign_in(&stage.cognito, &stage.pool, "alice").await;
    let bob = moto::sign_in(&stage.cognito, &stage.pool, "bob").await;

    let run = stage
        .respond(
            &[("ALLOWED_ACTIONS", ALL_ACTIONS)],
            &[("alert-1", stage.alert("alice", &["disable"]))],
        )
        .await;
    let summary = response(&run, "alert-1");
    assert_eq!(summary["outcome"], "signed-out", "{summary}");
    assert_eq!(summary["actions"], json!(["disable", "sign-out"]));

    // Disabled: the password no longer signs alice in; bob is untouched.
    assert_eq!(
        stage.user("alice").await,
        (false, UserStatusType::Confirmed)
    );
    assert_eq!(
        stage.sign_in("alice").await,
        Err("NotAuthorizedException".to_owned())
    );
    assert_eq!(stage.user("bob").await, (true, UserStatusType::Confirmed));

    // The access token minted before the alert is refused; bob's is still accepted.
    let mut env = stage.moto.env();
    for (k, v) in [
        ("USER_POOL_IDS", stage.pool.id.as_str()),
        ("APP_CLIENT_IDS", stage.pool.client_id.as_str()),
        ("REVOCATION_TABLE", TABLE),
        ("REVOCATION_CACHE_SECONDS", "0"),
    ] {
        env.push((k.to_owned(), v.to_owned()));
    }
    let tokens = [
        (
            "alice-old".to_owned(),
            http_event(&format!("Bearer {}", alice_old.access)),
        ),
        (
            "bob".to_owned(),
            http_event(&format!("Bearer {}", bob.access)),
        ),
    ];
    let authorizer = sibling_binary("revocation-authorizer");
    let checked = run_binary(&authorizer, "revocation-authorizer", &env, &tokens, 10_000).await;
    assert!(
        !http_allowed(&response(&checked, "alice-old")),
        "alice's old access token is refused"
    );
    assert!(
        http_allowed(&response(&checked, "bob")),
        "bob's is accepted"
    );

    // The cutoff and the event list the actions, in the order they ran.
    assert_eq!(stage.cutoff_actions("alice").await, ["disable", "sign-out"]);
    let events = stage.events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["username"], "alice");
    assert_eq!(events[0]["actions"], json!(["disable", "sign-out"]));
    assert!(moto::drain(&stage.sqs, &stage.dlq).await.is_empty());
}

#[tokio::test]
async fn a_reset_password_alert_leaves_the_user_reset_required() {
    let stage = Stage::start(&["bob"]).await;
    let session = stage.sign_in("bob").await.expect("bob signs in");

    let run = stage
        .respond(
            &[("ALLOWED_ACTIONS", ALL_ACTIONS)],
            &[("alert-1", stage.alert("bob", &["reset-password"]))],
        )
        .await;
    let summary = response(&run, "alert-1");
    assert_eq!(summary["outcome"], "signed-out", "{summary}");
    assert_eq!(summary["actions"], json!(["reset-password", "sign-out"]));

    // moto answers a sign-in of a RESET_REQUIRED user with a NEW_PASSWORD_REQUIRED challenge,
    // where Cognito raises PasswordResetRequiredException: the status is what both agree on.
    assert_eq!(
        stage.user("bob").await,
        (true, UserStatusType::ResetRequired)
    );
    assert_eq!(
        moto::refresh(&stage.cognito, &stage.pool, &session).await,
        Err("NotAuthorizedException".to_owned()),
        "and bob is signed out"
    );
    assert_eq!(
        stage.cutoff_actions("bob").await,
        ["reset-password", "sign-out"]
    );
}

#[tokio::test]
async fn under_the_default_bound_lock_alerts_only_sign_out_and_are_dead_lettered() {
    let stage = Stage::start(&["alice", "bob"]).await;
    let alice = stage.sign_in("alice").await.expect("alice signs in");
    let bob = stage.sign_in("bob").await.expect("bob signs in");

    let run = stage
        .respond(
            &[],
            &[
                ("alert-alice", stage.alert("alice", &["disable"])),
                ("alert-bob", stage.alert("bob", &["reset-password"])),
            ],
        )
        .await;
    for id in ["alert-alice", "alert-bob"] {
        let summary = response(&run, id);
        assert_eq!(
            (&summary["outcome"], &summary["class"], &summary["actions"]),
            (
                &json!("dead-lettered"),
                &json!("forbidden-action"),
                &json!(["sign-out"])
            ),
            "{summary}"
        );
    }

    // Signed out, and no lock call was made: both still enabled and CONFIRMED.
    for (user, session) in [("alice", &alice), ("bob", &bob)] {
        assert_eq!(
            moto::refresh(&stage.cognito, &stage.pool, session).await,
            Err("NotAuthorizedException".to_owned()),
            "{user} is signed out"
        );
        assert_eq!(
            stage.user(user).await,
            (true, UserStatusType::Confirmed),
            "{user}"
        );
    }
    assert_eq!(stage.cutoff_actions("alice").await, ["sign-out"]);

    let mut letters: Vec<(String, String, String)> = moto::drain(&stage.sqs, &stage.dlq)
        .await
        .into_iter()
        .map(|l| {
            let attribute = |name: &str| l.attributes.get(name).cloned().unwrap_or_default();
            (
                attribute("ErrorClass"),
                attribute("Actions"),
                attribute("ActionsTaken"),
            )
        })
        .collect();
    letters.sort();
    let letter = |asked: &str| {
        (
            "forbidden-action".to_owned(),
            asked.to_owned(),
            "sign-out".to_owned(),
        )
    };
    assert_eq!(
        letters,
        [
            letter("disable,sign-out"),
            letter("reset-password,sign-out")
        ]
    );
}

#[tokio::test]
async fn actions_beyond_the_default_bound_stop_the_function_at_start_up() {
    let env: Vec<(String, String)> = [
        ("AWS_REGION", "us-east-1"),
        ("DLQ_URL", "https://sqs.us-east-1.amazonaws.com/1/q"),
        ("ACTIONS", "disable"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into();
    let run = run_function(&env, &[("never".into(), "{}".into())], 5_000).await;
    assert_eq!(run.exit_code, Some(1), "{}", run.stderr);
    assert!(run.answers.is_empty());
    assert!(
        run.stderr.contains("configuration error: ACTIONS:"),
        "ACTIONS is not named: {}",
        run.stderr
    );
}

#[tokio::test]
async fn compromised_credentials_from_threat_protection_reset_the_password() {
    use base64::Engine;
    use std::io::Write;

    let stage = Stage::start(&["alice", "carol"]).await;
    // The sample's takeover (alice) and compromised credentials (carol), in this pool.
    let mut log: Value =
        serde_json::from_str(include_str!("../../events/cwl-userauthevents.decoded.json"))
            .expect("the sample");
    let lines: Vec<Value> = log["logEvents"]
        .as_array()
        .expect("log events")
        .iter()
        .filter(|e| {
            let line = e["message"].as_str().unwrap_or_default();
            line.contains(r#""userName":"alice""#) || line.contains(r#""userName":"carol""#)
        })
        .cloned()
        .collect();
    assert_eq!(lines.len(), 2);
    log["logEvents"] = Value::Array(lines);
    let decoded = log
        .to_string()
        .replace("eu-west-1_AbC123xyz", &stage.pool.id);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(decoded.as_bytes()).expect("gzip");
    let data = base64::engine::general_purpose::STANDARD.encode(gzip.finish().expect("gzip"));
    let payload = json!({"awslogs": {"data": data}}).to_string();

    let run = stage
        .respond(
            &[
                ("ALLOWED_ACTIONS", "sign-out,reset-password"),
                ("THREAT_CREDENTIALS_ACTIONS", "sign-out,reset-password"),
            ],
            &[("threat-log", payload)],
        )
        .await;
    let summary = response(&run, "threat-log");
    let alerts: Vec<(Value, Value, Value)> = summary["alerts"]
        .as_array()
        .unwrap_or_else(|| panic!("{summary}"))
        .iter()
        .map(|a| {
            (
                a["username"].clone(),
                a["outcome"].clone(),
                a["actions"].clone(),
            )
        })
        .collect();
    assert_eq!(
        alerts,
        [
            (json!("alice"), json!("signed-out"), json!(["sign-out"])),
            (
                json!("carol"),
                json!("signed-out"),
                json!(["reset-password", "sign-out"])
            ),
        ]
    );
    assert_eq!(
        stage.user("carol").await,
        (true, UserStatusType::ResetRequired)
    );
    // The takeover keeps THREAT_TAKEOVER_ACTIONS' default, ACTIONS: the sign-out alone.
    assert_eq!(stage.user("alice").await, (true, UserStatusType::Confirmed));
}

#[tokio::test]
async fn the_security_hub_disable_user_action_disables_the_selected_user() {
    let stage = Stage::start(&["alice"]).await;
    let sample = include_str!("../../events/securityhub-custom-action.json")
        .replace("eu-west-1_AbC123xyz", &stage.pool.id);
    let mut event: Value = serde_json::from_str(&sample).expect("the sample");
    event["resources"] =
        json!(["arn:aws:securityhub:us-east-1:123456789012:action/custom/DisableUser"]);

    let run = stage
        .respond(
            &[("ALLOWED_ACTIONS", ALL_ACTIONS)],
            &[("custom-action", event.to_string())],
        )
        .await;
    let summary = response(&run, "custom-action");
    assert_eq!(summary["outcome"], "signed-out", "{summary}");
    assert_eq!(summary["username"], "alice");
    assert_eq!(summary["actions"], json!(["disable", "sign-out"]));
    assert_eq!(
        stage.user("alice").await,
        (false, UserStatusType::Confirmed)
    );
    assert_eq!(
        stage.sign_in("alice").await,
        Err("NotAuthorizedException".to_owned())
    );
}

#[tokio::test]
async fn a_reset_cognito_refuses_stops_neither_the_disable_nor_the_sign_out() {
    let stage = Stage::start(&[]).await;
    // No verified email or phone: Cognito has nowhere to send the code.
    moto::create_user(&stage.cognito, &stage.pool, "dave").await;
    let session = stage.sign_in("dave").await.expect("dave signs in");

    let run = stage
        .respond(
            &[("ALLOWED_ACTIONS", ALL_ACTIONS)],
            &[(
                "alert-1",
                stage.alert("dave", &["reset-password", "disable"]),
            )],
        )
        .await;
    let summary = response(&run, "alert-1");
    assert_eq!(
        (&summary["outcome"], &summary["class"], &summary["code"]),
        (
            &json!("dead-lettered"),
            &json!("invalid"),
            &json!("InvalidParameterException")
        ),
        "{summary}"
    );
    assert_eq!(summary["actions"], json!(["disable", "sign-out"]));
    assert_eq!(stage.user("dave").await, (false, UserStatusType::Confirmed));
    assert_eq!(
        moto::refresh(&stage.cognito, &stage.pool, &session).await,
        Err("NotAuthorizedException".to_owned())
    );
    assert_eq!(stage.cutoff_actions("dave").await, ["disable", "sign-out"]);
    let letters = moto::drain(&stage.sqs, &stage.dlq).await;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].attributes["ErrorClass"], "invalid");
    assert_eq!(
        letters[0].attributes["Actions"],
        "reset-password,disable,sign-out"
    );
    assert_eq!(letters[0].attributes["ActionsTaken"], "disable,sign-out");
}

/// A second alert in the same second that took more actions (the account locked after a
/// sign-out-only alert) records them: the cutoff keeps its second and lists the longer
/// sequence; a shorter list, or an earlier cutoff, changes nothing.
#[tokio::test]
async fn a_second_alert_within_the_second_records_the_actions_it_added() {
    use cognito_revocation::{
        Cutoff, CutoffKey, CutoffStore, DynamoDbCutoffStore, Raise, Subject, UserPoolId,
        DEFAULT_RETENTION,
    };
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    moto::create_cutoff_table(&dynamodb, "cutoffs").await;
    let store = DynamoDbCutoffStore::new(dynamodb, "cutoffs");
    let pool = UserPoolId::parse("us-east-1_Same1").expect("a pool id");
    let sub = Subject::parse("0b7c5b1e-1b2c-4c7e-9f0a-3d4e5f6a7b8c").expect("a sub");
    let at = std::time::SystemTime::now();
    let cutoff = |actions: &[&str], at: std::time::SystemTime| {
        Cutoff::new(
            pool.clone(),
            sub.clone(),
            "carol",
            at,
            DEFAULT_RETENTION,
            "m",
        )
        .with_actions(actions.iter().copied())
    };
    let key = CutoffKey::new(&pool, &sub);
    let recorded = || async { store.recorded(&key).await.expect("read").expect("an item") };

    assert_eq!(
        store.raise(&cutoff(&["sign-out"], at)).await.unwrap(),
        Raise::Recorded
    );
    let (second, _) = recorded().await;
    assert_eq!(
        store
            .raise(&cutoff(&["disable", "sign-out"], at))
            .await
            .unwrap(),
        Raise::Recorded
    );
    assert_eq!(
        recorded().await,
        (second, vec!["disable".to_owned(), "sign-out".to_owned()])
    );
    assert_eq!(
        store.raise(&cutoff(&["sign-out"], at)).await.unwrap(),
        Raise::KeptLater
    );
    let earlier = at - std::time::Duration::from_secs(5);
    assert_eq!(
        store
            .raise(&cutoff(&["reset-password", "disable", "sign-out"], earlier))
            .await
            .unwrap(),
        Raise::KeptLater
    );
    assert_eq!(
        recorded().await.1,
        vec!["disable".to_owned(), "sign-out".to_owned()]
    );
}
