//! The auth-key handshake (<https://core.telegram.org/mtproto/auth_key>), both sides.
//!
//! Both state machines are sans-IO: they take the TL body of each unencrypted message the
//! peer sent and return the TL body to send back. The caller wraps bodies in unencrypted
//! messages and frames them with a transport.

pub mod client;
pub mod dh;
// Public (but hidden) only so the micro-benchmarks can time a single product.
#[doc(hidden)]
pub mod monty;
pub mod rsa;
pub mod server;
#[cfg(test)]
mod test_rng;

use sha1::{Digest, Sha1};

/// Why a handshake was abandoned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeError {
    /// The peer failed a check of the security guidelines; nothing it sent is used.
    Security(String),
    /// The peer sent something that is not the expected TL object.
    Protocol(String),
    /// The server answered server_DH_params_fail or dh_gen_fail (after its hash checked).
    Refused(&'static str),
    /// No server key fingerprint is one we trust.
    UnknownKey(Vec<i64>),
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandshakeError::Security(why) => write!(f, "handshake security check failed: {why}"),
            HandshakeError::Protocol(why) => write!(f, "handshake protocol error: {why}"),
            HandshakeError::Refused(what) => write!(f, "server refused the handshake: {what}"),
            HandshakeError::UnknownKey(fps) => {
                write!(
                    f,
                    "server offered no RSA key we trust (fingerprints {fps:?})"
                )
            }
        }
    }
}

impl std::error::Error for HandshakeError {}

pub(crate) fn security(why: impl Into<String>) -> HandshakeError {
    HandshakeError::Security(why.into())
}

pub(crate) fn protocol(why: impl std::fmt::Display) -> HandshakeError {
    HandshakeError::Protocol(why.to_string())
}

/// The AES-IGE key and iv protecting server_DH_inner_data and client_DH_inner_data.
pub(crate) fn tmp_aes(server_nonce: &[u8; 16], new_nonce: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    grammers_crypto::generate_key_data_from_nonce(server_nonce, new_nonce)
}

/// `SHA1(data) + data + padding` to a multiple of 16, AES-IGE encrypted.
pub(crate) fn encrypt_with_hash(data: &[u8], key: &[u8; 32], iv: &[u8; 32]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(20 + data.len() + 16);
    buf.extend_from_slice(&Sha1::digest(data));
    buf.extend_from_slice(data);
    let pad = (16 - buf.len() % 16) % 16;
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).expect("the OS random source failed");
    buf.extend_from_slice(&random[..pad]);
    grammers_crypto::aes::ige_encrypt(&mut buf, key, iv);
    buf
}

/// Inverse of [`encrypt_with_hash`]: decrypts, parses the inner object with `parse` (which
/// returns it and its length), and checks its SHA1 and that the padding is 0..15 bytes
/// (security guidelines item 5).
pub(crate) fn decrypt_with_hash<T>(
    encrypted: &[u8],
    key: &[u8; 32],
    iv: &[u8; 32],
    parse: impl FnOnce(&[u8]) -> Result<(T, usize), HandshakeError>,
) -> Result<T, HandshakeError> {
    if encrypted.is_empty() || !encrypted.len().is_multiple_of(16) {
        return Err(security("encrypted data length not a multiple of 16"));
    }
    let mut buf = encrypted.to_vec();
    grammers_crypto::aes::ige_decrypt(&mut buf, key, iv);
    if buf.len() < 20 {
        return Err(security("encrypted data too short"));
    }
    // The SHA1 first, before anything is parsed: over each length that leaves 0..15 bytes
    // of padding. Data that matches none is refused as it is, whatever it would parse as.
    let (hash, data) = buf.split_at(20);
    let len = (data.len().saturating_sub(15)..=data.len())
        .find(|&n| ct_eq(&Sha1::digest(&data[..n]), hash))
        .ok_or_else(|| {
            security("SHA1 of the inner data does not match (or more than 15 padding bytes)")
        })?;
    let (value, parsed) = parse(&data[..len])?;
    if parsed != len {
        return Err(security("the hashed inner data is not one object"));
    }
    Ok(value)
}

/// Parses a boxed TL object from the front of `data`, returning it and its length.
pub(crate) fn parse_prefix<T: grammers_tl_types::Deserializable>(
    data: &[u8],
) -> Result<(T, usize), HandshakeError> {
    let mut cursor = grammers_tl_types::Cursor::from_slice(data);
    let value = T::deserialize(&mut cursor).map_err(protocol)?;
    Ok((value, cursor.pos()))
}

/// Byte-string equality whose time does not depend on the contents (hashes derived from
/// secrets: new_nonce_hashN, the SHA1 inside the DH answers).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    bool::from(a.ct_eq(b))
}

/// The lower 128 bits of SHA1(new_nonce), as server_DH_params_fail carries.
pub(crate) fn new_nonce_hash_fail(new_nonce: &[u8; 32]) -> [u8; 16] {
    let sha = Sha1::digest(new_nonce);
    let mut out = [0; 16];
    out.copy_from_slice(&sha[4..20]);
    out
}

/// The first server salt: new_nonce[0..8] XOR server_nonce[0..8] (security guidelines 12).
pub(crate) fn first_salt(new_nonce: &[u8; 32], server_nonce: &[u8; 16]) -> i64 {
    let mut salt = [0u8; 8];
    for i in 0..8 {
        salt[i] = new_nonce[i] ^ server_nonce[i];
    }
    i64::from_le_bytes(salt)
}

/// Random bytes from the OS CSPRNG (handshake nonces and other secrets).
pub(crate) fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    crate::protocol::random::secret(&mut out);
    out
}

/// Big-endian bytes of a u64 without leading zeros, as TL carries p, q and pq.
pub(crate) fn be_trimmed(n: u64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(7);
    bytes[first..].to_vec()
}

/// Reads a big-endian integer of at most 8 bytes.
pub(crate) fn be_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.len() > 8 {
        return None;
    }
    Some(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64))
}

/// What a completed handshake yields.
#[derive(Debug, Clone)]
pub struct HandshakeOutcome {
    /// The new key.
    pub auth_key: crate::protocol::cipher::AuthKey,
    /// server_time - our time, in seconds (security guidelines 10).
    pub time_offset: i64,
    /// The first server salt (security guidelines 12).
    pub first_salt: i64,
}
