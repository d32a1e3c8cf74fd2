//! Server-side detection: which transport (and whether obfuscated2) a client speaks, from
//! its first bytes.

use super::framing::read_u32_le;
use super::obfuscated::HTTP_TLS_FIRST_WORDS;
use super::{TransportError, TransportKind};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::transport::test_util::*;
    use crate::protocol::transport::*;

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
}
