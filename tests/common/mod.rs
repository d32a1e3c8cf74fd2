//! What the integration tests share: a client configured for an in-process test DC.

use std::time::Duration;

use tgauth::client::ClientConfig;
use tgauth::protocol::handshake::rsa::RsaPublicKey;
use tgauth::testdc::TestDc;

/// A client of `dc` whose first configured DC (its home until a migration) is `home`,
/// trusting the test DC's key, with a 20 s deadline per request.
pub fn config_for(dc: &TestDc, home: i32) -> ClientConfig {
    let info = dc.info();
    let mut dcs: Vec<_> = info
        .dcs
        .iter()
        .map(|d| (d.id, format!("{}:{}", d.host, d.port).parse().unwrap()))
        .collect();
    let at = dcs.iter().position(|(id, _)| *id == home).unwrap();
    let first = dcs.remove(at);
    dcs.insert(0, first);
    ClientConfig {
        dcs,
        rsa_keys: vec![RsaPublicKey::from_pkcs1_pem(&info.rsa_public_key).unwrap()],
        timeout: Duration::from_secs(20),
        ..ClientConfig::default()
    }
}
