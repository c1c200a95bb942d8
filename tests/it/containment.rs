//! Containment (docs/containment.md) through the fakes: the order of the calls, the bound,
//! what a record asks versus what its user's shared call takes, retries that send no second
//! reset code, the threat and Security Hub mappings, and what letters and summaries record.

use cognito_signout_responder::{Action, ErrorClass, OutcomeKind};
use serde_json::{json, Value};

use crate::helpers::*;

const ALL_ALLOWED: (&str, &str) = ("ALLOWED_ACTIONS", "sign-out,reset-password,disable");

fn asking(user: &str, actions: Value) -> String {
    json!({"UserPoolId": POOL, "Username": user, "Actions": actions}).to_string()
}

fn outcomes(report: &cognito_signout_responder::Report) -> Vec<(OutcomeKind, Option<ErrorClass>)> {
    report
        .settlements
        .iter()
        .map(|s| (s.kind(), s.class()))
        .collect()
}

#[tokio::test]
async fn the_lock_actions_run_before_the_sign_out_and_the_cutoff_follows_the_last() {
    let app = TestApp::spawn_revoking(
        FakeCognito::with_delay(std::time::Duration::from_millis(20)),
        FakeDeadLetters::new(),
        FakeRevocations::new(),
        &[
            ALL_ALLOWED,
            ("REVOCATION_TABLE", "cutoffs"),
            ("EVENT_BUS_NAME", "security"),
        ],
    );
    let report = app
        .send_alerts(&[("m1", &asking("alice", json!(["disable", "reset-password"])))])
        .await;
    assert_eq!(outcomes(&report), [(OutcomeKind::SignedOut, None)]);
    let updates = app.cognito().updates();
    let order: Vec<Action> = updates.iter().map(|(a, ..)| *a).collect();
    assert_eq!(
        order,
        [Action::ResetPassword, Action::Disable, Action::SignOut],
        "the credential is locked before the sessions end"
    );
    for pair in updates.windows(2) {
        assert!(pair[0].3 <= pair[1].2, "one after the other: {pair:?}");
    }
    // The cutoff is taken once the last action returned: no token minted before any of
    // them is accepted after.
    let cutoffs = app.revocations().cutoffs();
    assert_eq!(cutoffs.len(), 1);
    assert_eq!(
        cutoffs[0].actions(),
        ["reset-password", "disable", "sign-out"]
    );
    let events = app.revocations().events();
    assert_eq!(
        events[0].actions.names(),
        ["reset-password", "disable", "sign-out"]
    );
    assert_eq!(report.passwords_reset, 1);
    assert_eq!(report.users_disabled, 1);
    assert!(app.cognito().is_disabled("alice"));
    assert!(app.cognito().is_reset_required("alice"));
}

#[tokio::test]
async fn the_cutoff_is_no_earlier_than_the_moment_the_last_action_returned() {
    // Three calls of 600 ms each, one after the other: a cutoff taken any earlier than the
    // sign-out's return would fall before `before + 1.8 s`.
    let app = TestApp::spawn_revoking(
        FakeCognito::with_delay(std::time::Duration::from_millis(600)),
        FakeDeadLetters::new(),
        FakeRevocations::new(),
        &[ALL_ALLOWED, ("REVOCATION_TABLE", "cutoffs")],
    );
    let before = std::time::SystemTime::now();
    app.send_alerts(&[("m1", &asking("alice", json!(["disable", "reset-password"])))])
        .await;
    let last_returned = before + std::time::Duration::from_millis(1800);
    let cutoff = app.revocations().cutoffs()[0].revoked_before();
    assert!(cutoff >= cognito_revocation::UnixSeconds::ceil(last_returned));
}

#[tokio::test]
async fn an_action_outside_the_bound_is_never_called_and_its_alert_is_dead_lettered_after_the_sign_out(
) {
    let app = TestApp::with_vars(&[]);
    let report = app
        .send_alerts(&[
            ("m1", &asking("alice", json!(["disable"]))),
            ("m2", &asking("bob", json!("wipe-everything"))),
        ])
        .await;
    assert_eq!(
        outcomes(&report),
        [
            (OutcomeKind::DeadLettered, Some(ErrorClass::ForbiddenAction)),
            (OutcomeKind::DeadLettered, Some(ErrorClass::Invalid)),
        ]
    );
    assert_eq!(app.cognito().actions_on("alice"), [Action::SignOut]);
    assert_eq!(app.cognito().actions_on("bob"), [Action::SignOut]);
    let letters = app.letters();
    let alice = letters
        .iter()
        .find(|l| l.attributes["Username"] == "alice")
        .unwrap();
    assert_eq!(alice.attributes["ErrorCode"], "ForbiddenAction");
    assert_eq!(alice.attributes["Actions"], "disable,sign-out");
    assert_eq!(alice.attributes["ActionsTaken"], "sign-out");
    let bob = letters
        .iter()
        .find(|l| l.attributes["Username"] == "bob")
        .unwrap();
    assert_eq!(bob.attributes["ErrorCode"], "UnknownAction");
    assert!(
        !bob.attributes["ErrorMessage"].contains("wipe"),
        "the refused name is not repeated"
    );
}

