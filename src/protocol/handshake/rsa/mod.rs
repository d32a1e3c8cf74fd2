//! RSA as the auth-key handshake uses it (<https://core.telegram.org/mtproto/auth_key>).
//!
//! The client encrypts `p_q_inner_data` to the server's 2048-bit public key, either with
//! RSA_PAD (§4.1 of the auth_key page, the current scheme) or with the legacy
//! `SHA1(data) + data + padding` scheme; the test DC holds the matching private key and
//! undoes either. Only raw ("textbook") RSA on 256-byte blocks is needed: both schemes do
//! their own padding.
//!
//! Keys travel as PEM. Public keys are read from PKCS#1 (`RSA PUBLIC KEY`, the form Telegram
//! publishes) or SubjectPublicKeyInfo (`PUBLIC KEY`); private keys from PKCS#1
//! (`RSA PRIVATE KEY`) or unencrypted PKCS#8 (`PRIVATE KEY`). The DER is read and written by
//! RustCrypto's `der`, `pkcs1`, `pkcs8` and `spki` crates, the PEM armour by `der`'s
//! `pem-rfc7468` (`encoding.rs`); hostile input yields an [`RsaError`], never a panic.
//!
//! The two sides use different arithmetic, each for a measured reason:
//!
//! - The client's public operation (`e` is public) is plain square-and-multiply on our
//!   fixed-width Montgomery code ([`super::monty`]), which also carries the DH work.
//! - The test DC's key ([`RsaPrivateKey`]) is RustCrypto's `rsa` crate: key generation,
//!   the consistency checks, and the raw private operation through
//!   `rsa::hazmat::rsa_decrypt_and_check` (constant-time CRT on `crypto-bigint`, then a
//!   public-exponent check against faults). No blinding: the test DC is local, and the
//!   schemes pad for themselves. `private.rs` has the measurement that chose it.
//!
//! Secret temporaries (RSA_PAD's `temp_key`, the padded plaintext that carries
//! `new_nonce`, the decrypted blocks) are wiped on drop with `zeroize`; the private key's
//! parts are wiped by the `rsa` crate.

use std::fmt;

mod encoding;
mod private;
mod public;
#[cfg(test)]
mod tests;

pub use private::RsaPrivateKey;
pub use public::{verify_legacy_payload, RsaPublicKey};

/// Telegram's production server key (fingerprint `0xd09d1d85de64fd85`, i.e.
/// -3414540481677951611), as Telegram's own clients (TDLib, Telegram Desktop) embed it.
pub const TELEGRAM_PRODUCTION_KEY: &str = "\
-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEA6LszBcC1LGzyr992NzE0ieY+BSaOW622Aa9Bd4ZHLl+TuFQ4lo4g
5nKaMBwK/BIb9xUfg0Q29/2mgIR6Zr9krM7HjuIcCzFvDtr+L0GQjae9H0pRB2OO
62cECs5HKhT5DZ98K33vmWiLowc621dQuwKWSQKjWf50XYFw42h21P2KXUGyp2y/
+aEyZ+uVgLLQbRA1dEjSDZ2iGRy12Mk5gpYc397aYp438fsJoHIgJ2lgMv5h7WY9
t6N/byY9Nw9p21Og3AoXSL2q/2IJ1WRUhebgAdGVMlV1fkuOQoEzR7EdpqtQD9Cs
5+bfo3Nhmcyvk5ftB0WkJ9z6bNZ7yxrP8wIDAQAB
-----END RSA PUBLIC KEY-----
";

/// Telegram's test-server key (fingerprint `0xb25898df208d2603`, i.e.
/// -5595554452916591101), as Telegram's own clients embed it.
pub const TELEGRAM_TEST_KEY: &str = "\
-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAyMEdY1aR+sCR3ZSJrtztKTKqigvO/vBfqACJLZtS7QMgCGXJ6XIR
yy7mx66W0/sOFa7/1mAZtEoIokDP3ShoqF4fVNb6XeqgQfaUHd8wJpDWHcR2OFwv
plUUI1PLTktZ9uW2WE23b+ixNwJjJGwBDJPQEQFBE+vfmH0JP503wr5INS1poWg/
j25sIWeYPHYeOrFp/eXaqhISP6G+q2IeTaWTXpwZj4LzXq5YOpk4bYEQ6mvRq7D1
aHWfYmlEGepfaYR8Q0YqvvhYtMte3ITnuSJs171+GDqpdKcSwHnd6FudwGO4pcCO
j4WcDuXc2CTHgH8gFTNhp/Y8/SpDOhvn9QIDAQAB
-----END RSA PUBLIC KEY-----
";

/// Size in bytes of an RSA block in the handshake (the keys are 2048-bit).
pub const BLOCK_LEN: usize = 256;

/// Longest `data` RSA_PAD accepts (auth_key page §4.1).
pub const RSA_PAD_MAX_DATA: usize = 144;

/// Length of `data_with_padding` in RSA_PAD, which [`RsaPrivateKey::decrypt_rsa_pad`] returns.
pub const RSA_PAD_PADDED_LEN: usize = 192;

