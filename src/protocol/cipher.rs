//! MTProto 2.0 message encryption, for both directions.
//!
//! See <https://core.telegram.org/mtproto/description#defining-aes-key-and-initialization-vector>.
//! The same functions serve the client (which encrypts with x = 0 and decrypts with x = 8)
//! and the test DC (the reverse): the direction is named by the [`Side`] that *sent* the
//! message.

use grammers_crypto::aes::{ige_decrypt, ige_encrypt};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::Side;

/// A 2048-bit authorization key with its derived identifiers. Wiped when dropped
/// (`ZeroizeOnDrop`): every clone wipes its own copy.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AuthKey {
    data: [u8; 256],
    aux_hash: [u8; 8],
    id: [u8; 8],
}

impl AuthKey {
    /// Wraps the raw key bytes (as produced by the handshake, or loaded from a session).
    pub fn from_bytes(data: [u8; 256]) -> Self {
        let sha = Sha1::digest(data);
        let mut aux_hash = [0; 8];
        aux_hash.copy_from_slice(&sha[..8]);
        let mut id = [0; 8];
        id.copy_from_slice(&sha[12..20]);
        Self { data, aux_hash, id }
    }

    /// The raw key, to persist it.
    pub fn bytes(&self) -> &[u8; 256] {
        &self.data
    }

    /// `auth_key_id`: the lower 64 bits of SHA1(auth_key), as it appears on the wire.
    pub fn id(&self) -> i64 {
        i64::from_le_bytes(self.id)
    }

    /// `auth_key_aux_hash`: the higher 64 bits of SHA1(auth_key).
    pub fn aux_hash(&self) -> [u8; 8] {
        self.aux_hash
    }

    /// `new_nonce_hashN` of dh_gen_ok (1), dh_gen_retry (2) and dh_gen_fail (3).
    pub fn new_nonce_hash(&self, new_nonce: &[u8; 32], number: u8) -> [u8; 16] {
        let mut hasher = Sha1::new();
        hasher.update(new_nonce);
        hasher.update([number]);
        hasher.update(self.aux_hash);
        let sha = hasher.finalize();
        let mut out = [0; 16];
        out.copy_from_slice(&sha[4..20]);
        out
    }
}

impl std::fmt::Debug for AuthKey {
    /// Never prints the key itself: only its public identifier.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuthKey(id={:016x})", self.id() as u64)
    }
}

/// Why an encrypted message was refused. Every variant must be treated the same way by the
/// caller (drop the message, close the connection), so a peer learns nothing from which
/// check failed (security guidelines, item 14); the variants exist only for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CipherError {
    /// Shorter than key id + msg_key + one block, or not a multiple of 16 after the header.
    BadLength,
    /// The auth_key_id is not the key this connection uses.
    WrongAuthKey,
    /// The recomputed msg_key differs.
    MsgKeyMismatch,
}

impl std::fmt::Display for CipherError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CipherError::BadLength => "encrypted message has an invalid length",
            CipherError::WrongAuthKey => "encrypted message is for another auth key",
            CipherError::MsgKeyMismatch => "encrypted message failed its msg_key check",
        })
    }
}

impl std::error::Error for CipherError {}

fn x_for(sender: Side) -> usize {
    match sender {
        Side::Client => 0,
        Side::Server => 8,
    }
}

fn aes_key_iv(key: &AuthKey, msg_key: &[u8; 16], sender: Side) -> ([u8; 32], [u8; 32]) {
    let x = x_for(sender);
    let a = Sha256::new()
        .chain_update(msg_key)
        .chain_update(&key.data[x..x + 36])
        .finalize();
    let b = Sha256::new()
        .chain_update(&key.data[40 + x..40 + x + 36])
        .chain_update(msg_key)
        .finalize();
    let mut aes_key = [0; 32];
    aes_key[..8].copy_from_slice(&a[..8]);
    aes_key[8..24].copy_from_slice(&b[8..24]);
    aes_key[24..].copy_from_slice(&a[24..32]);
    let mut aes_iv = [0; 32];
    aes_iv[..8].copy_from_slice(&b[..8]);
    aes_iv[8..24].copy_from_slice(&a[8..24]);
    aes_iv[24..].copy_from_slice(&b[24..32]);
    (aes_key, aes_iv)
}

