//! The client against a misbehaving test DC: for each check of the security guidelines
//! (PROTOCOL.md items 1-21) the DC breaks it on purpose, and the client refuses with a
//! SECURITY error (using nothing from the bad message), or, where the guidelines say to
//! ignore the bad message, still gets its answer.

use std::time::Duration;

use grammers_tl_types::types::CodeSettings;
use tgauth::client::{Client, ClientConfig, ErrorKind, SentCodeKind};
use tgauth::protocol::handshake::rsa::RsaPublicKey;
use tgauth::protocol::handshake::server::HandshakeFlaw;
use tgauth::testdc::flaws::Flaw;
use tgauth::testdc::{TestDc, TestDcOptions};

fn settings() -> CodeSettings {
    tgauth::client::default_code_settings()
}

async fn outcome_with(
    flaw: Flaw,
) -> (
    Result<tgauth::client::SentCode, tgauth::client::Error>,
    TestDc,
) {
    let dc = TestDc::start(TestDcOptions {
        flaw: Some(flaw),
        code_limit: 0,
        ..TestDcOptions::default()
    })
    .await
    .unwrap();
    let info = dc.info().clone();
    let home = &info.dcs[1];
    let client = Client::new(ClientConfig {
        dcs: vec![(2, format!("{}:{}", home.host, home.port).parse().unwrap())],
        rsa_keys: vec![RsaPublicKey::from_pkcs1_pem(&info.rsa_public_key).unwrap()],
        timeout: Duration::from_secs(20),
        ..ClientConfig::default()
    })
    .unwrap();
    let result = client
        .send_code("+9996621234", info.api_id, &info.api_hash, settings())
        .await;
    (result, dc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_broken_check_is_refused() {
    let mut failures = Vec::new();
    for flaw in Flaw::all() {
        let (result, dc) = outcome_with(flaw).await;
        if flaw.answer_still_usable() {
            // The bad message is ignored (or only the good copy used): the answer arrives.
            match result {
                Ok(sent) if sent.kind == Some(SentCodeKind::Code) => {}
                other => failures.push(format!("{flaw:?}: expected the answer, got {other:?}")),
            }
            continue;
        }
        match &result {
            Err(e) if e.kind == ErrorKind::Security => {}
            other => failures.push(format!(
                "{flaw:?}: expected a SECURITY error, got {other:?}"
            )),
        }
        // Nothing from the bad answer was used: for a session flaw the server did process
        // the request (its code is kept) but the client reports no code.
        if matches!(flaw, Flaw::Handshake(_)) {
            assert_eq!(
                dc.codes_for("9996621234").len(),
                0,
                "{flaw:?}: no key, no request"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_handshake_fails_at_once_without_a_retry_loop() {
    let started = std::time::Instant::now();
    let (result, dc) = outcome_with(Flaw::Handshake(HandshakeFlaw::BadGenerator)).await;
    assert_eq!(result.unwrap_err().kind, ErrorKind::Security);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        dc.stats().connections,
        1,
        "no second connection after a security failure"
    );
}
