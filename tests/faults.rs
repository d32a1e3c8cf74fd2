//! The client against a test DC that injects every fault on purpose: each request ends
//! exactly once, with the right answer or a classified error, and nearly all succeed.

use std::time::Duration;

use grammers_tl_types::types::CodeSettings;
use tgauth::client::{Client, ClientConfig, ErrorKind, SentCodeKind};
use tgauth::protocol::handshake::rsa::RsaPublicKey;
use tgauth::testdc::{TestDc, TestDcOptions};

fn settings() -> CodeSettings {
    tgauth::client::default_code_settings()
}

async fn futures_flatten<T>(tasks: Vec<tokio::task::JoinHandle<Vec<T>>>) -> Vec<T> {
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("no task panicked"));
    }
    all
}

async fn run_with_faults(spec: &str, requests: usize) -> (usize, Vec<String>) {
    let dc = TestDc::start(TestDcOptions {
        code_limit: 0,
        faults: spec.parse().unwrap(),
        ..TestDcOptions::default()
    })
    .await
    .unwrap();
    let info = dc.info().clone();
    let home = &info.dcs[1];
    let clients: Vec<Client> = (0..4)
        .map(|_| {
            Client::new(ClientConfig {
                dcs: vec![(2, format!("{}:{}", home.host, home.port).parse().unwrap())],
                rsa_keys: vec![RsaPublicKey::from_pkcs1_pem(&info.rsa_public_key).unwrap()],
                timeout: Duration::from_secs(20),
                ..ClientConfig::default()
            })
            .unwrap()
        })
        .collect();
    // Each client sends its share one after another (so every request is its own
    // message and meets the per-message faults), the clients running side by side.
    let per_client = requests / clients.len();
    let tasks: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(c, client)| {
            let client = client.clone();
            let hash = info.api_hash.clone();
            let api_id = info.api_id;
            tokio::spawn(async move {
                let mut results = Vec::new();
                for i in 0..per_client {
                    let phone = format!("+999662{:04}", c * per_client + i);
                    results.push(client.send_code(&phone, api_id, &hash, settings()).await);
                }
                results
            })
        })
        .collect();
    let mut ok = 0;
    let mut errors = Vec::new();
    let dc_stats = &dc;
    for result in futures_flatten(tasks).await {
        match result {
            Ok(sent) => {
                assert_eq!(sent.kind, Some(SentCodeKind::Code));
                assert!(!sent.phone_code_hash.is_empty());
                ok += 1;
            }
            Err(e) => {
                // Every failure is classified: never internal.
                assert_ne!(e.kind, ErrorKind::Internal, "{e}");
                errors.push(format!("{:?}: {}", e.kind, e.message));
            }
        }
    }
    assert!(
        dc_stats.stats().faults_injected > 0,
        "{spec}: no fault was injected"
    );
    (ok, errors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_alone_is_survived() {
    for fault in [
        "drop",
        "delay",
        "bad-salt",
        "new-session",
        "time-skew",
        "corrupt",
        "forget-key",
        "rpc-500",
        "container",
        "gzip",
    ] {
        let p = if fault == "delay" { 0.2 } else { 0.1 };
        let (ok, errors) = run_with_faults(&format!("{fault}={p}"), 100).await;
        let expected_min = 95;
        assert!(
            ok >= expected_min,
            "{fault}: {ok}/100 succeeded; errors: {errors:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_faults_mixed_at_twenty_percent() {
    let spec = "drop=0.02,delay=0.04,bad-salt=0.02,new-session=0.02,time-skew=0.02,corrupt=0.02,\
                forget-key=0.01,rpc-500=0.01,container=0.02,gzip=0.02";
    let (ok, errors) = run_with_faults(spec, 400).await;
    assert!(
        ok * 100 >= 400 * 95,
        "{ok}/400 succeeded; errors: {errors:?}"
    );
}
