//! MTProto transports: framing of MTProto payloads on a TCP stream, and the obfuscated2
//! layer under it.
//!
//! See <https://core.telegram.org/mtproto/mtproto-transports>. Four framings exist
//! (abridged, intermediate, padded intermediate, full). The server recognises the framing
//! from the first bytes the client sends ([`detect`]). Obfuscated2 encrypts everything
//! after a random 64-byte header with AES-256-CTR, so the framing cannot be seen on the
//! wire.
//!
//! The module is in layers, so both sides share each piece:
//!
//! - sans-IO framing: [`FrameEncoder`] and [`FrameDecoder`] turn payloads into bytes and
//!   back. They are separate types so a connection's writer and reader halves can live in
//!   different tasks.
//! - obfuscated2: [`obfuscated_client_header`] and [`obfuscated_server_accept`] derive the
//!   two AES-256-CTR streams ([`Obfuscation`]), which can also be split in two.
//! - detection: [`detect`] tells a server which transport a client speaks.
//! - async halves over tokio: [`FrameReader`] and [`FrameWriter`], built by
//!   [`connect_framed`] (client) and [`accept_framed`] (server).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use aes::cipher::{KeyIvInit, StreamCipher};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

/// AES-256 in CTR mode with a 128-bit big-endian counter. This is OpenSSL's
/// `aes-256-ctr`, the cipher the docs tell implementations to use.
type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

/// A reasonable default for the `max_len` of a decoder: bigger than anything the login flow
/// exchanges (and than a 1 MiB `upload.getFile` chunk plus its envelope). It is still small
/// enough that a peer cannot make us allocate much.
pub const DEFAULT_MAX_FRAME_LEN: usize = 4 << 20;

/// How much a [`FrameReader`] asks the socket for at a time when it does not yet know how
/// long the next frame is. Small frames that arrive back to back then need one syscall.
const READ_CHUNK: usize = 8 * 1024;
/// A write buffer larger than this is released after it is flushed.
const KEPT_WRITE_BUFFER: usize = 64 * 1024;

/// The abridged transport's largest payload. Its long length form holds len/4 in 3 bytes.
const ABRIDGED_MAX_LEN: usize = ((1 << 24) - 1) * 4;

/// Bytes the full transport adds to every payload: length, seqno and CRC32, 4 bytes each.
const FULL_OVERHEAD: usize = 12;

/// The largest random padding that padded intermediate adds ("a random padding string of
/// length 0-15", mtproto-transports#padded-intermediate).
const MAX_PADDING: usize = 15;

// ---------------------------------------------------------------------------------------
// Transport kinds
// ---------------------------------------------------------------------------------------

/// One of the four MTProto transport framings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// A 1-byte length (or `0x7f` followed by a 3-byte length), counted in 4-byte words.
    Abridged,
    /// A 4-byte little-endian length.
    Intermediate,
    /// Intermediate with 0 to 15 random bytes of padding after each payload. It is meant to
    /// be used under obfuscation, where the padding hides the payload sizes.
    PaddedIntermediate,
    /// Length, sequence number, payload and CRC32. This one has no tag.
    Full,
}

impl TransportKind {
    /// All four kinds, for tests and for anything that enumerates them.
    pub const ALL: [TransportKind; 4] = [
        TransportKind::Abridged,
        TransportKind::Intermediate,
        TransportKind::PaddedIntermediate,
        TransportKind::Full,
    ];

    /// The bytes a client sends first on a plain (non-obfuscated) connection to select this
    /// transport. They are empty for [`TransportKind::Full`], which the server recognises
    /// from its first frame instead.
    pub fn tag(self) -> &'static [u8] {
        match self {
            TransportKind::Abridged => &[0xef],
            TransportKind::Intermediate => &[0xee; 4],
            TransportKind::PaddedIntermediate => &[0xdd; 4],
            TransportKind::Full => &[],
        }
    }

    /// The 4-byte protocol identifier that goes at offset 56 of an obfuscated2 header. The
    /// docs pad abridged's single byte with itself (`0xef` becomes `0xefefefef`).
    /// Returns `None` for [`TransportKind::Full`], which obfuscated2 does not carry here
    /// (see [`TransportError::ObfuscatedFull`]).
    pub fn obfuscated_tag(self) -> Option<[u8; 4]> {
        match self {
            TransportKind::Abridged => Some([0xef; 4]),
            TransportKind::Intermediate => Some([0xee; 4]),
            TransportKind::PaddedIntermediate => Some([0xdd; 4]),
            TransportKind::Full => None,
        }
    }

    /// The kind whose [`obfuscated_tag`](Self::obfuscated_tag) is `tag`, if any.
    pub fn from_obfuscated_tag(tag: [u8; 4]) -> Option<TransportKind> {
        match tag {
            [0xef, 0xef, 0xef, 0xef] => Some(TransportKind::Abridged),
            [0xee, 0xee, 0xee, 0xee] => Some(TransportKind::Intermediate),
            [0xdd, 0xdd, 0xdd, 0xdd] => Some(TransportKind::PaddedIntermediate),
            _ => None,
        }
    }

    /// The name used on command lines and in configuration: `"abridged"`, `"intermediate"`,
    /// `"padded"` or `"full"`.
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Abridged => "abridged",
            TransportKind::Intermediate => "intermediate",
            TransportKind::PaddedIntermediate => "padded",
            TransportKind::Full => "full",
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error returned when a string names no [`TransportKind`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseTransportKindError {
    input: String,
}

impl fmt::Display for ParseTransportKindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown transport {:?} (expected abridged, intermediate, padded or full)",
            self.input
        )
    }
}

impl std::error::Error for ParseTransportKindError {}

impl FromStr for TransportKind {
    type Err = ParseTransportKindError;

    /// Parses the names from [`TransportKind::name`], ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TransportKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseTransportKindError {
                input: s.to_owned(),
            })
    }
}

// ---------------------------------------------------------------------------------------
// Errors and frames
// ---------------------------------------------------------------------------------------

/// Why a transport operation failed. A connection that returned any of these errors is
/// unusable: the stream position or the cipher state can no longer be trusted. Drop it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// A length field that this transport cannot carry: zero, not a multiple of 4 where the
    /// framing needs one, or too short to hold the full transport's envelope.
    BadLength,
    /// A frame's payload length is over the decoder's `max_len`, or over what the framing
    /// can encode. It is detected from the length prefix alone, before the body is buffered.
    TooLong {
        /// The payload length the frame announced, or the one that was to be sent.
        len: usize,
    },
    /// A full-transport frame whose CRC32 does not match its contents.
    BadCrc,
    /// A full-transport frame that is out of sequence.
    BadSeq {
        /// The sequence number this frame should have had.
        expected: u32,
        /// The sequence number the frame had.
        got: u32,
    },
    /// An obfuscated2 header whose decrypted protocol tag names no transport.
    BadTag,
    /// The first bytes of a connection look like HTTP or TLS, which this implementation does
    /// not serve. The same words are banned from obfuscated2 headers.
    ForbiddenHeader,
    /// The full transport was requested under obfuscated2. The docs say that obfuscation
    /// wraps "all transports", but the full transport has no protocol tag to put in the
    /// header, and real clients never combine the two, so we refuse it.
    ObfuscatedFull,
    /// The operating system's random number generator failed.
    Random,
    /// The peer closed the connection between frames (a clean end of stream).
    Closed,
    /// An I/O error, or the peer closing the connection mid-frame (`UnexpectedEof`). A
    /// timeout in [`accept_framed`] is reported as `TimedOut`.
    Io(std::io::ErrorKind),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::BadLength => f.write_str("invalid transport frame length"),
            TransportError::TooLong { len } => write!(f, "transport frame too long ({len} bytes)"),
            TransportError::BadCrc => f.write_str("full transport frame has a bad CRC32"),
            TransportError::BadSeq { expected, got } => write!(
                f,
                "full transport frame out of sequence (expected {expected}, got {got})"
            ),
            TransportError::BadTag => f.write_str("obfuscated2 header has an unknown protocol tag"),
            TransportError::ForbiddenHeader => {
                f.write_str("connection starts like HTTP or TLS, not MTProto")
            }
            TransportError::ObfuscatedFull => {
                f.write_str("the full transport cannot be used under obfuscated2")
            }
            TransportError::Random => f.write_str("the system random number generator failed"),
            TransportError::Closed => f.write_str("connection closed by peer"),
            TransportError::Io(kind) => write!(f, "transport I/O error: {kind}"),
        }
    }
}

