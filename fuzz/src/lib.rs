//! Helpers shared by the tgauth fuzz targets (`fuzz_targets/`) and the seed generator
//! (`seeds.rs`): the fixed keys, a byte reader for fuzz input, chunked readers, and small
//! re-implementations of the handshake's AES wrapping (the library's are `pub(crate)`).
//!
//! Everything here is deterministic except where the library itself draws randomness.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use sha1::{Digest, Sha1};
use tgauth::protocol::cipher::AuthKey;
use tgauth::protocol::handshake::rsa::{RsaPrivateKey, RsaPublicKey};
use tgauth::protocol::transport::{Frame, FrameDecoder, TransportError, TransportKind};
use tokio::io::{AsyncRead, ReadBuf};

/// A fixed 2048-bit RSA key (made with `openssl genrsa -traditional 2048`) used as the test
/// DC's key in the fuzz targets, so seeds can carry blocks encrypted to it. Test-only: it
/// protects nothing.
pub const FUZZ_RSA_KEY_PEM: &str = include_str!("fuzz_key.pem");

/// The RSA private key of [`FUZZ_RSA_KEY_PEM`], parsed once.
pub fn rsa_key() -> Arc<RsaPrivateKey> {
    static KEY: OnceLock<Arc<RsaPrivateKey>> = OnceLock::new();
    KEY.get_or_init(|| {
        Arc::new(RsaPrivateKey::from_pem(FUZZ_RSA_KEY_PEM).expect("the fuzz RSA key parses"))
    })
    .clone()
}

/// The public half of [`rsa_key`].
pub fn rsa_public() -> RsaPublicKey {
    rsa_key().public_key()
}

/// The fixed auth key of the fuzz targets: bytes 0, 1, ..., 255 (the MTProto 2.0 test
/// vector's key).
pub fn auth_key() -> AuthKey {
    let mut data = [0u8; 256];
    data.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
    AuthKey::from_bytes(data)
}

/// The largest frame the transport target's decoders accept: small, so `TooLong` is
/// reachable with short inputs.
pub const SMALL_MAX_FRAME: usize = 1024;

/// A reader over fuzz input that never fails: past the end it yields zeros / empty slices.
pub struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos = (self.pos + 1).min(self.data.len());
        b
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let end = self.pos.saturating_add(n).min(self.data.len());
        let out = &self.data[self.pos..end];
        self.pos = end;
        out
    }

    /// A length-prefixed (u16) piece.
    pub fn piece(&mut self) -> &'a [u8] {
        let n = self.u16() as usize;
        self.take(n)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.data[self.pos..];
        self.pos = self.data.len();
        out
    }

    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let got = self.take(N);
        out[..got.len()].copy_from_slice(got);
        out
    }
}

/// Chunk sizes for feeding a stream piecewise: a xorshift generator seeded from the input,
/// with sizes `1..=max`.
#[derive(Clone)]
pub struct Chunker {
    state: u32,
    max: usize,
}

impl Chunker {
    /// `seed` picks the maximum chunk size (1, 2, 3, 5, 8, 64, 1024 or whole) and the
    /// generator state.
    pub fn new(seed: u8) -> Self {
        let max = [1, 2, 3, 5, 8, 64, 1024, usize::MAX][(seed & 7) as usize];
        Self {
            state: 0x9e37_79b9 ^ u32::from(seed),
            max,
        }
    }

    pub fn next_size(&mut self) -> usize {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        if self.max == usize::MAX {
            usize::MAX
        } else {
            1 + (x as usize) % self.max
        }
    }
}

/// How a byte stream ended for a decoder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamEnd {
    /// The decoder refused the stream.
    Error(TransportError),
    /// No more complete frames; this many bytes are left over.
    Incomplete(usize),
}

/// Decodes every frame of `stream` with a fresh decoder, handing it the buffered bytes after
/// each chunk the chunker cuts (like a reader that gets `read` results of those sizes).
/// The result must not depend on the chunking.
pub fn decode_all(
    kind: TransportKind,
    max_len: usize,
    stream: &[u8],
    mut chunker: Option<&mut Chunker>,
) -> (Vec<Frame>, StreamEnd) {
    let mut decoder = FrameDecoder::new(kind, max_len);
    let mut frames = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    loop {
        match decoder.decode(&buf) {
            Ok(Some((frame, used))) => {
                assert!(
                    used > 0 && used <= buf.len(),
                    "decode used {used} of {}",
                    buf.len()
                );
                check_frame(kind, max_len, &frame, used);
                frames.push(frame);
                buf.drain(..used);
            }
            Ok(None) => {
                if fed == stream.len() {
                    return (frames, StreamEnd::Incomplete(buf.len()));
                }
                let n = match chunker.as_deref_mut() {
                    Some(c) => c.next_size().min(stream.len() - fed),
                    None => stream.len() - fed,
                };
                buf.extend_from_slice(&stream[fed..fed + n]);
                fed += n;
            }
            Err(e) => return (frames, StreamEnd::Error(e)),
        }
    }
}

