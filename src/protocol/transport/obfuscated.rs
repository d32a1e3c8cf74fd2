//! obfuscated2: the 64-byte header and the two AES-256-CTR streams after it
//! (mtproto-transports#transport-obfuscation).

use std::fmt;

use super::framing::read_u32_le;
use super::{TransportError, TransportKind};

use aes::cipher::{KeyIvInit, StreamCipher};

/// AES-256 in CTR mode with a 128-bit big-endian counter. This is OpenSSL's
/// `aes-256-ctr`, the cipher the docs tell implementations to use.
type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

/// The outgoing half of an obfuscated2 connection: the AES-256-CTR stream that encrypts
/// everything we send after the 64-byte header.
pub struct ObfuscationEncrypt(Aes256Ctr);

impl ObfuscationEncrypt {
    /// Encrypts `buf` in place and advances the stream past it.
    pub fn apply(&mut self, buf: &mut [u8]) {
        self.0.apply_keystream(buf);
    }
}

/// The incoming half of an obfuscated2 connection: the AES-256-CTR stream that decrypts
/// everything the peer sends after the 64-byte header.
pub struct ObfuscationDecrypt(Aes256Ctr);

impl ObfuscationDecrypt {
    /// Decrypts `buf` in place and advances the stream past it.
    pub fn apply(&mut self, buf: &mut [u8]) {
        self.0.apply_keystream(buf);
    }
}

// Written by hand so that no key material ends up in logs.
impl fmt::Debug for ObfuscationEncrypt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ObfuscationEncrypt { .. }")
    }
}

impl fmt::Debug for ObfuscationDecrypt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ObfuscationDecrypt { .. }")
    }
}

/// Both AES-256-CTR streams of an obfuscated2 connection, seen from one side. Each stream
/// runs continuously for the life of the connection: "reuse the two encryption and
/// decryption AES-256-CTR instances until the connection is closed"
/// (mtproto-transports#transport-obfuscation).
#[derive(Debug)]
pub struct Obfuscation {
    encrypt: ObfuscationEncrypt,
    decrypt: ObfuscationDecrypt,
}

impl Obfuscation {
    /// Encrypts outgoing bytes in place.
    pub fn apply_encrypt(&mut self, buf: &mut [u8]) {
        self.encrypt.apply(buf);
    }

    /// Decrypts incoming bytes in place.
    pub fn apply_decrypt(&mut self, buf: &mut [u8]) {
        self.decrypt.apply(buf);
    }

    /// Separates the two directions, so the writer and reader tasks each own theirs.
    pub fn split(self) -> (ObfuscationEncrypt, ObfuscationDecrypt) {
        (self.encrypt, self.decrypt)
    }
}

/// The first words that neither a client's obfuscated2 header nor a plain connection may
/// start with, as little-endian u32s. The list is the docs' pseudocode:
/// `HEAD`, `POST`, `GET `, `OPTI` (the HTTP transport), `16 03 01 02` (a TLS record, which
/// MTProxy's fake-TLS mode uses) and the two 4-byte transport tags
/// (mtproto-transports#transport-obfuscation).
const FORBIDDEN_FIRST_WORDS: [u32; 7] = [
    0x4441_4548, // "HEAD"
    0x5453_4f50, // "POST"
    0x2054_4547, // "GET "
    0x4954_504f, // "OPTI"
    0x0201_0316, // TLS handshake record
    0xdddd_dddd, // padded intermediate
    0xeeee_eeee, // intermediate
];

/// The subset of [`FORBIDDEN_FIRST_WORDS`] that is not MTProto at all: HTTP and TLS.
pub(super) const HTTP_TLS_FIRST_WORDS: [u32; 5] = [
    0x4441_4548,
    0x5453_4f50,
    0x2054_4547,
    0x4954_504f,
    0x0201_0316,
];

/// Whether a candidate obfuscated2 header would be mistaken for a plain transport or for
/// HTTP/TLS. This holds if its first byte is abridged's `0xef`, if its first word is one of
/// the forbidden ones (HTTP methods, a TLS record, the intermediate tags), or if its second
/// word is 0 (a full-transport frame with seqno 0). Clients must regenerate such headers.
/// It is the same test, inverted, that [`detect`] applies on the server.
pub fn is_forbidden_first_bytes(header: &[u8; 64]) -> bool {
    let first = read_u32_le(&header[0..4]);
    let second = read_u32_le(&header[4..8]);
    header[0] == 0xef || FORBIDDEN_FIRST_WORDS.contains(&first) || second == 0
}

/// Builds an AES-256-CTR stream from a 48-byte key‖IV.
fn ctr_from(key_iv: &[u8]) -> Aes256Ctr {
    let mut key = [0u8; 32];
    let mut iv = [0u8; 16];
    key.copy_from_slice(&key_iv[..32]);
    iv.copy_from_slice(&key_iv[32..48]);
    Aes256Ctr::new(&key.into(), &iv.into())
}

