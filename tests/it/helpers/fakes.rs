//! The in-memory fakes of the responder's three ports: [`FakeCognito`], [`FakeRevocations`],
//! [`FakeDeadLetters`], each recording what it was asked and answering as a test scripts it.

use super::*;

/// What the fake Cognito answers for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Ok,
    Fail(ErrorClass),
}

/// An in-memory Cognito: answers per username (default `Ok`), after an optional delay in
/// tokio time, and records every call and the most calls ever in flight at once.
#[derive(Debug, Default)]
pub struct FakeCognito {
    answers: Mutex<HashMap<String, Answer>>,
    delay: Duration,
    calls: Mutex<Vec<(Target, Instant)>>,
    lookups: Mutex<Vec<Target>>,
    lookup_answers: Mutex<HashMap<String, Answer>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Every user-update call: the action, the user, when it started and when it returned.
    updates: Mutex<Vec<(Action, Target, Instant, Instant)>>,
    /// Answers of the lock actions, per user and action (default `Ok`).
    lock_answers: Mutex<HashMap<(String, Action), Answer>>,
    /// Users whose status is `RESET_REQUIRED` (a successful reset puts them there).
    reset_required: Mutex<std::collections::HashSet<String>>,
    /// Users a successful disable disabled.
    disabled: Mutex<std::collections::HashSet<String>>,
}

impl FakeCognito {
    /// `action` on `user` answers `answer`.
    pub fn lock_answer(self, user: &str, action: Action, answer: Answer) -> Self {
        self.lock_answers
            .lock()
            .unwrap()
            .insert((user.to_owned(), action), answer);
        self
    }

    /// `user` starts in `RESET_REQUIRED`.
    pub fn reset_pending(self, user: &str) -> Self {
        self.reset_required.lock().unwrap().insert(user.to_owned());
        self
    }

    /// Every user-update call made: action, user, start and return.
    pub fn updates(&self) -> Vec<(Action, Target, Instant, Instant)> {
        self.updates.lock().unwrap().clone()
    }

    /// The actions called on `user`, in the order they were made.
    pub fn actions_on(&self, user: &str) -> Vec<Action> {
        self.updates()
            .into_iter()
            .filter(|(_, t, _, _)| t.user.as_str() == user)
            .map(|(a, _, _, _)| a)
            .collect()
    }

    /// Whether `user` is disabled.
    pub fn is_disabled(&self, user: &str) -> bool {
        self.disabled.lock().unwrap().contains(user)
    }

    /// Whether `user` is in `RESET_REQUIRED`.
    pub fn is_reset_required(&self, user: &str) -> bool {
        self.reset_required.lock().unwrap().contains(user)
    }

    async fn lock(&self, action: Action, target: &Target) -> Result<(), CallError> {
        let started = Instant::now();
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.updates
            .lock()
            .unwrap()
            .push((action, target.clone(), started, Instant::now()));
        let answer = self
            .lock_answers
            .lock()
            .unwrap()
            .get(&(target.user.as_str().to_owned(), action))
            .copied()
            .unwrap_or(Answer::Ok);
        match answer {
            Answer::Ok => {
                let user = target.user.as_str().to_owned();
                match action {
                    Action::ResetPassword => self.reset_required.lock().unwrap().insert(user),
                    Action::Disable => self.disabled.lock().unwrap().insert(user),
                    Action::SignOut => false,
                };
                Ok(())
            }
            Answer::Fail(class) => {
                let err = api_error(class);
                Err(CallError::new(
                    action.operation(),
                    err.class(),
                    err.code(),
                    err.message(),
                ))
            }
        }
    }
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_delay(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }

    pub fn answer(self, user: &str, answer: Answer) -> Self {
        self.answers.lock().unwrap().insert(user.to_owned(), answer);
        self
    }

    pub fn calls(&self) -> Vec<Target> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| t.clone())
            .collect()
    }

    pub fn call_starts(&self) -> Vec<Instant> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|(_, at)| *at)
            .collect()
    }

    pub fn calls_for(&self, user: &str) -> usize {
        self.calls()
            .iter()
            .filter(|t| t.user.as_str() == user)
            .count()
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn answer_for(&self, user: &str) -> Answer {
        self.answers
            .lock()
            .unwrap()
            .get(user)
            .copied()
            .unwrap_or(Answer::Ok)
    }
}