/// Invariants of one decoded frame.
pub fn check_frame(kind: TransportKind, max_len: usize, frame: &Frame, used: usize) {
    match frame {
        Frame::Packet(p) => {
            let limit = if kind == TransportKind::PaddedIntermediate {
                max_len + 15
            } else {
                max_len
            };
            assert!(
                p.len() <= limit,
                "payload of {} over max_len {max_len}",
                p.len()
            );
            assert!(p.len() >= 4, "payload of {} bytes", p.len());
            assert!(used > p.len(), "frame smaller than its payload");
            if kind != TransportKind::PaddedIntermediate {
                assert_eq!(p.len() % 4, 0, "{kind:?} payload not 4-aligned");
            }
        }
        Frame::TransportError(code) => assert!(*code < 0, "transport error {code} >= 0"),
    }
}

/// An `AsyncRead` over a byte vector that returns at most the chunker's next size per read.
pub struct ChunkedReader {
    data: Vec<u8>,
    pos: usize,
    chunker: Chunker,
}

impl ChunkedReader {
    pub fn new(data: Vec<u8>, chunker: Chunker) -> Self {
        Self {
            data,
            pos: 0,
            chunker,
        }
    }
}

impl AsyncRead for ChunkedReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let n = this
            .chunker
            .next_size()
            .min(buf.remaining())
            .min(this.data.len() - this.pos);
        buf.put_slice(&this.data[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

/// Runs a future on a per-thread current-thread runtime (with the time driver, which the
/// accept timeout needs).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime");
    }
    RUNTIME.with(|rt| rt.block_on(future))
}

/// The handshake's temporary AES key and iv (the library's `tmp_aes` is `pub(crate)`).
pub fn tmp_aes(server_nonce: &[u8; 16], new_nonce: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    grammers_crypto::generate_key_data_from_nonce(server_nonce, new_nonce)
}

/// `SHA1(data) + data + padding`, AES-IGE encrypted, with `pad` bytes of padding beyond the
/// minimum (0 gives a well-formed block; more exercises the padding check).
pub fn encrypt_with_hash(data: &[u8], key: &[u8; 32], iv: &[u8; 32], extra_pad: usize) -> Vec<u8> {
    let mut buf = Vec::with_capacity(20 + data.len() + 16 + extra_pad);
    buf.extend_from_slice(&Sha1::digest(data));
    buf.extend_from_slice(data);
    let pad = (16 - buf.len() % 16) % 16 + extra_pad / 16 * 16;
    buf.resize(buf.len() + pad, 0x5a);
    grammers_crypto::aes::ige_encrypt(&mut buf, key, iv);
    buf
}

/// `data` with its bytes `at..at + patch.len()` replaced, when it is long enough.
pub fn patched(data: &[u8], at: usize, patch: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if out.len() >= at + patch.len() {
        out[at..at + patch.len()].copy_from_slice(patch);
    }
    out
}

/// The wrappers the test DC unwraps before an API call (invokeWithLayer, initConnection,
/// invokeWithoutUpdates, invokeAfterMsg), with their constructor ids.
pub const INVOKE_WITH_LAYER: u32 = 0xda9b_0d0d;
pub const INIT_CONNECTION: u32 = 0xc1cd_5ea9;
pub const INVOKE_WITHOUT_UPDATES: u32 = 0xbf94_59b7;
pub const INVOKE_AFTER_MSG: u32 = 0xcb9f_372d;

/// Reads nothing: stands for the inner query of a wrapper, whose fields come first.
struct Skip;

impl grammers_tl_types::Deserializable for Skip {
    fn deserialize(
        _buf: &mut grammers_tl_types::Cursor<'_>,
    ) -> grammers_tl_types::deserialize::Result<Self> {
        Ok(Skip)
    }
}

/// What unwrapping a query gave: the layer of invokeWithLayer, whether initConnection was
/// there, and the API call inside.
#[derive(Debug)]
pub struct Unwrapped<'a> {
    pub layer: Option<i32>,
    pub init_connection: bool,
    pub query: &'a [u8],
}

/// Unwraps the invoke* wrappers in any order, the way the test DC's `on_query` does
/// (src/testdc/server.rs; private there, so repeated here). `None` where the test DC
/// closes the connection or answers CONNECTION_NOT_INITED.
pub fn unwrap_query(mut query: &[u8]) -> Option<Unwrapped<'_>> {
    use grammers_tl_types::{functions, Cursor, Deserializable};
    let mut layer = None;
    let mut init_connection = false;
    loop {
        let id = u32::from_le_bytes(query.get(..4)?.try_into().ok()?);
        let mut cursor = Cursor::from_slice(&query[4..]);
        match id {
            INVOKE_WITH_LAYER => {
                layer = Some(i32::deserialize(&mut cursor).ok()?);
                query = &query[4 + cursor.pos()..];
            }
            INIT_CONNECTION => {
                functions::InitConnection::<Skip>::deserialize(&mut cursor).ok()?;
                init_connection = true;
                query = &query[4 + cursor.pos()..];
            }
            INVOKE_WITHOUT_UPDATES => query = &query[4..],
            INVOKE_AFTER_MSG => {
                i64::deserialize(&mut cursor).ok()?;
                query = &query[12..];
            }
            _ => {
                return Some(Unwrapped {
                    layer,
                    init_connection,
                    query,
                })
            }
        }
    }
}