impl std::error::Error for TransportError {}

impl From<std::io::Error> for TransportError {
    fn from(err: std::io::Error) -> Self {
        // Only the kind is kept, so the error stays `Copy` and comparable in tests. The
        // message of a socket error rarely says more than its kind does.
        TransportError::Io(err.kind())
    }
}

/// One decoded transport frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// An MTProto payload: an unencrypted or an encrypted message. With padded
    /// intermediate it still carries its 0 to 15 bytes of random padding (see
    /// [`FrameDecoder::decode`]).
    Packet(Vec<u8>),
    /// A transport error from the server: a 4-byte payload holding a negative
    /// little-endian `int`, such as -404 (auth key not found) or -429 (transport flood).
    /// See mtproto-transports#transport-errors.
    TransportError(i32),
}

impl Frame {
    /// Classifies a payload. The smallest MTProto message (an unencrypted one:
    /// auth_key_id, msg_id, message_data_length and a 4-byte constructor) is 24 bytes, so a
    /// payload shorter than that cannot be a message. A transport error is exactly 4 bytes,
    /// except under padded intermediate, where padding may follow it.
    fn from_payload(payload: &[u8], padded: bool) -> Frame {
        let may_be_error = if padded {
            (4..4 + MAX_PADDING + 1).contains(&payload.len())
        } else {
            payload.len() == 4
        };
        if may_be_error {
            let code = i32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]]);
            if code < 0 {
                return Frame::TransportError(code);
            }
        }
        Frame::Packet(payload.to_vec())
    }
}

// ---------------------------------------------------------------------------------------
// Sans-IO framing
// ---------------------------------------------------------------------------------------

/// Wraps payloads in one transport's envelope. There is one per direction, because the full
/// transport numbers each direction's frames on its own.
#[derive(Clone, Debug)]
pub struct FrameEncoder {
    kind: TransportKind,
    /// The full transport's next sequence number. The first frame is numbered 0.
    seq: u32,
}

impl FrameEncoder {
    /// An encoder for a fresh connection.
    pub fn new(kind: TransportKind) -> Self {
        Self { kind, seq: 0 }
    }

    /// The framing this encoder produces.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// Checks that [`encode`](Self::encode) can frame `payload`. The payload must not be
    /// empty, and abridged, intermediate and full need a multiple of 4 bytes, because they
    /// count in words or expect MTProto's 4-byte alignment. Abridged also cannot express
    /// 64 MiB or more.
    pub fn check(&self, payload: &[u8]) -> Result<(), TransportError> {
        let len = payload.len();
        if len == 0 {
            return Err(TransportError::BadLength);
        }
        match self.kind {
            TransportKind::PaddedIntermediate => {}
            _ if len % 4 != 0 => return Err(TransportError::BadLength),
            _ => {}
        }
        let limit = match self.kind {
            TransportKind::Abridged => ABRIDGED_MAX_LEN,
            // The length fields are u32. Padded intermediate and full add up to 15 and 12
            // bytes to that field.
            _ => u32::MAX as usize - 16,
        };
        if len > limit {
            return Err(TransportError::TooLong { len });
        }
        Ok(())
    }

    /// Appends one frame carrying `payload` to `out`. `payload` must pass
    /// [`check`](Self::check). Debug builds assert it, and release builds would put a
    /// corrupt frame on the wire.
    pub fn encode(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        self.encode_inner(payload, out, true);
    }

    /// Appends a transport error frame: `code` (negative, e.g. -404) as a 4-byte
    /// little-endian payload, the way the server reports errors below MTProto.
    ///
    /// Under padded intermediate no padding is added. A peer that only recognises an
    /// error from an exactly 4-byte payload will still see one.
    pub fn encode_transport_error(&mut self, code: i32, out: &mut Vec<u8>) {
        debug_assert!(code < 0, "transport error codes are negative");
        self.encode_inner(&code.to_le_bytes(), out, false);
    }

    fn encode_inner(&mut self, payload: &[u8], out: &mut Vec<u8>, pad: bool) {
        debug_assert_eq!(self.check(payload), Ok(()), "payload cannot be framed");
        let len = payload.len();
        match self.kind {
            TransportKind::Abridged => {
                let words = len / 4;
                if words < 0x7f {
                    out.push(words as u8);
                } else {
                    // 0x7f escapes a 3-byte little-endian word count.
                    out.push(0x7f);
                    out.extend_from_slice(&(words as u32).to_le_bytes()[..3]);
                }
                out.extend_from_slice(payload);
            }
            TransportKind::Intermediate => {
                out.extend_from_slice(&(len as u32).to_le_bytes());
                out.extend_from_slice(payload);
            }
            TransportKind::PaddedIntermediate => {
                // One random byte picks the padding length. The other 15 are the padding
                // itself.
                let mut random = [0u8; 1 + MAX_PADDING];
                let padding: &[u8] = if pad {
                    crate::protocol::random::fill(&mut random);
                    let n = usize::from(random[0]) % (MAX_PADDING + 1);
                    &random[1..1 + n]
                } else {
                    &[]
                };
                out.extend_from_slice(&((len + padding.len()) as u32).to_le_bytes());
                out.extend_from_slice(payload);
                out.extend_from_slice(padding);
            }
            TransportKind::Full => {
                let start = out.len();
                out.extend_from_slice(&((len + FULL_OVERHEAD) as u32).to_le_bytes());
                out.extend_from_slice(&self.seq.to_le_bytes());
                out.extend_from_slice(payload);
                // The CRC covers length, seqno and payload (mtproto-transports#full).
                let crc = crc32fast::hash(&out[start..]);
                out.extend_from_slice(&crc.to_le_bytes());
                self.seq = self.seq.wrapping_add(1);
            }
        }
    }
}

/// Extracts frames from a byte stream of one transport. There is one per direction.
///
/// It is stateless about buffering: the caller keeps the received bytes and passes them in
/// again until a frame is complete. The only state kept is the full transport's expected
/// sequence number.
#[derive(Clone, Debug)]
pub struct FrameDecoder {
    kind: TransportKind,
    /// The full transport's next expected sequence number.
    seq: u32,
    max_len: usize,
}

/// Where a frame's payload lies, from its length prefix alone.
struct FrameLayout {
    /// Bytes before the payload.
    header_len: usize,
    /// Payload bytes, padding included.
    payload_len: usize,
    /// Bytes after the payload (the full transport's CRC).
    trailer_len: usize,
}

impl FrameLayout {
    fn total(&self) -> usize {
        self.header_len + self.payload_len + self.trailer_len
    }
}

