//! RSA key parsing (src/protocol/handshake/rsa/): `RsaPublicKey::from_pkcs1_pem`,
//! `from_pkcs1_der`, `from_spki_der` and `RsaPrivateKey::from_pem`, `from_pkcs1_der`,
//! `from_pkcs8_der` on arbitrary input. Nothing may panic; a key that parses must write
//! back (PKCS#1 DER / PEM) to something that parses to the same key.
//!
//! The first byte picks the parser, so each gets the whole rest as its input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgauth::protocol::handshake::rsa::{RsaPrivateKey, RsaPublicKey};

fn check_public(key: RsaPublicKey) {
    let der = key.to_pkcs1_der();
    assert_eq!(RsaPublicKey::from_pkcs1_der(&der).as_ref(), Ok(&key));
    assert_eq!(
        RsaPublicKey::from_pkcs1_pem(&key.to_pkcs1_pem()).as_ref(),
        Ok(&key)
    );
    let _ = key.fingerprint();
    let _ = format!("{key:?}");
}

fn check_private(key: RsaPrivateKey) {
    let der = key.to_pkcs1_der();
    let again = RsaPrivateKey::from_pkcs1_der(&der).expect("written key parses");
    assert_eq!(again.to_pkcs1_der(), der);
    let pem = key.to_pkcs1_pem();
    let again = RsaPrivateKey::from_pem(&pem).expect("written PEM parses");
    assert_eq!(again.to_pkcs1_der(), der);
    check_public(key.public_key());
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match selector % 6 {
        0 => {
            if let Ok(key) = RsaPublicKey::from_pkcs1_pem(&text) {
                check_public(key);
            }
        }
        1 => {
            if let Ok(key) = RsaPublicKey::from_pkcs1_der(rest) {
                check_public(key);
            }
        }
        2 => {
            if let Ok(key) = RsaPublicKey::from_spki_der(rest) {
                check_public(key);
            }
        }
        3 => {
            if let Ok(key) = RsaPrivateKey::from_pem(&text) {
                check_private(key);
            }
        }
        4 => {
            if let Ok(key) = RsaPrivateKey::from_pkcs8_der(rest) {
                check_private(key);
            }
        }
        _ => {
            if let Ok(key) = RsaPrivateKey::from_pkcs1_der(rest) {
                check_private(key);
            }
        }
    }
});