/// The two streams an obfuscated2 header defines, named from the client's point of view.
/// The client encrypts with key `init[8..40]` and IV `init[40..56]`. It decrypts with the
/// same ranges of the byte-reversed header (mtproto-transports#transport-obfuscation).
/// Bytes 8..56 travel in clear, so the server can derive the same two streams from what it
/// receives.
fn header_streams(init: &[u8; 64]) -> (Aes256Ctr, Aes256Ctr) {
    let mut reversed = *init;
    reversed.reverse();
    (ctr_from(&init[8..56]), ctr_from(&reversed[8..56]))
}

/// Completes a client header from its plaintext `init`: the whole header goes through the
/// encrypting stream, and bytes 56..64 (protocol tag and DC id) are replaced with their
/// ciphertext. The encrypting stream is left at offset 64, which is where the first frame
/// starts.
fn client_header_from_init(init: &[u8; 64]) -> ([u8; 64], Obfuscation) {
    let (mut encrypt, decrypt) = header_streams(init);
    let mut encrypted = *init;
    encrypt.apply_keystream(&mut encrypted);
    let mut wire = *init;
    wire[56..].copy_from_slice(&encrypted[56..]);
    let obfuscation = Obfuscation {
        encrypt: ObfuscationEncrypt(encrypt),
        decrypt: ObfuscationDecrypt(decrypt),
    };
    (wire, obfuscation)
}

/// Generates a client's obfuscated2 header for `kind`. It returns the 64 bytes to send
/// first and the client's ciphers, positioned for the first frame.
///
/// The header is random except for the protocol tag at 56..60 and `dc_id` (little-endian)
/// at 60..62. It is regenerated until [`is_forbidden_first_bytes`] accepts it. The docs
/// require the DC id only for MTProxy; we always send it, and the test DC may check it.
///
/// Fails with [`TransportError::ObfuscatedFull`] for [`TransportKind::Full`], or with
/// [`TransportError::Random`] if the system RNG fails.
pub fn obfuscated_client_header(
    kind: TransportKind,
    dc_id: i16,
) -> Result<([u8; 64], Obfuscation), TransportError> {
    let tag = kind
        .obfuscated_tag()
        .ok_or(TransportError::ObfuscatedFull)?;
    let mut init = [0u8; 64];
    loop {
        getrandom::fill(&mut init).map_err(|_| TransportError::Random)?;
        init[56..60].copy_from_slice(&tag);
        init[60..62].copy_from_slice(&dc_id.to_le_bytes());
        // About one header in 128 starts with 0xef, and the rest almost never hit, so
        // this loop ends after a try or two.
        if !is_forbidden_first_bytes(&init) {
            break;
        }
    }
    Ok(client_header_from_init(&init))
}