fn msg_key_for(key: &AuthKey, sender: Side, padded_plaintext: &[u8]) -> [u8; 16] {
    let x = x_for(sender);
    let large = Sha256::new()
        .chain_update(&key.data[88 + x..88 + x + 32])
        .chain_update(padded_plaintext)
        .finalize();
    let mut msg_key = [0; 16];
    msg_key.copy_from_slice(&large[8..24]);
    msg_key
}

/// Padding length for a plaintext: 12..=27 bytes, total a multiple of 16.
pub fn padding_len(plaintext_len: usize) -> usize {
    12 + (16 - (plaintext_len + 12) % 16) % 16
}

/// Encrypts `plaintext` (salt, session_id, msg_id, seq_no, length, body) sent by `sender`,
/// appending `auth_key_id + msg_key + encrypted_data` to `out`. Padding is random (from
/// the per-thread CSPRNG, [`crate::protocol::random`]).
pub fn encrypt(key: &AuthKey, sender: Side, plaintext: &[u8], out: &mut Vec<u8>) {
    let mut padding = [0u8; 27];
    let n = padding_len(plaintext.len());
    crate::protocol::random::fill(&mut padding[..n]);
    encrypt_with_padding(key, sender, plaintext, &padding[..n], out);
}

/// [`encrypt`] with the padding given, for known-answer tests.
pub fn encrypt_with_padding(
    key: &AuthKey,
    sender: Side,
    plaintext: &[u8],
    padding: &[u8],
    out: &mut Vec<u8>,
) {
    debug_assert!((plaintext.len() + padding.len()).is_multiple_of(16));
    let start = out.len();
    out.extend_from_slice(&key.id);
    out.extend_from_slice(&[0; 16]);
    let body = out.len();
    out.extend_from_slice(plaintext);
    out.extend_from_slice(padding);
    let msg_key = msg_key_for(key, sender, &out[body..]);
    out[start + 8..start + 24].copy_from_slice(&msg_key);
    let (aes_key, aes_iv) = aes_key_iv(key, &msg_key, sender);
    ige_encrypt(&mut out[body..], &aes_key, &aes_iv);
}

