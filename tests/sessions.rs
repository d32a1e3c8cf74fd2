//! Sessions over IPv6 and in other libraries' formats, against a test DC in this process.

use std::net::SocketAddr;
use std::time::Duration;

use tgauth::client::session::StringSession;
use tgauth::client::{Client, ClientConfig, ErrorKind, SessionFormat};
use tgauth::protocol::handshake::rsa::RsaPublicKey;
use tgauth::testdc::{DcAddress, TestDc, TestDcOptions};

fn addr(d: &DcAddress) -> SocketAddr {
    SocketAddr::new(d.host.parse().unwrap(), d.port)
}

/// A client that knows only DC 1 of `dc`, with the test DC's key and app.
fn config_for(dc: &TestDc) -> ClientConfig {
    let info = dc.info();
    ClientConfig {
        dcs: vec![(1, addr(&info.dcs[0]))],
        rsa_keys: vec![RsaPublicKey::from_pkcs1_pem(&info.rsa_public_key).unwrap()],
        app: Some((info.api_id, info.api_hash.clone())),
        timeout: Duration::from_secs(10),
        ..ClientConfig::default()
    }
}

async fn sign_in(client: &Client, phone: &str, code: &str) {
    let sent = client
        .send_code(
            phone,
            client.app().unwrap().0,
            &client.app().unwrap().1,
            tgauth::client::default_code_settings(),
        )
        .await
        .unwrap();
    let auth = client
        .sign_in(phone, &sent.phone_code_hash, code)
        .await
        .unwrap();
    assert!(auth.is_signed_in());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_signs_in_on_ipv6_and_its_session_travels() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no IPv6 loopback ([::1])");
        return;
    }
    let places = (1..=2)
        .map(|id| DcAddress {
            id,
            host: "[::1]".into(),
            port: 0,
        })
        .collect();
    let dc = TestDc::start(TestDcOptions {
        places,
        ..TestDcOptions::default()
    })
    .await
    .unwrap();
    let info = dc.info().clone();
    assert!(info.dcs.iter().all(|d| d.host == "::1"), "{:?}", info.dcs);

    // Only DC 1 is configured: the number lives on DC 2, so the client follows
    // PHONE_MIGRATE_2 to the IPv6 address help.getConfig lists for DC 2.
    let client = Client::new(config_for(&dc)).unwrap();
    sign_in(&client, "+9996621001", "22222").await;
    assert_eq!(client.home_dc(), 2);
    let me = client.get_me().await.unwrap();
    assert_eq!(me.id, 9996621001);

    // Every format carries the IPv6 address, except Pyrogram's, which carries none.
    for format in [
        SessionFormat::Telethon,
        SessionFormat::GramJs,
        SessionFormat::Mtcute,
        SessionFormat::Pyrogram,
    ] {
        let text = client.export_session(format).unwrap();
        let s = StringSession::parse(&text).unwrap();
        assert_eq!((s.format, s.dc_id), (format, 2));
        if format == SessionFormat::Pyrogram {
            assert_eq!(s.addr, None);
            assert_eq!(s.api_id, Some(info.api_id));
        } else {
            assert_eq!(s.addr, Some(addr(&info.dcs[1])));
        }
        // A new client with only the string (and DC 1's address) is signed in as the user.
        let mut config = config_for(&dc);
        config.dcs.push((2, addr(&info.dcs[1])));
        config.session_string = Some(text);
        let again = Client::new(config).unwrap();
        assert_eq!(again.home_dc(), 2);
        assert_eq!(again.get_me().await.unwrap().id, 9996621001, "{format:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyrogram_needs_a_signed_in_session_and_takes_the_address_from_the_config() {
    let dc = TestDc::start(TestDcOptions::default()).await.unwrap();
    let info = dc.info().clone();
    let mut config = config_for(&dc);
    config.app = None;
    let client = Client::new(config).unwrap();
    // No key yet: nothing to export.
    let err = client.export_session(SessionFormat::Telethon).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Session);
    let sent = client
        .send_code(
            "+9996611002",
            info.api_id,
            &info.api_hash,
            tgauth::client::default_code_settings(),
        )
        .await
        .unwrap();
    // A key, an api_id, nobody signed in: Telethon's string is fine, Pyrogram's is not.
    assert!(client.export_session(SessionFormat::Telethon).is_ok());
    let err = client.export_session(SessionFormat::Pyrogram).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(err.message.contains("signed-in user"), "{}", err.message);
    client
        .sign_in("+9996611002", &sent.phone_code_hash, "11111")
        .await
        .unwrap();
    let text = client.export_session(SessionFormat::Pyrogram).unwrap();

    // Pyrogram's string has no address: the configured DC's is used.
    let mut config = config_for(&dc);
    config.dcs = vec![(1, addr(&info.dcs[0]))];
    config.app = None;
    config.session_string = Some(text);
    let again = Client::new(config).unwrap();
    // The string carried who is signed in and the api_id.
    assert_eq!(
        again.signed_in().map(|u| (u.id, u.bot)),
        Some((9996611002, false))
    );
    assert_eq!(again.get_me().await.unwrap().id, 9996611002);
}