impl FrameDecoder {
    /// A decoder for a fresh connection that rejects payloads longer than `max_len` bytes.
    /// Under padded intermediate, up to 15 bytes of padding are allowed on top of that.
    pub fn new(kind: TransportKind, max_len: usize) -> Self {
        Self {
            kind,
            seq: 0,
            max_len,
        }
    }

    /// The framing this decoder reads.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// The longest payload this decoder accepts.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Decodes the frame at the start of `buf`. It returns the frame and the number of bytes
    /// it used, which the caller then discards. It returns `None` when `buf` holds only part
    /// of a frame.
    ///
    /// The length prefix is validated as soon as it is complete. So a frame that announces
    /// more than `max_len` bytes fails here, before its body is buffered.
    ///
    /// Under padded intermediate the payload comes back with its padding. The framing does
    /// not say how long the padding is, but the MTProto message does: an unencrypted message
    /// states its `message_data_length`, and an encrypted one is
    /// `24 + a multiple of 16` bytes. So the layer above trims it.
    ///
    /// Quick-ack requests (the high bit of an abridged, intermediate or padded length) are
    /// accepted and ignored. Real clients such as Telegram Desktop set them, and a server may
    /// simply never acknowledge. We never set the bit ourselves, so a server never sends us
    /// quick-ack replies, which are not framed like other packets.
    pub fn decode(&mut self, buf: &[u8]) -> Result<Option<(Frame, usize)>, TransportError> {
        let Some(layout) = self.layout(buf)? else {
            return Ok(None);
        };
        let total = layout.total();
        if buf.len() < total {
            return Ok(None);
        }
        let payload = &buf[layout.header_len..layout.header_len + layout.payload_len];
        if self.kind == TransportKind::Full {
            let crc_at = total - 4;
            let got_crc = u32::from_le_bytes([
                buf[crc_at],
                buf[crc_at + 1],
                buf[crc_at + 2],
                buf[crc_at + 3],
            ]);
            if crc32fast::hash(&buf[..crc_at]) != got_crc {
                return Err(TransportError::BadCrc);
            }
            // The CRC comes first: if the frame is corrupt, its seqno is meaningless too.
            let got = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
            if got != self.seq {
                return Err(TransportError::BadSeq {
                    expected: self.seq,
                    got,
                });
            }
            self.seq = self.seq.wrapping_add(1);
        }
        let padded = self.kind == TransportKind::PaddedIntermediate;
        Ok(Some((Frame::from_payload(payload, padded), total)))
    }

    /// The total size of the frame at the start of `buf`, once its length prefix has
    /// arrived. Readers use it to ask the socket for the rest of the frame in one go.
    fn frame_len(&self, buf: &[u8]) -> Result<Option<usize>, TransportError> {
        Ok(self.layout(buf)?.map(|layout| layout.total()))
    }

    /// Parses and validates the length prefix at the start of `buf`.
    fn layout(&self, buf: &[u8]) -> Result<Option<FrameLayout>, TransportError> {
        let layout = match self.kind {
            TransportKind::Abridged => {
                let Some(&first) = buf.first() else {
                    return Ok(None);
                };
                // The high bit is the quick-ack request, and 0xff is the long form with it.
                let short = usize::from(first & 0x7f);
                if short < 0x7f {
                    FrameLayout {
                        header_len: 1,
                        payload_len: short * 4,
                        trailer_len: 0,
                    }
                } else {
                    if buf.len() < 4 {
                        return Ok(None);
                    }
                    let words = u32::from_le_bytes([buf[1], buf[2], buf[3], 0]) as usize;
                    FrameLayout {
                        header_len: 4,
                        payload_len: words * 4,
                        trailer_len: 0,
                    }
                }
            }
            TransportKind::Intermediate | TransportKind::PaddedIntermediate => {
                if buf.len() < 4 {
                    return Ok(None);
                }
                // Bit 31 is the quick-ack request.
                let len = (read_u32_le(buf) & 0x7fff_ffff) as usize;
                let padded = self.kind == TransportKind::PaddedIntermediate;
                // Padding makes any length possible under padded intermediate. Otherwise,
                // MTProto payloads are made of 4-byte words.
                if !padded && len % 4 != 0 {
                    return Err(TransportError::BadLength);
                }
                FrameLayout {
                    header_len: 4,
                    payload_len: len,
                    trailer_len: 0,
                }
            }
            TransportKind::Full => {
                if buf.len() < 4 {
                    return Ok(None);
                }
                let total = read_u32_le(buf) as usize;
                // Length, seqno and CRC alone take 12 bytes, and a payload is whole words.
                if total < FULL_OVERHEAD || total % 4 != 0 {
                    return Err(TransportError::BadLength);
                }
                FrameLayout {
                    header_len: 8,
                    payload_len: total - FULL_OVERHEAD,
                    trailer_len: 4,
                }
            }
        };
        // Even a transport error carries 4 bytes, so an empty payload is never valid.
        // Under padded intermediate, anything under 4 bytes cannot hold one either.
        if layout.payload_len < 4 {
            return Err(TransportError::BadLength);
        }
        let limit = match self.kind {
            TransportKind::PaddedIntermediate => self.max_len.saturating_add(MAX_PADDING),
            _ => self.max_len,
        };
        if layout.payload_len > limit {
            return Err(TransportError::TooLong {
                len: layout.payload_len,
            });
        }
        Ok(Some(layout))
    }
}

/// The little-endian u32 at the start of `buf`, which holds at least 4 bytes.
fn read_u32_le(buf: &[u8]) -> u32 {
    u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]])
}

// ---------------------------------------------------------------------------------------
// obfuscated2
// ---------------------------------------------------------------------------------------

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
const HTTP_TLS_FIRST_WORDS: [u32; 5] = [
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

// ---------------------------------------------------------------------------------------
// Server-side detection
// ---------------------------------------------------------------------------------------

/// What a client's first bytes say about its transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Detected {
    /// A plain transport. Frames follow the tag (if any).
    Plain(TransportKind),
    /// An obfuscated2 connection. The first 64 bytes are its header
    /// ([`obfuscated_server_accept`]).
    Obfuscated,
}

/// Classifies a connection from its first bytes, as Telegram's servers do. It returns
/// what was found and how many bytes the plain tag took (0 for full and obfuscated2, whose
/// first bytes are part of the first frame or of the header). It returns `None` while more
/// bytes are needed (at most 8).
///
/// The rules mirror the ones obfuscated2 clients follow when they generate a header
/// (mtproto-transports#transport-obfuscation), which is what makes the split unambiguous:
///
/// - `ef`: abridged. Clients never start a header with this byte.
/// - `ee ee ee ee` / `dd dd dd dd`: intermediate / padded intermediate. Headers never
///   start with these words.
/// - `HEAD`, `POST`, `GET `, `OPTI`, or a TLS record: HTTP or TLS, which we do not serve,
///   so [`TransportError::ForbiddenHeader`].
/// - bytes 4..8 all zero: the full transport, whose first frame has seqno 0. Headers never
///   have a zero second word. A full frame cannot be mistaken for the cases above, because
///   its length is a multiple of 4 (so not `ef`-led) and far below `0xdddddddd`.
/// - anything else: an obfuscated2 header.
pub fn detect(first: &[u8]) -> Result<Option<(Detected, usize)>, TransportError> {
    let Some(&first_byte) = first.first() else {
        return Ok(None);
    };
    if first_byte == 0xef {
        return Ok(Some((Detected::Plain(TransportKind::Abridged), 1)));
    }
    if first.len() < 4 {
        return Ok(None);
    }
    match [first[0], first[1], first[2], first[3]] {
        [0xee, 0xee, 0xee, 0xee] => {
            return Ok(Some((Detected::Plain(TransportKind::Intermediate), 4)));
        }
        [0xdd, 0xdd, 0xdd, 0xdd] => {
            return Ok(Some((
                Detected::Plain(TransportKind::PaddedIntermediate),
                4,
            )));
        }
        _ => {}
    }
    if HTTP_TLS_FIRST_WORDS.contains(&read_u32_le(first)) {
        return Err(TransportError::ForbiddenHeader);
    }
    if first.len() < 8 {
        return Ok(None);
    }
    if first[4..8] == [0; 4] {
        return Ok(Some((Detected::Plain(TransportKind::Full), 0)));
    }
    Ok(Some((Detected::Obfuscated, 0)))
}