#[tokio::test]
async fn a_failed_lock_action_does_not_stop_the_sign_out_and_fails_only_the_records_that_asked_it()
{
    let app = TestApp::spawn(
        FakeCognito::new().lock_answer(
            "alice",
            Action::Disable,
            Answer::Fail(ErrorClass::NotAuthorized),
        ),
        FakeDeadLetters::new(),
        &[ALL_ALLOWED],
    );
    let report = app
        .send_alerts(&[
            ("m1", &asking("alice", json!(["disable"]))),
            ("m2", &request("alice")),
        ])
        .await;
    assert_eq!(
        outcomes(&report),
        [
            (OutcomeKind::DeadLettered, Some(ErrorClass::NotAuthorized)),
            (OutcomeKind::SignedOut, None),
        ]
    );
    assert_eq!(
        app.cognito().actions_on("alice"),
        [Action::Disable, Action::SignOut],
        "one shared call: the union of what the records asked"
    );
    let letter = &app.letters()[0];
    assert_eq!(letter.attributes["ErrorCode"], "NotAuthorizedException");
    assert_eq!(letter.attributes["ActionsTaken"], "sign-out");
}

#[tokio::test]
async fn a_lock_action_that_may_succeed_later_retries_its_alert_and_a_retry_sends_no_second_code() {
    let app = TestApp::spawn(
        FakeCognito::new().lock_answer(
            "alice",
            Action::Disable,
            Answer::Fail(ErrorClass::Throttled),
        ),
        FakeDeadLetters::new(),
        &[ALL_ALLOWED],
    );
    let ask = asking("alice", json!(["reset-password", "disable"]));
    let first = app.send_alerts(&[("m1", &ask)]).await;
    assert_eq!(
        outcomes(&first),
        [(OutcomeKind::Retry, Some(ErrorClass::Throttled))]
    );
    assert!(app.cognito().is_reset_required("alice"));
    // The redelivery: the reset is not asked again (the user is RESET_REQUIRED), the
    // disable and the sign-out are.
    let second = app.send_alerts(&[("m1", &ask)]).await;
    assert_eq!(
        outcomes(&second),
        [(OutcomeKind::Retry, Some(ErrorClass::Throttled))]
    );
    let resets = app
        .cognito()
        .actions_on("alice")
        .into_iter()
        .filter(|a| *a == Action::ResetPassword)
        .count();
    assert_eq!(resets, 1, "no second reset code");
    assert_eq!(
        second.settlements[0].taken().names(),
        ["reset-password", "sign-out"]
    );
}

#[tokio::test]
async fn a_user_already_in_reset_required_gets_no_reset_call() {
    let app = TestApp::spawn(
        FakeCognito::new().reset_pending("alice"),
        FakeDeadLetters::new(),
        &[ALL_ALLOWED],
    );
    let report = app
        .send_alerts(&[("m1", &asking("alice", json!("reset-password")))])
        .await;
    assert_eq!(outcomes(&report), [(OutcomeKind::SignedOut, None)]);
    assert_eq!(app.cognito().actions_on("alice"), [Action::SignOut]);
    assert_eq!(report.passwords_reset, 0);
    assert_eq!(
        report.settlements[0].taken().names(),
        ["reset-password", "sign-out"]
    );
}

#[tokio::test]
async fn the_default_actions_apply_to_an_alert_that_asks_none() {
    let app = TestApp::with_vars(&[ALL_ALLOWED, ("ACTIONS", "disable")]);
    app.send_alerts(&[("m1", &request("alice"))]).await;
    assert_eq!(
        app.cognito().actions_on("alice"),
        [Action::Disable, Action::SignOut]
    );
}

