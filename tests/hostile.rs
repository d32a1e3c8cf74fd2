//! The test DC under hostile clients: garbage, oversized length prefixes, half handshakes,
//! slow senders and thousands of idle connections. It must close the bad connections,
//! never grow without bound, and keep serving everyone else.

use std::time::{Duration, Instant};

use grammers_tl_types::types::CodeSettings;
use tgauth::client::{Client, ClientConfig};
use tgauth::protocol::handshake::rsa::RsaPublicKey;
use tgauth::testdc::{TestDc, TestDcOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn settings() -> CodeSettings {
    tgauth::client::default_code_settings()
}

async fn still_serves(dc: &TestDc, n: u32) {
    let info = dc.info();
    let home = &info.dcs[1];
    let client = Client::new(ClientConfig {
        dcs: vec![(2, format!("{}:{}", home.host, home.port).parse().unwrap())],
        rsa_keys: vec![RsaPublicKey::from_pkcs1_pem(&info.rsa_public_key).unwrap()],
        timeout: Duration::from_secs(10),
        ..ClientConfig::default()
    })
    .unwrap();
    client
        .send_code(
            &format!("+999662{n:04}"),
            info.api_id,
            &info.api_hash,
            settings(),
        )
        .await
        .expect("the test DC keeps serving honest clients");
}

async fn connect(dc: &TestDc) -> TcpStream {
    let home = &dc.info().dcs[1];
    TcpStream::connect((home.host.as_str(), home.port))
        .await
        .unwrap()
}

/// Reads until the server closes; panics if it keeps the connection past `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) {
    let mut buf = [0u8; 1024];
    let started = Instant::now();
    loop {
        match tokio::time::timeout(limit, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(_)) => {}
            Err(_) => panic!(
                "the server kept a bad connection open for {:?}",
                started.elapsed()
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_oversized_frames_are_closed() {
    let dc = TestDc::start(TestDcOptions::default()).await.unwrap();
    // HTTP instead of MTProto.
    let mut s = connect(&dc).await;
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    closed_within(&mut s, Duration::from_secs(5)).await;
    // Random bytes: taken as an obfuscated2 header whose tag is wrong.
    let mut s = connect(&dc).await;
    s.write_all(&[0x5a; 64]).await.unwrap();
    closed_within(&mut s, Duration::from_secs(5)).await;
    // Intermediate with a 2 GiB length prefix: refused before anything is buffered.
    let mut s = connect(&dc).await;
    s.write_all(&[0xee, 0xee, 0xee, 0xee, 0xfc, 0xff, 0xff, 0x7f])
        .await
        .unwrap();
    closed_within(&mut s, Duration::from_secs(5)).await;
    // Abridged frame of junk (not an MTProto message).
    let mut s = connect(&dc).await;
    s.write_all(&[0xef, 0x02, 1, 2, 3, 4, 5, 6, 7, 8])
        .await
        .unwrap();
    closed_within(&mut s, Duration::from_secs(5)).await;
    // An encrypted message under an auth key nobody has: -404, then closed.
    let mut s = connect(&dc).await;
    let mut frame = vec![0xef, 0x0a];
    frame.extend_from_slice(&[0x11; 40]);
    s.write_all(&frame).await.unwrap();
    let mut reply = [0u8; 5];
    s.read_exact(&mut reply).await.unwrap();
    assert_eq!(
        reply,
        [0x01, 0x6c, 0xfe, 0xff, 0xff],
        "transport error -404"
    );
    closed_within(&mut s, Duration::from_secs(5)).await;
    still_serves(&dc, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_half_open_and_slow_clients_do_not_block_others() {
    let dc = TestDc::start(TestDcOptions::default()).await.unwrap();
    // Says nothing at all: dropped after the header timeout, and others are served meanwhile.
    let mut silent = connect(&dc).await;
    // Half a handshake: req_pq_multi, then nothing.
    let mut half = connect(&dc).await;
    let mut req = vec![0xef, 0x0a];
    req.extend_from_slice(&[0; 8]);
    req.extend_from_slice(&((1_700_000_000i64 << 32) as u64).to_le_bytes());
    req.extend_from_slice(&20u32.to_le_bytes());
    req.extend_from_slice(&0xbe7e_8ef1u32.to_le_bytes());
    req.extend_from_slice(&[7; 16]);
    half.write_all(&req).await.unwrap();
    let mut res_pq = vec![0u8; 4];
    half.read_exact(&mut res_pq).await.unwrap();
    // A slow sender dribbling a frame, one byte at a time.
    let mut slow = connect(&dc).await;
    slow.write_all(&[0xee, 0xee, 0xee, 0xee, 0x28, 0x00])
        .await
        .unwrap();
    for n in 0..5 {
        still_serves(&dc, 10 + n).await;
        slow.write_all(&[0]).await.unwrap();
    }
    closed_within(&mut silent, Duration::from_secs(15)).await;
    drop((half, slow));
    still_serves(&dc, 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_idle_connections() {
    let dc = TestDc::start(TestDcOptions::default()).await.unwrap();
    let mut idle = Vec::new();
    for _ in 0..3000 {
        let mut s = connect(&dc).await;
        // Each picks a transport and stays quiet.
        s.write_all(&[0xee, 0xee, 0xee, 0xee]).await.unwrap();
        idle.push(s);
    }
    still_serves(&dc, 30).await;
    assert!(dc.stats().connections >= 3000);
    drop(idle);
    still_serves(&dc, 31).await;
}