// ---------------------------------------------------------------------------------------
// Async halves
// ---------------------------------------------------------------------------------------

/// Reads `chunk` bytes at most from `io`, appends them to `buf` and decrypts them if the
/// stream is obfuscated. It returns how many bytes arrived, 0 at end of stream.
///
/// The read and the decryption happen with no `.await` between them. So dropping the
/// future either loses nothing or has already consumed and decrypted the bytes, and callers
/// stay cancel-safe.
async fn read_some<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut Vec<u8>,
    chunk: usize,
    decrypt: Option<&mut ObfuscationDecrypt>,
) -> Result<usize, TransportError> {
    buf.reserve(chunk);
    let old = buf.len();
    let n = io.take(chunk as u64).read_buf(buf).await?;
    if let Some(decrypt) = decrypt {
        decrypt.apply(&mut buf[old..]);
    }
    Ok(n)
}

/// The receiving half of a framed connection. It reads, de-obfuscates and decodes frames.
pub struct FrameReader<R> {
    io: R,
    decoder: FrameDecoder,
    decrypt: Option<ObfuscationDecrypt>,
    /// Received bytes, already decrypted; `buf[start..]` is not decoded yet.
    buf: Vec<u8>,
    /// Where the undecoded bytes begin. Decoded frames are not moved out one by one (a
    /// memmove of the rest per frame); the buffer is compacted before the next read.
    start: usize,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// Wraps the read half of a connection whose header (tag or obfuscated2 header) has
    /// already been handled. `decrypt` is the incoming obfuscation stream, if any.
    pub fn new(io: R, decoder: FrameDecoder, decrypt: Option<ObfuscationDecrypt>) -> Self {
        Self::with_buffered(io, decoder, decrypt, Vec::new())
    }

    /// Like [`new`](Self::new), with `buffered` bytes already received (and decrypted) that
    /// come before whatever `io` yields next.
    fn with_buffered(
        io: R,
        decoder: FrameDecoder,
        decrypt: Option<ObfuscationDecrypt>,
        buffered: Vec<u8>,
    ) -> Self {
        Self {
            io,
            decoder,
            decrypt,
            buf: buffered,
            start: 0,
        }
    }

    /// The framing being read.
    pub fn kind(&self) -> TransportKind {
        self.decoder.kind()
    }

    /// Receives the next frame.
    ///
    /// Each read asks for 8 KiB while the length prefix is incomplete. After that it asks
    /// for the announced rest of the frame (or 8 KiB, if that is more). So a frame over
    /// `max_len` is rejected before its body is read or buffered. A clean end of stream between frames is
    /// [`TransportError::Closed`].
    ///
    /// This is cancel-safe: dropping the future (in `tokio::select!`, say) loses no data.
    /// The next call carries on where this one stopped.
    pub async fn recv(&mut self) -> Result<Frame, TransportError> {
        loop {
            if let Some(frame) = self.try_recv_buffered()? {
                return Ok(frame);
            }
            // Everything before `start` is decoded: drop it before reading more.
            self.buf.drain(..self.start);
            self.start = 0;
            let missing = match self.decoder.frame_len(&self.buf)? {
                Some(total) => total - self.buf.len(),
                None => 0,
            };
            let chunk = missing.max(READ_CHUNK);
            let n = read_some(&mut self.io, &mut self.buf, chunk, self.decrypt.as_mut()).await?;
            if n == 0 {
                return Err(eof_error(&self.buf));
            }
        }
    }

    /// The next frame if it has already been received in full, without reading. A caller
    /// that handles a burst of frames uses it to learn that the burst is over (and then to
    /// flush its answers in one write) before it waits on [`recv`](Self::recv) again.
    pub fn try_recv_buffered(&mut self) -> Result<Option<Frame>, TransportError> {
        match self.decoder.decode(&self.buf[self.start..])? {
            Some((frame, used)) => {
                self.start += used;
                if self.start == self.buf.len() {
                    self.buf.clear();
                    self.start = 0;
                }
                Ok(Some(frame))
            }
            None => Ok(None),
        }
    }

    /// Gives back the underlying reader, dropping any buffered bytes.
    pub fn into_inner(self) -> R {
        self.io
    }
}

/// The sending half of a framed connection. It encodes, obfuscates and writes frames.
pub struct FrameWriter<W> {
    io: W,
    encoder: FrameEncoder,
    encrypt: Option<ObfuscationEncrypt>,
    /// Reused for each frame, so that sending does not allocate in the steady state.
    out: Vec<u8>,
    /// Bytes to put before the first frame, already in wire form: the client's tag or its
    /// obfuscated2 header. They go in the same write as the first frame, so the server
    /// never sees a lone tag segment. That is one syscall fewer, and also what
    /// Telegram's own clients do.
    pending_prefix: Vec<u8>,
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    /// Wraps the write half of a connection. `prefix` is written, as is, before the first
    /// frame. `encrypt` is the outgoing obfuscation stream, positioned after the prefix.
    pub fn new(
        io: W,
        encoder: FrameEncoder,
        encrypt: Option<ObfuscationEncrypt>,
        prefix: Vec<u8>,
    ) -> Self {
        Self {
            io,
            encoder,
            encrypt,
            out: Vec::new(),
            pending_prefix: prefix,
        }
    }

    /// The framing being written.
    pub fn kind(&self) -> TransportKind {
        self.encoder.kind()
    }

    /// Sends one payload as one frame, with a single `write_all` (together with any frames
    /// [`queue`](Self::queue)d before). The payload must satisfy [`FrameEncoder::check`],
    /// or the call fails with nothing written.
    ///
    /// This is not cancel-safe: a dropped send may leave half a frame on the wire, and the
    /// connection must then be dropped.
    pub async fn send(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        self.queue(payload)?;
        self.flush().await
    }

    /// Sends a transport error frame (a negative code such as -404 or -429). This is what a
    /// server does before closing a connection it cannot serve.
    pub async fn send_transport_error(&mut self, code: i32) -> Result<(), TransportError> {
        self.queue_transport_error(code);
        self.flush().await
    }

    /// Encodes one payload as a frame to go out with the next [`flush`](Self::flush), so
    /// that a burst of frames costs one system call. The payload must satisfy
    /// [`FrameEncoder::check`], or the call fails with nothing queued.
    pub fn queue(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        self.encoder.check(payload)?;
        self.queue_with(|encoder, out| encoder.encode(payload, out));
        Ok(())
    }

    /// Queues a transport error frame, like [`queue`](Self::queue).
    pub fn queue_transport_error(&mut self, code: i32) {
        self.queue_with(|encoder, out| encoder.encode_transport_error(code, out));
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.out.len()
    }