#[tokio::test]
async fn threat_protection_maps_takeovers_and_leaked_credentials_to_their_actions() {
    let app = TestApp::with_vars(&[
        ALL_ALLOWED,
        ("THREAT_TAKEOVER_ACTIONS", "disable"),
        ("THREAT_CREDENTIALS_ACTIONS", "reset-password"),
        ("THREAT_MIN_RISK_LEVEL", "Low"),
    ]);
    let line = |user: &str, decision: &str, leaked: bool| {
        json!({"eventSource": "USER_ACTIVITY", "logSourceId": {"userPoolId": POOL},
               "message": {"eventType": "SignIn", "userName": user, "userPoolId": POOL,
                           "riskDecision": decision, "riskLevel": "High",
                           "compromisedCredentialDetected": leaked}})
        .to_string()
    };
    let batch = log_payload_batch(&[
        line("taken", "AccountTakeover", false),
        line("leaked", "PASS", true),
        line("both", "AccountTakeover", true),
    ]);
    let report = app.settle(&batch).await;
    assert_eq!(report.count(OutcomeKind::SignedOut), 3);
    assert_eq!(
        app.cognito().actions_on("taken"),
        [Action::Disable, Action::SignOut]
    );
    assert_eq!(
        app.cognito().actions_on("leaked"),
        [Action::ResetPassword, Action::SignOut]
    );
    assert_eq!(
        app.cognito().actions_on("both"),
        [Action::ResetPassword, Action::Disable, Action::SignOut],
        "both findings: the union"
    );
}

#[tokio::test]
async fn a_security_hub_custom_action_says_which_actions_to_take() {
    let app = TestApp::with_vars(&[ALL_ALLOWED]);
    let mut event: Value =
        serde_json::from_str(include_str!("../../events/securityhub-custom-action.json")).unwrap();
    event["resources"] =
        json!(["arn:aws:securityhub:us-east-1:123456789012:action/custom/DisableUser"]);
    let report = app.settle(&batch_from_json(&event.to_string())).await;
    assert_eq!(report.count(OutcomeKind::SignedOut), 1);
    let user = report.settlements[0]
        .target()
        .unwrap()
        .user
        .as_str()
        .to_owned();
    assert_eq!(
        app.cognito().actions_on(&user),
        [Action::Disable, Action::SignOut]
    );

    // The same custom action under the default bound: signed out, then dead-lettered.
    let bounded = TestApp::with_vars(&[]);
    let report = bounded.settle(&batch_from_json(&event.to_string())).await;
    assert_eq!(
        outcomes(&report),
        [(OutcomeKind::DeadLettered, Some(ErrorClass::ForbiddenAction))]
    );
    assert_eq!(bounded.cognito().actions_on(&user), [Action::SignOut]);
}

#[tokio::test]
async fn an_imported_finding_asks_with_its_product_fields() {
    let app = TestApp::with_vars(&[ALL_ALLOWED]);
    let mut event: Value =
        serde_json::from_str(include_str!("../../events/securityhub-imported.json")).unwrap();
    let findings = event["detail"]["findings"].as_array_mut().unwrap();
    findings.truncate(1);
    findings[0]["ProductFields"]["Actions"] = json!("reset-password");
    let report = app.settle(&batch_from_json(&event.to_string())).await;
    let user = report.settlements[0]
        .target()
        .unwrap()
        .user
        .as_str()
        .to_owned();
    assert_eq!(
        app.cognito().actions_on(&user),
        [Action::ResetPassword, Action::SignOut]
    );
}

#[tokio::test]
async fn a_dry_run_says_which_actions_it_would_take_and_takes_none() {
    let app = TestApp::with_vars(&[ALL_ALLOWED, ("DRY_RUN", "true")]);
    let report = app
        .send_alerts(&[("m1", &asking("alice", json!(["disable"])))])
        .await;
    assert_eq!(outcomes(&report), [(OutcomeKind::SignedOut, None)]);
    assert_eq!(
        report.settlements[0].taken().names(),
        ["disable", "sign-out"]
    );
    assert!(app.cognito().updates().is_empty());
}

#[tokio::test]
async fn the_lock_actions_take_the_rate_caps_slots_like_the_sign_out() {
    // Three user-update calls for one user under a cap of two a second: the third waits.
    let app = TestApp::with_vars(&[ALL_ALLOWED, ("MAX_REQUESTS_PER_SECOND", "2")]);
    let started = tokio::time::Instant::now();
    app.send_alerts(&[("m1", &asking("alice", json!(["reset-password", "disable"])))])
        .await;
    assert_eq!(app.cognito().updates().len(), 3);
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
}
