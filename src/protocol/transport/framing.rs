//! Sans-IO framing: the four MTProto transport envelopes (abridged, intermediate, padded
//! intermediate, full) as an encoder and a decoder per direction.

use super::{Frame, TransportError, TransportKind};

/// The abridged transport's largest payload. Its long length form holds len/4 in 3 bytes.
const ABRIDGED_MAX_LEN: usize = ((1 << 24) - 1) * 4;

/// Bytes the full transport adds to every payload: length, seqno and CRC32, 4 bytes each.
const FULL_OVERHEAD: usize = 12;

/// The largest random padding that padded intermediate adds ("a random padding string of
/// length 0-15", mtproto-transports#padded-intermediate).
pub(super) const MAX_PADDING: usize = 15;

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
            _ if !len.is_multiple_of(4) => return Err(TransportError::BadLength),
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
    pub(super) fn frame_len(&self, buf: &[u8]) -> Result<Option<usize>, TransportError> {
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
                if !padded && !len.is_multiple_of(4) {
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
                if total < FULL_OVERHEAD || !total.is_multiple_of(4) {
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
pub(super) fn read_u32_le(buf: &[u8]) -> u32 {
    u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::transport::test_util::*;
    use crate::protocol::transport::*;

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
}