    /// Writes every queued frame, with a single `write_all`.
    ///
    /// Not cancel-safe, like [`send`](Self::send).
    pub async fn flush(&mut self) -> Result<(), TransportError> {
        if self.out.is_empty() {
            return Ok(());
        }
        let written = self.io.write_all(&self.out).await;
        self.out.clear();
        if self.out.capacity() > KEPT_WRITE_BUFFER {
            // A burst's buffer is not kept by an idle connection.
            self.out = Vec::new();
        }
        written?;
        Ok(())
    }

    /// Shuts down the write direction (a TCP FIN), after sending any queued frames and any
    /// pending prefix.
    pub async fn shutdown(&mut self) -> Result<(), TransportError> {
        self.flush().await?;
        if !self.pending_prefix.is_empty() {
            let prefix = std::mem::take(&mut self.pending_prefix);
            self.io.write_all(&prefix).await?;
        }
        self.io.shutdown().await?;
        Ok(())
    }

    /// Gives back the underlying writer. A prefix that was never sent is lost.
    pub fn into_inner(self) -> W {
        self.io
    }

    fn queue_with(&mut self, encode: impl FnOnce(&mut FrameEncoder, &mut Vec<u8>)) {
        // The prefix is in wire form already. In particular the obfuscated2 header is not
        // run through the cipher again: the stream is already past it.
        self.out.append(&mut self.pending_prefix);
        let start = self.out.len();
        encode(&mut self.encoder, &mut self.out);
        if let Some(encrypt) = &mut self.encrypt {
            encrypt.apply(&mut self.out[start..]);
        }
    }
}

/// Sets up the client end of a connection over any reader/writer pair. The tag or the
/// obfuscated2 header is not written yet: it goes out with the first frame.
///
/// `dc_id` goes into the obfuscated2 header (ignored otherwise), and `max_len` bounds the
/// server's frames. Fails with [`TransportError::ObfuscatedFull`] for full under
/// obfuscation.
pub fn client_framed<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    reader: R,
    writer: W,
    kind: TransportKind,
    obfuscated: bool,
    dc_id: i16,
    max_len: usize,
) -> Result<(FrameReader<R>, FrameWriter<W>), TransportError> {
    let (prefix, encrypt, decrypt) = if obfuscated {
        let (header, obfuscation) = obfuscated_client_header(kind, dc_id)?;
        let (encrypt, decrypt) = obfuscation.split();
        (header.to_vec(), Some(encrypt), Some(decrypt))
    } else {
        (kind.tag().to_vec(), None, None)
    };
    let reader = FrameReader::new(reader, FrameDecoder::new(kind, max_len), decrypt);
    let writer = FrameWriter::new(writer, FrameEncoder::new(kind), encrypt, prefix);
    Ok((reader, writer))
}

/// Client side: frames a connected TCP stream with `kind`, optionally under obfuscated2,
/// and splits it into halves for separate reader and writer tasks.
///
/// The tag or header is sent with the first frame (see [`client_framed`]). `TCP_NODELAY`
/// is turned on: MTProto is request/response with small frames, and Nagle's algorithm
/// would only add latency. Each frame already goes out in a single write.
pub async fn connect_framed(
    stream: TcpStream,
    kind: TransportKind,
    obfuscated: bool,
    dc_id: i16,
    max_len: usize,
) -> Result<(FrameReader<OwnedReadHalf>, FrameWriter<OwnedWriteHalf>), TransportError> {
    stream.set_nodelay(true)?;
    let (read, write) = stream.into_split();
    client_framed(read, write, kind, obfuscated, dc_id, max_len)
}

/// A connection accepted by [`accept_framed_io`].
pub struct Accepted<R, W> {
    /// The transport the client chose.
    pub kind: TransportKind,
    /// Whether the client used obfuscated2.
    pub obfuscated: bool,
    /// The DC id from the obfuscated2 header, or `None` on a plain connection.
    pub dc_id: Option<i16>,
    /// Frames from the client. It already holds any bytes that were read past the header.
    pub reader: FrameReader<R>,
    /// Frames to the client.
    pub writer: FrameWriter<W>,
}

/// Server side over any reader/writer pair. It reads just enough of the client's first bytes
/// to [`detect`] its transport, handles an obfuscated2 header, and returns the framed
/// halves.
///
/// `first_bytes_timeout` bounds this whole step. A client that connects and stays silent
/// (or trickles bytes) gets `Io(TimedOut)` instead of holding a task forever.
pub async fn accept_framed_io<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    mut reader: R,
    writer: W,
    max_len: usize,
    first_bytes_timeout: Duration,
) -> Result<Accepted<R, W>, TransportError> {
    let read_header = async {
        let mut buf = Vec::with_capacity(64);
        let detected = loop {
            if let Some(detected) = detect(&buf)? {
                break detected;
            }
            // Ask only for what detection can still need (8 bytes at most), so a plain
            // client's first frame stays in the socket for the reader's length checks.
            // One read, not an exact one: a tiny first frame may be all there is.
            let want = 8 - buf.len();
            let n = read_some(&mut reader, &mut buf, want, None).await?;
            if n == 0 {
                return Err(eof_error(&buf));
            }
        };
        match detected {
            (Detected::Plain(kind), tag_len) => {
                buf.drain(..tag_len);
                Ok((kind, None, buf))
            }
            (Detected::Obfuscated, _) => {
                if buf.len() < 64 {
                    let more = 64 - buf.len();
                    read_exactly_more(&mut reader, &mut buf, more).await?;
                }
                let mut header = [0u8; 64];
                header.copy_from_slice(&buf[..64]);
                let (kind, dc_id, obfuscation) = obfuscated_server_accept(&header)?;
                // Nothing past the header is read here, so `buf` holds exactly the header.
                Ok((kind, Some((dc_id, obfuscation)), Vec::new()))
            }
        }
    };
    let (kind, obfuscation, buffered) = tokio::time::timeout(first_bytes_timeout, read_header)
        .await
        .map_err(|_| TransportError::Io(std::io::ErrorKind::TimedOut))??;
    let (dc_id, encrypt, decrypt) = match obfuscation {
        Some((dc_id, obfuscation)) => {
            let (encrypt, decrypt) = obfuscation.split();
            (Some(dc_id), Some(encrypt), Some(decrypt))
        }
        None => (None, None, None),
    };
    Ok(Accepted {
        kind,
        obfuscated: dc_id.is_some(),
        dc_id,
        reader: FrameReader::with_buffered(
            reader,
            FrameDecoder::new(kind, max_len),
            decrypt,
            buffered,
        ),
        writer: FrameWriter::new(writer, FrameEncoder::new(kind), encrypt, Vec::new()),
    })
}

/// Reads until `buf` has grown by `more` bytes, with no decryption. It is used for the
/// clear bytes that come before any framing.
async fn read_exactly_more<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    more: usize,
) -> Result<(), TransportError> {
    let target = buf.len() + more;
    while buf.len() < target {
        let want = target - buf.len();
        let n = read_some(reader, buf, want, None).await?;
        if n == 0 {
            return Err(eof_error(buf));
        }
    }
    Ok(())
}

/// The error for an end of stream: clean if nothing of a frame or header was pending.
fn eof_error(pending: &[u8]) -> TransportError {
    if pending.is_empty() {
        TransportError::Closed
    } else {
        TransportError::Io(std::io::ErrorKind::UnexpectedEof)
    }
}