/// Longest `data` the legacy `SHA1(data) + data + padding` scheme accepts.
pub const LEGACY_MAX_DATA: usize = 255 - 20;

/// How many fresh `temp_key`s RSA_PAD tries before giving up. With a real 2048-bit modulus
/// each try succeeds with probability above 1/2, so this is only reached with a broken
/// random source.
const RSA_PAD_MAX_TRIES: usize = 256;

/// Why an RSA operation or a key parse failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RsaError {
    /// The PEM armour is missing, has the wrong label, or carries headers (encryption).
    Pem(&'static str),
    /// The PEM body is not valid base64.
    Base64,
    /// The DER inside does not hold the expected key; says what was wrong.
    Der(&'static str),
    /// The DER inside is malformed, as the `der` crate reports it.
    Asn1(der::Error),
    /// The key is well-formed but not acceptable (inconsistent or out-of-range parts).
    InvalidKey(&'static str),
    /// The operation needs a 2048-bit modulus; this key has another size.
    UnsupportedKeySize {
        /// The modulus size of the key at hand.
        bits: u64,
    },
    /// The plaintext is longer than the scheme allows.
    DataTooLong {
        /// The length given.
        len: usize,
        /// The longest the scheme accepts.
        max: usize,
    },
    /// The block, read as a big-endian integer, is not below the modulus.
    BlockOutOfRange,
    /// RSA_PAD: the SHA256 inside the decrypted block does not match (wrong key, wrong
    /// scheme, or tampering). Legacy: the SHA1 does not match.
    HashMismatch,
    /// Legacy scheme: the decrypted block does not start with a zero byte.
    BadPadding,
    /// RSA_PAD never produced `key_aes_encrypted` below the modulus (broken random source).
    RetriesExhausted,
    /// Key generation was asked for an unsupported size or failed.
    KeyGeneration(&'static str),
    /// The OS random source failed.
    Random(getrandom::Error),
}

impl fmt::Display for RsaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RsaError::Pem(why) => write!(f, "bad PEM: {why}"),
            RsaError::Base64 => write!(f, "bad PEM: invalid base64"),
            RsaError::Der(why) => write!(f, "bad DER: {why}"),
            RsaError::Asn1(e) => write!(f, "bad DER: {e}"),
            RsaError::InvalidKey(why) => write!(f, "invalid RSA key: {why}"),
            RsaError::UnsupportedKeySize { bits } => {
                write!(f, "RSA modulus has {bits} bits, 2048 are required")
            }
            RsaError::DataTooLong { len, max } => {
                write!(
                    f,
                    "{len} bytes of data to RSA-encrypt, at most {max} allowed"
                )
            }
            RsaError::BlockOutOfRange => write!(f, "RSA block is not below the modulus"),
            RsaError::HashMismatch => write!(f, "hash inside the RSA block does not match"),
            RsaError::BadPadding => write!(f, "RSA block does not start with a zero byte"),
            RsaError::RetriesExhausted => {
                write!(
                    f,
                    "RSA_PAD found no temp_key giving a block below the modulus"
                )
            }
            RsaError::KeyGeneration(why) => write!(f, "RSA key generation failed: {why}"),
            RsaError::Random(e) => write!(f, "OS random source failed: {e}"),
        }
    }
}

impl std::error::Error for RsaError {}

impl From<getrandom::Error> for RsaError {
    fn from(e: getrandom::Error) -> Self {
        RsaError::Random(e)
    }
}

/// Fills `buf` from the OS CSPRNG; the random source the non-`_with` methods use.
fn os_random(buf: &mut [u8]) -> Result<(), RsaError> {
    getrandom::fill(buf).map_err(RsaError::Random)
}

/// Telegram's built-in public keys: production first, then test.
pub fn builtin_keys() -> Vec<RsaPublicKey> {
    [TELEGRAM_PRODUCTION_KEY, TELEGRAM_TEST_KEY]
        .iter()
        .map(|pem| RsaPublicKey::from_pkcs1_pem(pem).expect("built-in key parses"))
        .collect()
}

impl From<der::Error> for RsaError {
    fn from(e: der::Error) -> Self {
        RsaError::Asn1(e)
    }
}

/// Errors unless `bits` is 2048, the only modulus size the handshake uses.
fn require_2048(bits: u64) -> Result<(), RsaError> {
    match bits {
        2048 => Ok(()),
        bits => Err(RsaError::UnsupportedKeySize { bits }),
    }
}

/// Comparison whose time does not depend on where the inputs differ.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    bool::from(a.ct_eq(b))
}

/// Appends TL `bytes`: a 1-byte length (or 0xfe + 3-byte little-endian length from 254
/// bytes on), the data, then zero padding to a multiple of 4.
fn tl_bytes(out: &mut Vec<u8>, data: &[u8]) {
    let header = if data.len() < 254 {
        out.push(data.len() as u8);
        1
    } else {
        out.push(0xfe);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes()[..3]);
        4
    };
    out.extend_from_slice(data);
    let pad = (4 - (header + data.len()) % 4) % 4;
    out.resize(out.len() + pad, 0);
}
