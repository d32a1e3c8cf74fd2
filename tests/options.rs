//! Client options every language exposes: the transport and obfuscation (an impossible
//! combination refused before anything connects), and the app given once in the config.

use std::net::TcpListener;
use std::process::Command;

use tgauth::client::{Client, ClientConfig, ErrorKind};
use tgauth::protocol::transport::TransportKind;

fn config(transport: TransportKind, obfuscated: bool) -> ClientConfig {
    ClientConfig {
        dcs: vec![(1, "127.0.0.1:1".parse().unwrap())],
        transport,
        obfuscated,
        ..ClientConfig::default()
    }
}

#[test]
fn full_transport_under_obfuscation_is_refused() {
    let c = config(TransportKind::Full, true);
    let err = c.validate().unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(err.message.contains("full transport"), "{}", err.message);
    let err = Client::new(c).err().expect("Client::new refuses it");
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(err.message.contains("obfuscated"), "{}", err.message);
}

#[test]
fn every_other_combination_is_accepted() {
    for kind in TransportKind::ALL {
        for obfuscated in [false, true] {
            if kind == TransportKind::Full && obfuscated {
                continue;
            }
            let c = config(kind, obfuscated);
            c.validate()
                .unwrap_or_else(|e| panic!("{kind} obfuscated={obfuscated}: {e}"));
            Client::new(c).unwrap_or_else(|e| panic!("{kind} obfuscated={obfuscated}: {e}"));
        }
    }
}

#[test]
fn a_bad_app_in_the_config_is_refused() {
    for (api_id, api_hash) in [(0, "abc"), (-5, "abc"), (12345, "")] {
        let c = ClientConfig {
            app: Some((api_id, api_hash.to_owned())),
            ..config(TransportKind::Intermediate, false)
        };
        let err = Client::new(c).err().expect("refused");
        assert_eq!(
            err.kind,
            ErrorKind::InvalidArgument,
            "{api_id} {api_hash:?}"
        );
    }
}

#[test]
fn a_call_uses_its_own_app_else_the_configs() {
    let with_app = Client::new(ClientConfig {
        app: Some((12345, "config-hash".into())),
        ..config(TransportKind::Intermediate, false)
    })
    .unwrap();
    assert_eq!(
        with_app.app_for(None, None).unwrap(),
        (12345, "config-hash".to_string())
    );
    assert_eq!(
        with_app.app_for(Some(7), Some("call-hash")).unwrap(),
        (7, "call-hash".to_string())
    );
    // Half an app is a mistake, not a request for the config's.
    for (id, hash) in [(Some(7), None), (None, Some("call-hash"))] {
        let err = with_app.app_for(id, hash).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
    }
    // A call's app is checked like the config's.
    assert_eq!(
        with_app.app_for(Some(0), Some("h")).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        with_app.app_for(Some(1), Some("")).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );

    let without = Client::new(config(TransportKind::Intermediate, false)).unwrap();
    let err = without.app_for(None, None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert_eq!(
        err.message,
        "no app: give api_id and api_hash, in the config or in the call"
    );
    assert_eq!(
        without.app_for(Some(1), Some("h")).unwrap(),
        (1, "h".to_string())
    );
}

#[test]
fn the_cli_refuses_full_obfuscated_before_connecting() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_tgauth"))
        .args([
            "send-code",
            "+15551234567",
            "--api-id",
            "1",
            "--api-hash",
            "x",
        ])
        .arg("--dc")
        .arg(format!("1=127.0.0.1:{port}"))
        .args(["--transport", "full", "--obfuscated", "--timeout", "2"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("full transport cannot be obfuscated"),
        "stderr: {stderr}"
    );
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the CLI connected"
    );
}
