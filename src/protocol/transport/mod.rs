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

mod detect;
mod framing;
mod io;
mod obfuscated;

pub use detect::{detect, Detected};
pub use framing::{FrameDecoder, FrameEncoder};
pub use io::{
    accept_framed, accept_framed_io, client_framed, connect_framed, Accepted, FrameReader,
    FrameWriter,
};
pub use obfuscated::{
    is_forbidden_first_bytes, obfuscated_client_header, obfuscated_server_accept, Obfuscation,
    ObfuscationDecrypt, ObfuscationEncrypt,
};

/// A reasonable default for the `max_len` of a decoder: bigger than anything the login flow
/// exchanges (and than a 1 MiB `upload.getFile` chunk plus its envelope). It is still small
/// enough that a peer cannot make us allocate much.
pub const DEFAULT_MAX_FRAME_LEN: usize = 4 << 20;

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
    pub(super) fn from_payload(payload: &[u8], padded: bool) -> Frame {
        let may_be_error = if padded {
            (4..4 + framing::MAX_PADDING + 1).contains(&payload.len())
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

#[cfg(test)]
mod test_util {
    //! Helpers the transport tests share.

    use super::framing::MAX_PADDING;
    use super::{Frame, FrameDecoder, TransportKind};

    /// A payload of `len` bytes whose content depends on `len`, so that frames cannot be
    /// confused with one another.
    pub(super) fn payload(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + len) as u8).collect()
    }

    pub(super) const SIZES: [usize; 10] =
        [4, 8, 500, 504, 508, 512, 1020, 1024, 4096, (1 << 20) + 4];

    /// Decodes every frame in `wire`, checking that it consumes exactly the whole buffer.
    pub(super) fn decode_all(decoder: &mut FrameDecoder, mut wire: &[u8]) -> Vec<Frame> {
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
    pub(super) fn assert_payload_eq(kind: TransportKind, frame: &Frame, expected: &[u8]) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
