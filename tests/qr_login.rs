//! QR login against the test DC: approved by another signed-in client, across a DC
//! migration, for a 2FA account, and after the first token expired.

use std::time::Duration;

use tgauth::client::{Client, ClientConfig, ErrorKind, LoginToken};
use tgauth::testdc::{TestDc, TestDcOptions};
use tokio::sync::mpsc;

mod common;

/// The test DC's app given once in the config.
fn config_for(dc: &TestDc, home: i32) -> ClientConfig {
    let info = dc.info();
    ClientConfig {
        app: Some((info.api_id, info.api_hash.clone())),
        ..common::config_for(dc, home)
    }
}

/// A client signed in as `phone` (a number without a cloud password).
async fn signed_in(dc: &TestDc, phone: &str) -> Client {
    let home = phone.as_bytes()[6] - b'0';
    let client = Client::new(config_for(dc, home as i32)).unwrap();
    let info = dc.info();
    let sent = client
        .send_code(
            phone,
            info.api_id,
            &info.api_hash,
            tgauth::client::default_code_settings(),
        )
        .await
        .unwrap();
    let code = dc.codes_for(phone).last().unwrap().code.clone();
    client
        .sign_in(phone, &sent.phone_code_hash, &code)
        .await
        .unwrap();
    client
}

/// Starts a QR login on `client`; the tokens it shows come out of the receiver.
fn start_qr(
    client: &Client,
    dc: &TestDc,
    wait: Duration,
) -> (
    mpsc::UnboundedReceiver<LoginToken>,
    tokio::task::JoinHandle<Result<tgauth::client::Authorization, tgauth::client::Error>>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let info = dc.info().clone();
    let client = client.clone();
    let task = tokio::spawn(async move {
        client
            .qr_login(info.api_id, &info.api_hash, wait, move |t| {
                let _ = tx.send(t.clone());
            })
            .await
    });
    (rx, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_client_approves_and_the_login_finishes() {
    let dc = TestDc::start(TestDcOptions::default()).await.unwrap();
    let approver = signed_in(&dc, "+9996621101").await;
    let client = Client::new(config_for(&dc, 2)).unwrap();
    let (mut tokens, task) = start_qr(&client, &dc, Duration::from_secs(30));
    let token = tokens.recv().await.expect("a token to show");
    assert!(token.url.starts_with("tg://login?token="));
    assert_eq!(token.token.len(), 32);
    let accepted = approver.accept_login_token(&token.url).await.unwrap();
    assert_eq!(accepted.api_id, dc.info().api_id);
    let auth = task.await.unwrap().expect("the QR login finishes");
    assert_eq!(auth.user.map(|u| u.id), Some(9996621101));
    assert_eq!(client.signed_in().map(|u| u.id), Some(9996621101));
    // The same token cannot be accepted twice.
    let e = approver.accept_login_token(&token.url).await.unwrap_err();
    assert_eq!(
        (e.code, e.name.as_str()),
        (400, "AUTH_TOKEN_ALREADY_ACCEPTED")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_of_another_dc_migrates_the_login_there() {
    let dc = TestDc::start(TestDcOptions::default()).await.unwrap();
    let client = Client::new(config_for(&dc, 1)).unwrap();
    let (mut tokens, task) = start_qr(&client, &dc, Duration::from_secs(30));
    let token = tokens.recv().await.unwrap();
    dc.accept_login_token(&token.url, "+9996631102").unwrap();
    let auth = task.await.unwrap().expect("imported on DC 3");
    assert_eq!(auth.user.map(|u| u.id), Some(9996631102));
    assert_eq!(client.home_dc(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_factor_account_asks_for_the_password_after_the_import() {
    let dc = TestDc::start(TestDcOptions::default()).await.unwrap();
    let client = Client::new(config_for(&dc, 1)).unwrap();
    let (mut tokens, task) = start_qr(&client, &dc, Duration::from_secs(30));
    let token = tokens.recv().await.unwrap();
    dc.accept_login_token(&token.url, "+9996721103").unwrap();
    let e = task.await.unwrap().unwrap_err();
    assert_eq!((e.code, e.name.as_str()), (401, "SESSION_PASSWORD_NEEDED"));
    assert_eq!(client.home_dc(), 2);
    assert!(client.signed_in().is_none());
    let password = dc.info().password.clone();
    let auth = client.check_password(&password).await.unwrap();
    assert_eq!(auth.user.map(|u| u.id), Some(9996721103));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_approving_is_a_timeout_and_bad_tokens_are_refused() {
    let dc = TestDc::start(TestDcOptions::default()).await.unwrap();
    let client = Client::new(config_for(&dc, 2)).unwrap();
    let (mut tokens, task) = start_qr(&client, &dc, Duration::from_secs(2));
    assert!(tokens.recv().await.is_some());
    let e = task.await.unwrap().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout);

    let approver = signed_in(&dc, "+9996621104").await;
    let e = approver
        .accept_login_token("tg://login?token=AAAA")
        .await
        .unwrap_err();
    assert_eq!((e.code, e.name.as_str()), (400, "AUTH_TOKEN_INVALID"));
    let e = approver
        .accept_login_token("not a token!")
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    // Approving needs a signed-in key.
    let stranger = Client::new(config_for(&dc, 2)).unwrap();
    let (mut tokens, task) = start_qr(&client, &dc, Duration::from_secs(20));
    let token = tokens.recv().await.unwrap();
    let e = stranger.accept_login_token(&token.url).await.unwrap_err();
    assert_eq!((e.code, e.name.as_str()), (401, "AUTH_KEY_UNREGISTERED"));
    approver.accept_login_token(&token.url).await.unwrap();
    assert!(task.await.unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_replaced_by_a_new_url() {
    let dc = TestDc::start(TestDcOptions::default()).await.unwrap();
    let client = Client::new(config_for(&dc, 2)).unwrap();
    let (mut tokens, task) = start_qr(&client, &dc, Duration::from_secs(90));
    let first = tokens.recv().await.unwrap();
    // Tokens live 30 s on the test DC: the next one comes by itself.
    let second = tokens.recv().await.unwrap();
    assert_ne!(first.url, second.url);
    assert!(second.expires > first.expires);
    // `expires` is in whole seconds: the first token may have up to a second left.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let e = dc
        .accept_login_token(&first.url, "+9996621105")
        .unwrap_err();
    assert!(e.contains("EXPIRED"), "{e}");
    dc.accept_login_token(&second.url, "+9996621105").unwrap();
    let auth = task.await.unwrap().unwrap();
    assert_eq!(auth.user.map(|u| u.id), Some(9996621105));
}