/// Reads the auth_key_id of an encrypted frame (0 means an unencrypted message).
pub fn frame_auth_key_id(frame: &[u8]) -> Option<i64> {
    frame
        .get(..8)
        .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// Decrypts, in place, a frame sent by `sender`, returning the padded plaintext.
///
/// The msg_key is always recomputed and compared after decryption (security guidelines).
pub fn decrypt<'a>(
    key: &AuthKey,
    sender: Side,
    frame: &'a mut [u8],
) -> Result<&'a mut [u8], CipherError> {
    if frame.len() < 24 + 16 || !(frame.len() - 24).is_multiple_of(16) {
        return Err(CipherError::BadLength);
    }
    if frame[..8] != key.id {
        return Err(CipherError::WrongAuthKey);
    }
    let mut msg_key = [0; 16];
    msg_key.copy_from_slice(&frame[8..24]);
    let (aes_key, aes_iv) = aes_key_iv(key, &msg_key, sender);
    let body = &mut frame[24..];
    ige_decrypt(body, &aes_key, &aes_iv);
    let expected = msg_key_for(key, sender, body);
    // Constant-time comparison: no early exit that could be timed.
    let matches = bool::from(expected.ct_eq(&msg_key));
    // FUZZING ONLY: `cargo fuzz` compiles every crate with `--cfg fuzzing`, and then the
    // msg_key mismatch is ignored, so the fuzz targets (fuzz/fuzz_targets/encrypted_message.rs)
    // reach the parsers behind the MAC with arbitrary ciphertext. No other build sets this
    // cfg (cargo, the Makefile and the bindings never do), so normal builds always check.
    #[allow(unexpected_cfgs)]
    let skip_msg_key_check = cfg!(fuzzing);
    if !matches && !skip_msg_key_check {
        return Err(CipherError::MsgKeyMismatch);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting_key() -> AuthKey {
        let mut data = [0u8; 256];
        data.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
        AuthKey::from_bytes(data)
    }

    #[test]
    fn auth_key_is_wiped() {
        // Dropping runs `Zeroize::zeroize` (the type must stay `ZeroizeOnDrop`); wiping in
        // place clears the key and its derived hash.
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<AuthKey>();
        let mut key = counting_key();
        assert_ne!(key.bytes(), &[0u8; 256]);
        key.zeroize();
        assert_eq!(key.bytes(), &[0u8; 256]);
        assert_eq!(key.aux_hash(), [0u8; 8]);
    }

    /// The MTProto 2.0 vector used across client libraries (grammers' and Telethon's test
    /// suites use it): auth_key = bytes 0..=255, the plaintext below, 19 zero padding bytes,
    /// client to server.
    #[test]
    fn known_answer_client_encryption() {
        let expected: [u8; 88] = [
            50, 209, 88, 110, 164, 87, 223, 200, 168, 23, 41, 212, 109, 181, 64, 25, 162, 191, 215,
            247, 68, 249, 185, 108, 79, 113, 108, 253, 196, 71, 125, 178, 162, 193, 95, 109, 219,
            133, 35, 95, 185, 85, 47, 29, 132, 7, 198, 170, 234, 0, 204, 132, 76, 90, 27, 246, 172,
            68, 183, 155, 94, 220, 42, 35, 134, 139, 61, 96, 115, 165, 144, 153, 44, 15, 41, 117,
            36, 61, 86, 62, 161, 128, 210, 24, 238, 117, 124, 154,
        ];
        let key = counting_key();
        let plaintext = b"Hello, world! This data should remain secure!";
        let mut out = Vec::new();
        encrypt_with_padding(&key, Side::Client, plaintext, &[0; 19], &mut out);
        assert_eq!(out, expected);

        // And the server side reads it back.
        let plain = decrypt(&key, Side::Client, &mut out).unwrap();
        assert_eq!(&plain[..plaintext.len()], plaintext);
    }

    #[test]
    fn both_directions_round_trip_and_differ() {
        let key = counting_key();
        let msg = [7u8; 64];
        let mut from_client = Vec::new();
        let mut from_server = Vec::new();
        encrypt_with_padding(&key, Side::Client, &msg, &[1; 16], &mut from_client);
        encrypt_with_padding(&key, Side::Server, &msg, &[1; 16], &mut from_server);
        assert_ne!(from_client, from_server);
        // The wrong direction fails the msg_key check.
        let mut copy = from_server.clone();
        assert_eq!(
            decrypt(&key, Side::Client, &mut copy).unwrap_err(),
            CipherError::MsgKeyMismatch
        );
        assert_eq!(
            &decrypt(&key, Side::Server, &mut from_server).unwrap()[..64],
            &msg
        );
    }

    #[test]
    fn tampering_and_bad_lengths_are_refused() {
        let key = counting_key();
        let mut out = Vec::new();
        encrypt(&key, Side::Server, &[3u8; 40], &mut out);
        for i in [0usize, 9, 30, out.len() - 1] {
            let mut bad = out.clone();
            bad[i] ^= 0x01;
            assert!(decrypt(&key, Side::Server, &mut bad).is_err(), "byte {i}");
        }
        let mut short = out[..out.len() - 4].to_vec();
        assert_eq!(
            decrypt(&key, Side::Server, &mut short).unwrap_err(),
            CipherError::BadLength
        );
    }

    #[test]
    fn padding_is_12_to_27_and_aligned() {
        for len in 0..100 {
            let p = padding_len(len);
            assert!((12..=27).contains(&p));
            assert_eq!((len + p) % 16, 0);
        }
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let text = format!("{:?}", counting_key());
        assert!(text.starts_with("AuthKey(id="));
        assert!(text.len() < 40);
    }
}
