//! The client core against the test DC, in one process: success, migration, every
//! reserved number, flood waits, key loss, timeouts and many requests at once.

mod common;
use common::config_for;

use std::time::{Duration, Instant};

use grammers_tl_types::types::CodeSettings;
use tgauth::client::{Client, ClientConfig, CodeTypeKind, ErrorKind, SentCodeKind};
use tgauth::protocol::transport::TransportKind;
use tgauth::testdc::{TestDc, TestDcOptions};

fn settings() -> CodeSettings {
    tgauth::client::default_code_settings()
}

async fn start(options: TestDcOptions) -> TestDc {
    TestDc::start(options).await.expect("test DC starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_a_code_on_each_dc_over_each_transport() {
    let dc = start(TestDcOptions::default()).await;
    let info = dc.info().clone();
    let kinds = [
        (TransportKind::Abridged, false),
        (TransportKind::Intermediate, false),
        (TransportKind::PaddedIntermediate, false),
        (TransportKind::Full, false),
        (TransportKind::Abridged, true),
        (TransportKind::Intermediate, true),
        (TransportKind::PaddedIntermediate, true),
    ];
    for (n, (kind, obfuscated)) in kinds.into_iter().enumerate() {
        for home in 1..=3 {
            let client = Client::new(ClientConfig {
                transport: kind,
                obfuscated,
                ..config_for(&dc, home)
            })
            .unwrap();
            let phone = format!("+99966{home}{:04}", n * 10 + home as usize);
            let sent = client
                .send_code(&phone, info.api_id, &info.api_hash, settings())
                .await
                .unwrap_or_else(|e| panic!("{kind:?} obfuscated={obfuscated} DC {home}: {e}"));
            assert_eq!(sent.kind, Some(SentCodeKind::Code));
            assert_eq!(sent.code_type, Some(CodeTypeKind::App));
            assert_eq!(sent.length, Some(5));
            assert_eq!(sent.next_type, Some(CodeTypeKind::Sms));
            assert_eq!(sent.timeout, Some(60));
            let codes = dc.codes_for(&phone);
            assert_eq!(
                codes.len(),
                1,
                "{kind:?} obfuscated={obfuscated} DC {home}: {codes:?}"
            );
            assert_eq!(codes[0].code, home.to_string().repeat(5));
            assert_eq!(codes[0].phone_code_hash, sent.phone_code_hash);
            assert_eq!(codes[0].dc_id, home);
        }
    }
    // 21 new keys: the test DC had (a, g_a) ready for some of them.
    let stats = dc.stats();
    assert_eq!(stats.auth_keys_created, 21);
    assert!(stats.dh_pairs_ready_made >= 1, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_phone_and_network_migrations() {
    let dc = start(TestDcOptions::default()).await;
    let info = dc.info().clone();
    let client = Client::new(config_for(&dc, 1)).unwrap();
    let sent = client
        .send_code("+9996631234", info.api_id, &info.api_hash, settings())
        .await
        .unwrap();
    assert_eq!(sent.code_type, Some(CodeTypeKind::App));
    assert_eq!(client.home_dc(), 3);
    assert_eq!(dc.codes_for("9996631234")[0].dc_id, 3);

    let client = Client::new(config_for(&dc, 1)).unwrap();
    client
        .send_code("+9997710000", info.api_id, &info.api_hash, settings())
        .await
        .unwrap();
    assert_eq!(client.home_dc(), 3, "NETWORK_MIGRATE to the last DC");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_numbers_give_their_errors() {
    let dc = start(TestDcOptions::default()).await;
    let info = dc.info().clone();
    let cases = [
        ("+9997701000", 400, "PHONE_NUMBER_BANNED", -1),
        ("+9997702000", 400, "PHONE_NUMBER_FLOOD", -1),
        ("+9997703000", 406, "PHONE_PASSWORD_FLOOD", -1),
        ("+9997704000", 400, "PHONE_NUMBER_APP_SIGNUP_FORBIDDEN", -1),
        ("+9997705000", 400, "SMS_CODE_CREATE_FAILED", -1),
        ("+9997706000", 400, "PHONE_PASSWORD_PROTECTED", -1),
        ("+9997708000", 406, "UPDATE_APP_TO_LOGIN", -1),
        ("+12ab", 406, "PHONE_NUMBER_INVALID", -1),
    ];
    let client = Client::new(ClientConfig {
        flood_sleep_threshold: 0,
        ..config_for(&dc, 2)
    })
    .unwrap();
    for (phone, code, name, value) in cases {
        let err = client
            .send_code(phone, info.api_id, &info.api_hash, settings())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Rpc, "{phone}: {err}");
        assert_eq!(
            (err.code, err.name.as_str(), err.value),
            (code, name, value),
            "{phone}"
        );
    }
    let err = client
        .send_code("+9997707000", info.api_id, &info.api_hash, settings())
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.name.as_str(), err.value),
        (420, "FLOOD_WAIT", 2)
    );
    let err = client
        .send_code("+9996621234", info.api_id + 1, &info.api_hash, settings())
        .await
        .unwrap_err();
    assert_eq!((err.code, err.name.as_str()), (400, "API_ID_INVALID"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_wait_is_slept_through_below_the_threshold() {
    let dc = start(TestDcOptions::default()).await;
    let info = dc.info().clone();
    let client = Client::new(config_for(&dc, 2)).unwrap();
    let started = Instant::now();
    let err = client
        .send_code("+9997707000", info.api_id, &info.api_hash, settings())
        .await
        .unwrap_err();
    // Slept 2 s once, asked again, and got the same answer.
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!((err.name.as_str(), err.value), ("FLOOD_WAIT", 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_restart_is_retried_and_duplicated_keys_replaced() {
    let dc = start(TestDcOptions::default()).await;
    let info = dc.info().clone();
    let client = Client::new(config_for(&dc, 2)).unwrap();
    let sent = client
        .send_code("+9997709000", info.api_id, &info.api_hash, settings())
        .await
        .unwrap();
    assert_eq!(sent.kind, Some(SentCodeKind::Code));

    let keys_before = dc.stats().auth_keys_created;
    let err = client
        .send_code("+9997711000", info.api_id, &info.api_hash, settings())
        .await
        .unwrap_err();
    assert_eq!(err.name, "AUTH_KEY_DUPLICATED");
    // The client made a new key, and works on it.
    client
        .send_code("+9996621111", info.api_id, &info.api_hash, settings())
        .await
        .unwrap();
    assert!(dc.stats().auth_keys_created > keys_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let client = Client::new(ClientConfig {
        dcs: vec![(2, addr)],
        timeout: Duration::from_millis(500),
        ..ClientConfig::default()
    })
    .unwrap();
    let started = Instant::now();
    let err = client
        .send_code("+9996621234", 1, "x", settings())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_requests_in_flight_on_one_client() {
    let dc = start(TestDcOptions {
        code_limit: 0,
        ..TestDcOptions::default()
    })
    .await;
    let info = dc.info().clone();
    let client = Client::new(config_for(&dc, 2)).unwrap();
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let client = client.clone();
            let hash = info.api_hash.clone();
            tokio::spawn(async move {
                client
                    .send_code(&format!("+999662{:04}", i), info.api_id, &hash, settings())
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let sent = t.await.unwrap().unwrap();
        assert!(!sent.phone_code_hash.is_empty());
        ok += 1;
    }
    assert_eq!(ok, 1000);
    assert_eq!(dc.stats().auth_keys_created, 1, "one key for all of them");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_client_on_the_same_session_makes_no_new_key() {
    let dc = start(TestDcOptions::default()).await;
    let info = dc.info().clone();
    let dir = std::env::temp_dir().join(format!("tgauth-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("reuse.session");
    let _ = std::fs::remove_file(&path);
    {
        let client = Client::new(ClientConfig {
            session_path: Some(path.clone()),
            ..config_for(&dc, 1)
        })
        .unwrap();
        client
            .send_code("+9996621000", info.api_id, &info.api_hash, settings())
            .await
            .unwrap();
        assert_eq!(client.home_dc(), 2);
    }
    // Let the first client's connections wind down so its lock is released.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let keys = dc.stats().auth_keys_created;
    let client = Client::new(ClientConfig {
        session_path: Some(path.clone()),
        ..config_for(&dc, 1)
    })
    .unwrap();
    assert_eq!(client.home_dc(), 2, "home DC came from the session");
    client
        .send_code("+9996621001", info.api_id, &info.api_hash, settings())
        .await
        .unwrap();
    assert_eq!(dc.stats().auth_keys_created, keys, "no new auth key");
}
