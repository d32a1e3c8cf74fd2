//! The whole login against the test DC, in one process: the code, a wrong code, a
//! migration, 2FA (SRP, checked by the server for real), sign-up, bots, resend, cancel,
//! log-out and the way back in with the future auth token, and a sign-in carried across
//! processes through the session file.

mod common;
use common::config_for;

use std::time::Duration;

use tgauth::client::{Client, ClientConfig, CodeTypeKind, Error, ErrorKind, SentCodeKind};
use tgauth::testdc::{TestDc, TestDcOptions};

async fn start() -> TestDc {
    start_with(TestDcOptions::default()).await
}

async fn start_with(options: TestDcOptions) -> TestDc {
    TestDc::start(options).await.expect("test DC starts")
}

fn client(dc: &TestDc, home: i32) -> Client {
    Client::new(config_for(dc, home)).unwrap()
}

fn settings() -> grammers_tl_types::types::CodeSettings {
    tgauth::client::default_code_settings()
}

fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// Sends a code and reads it back from the test DC: (phone_code_hash, code).
async fn code_for(dc: &TestDc, client: &Client, phone: &str) -> (String, String) {
    let info = dc.info();
    let sent = client
        .send_code(phone, info.api_id, &info.api_hash, settings())
        .await
        .unwrap_or_else(|e| panic!("send_code {phone}: {e}"));
    assert_eq!(sent.kind, Some(SentCodeKind::Code), "{sent:?}");
    let code = dc
        .codes_for(phone)
        .into_iter()
        .rfind(|c| c.phone_code_hash == sent.phone_code_hash)
        .expect("the test DC kept the code")
        .code;
    (sent.phone_code_hash, code)
}