/// Server side over TCP: detects the client's transport (see [`accept_framed_io`]) and
/// returns `(kind, obfuscated, reader, writer)`. `TCP_NODELAY` is turned on, as in
/// [`connect_framed`]. Use [`accept_framed_io`] to also get the DC id of an obfuscated2
/// header.
pub async fn accept_framed(
    stream: TcpStream,
    max_len: usize,
    first_bytes_timeout: Duration,
) -> Result<
    (
        TransportKind,
        bool,
        FrameReader<OwnedReadHalf>,
        FrameWriter<OwnedWriteHalf>,
    ),
    TransportError,
> {
    stream.set_nodelay(true)?;
    let (read, write) = stream.into_split();
    let accepted = accept_framed_io(read, write, max_len, first_bytes_timeout).await?;
    Ok((
        accepted.kind,
        accepted.obfuscated,
        accepted.reader,
        accepted.writer,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A payload of `len` bytes whose content depends on `len`, so that frames cannot be
    /// confused with one another.
    fn payload(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + len) as u8).collect()
    }

    const SIZES: [usize; 10] = [4, 8, 500, 504, 508, 512, 1020, 1024, 4096, (1 << 20) + 4];

    /// Decodes every frame in `wire`, checking that it consumes exactly the whole buffer.
    fn decode_all(decoder: &mut FrameDecoder, mut wire: &[u8]) -> Vec<Frame> {
        let mut frames = Vec::new();
        while !wire.is_empty() {
            let (frame, used) = decoder.decode(wire).unwrap().expect("incomplete frame");
            frames.push(frame);
            wire = &wire[used..];
        }
        frames
    }

    /// Under padded intermediate the decoder returns padding as well. This trims it the way
    /// the layer above does for our test payloads, by checking the prefix and padding size.
    fn assert_payload_eq(kind: TransportKind, frame: &Frame, expected: &[u8]) {
        let Frame::Packet(got) = frame else {
            panic!("expected a packet, got {frame:?}");
        };
        if kind == TransportKind::PaddedIntermediate {
            assert!(got.len() >= expected.len() && got.len() <= expected.len() + MAX_PADDING);
            assert_eq!(&got[..expected.len()], expected);
        } else {
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn names_and_tags() {
        for kind in TransportKind::ALL {
            assert_eq!(kind.to_string().parse::<TransportKind>(), Ok(kind));
        }
        assert_eq!("PADDED".parse(), Ok(TransportKind::PaddedIntermediate));
        assert!("http".parse::<TransportKind>().is_err());
        // Tags from mtproto-transports#abridged, #intermediate and #padded-intermediate.
        assert_eq!(TransportKind::Abridged.tag(), [0xef]);
        assert_eq!(TransportKind::Intermediate.tag(), [0xee; 4]);
        assert_eq!(TransportKind::PaddedIntermediate.tag(), [0xdd; 4]);
        assert!(TransportKind::Full.tag().is_empty());
    }

    #[test]
    fn round_trip_every_kind_and_size() {
        for kind in TransportKind::ALL {
            // Both directions are the same code, but they have separate sequence numbers.
            // Running two encoder/decoder pairs checks that nothing is shared.
            for _direction in 0..2 {
                let mut encoder = FrameEncoder::new(kind);
                let mut decoder = FrameDecoder::new(kind, 2 << 20);
                let mut wire = Vec::new();
                for size in SIZES {
                    encoder.encode(&payload(size), &mut wire);
                }
                let frames = decode_all(&mut decoder, &wire);
                assert_eq!(frames.len(), SIZES.len());
                for (frame, size) in frames.iter().zip(SIZES) {
                    assert_payload_eq(kind, frame, &payload(size));
                }
            }
        }
    }

    #[test]
    fn abridged_known_answers_and_escape_boundary() {
        // mtproto-transports#abridged: len/4 in one byte if it is below 0x7f, otherwise
        // 0x7f followed by len/4 in 3 little-endian bytes.
        let mut encoder = FrameEncoder::new(TransportKind::Abridged);
        let mut out = Vec::new();
        encoder.encode(&payload(126 * 4), &mut out);
        assert_eq!(out[0], 126);
        assert_eq!(out.len(), 1 + 126 * 4);
        out.clear();
        encoder.encode(&payload(127 * 4), &mut out);
        assert_eq!(out[..4], [0x7f, 127, 0, 0]);
        assert_eq!(out.len(), 4 + 127 * 4);
        out.clear();
        encoder.encode(&payload(0x12345 * 4), &mut out);
        assert_eq!(out[..4], [0x7f, 0x45, 0x23, 0x01]);
        // The quick-ack bit (0x80) is ignored on receipt.
        let mut decoder = FrameDecoder::new(TransportKind::Abridged, 1024);
        let mut wire = vec![0x80 | 2];
        wire.extend_from_slice(&payload(8));
        assert_eq!(
            decoder.decode(&wire).unwrap(),
            Some((Frame::Packet(payload(8)), 9))
        );
    }

    #[test]
    fn full_known_answer() {
        // mtproto-transports#full: total length incl. 12 bytes, seqno from 0, payload, then
        // CRC32 of all of it. The CRC constant was computed independently with Python's
        // zlib.crc32 over 10 00 00 00 00 00 00 00 01 02 03 04.
        let mut encoder = FrameEncoder::new(TransportKind::Full);
        let mut out = Vec::new();
        encoder.encode(&[1, 2, 3, 4], &mut out);
        assert_eq!(
            out,
            [16, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0x42, 0x0f, 0xb5, 0xe0]
        );
        out.clear();
        encoder.encode(&[1, 2, 3, 4], &mut out);
        assert_eq!(out[4..8], [1, 0, 0, 0], "second frame has seqno 1");
    }

    #[test]
    fn intermediate_known_answer() {
        let mut encoder = FrameEncoder::new(TransportKind::Intermediate);
        let mut out = Vec::new();
        encoder.encode(&[9; 8], &mut out);
        assert_eq!(out, [8, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9]);
    }

    #[test]
    fn padded_intermediate_pads_0_to_15() {
        let mut encoder = FrameEncoder::new(TransportKind::PaddedIntermediate);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let mut out = Vec::new();
            encoder.encode(&payload(24), &mut out);
            let tlen = read_u32_le(&out) as usize;
            assert_eq!(tlen, out.len() - 4);
            assert!((24..=24 + 15).contains(&tlen));
            assert_eq!(out[4..28], payload(24)[..]);
            seen.insert(tlen - 24);
        }
        assert_eq!(seen.len(), 16, "every padding length 0..=15 shows up");
    }

    #[test]
    fn byte_by_byte_decoding() {
        for kind in TransportKind::ALL {
            for size in [4, 504, 508, 1024] {
                let mut encoder = FrameEncoder::new(kind);
                let mut decoder = FrameDecoder::new(kind, 4096);
                let mut wire = Vec::new();
                encoder.encode(&payload(size), &mut wire);
                for end in 0..wire.len() {
                    assert_eq!(
                        decoder.decode(&wire[..end]),
                        Ok(None),
                        "{kind} {size} {end}"
                    );
                }
                let (frame, used) = decoder.decode(&wire).unwrap().unwrap();
                assert_eq!(used, wire.len());
                assert_payload_eq(kind, &frame, &payload(size));
            }
        }
    }

    #[test]
    fn full_rejects_bad_crc_and_seq() {
        let mut encoder = FrameEncoder::new(TransportKind::Full);
        let mut first = Vec::new();
        encoder.encode(&payload(16), &mut first);
        let mut second = Vec::new();
        encoder.encode(&payload(16), &mut second);

        let mut corrupt = first.clone();
        corrupt[10] ^= 1;
        let mut decoder = FrameDecoder::new(TransportKind::Full, 1024);
        assert_eq!(decoder.decode(&corrupt), Err(TransportError::BadCrc));

        // The second frame first: valid CRC, but seqno 1 where 0 is expected.
        let mut decoder = FrameDecoder::new(TransportKind::Full, 1024);
        assert_eq!(
            decoder.decode(&second),
            Err(TransportError::BadSeq {
                expected: 0,
                got: 1
            })
        );

        // The same frame twice (a replayed seqno).
        let mut decoder = FrameDecoder::new(TransportKind::Full, 1024);
        assert!(decoder.decode(&first).unwrap().is_some());
        assert_eq!(
            decoder.decode(&first),
            Err(TransportError::BadSeq {
                expected: 1,
                got: 0
            })
        );

        // Lengths below 12 (or without a payload), and unaligned ones.
        for total in [0u32, 8, 12, 17] {
            let mut decoder = FrameDecoder::new(TransportKind::Full, 1024);
            assert_eq!(
                decoder.decode(&total.to_le_bytes()),
                Err(TransportError::BadLength),
                "{total}"
            );
        }
    }

    #[test]
    fn bad_lengths_rejected() {
        let mut decoder = FrameDecoder::new(TransportKind::Intermediate, 1024);
        assert_eq!(
            decoder.decode(&[6, 0, 0, 0]),
            Err(TransportError::BadLength)
        );
        assert_eq!(
            decoder.decode(&[0, 0, 0, 0]),
            Err(TransportError::BadLength)
        );
        let mut decoder = FrameDecoder::new(TransportKind::Abridged, 1024);
        assert_eq!(decoder.decode(&[0]), Err(TransportError::BadLength));
        // Padded lengths need not be aligned, but must hold at least 4 bytes.
        let mut decoder = FrameDecoder::new(TransportKind::PaddedIntermediate, 1024);
        assert_eq!(decoder.decode(&[7, 0, 0, 0]), Ok(None));
        assert_eq!(
            decoder.decode(&[3, 0, 0, 0]),
            Err(TransportError::BadLength)
        );
        // The encoder's own check.
        let encoder = FrameEncoder::new(TransportKind::Abridged);
        assert_eq!(encoder.check(&[]), Err(TransportError::BadLength));
        assert_eq!(encoder.check(&[1, 2, 3]), Err(TransportError::BadLength));
        let encoder = FrameEncoder::new(TransportKind::PaddedIntermediate);
        assert_eq!(encoder.check(&[1, 2, 3, 4, 5]), Ok(()));
    }

    #[test]
    fn oversized_length_rejected_from_prefix_alone() {
        let max = 1024;
        // Only the length prefix: the decoder must fail, not ask for the body.
        let cases: [(TransportKind, Vec<u8>); 4] = [
            (TransportKind::Abridged, vec![0x7f, 0x01, 0x01, 0x00]),
            (TransportKind::Intermediate, 1028u32.to_le_bytes().to_vec()),
            (
                TransportKind::PaddedIntermediate,
                (1024u32 + 16).to_le_bytes().to_vec(),
            ),
            (TransportKind::Full, (1028u32 + 12).to_le_bytes().to_vec()),
        ];
        for (kind, prefix) in cases {
            let mut decoder = FrameDecoder::new(kind, max);
            assert!(
                matches!(decoder.decode(&prefix), Err(TransportError::TooLong { .. })),
                "{kind}"
            );
        }
        // Exactly max_len is fine (padded: plus up to 15 bytes of padding).
        let mut decoder = FrameDecoder::new(TransportKind::PaddedIntermediate, max);
        assert_eq!(decoder.decode(&(1024u32 + 15).to_le_bytes()), Ok(None));
        let mut decoder = FrameDecoder::new(TransportKind::Intermediate, max);
        assert_eq!(decoder.decode(&1024u32.to_le_bytes()), Ok(None));
        // A 2 GiB intermediate length with the quick-ack bit is still too long.
        assert!(matches!(
            decoder.decode(&[0xfc, 0xff, 0xff, 0xff]),
            Err(TransportError::TooLong { .. })
        ));
    }

    #[tokio::test]
    async fn reader_rejects_oversized_frame_without_waiting_for_body() {
        let (client, server) = tokio::io::duplex(64);
        let (_client_read, mut client_write) = tokio::io::split(client);
        let (server_read, _server_write) = tokio::io::split(server);
        // A 1 GiB announcement and no body. If the reader tried to buffer the body, this
        // test would hang until the timeout.
        client_write
            .write_all(&(1u32 << 30).to_le_bytes())
            .await
            .unwrap();
        let mut reader = FrameReader::new(
            server_read,
            FrameDecoder::new(TransportKind::Intermediate, 1024),
            None,
        );
        let result = tokio::time::timeout(Duration::from_secs(5), reader.recv())
            .await
            .expect("reader waited for the body");
        assert_eq!(result, Err(TransportError::TooLong { len: 1 << 30 }));
    }

    #[test]
    fn transport_error_frames() {
        for kind in TransportKind::ALL {
            let mut encoder = FrameEncoder::new(kind);
            let mut decoder = FrameDecoder::new(kind, 1024);
            let mut wire = Vec::new();
            encoder.encode_transport_error(-404, &mut wire);
            encoder.encode_transport_error(-429, &mut wire);
            assert_eq!(
                decode_all(&mut decoder, &wire),
                [Frame::TransportError(-404), Frame::TransportError(-429)],
                "{kind}"
            );
        }
        // The wire form from mtproto-transports#transport-errors: a 4-byte signed
        // little-endian int. Intermediate shows it plainly.
        let mut out = Vec::new();
        FrameEncoder::new(TransportKind::Intermediate).encode_transport_error(-404, &mut out);
        assert_eq!(out, [4, 0, 0, 0, 0x6c, 0xfe, 0xff, 0xff]);
        // Padding after a transport error is tolerated under padded intermediate.
        let mut decoder = FrameDecoder::new(TransportKind::PaddedIntermediate, 1024);
        let wire = [7, 0, 0, 0, 0x6c, 0xfe, 0xff, 0xff, 1, 2, 3];
        assert_eq!(
            decoder.decode(&wire),
            Ok(Some((Frame::TransportError(-404), 11)))
        );
        // A non-negative 4-byte payload is a packet (the layer above will reject it).
        let mut decoder = FrameDecoder::new(TransportKind::Intermediate, 1024);
        assert_eq!(
            decoder.decode(&[4, 0, 0, 0, 1, 0, 0, 0]),
            Ok(Some((Frame::Packet(vec![1, 0, 0, 0]), 8)))
        );
    }

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

    #[test]
    fn detection() {
        use Detected::*;
        assert_eq!(detect(&[]), Ok(None));
        assert_eq!(
            detect(&[0xef]),
            Ok(Some((Plain(TransportKind::Abridged), 1)))
        );
        assert_eq!(detect(&[0xee, 0xee, 0xee]), Ok(None));
        assert_eq!(
            detect(&[0xee; 4]),
            Ok(Some((Plain(TransportKind::Intermediate), 4)))
        );
        assert_eq!(
            detect(&[0xdd; 4]),
            Ok(Some((Plain(TransportKind::PaddedIntermediate), 4)))
        );
        // A full-transport first frame: length, then seqno 0.
        let mut full = Vec::new();
        FrameEncoder::new(TransportKind::Full).encode(&payload(40), &mut full);
        assert_eq!(detect(&full[..7]), Ok(None));
        assert_eq!(detect(&full), Ok(Some((Plain(TransportKind::Full), 0))));
        // Almost-tags are obfuscated2 headers.
        assert_eq!(
            detect(&[0xee, 0xee, 0xee, 0xed, 1, 2, 3, 4]),
            Ok(Some((Obfuscated, 0)))
        );
        assert_eq!(
            detect(b"POST / HTTP/1.1"),
            Err(TransportError::ForbiddenHeader)
        );
        assert_eq!(detect(b"GET "), Err(TransportError::ForbiddenHeader));
        assert_eq!(
            detect(&[0x16, 0x03, 0x01, 0x02, 0, 0, 0, 0]),
            Err(TransportError::ForbiddenHeader)
        );
    }

    /// Every combination the client and server must agree on.
    fn all_modes() -> Vec<(TransportKind, bool)> {
        let mut modes: Vec<_> = TransportKind::ALL.into_iter().map(|k| (k, false)).collect();
        modes.extend([
            (TransportKind::Abridged, true),
            (TransportKind::Intermediate, true),
            (TransportKind::PaddedIntermediate, true),
        ]);
        modes
    }

    #[tokio::test]
    async fn loopback_connect_and_accept() {
        const SIZES: [usize; 6] = [24, 508, 512, 1020, 4096, (1 << 20) + 4];
        for (kind, obfuscated) in all_modes() {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = tokio::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let (got_kind, got_obfuscated, mut reader, mut writer) =
                    accept_framed(stream, 2 << 20, Duration::from_secs(5))
                        .await
                        .unwrap();
                assert_eq!((got_kind, got_obfuscated), (kind, obfuscated));
                // Echo every frame back, then report a transport error and close.
                for size in SIZES {
                    let frame = reader.recv().await.unwrap();
                    assert_payload_eq(kind, &frame, &payload(size));
                    let Frame::Packet(mut data) = frame else {
                        unreachable!()
                    };
                    // Trim padded intermediate's padding, as the MTProto layer would.
                    data.truncate(size);
                    writer.send(&data).await.unwrap();
                }
                writer.send_transport_error(-404).await.unwrap();
                writer.shutdown().await.unwrap();
                assert_eq!(reader.recv().await, Err(TransportError::Closed));
            });

            let stream = TcpStream::connect(addr).await.unwrap();
            let (mut reader, mut writer) = connect_framed(stream, kind, obfuscated, 2, 2 << 20)
                .await
                .unwrap();
            // Send everything before reading, so several frames share TCP segments.
            for size in SIZES {
                writer.send(&payload(size)).await.unwrap();
            }
            for size in SIZES {
                let frame = reader.recv().await.unwrap();
                assert_payload_eq(kind, &frame, &payload(size));
            }
            assert_eq!(reader.recv().await, Ok(Frame::TransportError(-404)));
            assert_eq!(reader.recv().await, Err(TransportError::Closed));
            writer.shutdown().await.unwrap();
            server.await.unwrap();
        }
    }

    #[tokio::test]
    async fn queued_frames_go_out_in_one_write_and_come_back_buffered() {
        const SIZES: [usize; 4] = [24, 100, 508, 1020];
        for (kind, obfuscated) in all_modes() {
            if kind == TransportKind::Full && obfuscated {
                continue;
            }
            let (client, server) = tokio::io::duplex(64 * 1024);
            let (client_read, client_write) = tokio::io::split(client);
            let (server_read, server_write) = tokio::io::split(server);
            let (_reader, mut writer) =
                client_framed(client_read, client_write, kind, obfuscated, 2, 4096).unwrap();
            for size in SIZES {
                writer.queue(&payload(size)).unwrap();
            }
            writer.queue_transport_error(-429);
            assert!(writer.queued() > SIZES.iter().sum::<usize>());
            // Nothing is written before the flush: the server cannot even detect the kind.
            let early =
                accept_framed_io(server_read, server_write, 4096, Duration::from_millis(30)).await;
            assert!(early.is_err(), "{kind:?}: frames went out before flush");

            let (client, server) = tokio::io::duplex(64 * 1024);
            let (client_read, client_write) = tokio::io::split(client);
            let (server_read, server_write) = tokio::io::split(server);
            let (_reader, mut writer) =
                client_framed(client_read, client_write, kind, obfuscated, 2, 4096).unwrap();
            for size in SIZES {
                writer.queue(&payload(size)).unwrap();
            }
            writer.queue_transport_error(-429);
            writer.flush().await.unwrap();
            assert_eq!(writer.queued(), 0);
            writer.flush().await.unwrap(); // nothing queued: a no-op
            let mut accepted =
                accept_framed_io(server_read, server_write, 4096, Duration::from_secs(5))
                    .await
                    .unwrap();
            let first = accepted.reader.recv().await.unwrap();
            assert_payload_eq(kind, &first, &payload(SIZES[0]));
            // The rest arrived with the first read: no I/O needed.
            for size in &SIZES[1..] {
                let frame = accepted.reader.try_recv_buffered().unwrap();
                let frame = frame.unwrap_or_else(|| panic!("{kind:?}: frame not buffered"));
                assert_payload_eq(kind, &frame, &payload(*size));
            }
            assert_eq!(
                accepted.reader.try_recv_buffered(),
                Ok(Some(Frame::TransportError(-429)))
            );
            assert_eq!(accepted.reader.try_recv_buffered(), Ok(None));
            // And the stream goes on normally after the burst.
            writer.send(&payload(48)).await.unwrap();
            let frame = accepted.reader.recv().await.unwrap();
            assert_payload_eq(kind, &frame, &payload(48));
        }
    }

    #[tokio::test]
    async fn accept_reports_dc_id_and_times_out() {
        // The DC id travels in the obfuscated2 header.
        let (client, server) = tokio::io::duplex(1024);
        let (client_read, client_write) = tokio::io::split(client);
        let (server_read, server_write) = tokio::io::split(server);
        let (_reader, mut writer) = client_framed(
            client_read,
            client_write,
            TransportKind::PaddedIntermediate,
            true,
            -4,
            1024,
        )
        .unwrap();
        writer.send(&payload(24)).await.unwrap();
        let mut accepted =
            accept_framed_io(server_read, server_write, 1024, Duration::from_secs(5))
                .await
                .unwrap();
        assert_eq!(accepted.kind, TransportKind::PaddedIntermediate);
        assert_eq!(accepted.dc_id, Some(-4));
        let frame = accepted.reader.recv().await.unwrap();
        assert_payload_eq(accepted.kind, &frame, &payload(24));

        // A client that never speaks is cut off.
        let (_silent, server) = tokio::io::duplex(1024);
        let (server_read, server_write) = tokio::io::split(server);
        let result =
            accept_framed_io(server_read, server_write, 1024, Duration::from_millis(50)).await;
        assert!(matches!(
            result,
            Err(TransportError::Io(std::io::ErrorKind::TimedOut))
        ));
    }

    #[tokio::test]
    async fn tiny_first_frame_is_detected_without_waiting() {
        // Tag plus a 4-byte frame is 5 bytes, fewer than the 8 detection may look at.
        let (client, server) = tokio::io::duplex(1024);
        let (client_read, client_write) = tokio::io::split(client);
        let (server_read, server_write) = tokio::io::split(server);
        let (_reader, mut writer) = client_framed(
            client_read,
            client_write,
            TransportKind::Abridged,
            false,
            2,
            1024,
        )
        .unwrap();
        writer.send(&[1, 2, 3, 4]).await.unwrap();
        let mut accepted =
            accept_framed_io(server_read, server_write, 1024, Duration::from_secs(5))
                .await
                .unwrap();
        assert_eq!(
            accepted.reader.recv().await,
            Ok(Frame::Packet(vec![1, 2, 3, 4]))
        );
    }
}