impl SignOut for FakeCognito {
    async fn sign_out(&self, target: &Target) -> Result<(), CallError> {
        self.calls
            .lock()
            .unwrap()
            .push((target.clone(), Instant::now()));
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let started = Instant::now();
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.updates.lock().unwrap().push((
            Action::SignOut,
            target.clone(),
            started,
            Instant::now(),
        ));
        match self.answer_for(target.user.as_str()) {
            Answer::Ok => Ok(()),
            Answer::Fail(class) => Err(api_error(class)),
        }
    }

    async fn reset_password(&self, target: &Target) -> Result<(), CallError> {
        self.lock(Action::ResetPassword, target).await
    }

    async fn disable(&self, target: &Target) -> Result<(), CallError> {
        self.lock(Action::Disable, target).await
    }

    async fn lookup(&self, target: &Target) -> Result<UserRecord, CallError> {
        self.lookups.lock().unwrap().push(target.clone());
        match self.lookup_answers.lock().unwrap().get(target.user.as_str()) {
            Some(Answer::Fail(ErrorClass::UserNotFound)) => Err(lookup_error(
                &SdkError::service_error(
                    aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserError::UserNotFoundException(
                        api::UserNotFoundException::builder().build(),
                    ),
                    HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::empty()),
                ),
            )),
            Some(Answer::Fail(_)) => Err(lookup_error(&SdkError::<
                aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserError,
                HttpResponse,
            >::timeout_error("lookup timed out"))),
            _ => Ok(UserRecord {
                sub: Subject::parse(&format!("sub-{}", target.user.as_str())).expect("a sub"),
                reset_required: self.is_reset_required(target.user.as_str()),
            }),
        }
    }
}

impl FakeCognito {
    /// `AdminGetUser` for `user` answers `answer` (`UserNotFound`, or any other class as a
    /// timeout); by default it answers `sub-<user>`.
    pub fn lookup(self, user: &str, answer: Answer) -> Self {
        self.lookup_answers
            .lock()
            .unwrap()
            .insert(user.to_owned(), answer);
        self
    }

    /// The users whose `sub` was looked up, in order.
    pub fn lookups(&self) -> Vec<Target> {
        self.lookups.lock().unwrap().clone()
    }
}

/// In-memory cutoffs and events: records what it was given, and fails the users it is told
/// to (cutoffs or events).
#[derive(Debug, Default, Clone)]
pub struct FakeRevocations {
    /// Strongly consistent reads of the table made.
    reads: Arc<Mutex<usize>>,
    /// What it writes: set from the test's configuration by [`TestApp::spawn_revoking`].
    targets: Arc<Mutex<RevocationTargets>>,
    cutoffs: Arc<Mutex<Vec<Cutoff>>>,
    events: Arc<Mutex<Vec<SignedOut>>>,
    requests: Arc<Mutex<usize>>,
    fail_cutoff: Arc<Mutex<Vec<String>>>,
    fail_event: Arc<Mutex<Vec<String>>>,
}

impl FakeRevocations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes what a deployment with `targets` writes (its scope and retention).
    pub fn with_targets(self, targets: RevocationTargets) -> Self {
        *self.targets.lock().unwrap() = targets;
        self
    }

    /// Recording `user`'s cutoff fails.
    pub fn failing_cutoff(self, user: &str) -> Self {
        self.fail_cutoff.lock().unwrap().push(user.to_owned());
        self
    }

    /// Publishing `user`'s event fails.
    pub fn failing_event(self, user: &str) -> Self {
        self.fail_event.lock().unwrap().push(user.to_owned());
        self
    }

    pub fn cutoffs(&self) -> Vec<Cutoff> {
        self.cutoffs.lock().unwrap().clone()
    }

    pub fn events(&self) -> Vec<SignedOut> {
        self.events.lock().unwrap().clone()
    }

    /// Reads of the table made (the already-signed-out check).
    pub fn reads(&self) -> usize {
        *self.reads.lock().unwrap()
    }

    /// Stores `cutoff` as if another instance had recorded it.
    pub fn seeded(self, cutoff: Cutoff) -> Self {
        self.cutoffs.lock().unwrap().push(cutoff);
        self
    }

    /// `PutEvents` requests made.
    pub fn event_requests(&self) -> usize {
        *self.requests.lock().unwrap()
    }
}

