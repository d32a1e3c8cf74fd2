//! Transport framing, both directions (the client reading server frames and the test DC
//! reading client frames use the same `FrameDecoder`).
//!
//! Input: `[selector, chunk_seed, stream...]`. The selector's low 2 bits pick the
//! `TransportKind`, bit 2 a small or a large `max_len`, bits 3-4 the path:
//!
//! - 0, 1: the sans-IO `FrameDecoder` over `stream`, fed in chunks, compared with the same
//!   stream decoded in one piece; then an encoder round trip of payloads cut from `stream`
//!   (with transport-error frames, as the server sends them to the client).
//! - 2: the server's accept path (`accept_framed_io`: `detect`, obfuscated2 header,
//!   `FrameReader`) over `stream` arriving in chunks, checked against the sans-IO decoder.
//! - 3: the client's reader (`client_framed`) over `stream` as the server's bytes, plain
//!   (checked against the sans-IO decoder) or obfuscated (bit 7).
//!
//! Every input also goes through `detect` on every prefix up to 9 bytes (the answer must not
//! change once given) and through `obfuscated_server_accept` on its first 64 bytes.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tgauth::protocol::transport::{
    accept_framed_io, client_framed, detect, obfuscated_server_accept, Detected, Frame,
    FrameEncoder, TransportError, TransportKind, DEFAULT_MAX_FRAME_LEN,
};
use tgauth_fuzz::{
    block_on, decode_all, ChunkedReader, Chunker, Input, StreamEnd, SMALL_MAX_FRAME,
};

fuzz_target!(|data: &[u8]| {
    check_detect(data);
    check_obfuscated_header(data);

    let mut input = Input::new(data);
    let selector = input.u8();
    let chunk_seed = input.u8();
    let stream = input.rest();
    let kind = TransportKind::ALL[usize::from(selector & 3)];
    let max_len = if selector & 4 != 0 {
        SMALL_MAX_FRAME
    } else {
        DEFAULT_MAX_FRAME_LEN
    };
    match (selector >> 3) & 3 {
        0 | 1 => {
            sans_io(kind, max_len, stream, chunk_seed);
            encode_round_trip(kind, stream);
        }
        2 => server_accept(max_len, stream, chunk_seed),
        _ => client_reader(kind, max_len, stream, chunk_seed, selector & 0x80 != 0),
    }
});

/// `detect` is monotonic: once it answers (or refuses) for a prefix, longer prefixes get the
/// same answer.
fn check_detect(data: &[u8]) {
    let mut first: Option<Result<(Detected, usize), TransportError>> = None;
    for n in 0..=data.len().min(9) {
        match detect(&data[..n]) {
            Ok(None) => assert!(first.is_none(), "detect forgot its answer at {n} bytes"),
            answer => {
                let answer = answer.map(|a| a.expect("Some"));
                if let Ok((_, tag_len)) = answer {
                    assert!(tag_len <= n, "tag of {tag_len} bytes in a {n}-byte prefix");
                }
                match &first {
                    None => first = Some(answer),
                    Some(previous) => assert_eq!(previous, &answer, "detect changed at {n}"),
                }
            }
        }
    }
}

/// The server side of obfuscated2: any 64 bytes either name a transport or are refused;
/// an accepted header's streams decrypt what follows.
fn check_obfuscated_header(data: &[u8]) {
    let Some(header) = data.get(..64) else {
        return;
    };
    let header: [u8; 64] = header.try_into().expect("64 bytes");
    if let Ok((kind, _dc_id, mut obfuscation)) = obfuscated_server_accept(&header) {
        assert_ne!(kind, TransportKind::Full, "obfuscated2 cannot carry full");
        let mut rest = data[64..].to_vec();
        obfuscation.apply_decrypt(&mut rest);
        let _ = decode_all(kind, SMALL_MAX_FRAME, &rest, None);
        obfuscation.apply_encrypt(&mut rest);
    }
}

fn sans_io(kind: TransportKind, max_len: usize, stream: &[u8], chunk_seed: u8) {
    let whole = decode_all(kind, max_len, stream, None);
    let mut chunker = Chunker::new(chunk_seed);
    let chunked = decode_all(kind, max_len, stream, Some(&mut chunker));
    assert_eq!(whole, chunked, "chunking changed what {kind:?} decodes");
}