fn rpc(result: Result<impl std::fmt::Debug, Error>) -> (i32, String) {
    match result {
        Err(e) if e.kind == ErrorKind::Rpc => (e.code, e.name),
        other => panic!("expected an RPC error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signs_in_with_the_code_after_a_migration() {
    let dc = start().await;
    // The number belongs to DC 3; the client starts on DC 1 and follows PHONE_MIGRATE_3.
    let phone = "+9996631001";
    let client = client(&dc, 1);
    let (hash, code) = code_for(&dc, &client, phone).await;
    assert_eq!(code, "33333");
    assert_eq!(client.home_dc(), 3);
    let auth = client.sign_in(phone, &hash, &code).await.unwrap();
    let user = auth.user.expect("signed in");
    assert_eq!(user.id, digits(phone).parse::<i64>().unwrap());
    assert_eq!(user.first_name, "Test");
    assert_eq!(user.phone.as_deref(), Some(digits(phone).as_str()));
    assert!(!user.bot);
    assert!(auth.sign_up_required.is_none());
    let me = client
        .signed_in()
        .expect("the session knows who is signed in");
    assert_eq!((me.id, me.bot), (user.id, false));
    // A hash is good for one successful sign-in.
    assert_eq!(
        rpc(client.sign_in(phone, &hash, &code).await),
        (400, "PHONE_CODE_EXPIRED".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_and_empty_codes_are_refused_and_the_hash_survives_them() {
    let dc = start().await;
    let phone = "+9996621002";
    let client = client(&dc, 2);
    let (hash, code) = code_for(&dc, &client, phone).await;
    assert_eq!(
        rpc(client.sign_in(phone, &hash, "12345").await),
        (400, "PHONE_CODE_INVALID".into())
    );
    assert_eq!(
        rpc(client.sign_in(phone, &hash, "").await),
        (400, "PHONE_CODE_EMPTY".into())
    );
    assert_eq!(
        rpc(client.sign_in(phone, "not-a-hash", &code).await),
        (400, "PHONE_CODE_EXPIRED".into())
    );
    assert!(client.signed_in().is_none());
    let auth = client.sign_in(phone, &hash, &code).await.unwrap();
    assert!(auth.is_signed_in());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_after_a_migration_with_a_wrong_password_first() {
    let dc = start().await;
    let info = dc.info().clone();
    // A 2FA account of DC 2, reached from DC 1.
    let phone = "+9996721003";
    let client = client(&dc, 1);
    let (hash, code) = code_for(&dc, &client, phone).await;
    assert_eq!(client.home_dc(), 2);
    assert_eq!(
        rpc(client.sign_in(phone, &hash, &code).await),
        (401, "SESSION_PASSWORD_NEEDED".into())
    );
    assert!(client.signed_in().is_none());
    let hint = client.password_info().await.unwrap();
    assert!(hint.has_password);
    assert_eq!(hint.hint.as_deref(), Some("the usual one"));
    assert_eq!(
        rpc(client.check_password("not the password").await),
        (400, "PASSWORD_HASH_INVALID".into())
    );
    let auth = client.check_password(&info.password).await.unwrap();
    let user = auth.user.expect("signed in after the password");
    assert_eq!(user.id, digits(phone).parse::<i64>().unwrap());
    assert_eq!(client.signed_in().map(|u| u.id), Some(user.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_number_signs_up_with_the_names_given() {
    let dc = start().await;
    let phone = "+9996811004";
    let client = client(&dc, 1);
    let info = dc.info().clone();
    let sent = client
        .send_code(phone, info.api_id, &info.api_hash, settings())
        .await
        .unwrap();
    // No app is logged in on a number without an account: the first code goes by SMS.
    assert_eq!(sent.code_type, Some(CodeTypeKind::Sms));
    let code = dc.codes_for(phone).last().unwrap().code.clone();
    let auth = client
        .sign_in(phone, &sent.phone_code_hash, &code)
        .await
        .unwrap();
    assert!(auth.user.is_none(), "never signed up silently");
    let tos = auth.sign_up_required.expect("sign-up required");
    assert!(!tos.text.is_empty());
    assert!(client.signed_in().is_none());
    assert_eq!(
        rpc(client.sign_up(phone, &sent.phone_code_hash, "", "").await),
        (400, "FIRSTNAME_INVALID".into())
    );
    let long = "x".repeat(65);
    assert_eq!(
        rpc(client
            .sign_up(phone, &sent.phone_code_hash, &long, "")
            .await),
        (400, "FIRSTNAME_INVALID".into())
    );
    let auth = client
        .sign_up(phone, &sent.phone_code_hash, "Ann", "Lee")
        .await
        .unwrap();
    let user = auth.user.expect("signed up and in");
    assert_eq!(
        (user.first_name.as_str(), user.last_name.as_str()),
        ("Ann", "Lee")
    );
    // The account exists now: another key signs in directly.
    let other = Client::new(config_for(&dc, 1)).unwrap();
    let (hash, code) = code_for(&dc, &other, phone).await;
    let again = other.sign_in(phone, &hash, &code).await.unwrap();
    assert_eq!(again.user.map(|u| u.id), Some(user.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_signs_in_on_its_own_dc() {
    let dc = start().await;
    let info = dc.info().clone();
    let client = client(&dc, 1);
    assert_eq!(
        rpc(client
            .sign_in_bot("123:not-the-token", info.api_id, &info.api_hash)
            .await),
        (400, "ACCESS_TOKEN_INVALID".into())
    );
    let auth = client
        .sign_in_bot(&info.bot_token, info.api_id, &info.api_hash)
        .await
        .unwrap();
    let user = auth.user.expect("the bot is signed in");
    assert!(user.bot);
    assert_eq!(
        user.id.to_string(),
        info.bot_token.split(':').next().unwrap()
    );
    // USER_MIGRATE to the last DC was followed, and that DC is home now.
    assert_eq!(client.home_dc(), 3);
    assert_eq!(client.signed_in().map(|u| u.bot), Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_follows_next_type_and_cancel_kills_the_hash() {
    let dc = start().await;
    let phone = "+9996611005";
    let client = client(&dc, 1);
    let (hash, _) = code_for(&dc, &client, phone).await;
    let again = client.resend_code(phone, &hash, None).await.unwrap();
    assert_eq!(again.code_type, Some(CodeTypeKind::Sms));
    assert_eq!(again.phone_code_hash, hash);
    // Resending walks the next types until there is none left.
    let mut refused = None;
    for _ in 0..4 {
        match client
            .resend_code(phone, &hash, Some("the code never came"))
            .await
        {
            Ok(sent) => assert_eq!(sent.phone_code_hash, hash),
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let e = refused.expect("runs out of next types");
    assert_eq!((e.code, e.name.as_str()), (400, "SEND_CODE_UNAVAILABLE"));

    let (hash, code) = code_for(&dc, &client, phone).await;
    assert!(client.cancel_code(phone, &hash).await.unwrap());
    assert_eq!(
        rpc(client.sign_in(phone, &hash, &code).await),
        (400, "PHONE_CODE_EXPIRED".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_out_and_back_in_without_a_code() {
    let dc = start().await;
    let info = dc.info().clone();
    let phone = "+9996621006";
    let client = client(&dc, 2);
    let (hash, code) = code_for(&dc, &client, phone).await;
    client.sign_in(phone, &hash, &code).await.unwrap();
    let token = client
        .log_out()
        .await
        .unwrap()
        .expect("a future auth token");
    assert!(client.signed_in().is_none());
    assert_eq!(client.future_auth_tokens().first(), Some(&token));
    // A signed-out key cannot log out again.
    assert_eq!(
        rpc(client.log_out().await),
        (401, "AUTH_KEY_UNREGISTERED".into())
    );
    let codes_before = dc.codes_for(phone).len();
    // The session's tokens go with the next send_code: straight back in.
    let sent = client
        .send_code(phone, info.api_id, &info.api_hash, settings())
        .await
        .unwrap();
    assert_eq!(sent.kind, Some(SentCodeKind::Success));
    let auth = sent.authorization.expect("the authorization");
    assert_eq!(
        auth.user.map(|u| u.id),
        Some(digits(phone).parse::<i64>().unwrap())
    );
    assert_eq!(dc.codes_for(phone).len(), codes_before, "no code was sent");
    assert!(client.signed_in().is_some());
}

fn temp_session(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tgauth-login-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("login.session")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_carries_across_processes_through_the_session() {
    let dc = start().await;
    let phone = "+9996611007";
    let path = temp_session("across");
    // "Request one" of a web back end: send the code, keep only the hash.
    let first = Client::new(ClientConfig {
        session_path: Some(path.clone()),
        ..config_for(&dc, 1)
    })
    .unwrap();
    let (hash, code) = code_for(&dc, &first, phone).await;
    first.close();
    drop(first);
    // A client on another key gets what Telegram answers.
    let info = dc.info().clone();
    let stranger = Client::new(ClientConfig {
        app: Some((info.api_id, info.api_hash.clone())),
        ..config_for(&dc, 1)
    })
    .unwrap();
    assert_eq!(
        rpc(stranger.sign_in(phone, &hash, &code).await),
        (400, "PHONE_CODE_EXPIRED".into())
    );
    // "Request two": the same session file and the hash are all sign_in needs (the app's
    // api_id comes from the session).
    let second = Client::new(ClientConfig {
        session_path: Some(path.clone()),
        ..config_for(&dc, 1)
    })
    .unwrap();
    let auth = second.sign_in(phone, &hash, &code).await.unwrap();
    assert!(auth.is_signed_in());
    second.close();
    drop(second);
    // And the session remembers who signed in.
    let third = Client::new(ClientConfig {
        session_path: Some(path.clone()),
        ..config_for(&dc, 1)
    })
    .unwrap();
    assert_eq!(
        third.signed_in().map(|u| u.id),
        Some(digits(phone).parse::<i64>().unwrap())
    );
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_expires_after_the_ttl() {
    let dc = start_with(TestDcOptions {
        code_ttl: Duration::from_secs(1),
        ..TestDcOptions::default()
    })
    .await;
    let phone = "+9996611008";
    let client = client(&dc, 1);
    let (hash, code) = code_for(&dc, &client, phone).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        rpc(client.sign_in(phone, &hash, &code).await),
        (400, "PHONE_CODE_EXPIRED".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_calls_need_an_app_first() {
    let dc = start().await;
    let client = client(&dc, 1);
    let e = client
        .sign_in("+9996611009", "hash", "11111")
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(e.message.contains("api_id"), "{e}");
    // Given once in the config, it serves every call.
    let info = dc.info().clone();
    let configured = Client::new(ClientConfig {
        app: Some((info.api_id, info.api_hash.clone())),
        ..config_for(&dc, 1)
    })
    .unwrap();
    assert_eq!(
        rpc(configured.sign_in("+9996611009", "hash", "11111").await),
        (400, "PHONE_CODE_EXPIRED".into())
    );
}

/// The whole login (code, then the cloud password) for many accounts at once while the
/// test DC drops, delays, corrupts and re-salts messages: every login ends signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_come_through_faults() {
    let dc = std::sync::Arc::new(
        start_with(TestDcOptions {
            faults: "drop=0.05,delay=0.05,bad-salt=0.05,new-session=0.03,time-skew=0.03,\
                     corrupt=0.03,rpc-500=0.03,container=0.1,gzip=0.1"
                .parse()
                .unwrap(),
            code_limit: 0,
            ..TestDcOptions::default()
        })
        .await,
    );
    let info = dc.info().clone();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let client = Client::new(ClientConfig {
            timeout: Duration::from_secs(40),
            ..config_for(&dc, 2)
        })
        .unwrap();
        // Half of them with a cloud password.
        let phone = if i % 2 == 0 {
            format!("+999662{:04}", 2000 + i)
        } else {
            format!("+999672{:04}", 2000 + i)
        };
        let info = info.clone();
        let dc = dc.clone();
        tasks.push(tokio::spawn(async move {
            let sent = client
                .send_code(&phone, info.api_id, &info.api_hash, settings())
                .await
                .map_err(|e| format!("{phone} send_code: {e}"))?;
            let code = dc
                .codes_for(&phone)
                .into_iter()
                .rfind(|c| c.phone_code_hash == sent.phone_code_hash)
                .ok_or(format!("{phone}: no code kept"))?
                .code;
            let auth = match client.sign_in(&phone, &sent.phone_code_hash, &code).await {
                Err(e) if e.is_rpc("SESSION_PASSWORD_NEEDED") => client
                    .check_password(&info.password)
                    .await
                    .map_err(|e| format!("{phone} check_password: {e}"))?,
                other => other.map_err(|e| format!("{phone} sign_in: {e}"))?,
            };
            let id = auth
                .user
                .map(|u| u.id)
                .ok_or(format!("{phone}: not signed in"))?;
            if id != digits(&phone).parse::<i64>().unwrap() {
                return Err(format!("{phone}: signed in as {id}"));
            }
            Ok::<_, String>(())
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        if let Err(e) = t.await.unwrap() {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(dc.stats().faults_injected > 0);
}