/// The server's side of obfuscated2. From the 64-byte header as received, it recovers the
/// client's transport and DC id and returns the server's ciphers, positioned after the
/// header.
///
/// The server's decrypting stream is the client's encrypting one, and vice versa. Fails
/// with [`TransportError::BadTag`] if the decrypted tag names no transport. This is also
/// what garbage or a wrongly keyed header looks like.
pub fn obfuscated_server_accept(
    header: &[u8; 64],
) -> Result<(TransportKind, i16, Obfuscation), TransportError> {
    let (mut client_encrypt, client_decrypt) = header_streams(header);
    let mut plain = *header;
    // This both reveals bytes 56..64 and moves the stream past the header.
    client_encrypt.apply_keystream(&mut plain);
    let kind = TransportKind::from_obfuscated_tag([plain[56], plain[57], plain[58], plain[59]])
        .ok_or(TransportError::BadTag)?;
    let dc_id = i16::from_le_bytes([plain[60], plain[61]]);
    let obfuscation = Obfuscation {
        encrypt: ObfuscationEncrypt(client_decrypt),
        decrypt: ObfuscationDecrypt(client_encrypt),
    };
    Ok((kind, dc_id, obfuscation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::transport::test_util::*;
    use crate::protocol::transport::*;

    #[test]
    fn forbidden_first_bytes() {
        let mut header = [0x11u8; 64];
        assert!(!is_forbidden_first_bytes(&header));
        header[0] = 0xef;
        assert!(is_forbidden_first_bytes(&header));
        // The words from the pseudocode in mtproto-transports#transport-obfuscation.
        for word in [
            *b"HEAD",
            *b"POST",
            *b"GET ",
            *b"OPTI",
            [0x16, 0x03, 0x01, 0x02],
            [0xdd; 4],
            [0xee; 4],
        ] {
            let mut header = [0x11u8; 64];
            header[..4].copy_from_slice(&word);
            assert!(is_forbidden_first_bytes(&header), "{word:x?}");
        }
        let mut header = [0x11u8; 64];
        header[4..8].copy_from_slice(&[0; 4]);
        assert!(is_forbidden_first_bytes(&header));
    }

    #[test]
    fn generated_headers_are_never_forbidden() {
        for i in 0..10_000 {
            let kind = [
                TransportKind::Abridged,
                TransportKind::Intermediate,
                TransportKind::PaddedIntermediate,
            ][i % 3];
            let (header, _) = obfuscated_client_header(kind, 2).unwrap();
            assert!(!is_forbidden_first_bytes(&header));
            assert_eq!(detect(&header), Ok(Some((Detected::Obfuscated, 0))));
        }
        assert!(matches!(
            obfuscated_client_header(TransportKind::Full, 2),
            Err(TransportError::ObfuscatedFull)
        ));
    }

    #[test]
    fn obfuscation_known_answer() {
        // The expected bytes were computed independently with
        // `openssl enc -aes-256-ctr`, following the key derivation in
        // mtproto-transports#transport-obfuscation. Encrypt key/IV are init[8..40] and
        // init[40..56]. Decrypt key/IV are the same ranges of the reversed init.
        let mut init = [0u8; 64];
        for (i, byte) in init.iter_mut().enumerate().take(56) {
            *byte = i as u8;
        }
        init[56..60].copy_from_slice(&[0xef; 4]);
        init[60..64].copy_from_slice(&[2, 0, 0xaa, 0xbb]);
        let (wire, mut obfuscation) = client_header_from_init(&init);
        assert_eq!(wire[..56], init[..56]);
        assert_eq!(wire[56..], [0x47, 0x19, 0x24, 0x5f, 0x1c, 0x00, 0x69, 0xd9]);
        // The encrypting stream continues at byte 64.
        let mut next = [0u8; 16];
        obfuscation.apply_encrypt(&mut next);
        assert_eq!(
            next,
            [
                0x32, 0xa9, 0xc1, 0x28, 0x38, 0xf1, 0x65, 0x41, 0x22, 0xb1, 0x90, 0xbd, 0x1d, 0xa2,
                0xb2, 0x0b
            ]
        );
        // The decrypting stream starts at 0: the server has sent nothing yet.
        let mut incoming = [0u8; 16];
        obfuscation.apply_decrypt(&mut incoming);
        assert_eq!(
            incoming,
            [
                0x2f, 0x9d, 0xe3, 0x70, 0xde, 0xcc, 0x06, 0x40, 0x95, 0xd9, 0x31, 0xe3, 0x0a, 0x26,
                0x7b, 0x69
            ]
        );
        // And the server recovers the tag and DC id from the wire header.
        let (kind, dc_id, _) = obfuscated_server_accept(&wire).unwrap();
        assert_eq!((kind, dc_id), (TransportKind::Abridged, 2));
    }

    #[test]
    fn obfuscated_round_trip() {
        for kind in [
            TransportKind::Abridged,
            TransportKind::Intermediate,
            TransportKind::PaddedIntermediate,
        ] {
            let (header, client) = obfuscated_client_header(kind, -10004).unwrap();
            let (got_kind, dc_id, server) = obfuscated_server_accept(&header).unwrap();
            assert_eq!((got_kind, dc_id), (kind, -10004));
            let (mut client_enc, mut client_dec) = client.split();
            let (mut server_enc, mut server_dec) = server.split();

            for size in [4, 508, 4096] {
                // Client to server.
                let mut wire = Vec::new();
                FrameEncoder::new(kind).encode(&payload(size), &mut wire);
                let plain = wire.clone();
                client_enc.apply(&mut wire);
                assert_ne!(wire, plain);
                server_dec.apply(&mut wire);
                let mut decoder = FrameDecoder::new(kind, 8192);
                let (frame, _) = decoder.decode(&wire).unwrap().unwrap();
                assert_payload_eq(kind, &frame, &payload(size));

                // Server to client.
                let mut wire = Vec::new();
                FrameEncoder::new(kind).encode(&payload(size), &mut wire);
                server_enc.apply(&mut wire);
                client_dec.apply(&mut wire);
                let mut decoder = FrameDecoder::new(kind, 8192);
                let (frame, _) = decoder.decode(&wire).unwrap().unwrap();
                assert_payload_eq(kind, &frame, &payload(size));
            }
        }
        // A header with garbage where the tag should be is rejected.
        let (mut header, _) = obfuscated_client_header(TransportKind::Abridged, 1).unwrap();
        header[57] ^= 0x55;
        assert!(matches!(
            obfuscated_server_accept(&header),
            Err(TransportError::BadTag)
        ));
    }
}