impl Revocations for FakeRevocations {
    fn scope(&self) -> Scope {
        self.targets.lock().unwrap().scope()
    }

    async fn record(&self, user: &SignedOut) -> Result<(), RevocationError> {
        let retention = self.targets.lock().unwrap().retention;
        let cutoff = user.cutoff(retention);
        if self
            .fail_cutoff
            .lock()
            .unwrap()
            .iter()
            .any(|u| u == cutoff.username())
        {
            return Err(RevocationError::Other("table unavailable".into()));
        }
        self.cutoffs.lock().unwrap().push(cutoff);
        Ok(())
    }

    async fn recorded(
        &self,
        target: &Target,
        sub: &Subject,
    ) -> Result<Option<Recorded>, RevocationError> {
        *self.reads.lock().unwrap() += 1;
        let key = format!("{}#{}", target.pool.as_str(), sub.as_str());
        Ok(self
            .cutoffs
            .lock()
            .unwrap()
            .iter()
            // As the table adapter does: an item written for another username is not this
            // user's.
            .filter(|c| c.key().as_str() == key && c.username() == target.user.as_str())
            .map(|c| Recorded {
                revoked_before: c.revoked_before(),
                actions: c
                    .actions()
                    .iter()
                    .filter_map(|a| a.parse::<Action>().ok())
                    .fold(cognito_signout_responder::Actions::NONE, |set, a| {
                        set.with(a)
                    }),
            })
            .reduce(Recorded::merge))
    }

    async fn publish(&self, users: &[SignedOut]) -> Vec<Result<(), RevocationError>> {
        *self.requests.lock().unwrap() += 1;
        users
            .iter()
            .map(|user| {
                if self
                    .fail_event
                    .lock()
                    .unwrap()
                    .iter()
                    .any(|u| u == user.target.user.as_str())
                {
                    return Err(RevocationError::Event(CallError::new(
                        "PutEvents",
                        ErrorClass::Internal,
                        "InternalFailure",
                        "injected",
                    )));
                }
                self.events.lock().unwrap().push(user.clone());
                Ok(())
            })
            .collect()
    }
}

/// An in-memory dead-letter queue that records what it stored, and refuses the letters of
/// the message ids it is told to.
#[derive(Debug, Default, Clone)]
pub struct FakeDeadLetters {
    sent: Arc<Mutex<Vec<DeadLetter>>>,
    refuse: Arc<Mutex<Vec<String>>>,
    refuse_all: bool,
    delay: Duration,
    requests: Arc<Mutex<usize>>,
    queues: Arc<Mutex<Vec<String>>>,
}

impl FakeDeadLetters {
    pub fn new() -> Self {
        Self::default()
    }

    /// A queue that takes `delay` (tokio time) to store each letter.
    pub fn slow(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }

    pub fn refusing_all() -> Self {
        Self {
            refuse_all: true,
            ..Self::default()
        }
    }

    pub fn refuse(self, message_id: &str) -> Self {
        self.refuse.lock().unwrap().push(message_id.to_owned());
        self
    }

    pub fn sent(&self) -> Vec<DeadLetter> {
        self.sent.lock().unwrap().clone()
    }

    pub fn sent_ids(&self) -> Vec<String> {
        self.sent()
            .into_iter()
            .map(|l| l.deduplication_id)
            .collect()
    }
}

impl FakeDeadLetters {
    /// How many batch requests were made.
    pub fn requests(&self) -> usize {
        *self.requests.lock().unwrap()
    }

    /// The queue each stored letter went to, in order.
    pub fn queues(&self) -> Vec<String> {
        self.queues.lock().unwrap().clone()
    }
}

impl DeadLetters for FakeDeadLetters {
    async fn send_batch(
        &self,
        queue: &QueueUrl,
        letters: &[DeadLetter],
    ) -> Vec<Result<(), DeadLetterError>> {
        *self.requests.lock().unwrap() += 1;
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        letters
            .iter()
            .map(|letter| {
                if self.refuse_all
                    || self
                        .refuse
                        .lock()
                        .unwrap()
                        .contains(&letter.deduplication_id)
                {
                    return Err(DeadLetterError::Other("queue unavailable".into()));
                }
                self.sent.lock().unwrap().push(letter.clone());
                self.queues.lock().unwrap().push(queue.to_string());
                Ok(())
            })
            .collect()
    }
}