/// Payloads cut from the stream (length-prefixed) and transport errors, encoded and decoded
/// back: every frame comes back as it went (padded intermediate adds up to 15 bytes).
fn encode_round_trip(kind: TransportKind, stream: &[u8]) {
    let mut input = Input::new(stream);
    let mut encoder = FrameEncoder::new(kind);
    let mut wire = Vec::new();
    let mut sent: Vec<Result<Vec<u8>, i32>> = Vec::new();
    while !input.is_empty() && sent.len() < 64 {
        let tag = input.u8();
        if tag & 0x80 != 0 {
            // A transport error, as the test DC sends them (-404, -429...).
            let code = -(i32::from(input.u16()) + 1);
            encoder.encode_transport_error(code, &mut wire);
            sent.push(Err(code));
        } else {
            let len = usize::from(tag) * 3 + usize::from(input.u8() & 3);
            let payload = input.take(len);
            // Every MTProto payload is at least 4 bytes. Padded intermediate's `check`
            // accepts 1..=3 bytes too, but the decoder refuses a frame under 4 bytes (the
            // padding is random), so such payloads are left out here.
            if payload.len() >= 4 && encoder.check(payload).is_ok() {
                encoder.encode(payload, &mut wire);
                sent.push(Ok(payload.to_vec()));
            }
        }
    }
    let (frames, end) = decode_all(kind, DEFAULT_MAX_FRAME_LEN, &wire, None);
    assert_eq!(
        end,
        StreamEnd::Incomplete(0),
        "{kind:?} refused its own frames"
    );
    assert_eq!(frames.len(), sent.len());
    for (frame, sent) in frames.iter().zip(&sent) {
        match (frame, sent) {
            (Frame::TransportError(got), Err(code)) => assert_eq!(got, code),
            (Frame::Packet(got), Ok(payload)) => {
                if kind == TransportKind::PaddedIntermediate {
                    assert!(got.starts_with(payload) && got.len() <= payload.len() + 15);
                } else {
                    assert_eq!(got, payload);
                }
            }
            // A short payload starting with a negative int reads as a transport error; the
            // smallest MTProto message is 24 bytes, so no real message is lost that way.
            (Frame::TransportError(code), Ok(payload)) => {
                assert!(
                    payload.len() < 24,
                    "a {}-byte payload read as an error",
                    payload.len()
                );
                assert_eq!(&code.to_le_bytes()[..], &payload[..4]);
            }
            (Frame::Packet(got), Err(code)) => {
                panic!("transport error {code} decoded as a packet {got:?}")
            }
        }
    }
}

/// What a `FrameReader` should produce, from the sans-IO decoder's view of the same bytes.
fn expected_reader_result(
    kind: TransportKind,
    max_len: usize,
    stream: &[u8],
) -> (Vec<Frame>, TransportError) {
    let (frames, end) = decode_all(kind, max_len, stream, None);
    let end = match end {
        StreamEnd::Error(e) => e,
        StreamEnd::Incomplete(0) => TransportError::Closed,
        StreamEnd::Incomplete(_) => TransportError::Io(std::io::ErrorKind::UnexpectedEof),
    };
    (frames, end)
}

fn server_accept(max_len: usize, stream: &[u8], chunk_seed: u8) {
    let reader = ChunkedReader::new(stream.to_vec(), Chunker::new(chunk_seed));
    let result = block_on(async {
        let mut accepted =
            accept_framed_io(reader, tokio::io::sink(), max_len, Duration::from_secs(60)).await?;
        let (kind, obfuscated) = (accepted.kind, accepted.obfuscated);
        let mut frames = Vec::new();
        let end = loop {
            match accepted.reader.recv().await {
                Ok(frame) => frames.push(frame),
                Err(e) => break e,
            }
        };
        Ok::<_, TransportError>((kind, obfuscated, frames, end))
    });
    // What the sans-IO pieces say about the same bytes.
    let detected = detect(&stream[..stream.len().min(8)]);
    match result {
        Ok((kind, false, frames, end)) => {
            let Ok(Some((Detected::Plain(detected_kind), tag_len))) = detected else {
                panic!("accepted plain {kind:?}, detect said {detected:?}");
            };
            assert_eq!(kind, detected_kind);
            let expected = expected_reader_result(kind, max_len, &stream[tag_len..]);
            assert_eq!(
                (frames, end),
                expected,
                "FrameReader disagrees with FrameDecoder"
            );
        }
        Ok((kind, true, frames, end)) => {
            assert!(matches!(detected, Ok(Some((Detected::Obfuscated, 0)))));
            let header: [u8; 64] = stream[..64].try_into().expect("64 bytes");
            let (again, _, mut obfuscation) =
                obfuscated_server_accept(&header).expect("accepted once");
            assert_eq!(kind, again);
            let mut rest = stream[64..].to_vec();
            obfuscation.apply_decrypt(&mut rest);
            let expected = expected_reader_result(kind, max_len, &rest);
            assert_eq!((frames, end), expected, "obfuscated FrameReader disagrees");
        }
        Err(e) => match detected {
            Err(refused) => assert_eq!(e, refused),
            Ok(Some((Detected::Obfuscated, _))) if stream.len() >= 64 => {
                let header: [u8; 64] = stream[..64].try_into().expect("64 bytes");
                assert_eq!(Err(e), obfuscated_server_accept(&header).map(|_| ()));
            }
            _ => assert!(
                matches!(
                    e,
                    TransportError::Closed | TransportError::Io(std::io::ErrorKind::UnexpectedEof)
                ),
                "accept failed with {e:?} on {} bytes",
                stream.len()
            ),
        },
    }
}

/// The client's reader over what "the server" sent.
fn client_reader(
    kind: TransportKind,
    max_len: usize,
    stream: &[u8],
    chunk_seed: u8,
    obfuscated: bool,
) {
    let obfuscated = obfuscated && kind != TransportKind::Full;
    let reader = ChunkedReader::new(stream.to_vec(), Chunker::new(chunk_seed));
    let (frames, end) = block_on(async {
        let (mut reader, _writer) =
            client_framed(reader, tokio::io::sink(), kind, obfuscated, 2, max_len)
                .expect("client framing");
        let mut frames = Vec::new();
        let end = loop {
            match reader.recv().await {
                Ok(frame) => frames.push(frame),
                Err(e) => break e,
            }
        };
        (frames, end)
    });
    if !obfuscated {
        let expected = expected_reader_result(kind, max_len, stream);
        assert_eq!(
            (frames, end),
            expected,
            "client FrameReader disagrees with FrameDecoder"
        );
    }
}
