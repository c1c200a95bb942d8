//! The local AWS: a `moto_server` process on a free loopback port, started per test and
//! killed when dropped (also when the test panics), with helpers to build Cognito users that
//! hold live sessions, to read dead-letter queues, and to set up the cutoff table. Moto mints
//! real RS256 tokens (`sub`, `iat`, `auth_time`, `client_id`/`aud`, `token_use`, and `iss` =
//! `https://cognito-idp.<region>.amazonaws.com/<poolId>`, whatever the endpoint) and serves
//! each pool's JWKS at `/<poolId>/.well-known/jwks.json`.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ExplicitAuthFlowsType, MessageActionType,
};
use aws_sdk_cognitoidentityprovider::Client as Cognito;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client as DynamoDb;
use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client as Sqs;

/// The region every test client and resource is in.
pub const REGION: &str = "us-east-1";
/// The password of every test user.
pub const PASSWORD: &str = "Correct-Horse-9-Battery";

/// A running moto server.
pub struct Moto {
    child: Child,
    /// The server's URL, for SDK clients and the binaries.
    pub endpoint: String,
    /// The server's log file.
    pub log: PathBuf,
}

impl Moto {
    /// Starts `moto_server` (from `$MOTO_SERVER`, else the PATH) and waits until it answers.
    pub async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".to_owned());
        let log = std::env::temp_dir().join(format!("moto-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("moto log file");
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} ({e}); run scripts/test, which installs moto into .venv"));
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
        };
        let started = Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto_server did not start; see {}",
                moto.log.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        moto
    }

    /// SDK configuration for this server: its endpoint, dummy credentials, `us-east-1`.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .load()
            .await
    }

    /// The environment variables that point the real binary at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_REGION", REGION),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A user pool with an app client that allows admin password sign-in and refresh.
pub struct Pool {
    /// The pool id.
    pub id: String,
    /// The app client's id.
    pub client_id: String,
}

/// Creates the pool `name` and its app client.
pub async fn create_pool(cognito: &Cognito, name: &str) -> Pool {
    let pool = cognito
        .create_user_pool()
        .pool_name(name)
        .send()
        .await
        .expect("create pool");
    let id = pool
        .user_pool()
        .and_then(|p| p.id())
        .expect("pool id")
        .to_owned();
    let client = cognito
        .create_user_pool_client()
        .user_pool_id(&id)
        .client_name("app")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .expect("create app client");
    let client_id = client
        .user_pool_client()
        .and_then(|c| c.client_id())
        .expect("client id")
        .to_owned();
    Pool { id, client_id }
}

/// Creates `username` with a permanent password, signs it in, and returns its refresh token.
pub async fn user_with_session(cognito: &Cognito, pool: &Pool, username: &str) -> String {
    create_user(cognito, pool, username).await;
    authenticate(cognito, pool, username)
        .await
        .refresh_token()
        .expect("a refresh token")
        .to_owned()
}

/// `username`'s password sign-in (`ADMIN_USER_PASSWORD_AUTH`): its tokens.
async fn authenticate(
    cognito: &Cognito,
    pool: &Pool,
    username: &str,
) -> aws_sdk_cognitoidentityprovider::types::AuthenticationResultType {
    cognito
        .admin_initiate_auth()
        .user_pool_id(&pool.id)
        .client_id(&pool.client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("sign in")
        .authentication_result
        .expect("tokens")
}

/// Whether `refresh_token` still buys new tokens; `Err` carries Cognito's error code.
pub async fn refresh(cognito: &Cognito, pool: &Pool, refresh_token: &str) -> Result<(), String> {
    cognito
        .admin_initiate_auth()
        .user_pool_id(&pool.id)
        .client_id(&pool.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", refresh_token)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
            e.code().unwrap_or("no code").to_owned()
        })
}

/// Creates a queue (FIFO when the name ends in `.fifo`) and returns its URL.
pub async fn create_queue(sqs: &Sqs, name: &str) -> String {
    let mut request = sqs.create_queue().queue_name(name);
    if name.ends_with(".fifo") {
        request = request.attributes(QueueAttributeName::FifoQueue, "true");
    }
    request
        .send()
        .await
        .expect("create queue")
        .queue_url()
        .expect("queue url")
        .to_owned()
}

/// A message read from a queue: body, string attributes, and FIFO group id.
#[derive(Debug, Clone)]
pub struct Received {
    /// The body.
    pub body: String,
    /// The string message attributes.
    pub attributes: HashMap<String, String>,
    /// The FIFO `MessageGroupId`, if any.
    pub group_id: Option<String>,
    /// `ApproximateReceiveCount`.
    pub receive_count: u32,
}

