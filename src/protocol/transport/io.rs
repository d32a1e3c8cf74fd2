//! Async halves over tokio: [`FrameReader`] and [`FrameWriter`], built by [`connect_framed`]
//! (client) and [`accept_framed`] (server).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::{
    detect, obfuscated_client_header, obfuscated_server_accept, Detected, Frame, FrameDecoder,
    FrameEncoder, ObfuscationDecrypt, ObfuscationEncrypt, TransportError, TransportKind,
};

/// How much a [`FrameReader`] asks the socket for at a time when it does not yet know how
/// long the next frame is. Small frames that arrive back to back then need one syscall.
const READ_CHUNK: usize = 8 * 1024;
/// A write buffer larger than this is released after it is flushed.
const KEPT_WRITE_BUFFER: usize = 64 * 1024;

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
    use crate::protocol::transport::test_util::*;
    use crate::protocol::transport::*;
    use tokio::net::TcpListener;

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
