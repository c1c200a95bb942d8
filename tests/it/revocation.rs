//! What follows a sign-out when revocation is on (docs/revocation.md), through the fakes: the
//! `sub` lookup shared like the sign-out, the cutoff, the events in `PutEvents` batches, and
//! what a failure after the sign-out means for the records.

use cognito_signout_responder::{ErrorClass, OutcomeKind};

use crate::helpers::*;

const REVOKING: [(&str, &str); 2] = [
    ("REVOCATION_TABLE", "cutoffs"),
    ("EVENT_BUS_NAME", "security"),
];

fn revoking_app(cognito: FakeCognito, revocations: FakeRevocations) -> TestApp {
    TestApp::spawn_revoking(cognito, FakeDeadLetters::new(), revocations, &REVOKING)
}

#[tokio::test]
async fn a_signed_out_user_gets_a_cutoff_keyed_by_sub_and_one_event() {
    let app = revoking_app(FakeCognito::new(), FakeRevocations::new());
    let before = std::time::SystemTime::now();
    let report = app
        .send_alerts(&[("m1", &request("alice")), ("m2", &request("alice"))])
        .await;
    assert_eq!(report.count(OutcomeKind::SignedOut), 2);
    assert_eq!(app.cognito().calls_for("alice"), 1);
    assert_eq!(
        app.cognito().lookups().len(),
        1,
        "the lookup is shared like the call"
    );
    let cutoffs = app.revocations().cutoffs();
    assert_eq!(cutoffs.len(), 1);
    let cutoff = &cutoffs[0];
    assert_eq!(cutoff.key().as_str(), format!("{POOL}#sub-alice"));
    assert_eq!(cutoff.alert_message_id(), "m1");
    let now = cognito_revocation::UnixSeconds::ceil(std::time::SystemTime::now());
    assert!(cutoff.revoked_before() >= cognito_revocation::UnixSeconds::floor(before));
    assert!(cutoff.revoked_before() <= now);
    assert_eq!(
        cutoff.expires_at().get(),
        cutoff.revoked_before().get() + 86_400
    );
    let events = app.revocations().events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].alert_message_ids, ["m1", "m2"]);
    assert_eq!(report.cutoffs_recorded, 1);
    assert_eq!(report.events_published, 1);
}

#[tokio::test]
async fn events_of_many_users_go_in_requests_of_ten() {
    let app = revoking_app(FakeCognito::new(), FakeRevocations::new());
    let report = app.settle(&users_batch(25)).await;
    assert_eq!(report.count(OutcomeKind::SignedOut), 25);
    assert_eq!(app.revocations().events().len(), 25);
    assert_eq!(app.revocations().event_requests(), 3);
}

#[tokio::test]
async fn nothing_follows_a_sign_out_when_revocation_is_off_or_in_a_dry_run() {
    let off = TestApp::with_vars(&[]);
    off.send_alerts(&[("m1", &request("alice"))]).await;
    assert!(off.cognito().lookups().is_empty());
    assert!(off.revocations().cutoffs().is_empty());

    let mut vars = REVOKING.to_vec();
    vars.push(("DRY_RUN", "true"));
    let dry = TestApp::spawn(FakeCognito::new(), FakeDeadLetters::new(), &vars);
    let report = dry.send_alerts(&[("m1", &request("alice"))]).await;
    assert_eq!(report.count(OutcomeKind::SignedOut), 1);
    assert!(dry.cognito().calls().is_empty());
    assert!(dry.cognito().lookups().is_empty());
    assert!(dry.revocations().cutoffs().is_empty());
    assert!(dry.revocations().events().is_empty());
}

#[tokio::test]
async fn a_cutoff_that_cannot_be_recorded_makes_the_users_records_retries() {
    let app = revoking_app(
        FakeCognito::new(),
        FakeRevocations::new().failing_cutoff("alice"),
    );
    let report = app
        .send_alerts(&[
            ("m1", &request("alice")),
            ("m2", &request("bob")),
            ("m3", &request("alice")),
        ])
        .await;
    let got: Vec<_> = report
        .settlements
        .iter()
        .map(|s| (s.kind(), s.class()))
        .collect();
    assert_eq!(
        got,
        [
            (OutcomeKind::Retry, Some(ErrorClass::Unknown)),
            (OutcomeKind::SignedOut, None),
            (OutcomeKind::Retry, Some(ErrorClass::Unknown)),
        ]
    );
    assert_eq!(
        app.cognito().calls_for("alice"),
        1,
        "signed out before the failure"
    );
    // The cutoff is written last (docs/revocation.md): alice's event went out before her
    // cutoff failed, and her retried alert publishes it again (consumers see a redelivery).
    let mut users: Vec<String> = app
        .revocations()
        .events()
        .iter()
        .map(|e| e.target.user.as_str().to_owned())
        .collect();
    users.sort();
    assert_eq!(users, ["alice", "bob"]);
    assert_eq!(report.cutoff_failures, 1);
}

#[tokio::test]
async fn an_event_that_is_refused_retries_only_its_users_records() {
    let app = revoking_app(
        FakeCognito::new(),
        FakeRevocations::new().failing_event("bob"),
    );
    let report = app
        .send_alerts(&[("m1", &request("alice")), ("m2", &request("bob"))])
        .await;
    let got: Vec<_> = report
        .settlements
        .iter()
        .map(|s| (s.kind(), s.class()))
        .collect();
    assert_eq!(
        got,
        [
            (OutcomeKind::SignedOut, None),
            (OutcomeKind::Retry, Some(ErrorClass::Internal)),
        ]
    );
    assert_eq!(app.revocations().event_requests(), 1);
    assert_eq!(report.event_failures, 1);
}

#[tokio::test]
async fn a_user_the_lookup_cannot_find_is_user_not_found() {
    let app = revoking_app(
        FakeCognito::new().lookup("alice", Answer::Fail(ErrorClass::UserNotFound)),
        FakeRevocations::new(),
    );
    let report = app.send_alerts(&[("m1", &request("alice"))]).await;
    assert_eq!(
        (report.settlements[0].kind(), report.settlements[0].class()),
        (OutcomeKind::DeadLettered, Some(ErrorClass::UserNotFound))
    );
    assert_eq!(
        app.letters()[0].attributes["ErrorCode"],
        "UserNotFoundException"
    );
    assert!(app.revocations().cutoffs().is_empty());
}

#[tokio::test]
async fn a_lookup_that_times_out_is_retried_as_transport() {
    let app = revoking_app(
        FakeCognito::new().lookup("alice", Answer::Fail(ErrorClass::Transport)),
        FakeRevocations::new(),
    );
    let report = app.send_alerts(&[("m1", &request("alice"))]).await;
    assert_eq!(
        (report.settlements[0].kind(), report.settlements[0].class()),
        (OutcomeKind::Retry, Some(ErrorClass::Transport))
    );
}