/// Reads (and deletes) everything in a queue.
pub async fn drain(sqs: &Sqs, url: &str) -> Vec<Received> {
    let mut out = Vec::new();
    loop {
        let batch = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive");
        let messages = batch.messages.unwrap_or_default();
        if messages.is_empty() {
            return out;
        }
        for m in messages {
            let attributes = m
                .message_attributes()
                .map(|a| {
                    a.iter()
                        .filter_map(|(k, v)| v.string_value().map(|s| (k.clone(), s.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            let system = m.attributes();
            let group_id = system
                .and_then(|a| {
                    a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId)
                })
                .cloned();
            let receive_count = system
                .and_then(|a| {
                    a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
                })
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            if let Some(handle) = m.receipt_handle() {
                sqs.delete_message()
                    .queue_url(url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("delete");
            }
            out.push(Received {
                body: m.body().unwrap_or_default().to_owned(),
                attributes,
                group_id,
                receive_count,
            });
        }
    }
}

/// A signed-in user's tokens.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The access token.
    pub access: String,
    /// The ID token.
    pub id: String,
}

/// Creates `username` with a permanent password.
pub async fn create_user(cognito: &Cognito, pool: &Pool, username: &str) {
    cognito
        .admin_create_user()
        .user_pool_id(&pool.id)
        .username(username)
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .expect("create user");
    cognito
        .admin_set_user_password()
        .user_pool_id(&pool.id)
        .username(username)
        .password(PASSWORD)
        .permanent(true)
        .send()
        .await
        .expect("set password");
}

/// Signs `username` in and returns its access and ID tokens.
pub async fn sign_in(cognito: &Cognito, pool: &Pool, username: &str) -> Tokens {
    let result = authenticate(cognito, pool, username).await;
    Tokens {
        access: result.access_token().expect("an access token").to_owned(),
        id: result.id_token().expect("an ID token").to_owned(),
    }
}

/// The user's `sub` attribute.
pub async fn sub_of(cognito: &Cognito, pool: &Pool, username: &str) -> String {
    cognito
        .admin_get_user()
        .user_pool_id(&pool.id)
        .username(username)
        .send()
        .await
        .expect("get user")
        .user_attributes()
        .iter()
        .find(|a| a.name() == "sub")
        .and_then(|a| a.value())
        .expect("a sub attribute")
        .to_owned()
}

/// Creates the cutoff table of docs/revocation.md: `pk` (S), the only key, on demand.
pub async fn create_cutoff_table(dynamodb: &DynamoDb, name: &str) {
    dynamodb
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create table");
}

/// The cutoff item of `sub` in `pool_id` (key `<poolId>#<sub>`, docs/revocation.md), read
/// strongly consistently from the table `name`; `None` when there is none.
pub async fn cutoff_item(
    dynamodb: &DynamoDb,
    name: &str,
    pool_id: &str,
    sub: &str,
) -> Option<HashMap<String, AttributeValue>> {
    dynamodb
        .get_item()
        .table_name(name)
        .key("pk", AttributeValue::S(format!("{pool_id}#{sub}")))
        .consistent_read(true)
        .send()
        .await
        .expect("get item")
        .item
}

/// A rule on the default bus that sends every `detail-type` of `detail_type` to the queue
/// `queue_url` (moto delivers rule targets), as a user's event consumer would.
pub async fn route_events_to_queue(
    events: &aws_sdk_eventbridge::Client,
    sqs: &Sqs,
    detail_type: &str,
    queue_url: &str,
) {
    let arn = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("a queue ARN");
    events
        .put_rule()
        .name("signed-out-events")
        .event_pattern(serde_json::json!({"detail-type": [detail_type]}).to_string())
        .send()
        .await
        .expect("put rule");
    events
        .put_targets()
        .rule("signed-out-events")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(arn)
                .build()
                .expect("a target"),
        )
        .send()
        .await
        .expect("put targets");
}

/// The SDK configuration of another account on moto: `sdk` with the credentials of an
/// assumed role in `account` (moto keeps accounts apart by the credentials the calls carry).
pub async fn account_sdk(sdk: &SdkConfig, account: &str) -> SdkConfig {
    let assumed = aws_sdk_sts::Client::new(sdk)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/member"))
        .role_session_name("set-up")
        .send()
        .await
        .expect("moto assumes any role");
    let creds = assumed.credentials().expect("credentials");
    sdk.to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    creds.access_key_id(),
                    creds.secret_access_key(),
                    Some(creds.session_token().to_owned()),
                    None,
                    "member",
                ),
            ),
        )
        .build()
}
