//! One DC's listener and its connections: transport detection, the handshake, encrypted
//! sessions and the API calls the test DC answers.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use grammers_tl_types::{enums, functions, types, Cursor, Deserializable, Serializable};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use super::faults::Fault;
mod api;

use super::{DcState, KeyEntry, SessionEntry, Shared};
use crate::protocol::cipher::{self, AuthKey};
use crate::protocol::handshake::server::{ServerHandshake, ServerStep};
use crate::protocol::message::{
    self, constructor_of, read_container, read_envelope, read_gzip_packed, read_plain,
    write_container, write_envelope, write_gzip_packed, write_plain, write_rpc_error,
    write_rpc_result, MsgIdClock, MsgIdKind, RecentMsgIds, GZIP_PACKED, MSG_CONTAINER,
};
use crate::protocol::transport::{accept_framed, Frame, FrameWriter};
use crate::protocol::Side;
#[cfg(test)]
use api::needs_authorization;
use tokio::net::tcp::OwnedWriteHalf;

/// Largest frame a client may send (Telegram's limit is about 1 MiB too).
const MAX_FRAME: usize = 1 << 20;
/// Largest query an API call may be (INPUT_REQUEST_TOO_LONG above it).
const MAX_QUERY: usize = 32 * 1024;
/// Largest gzip_packed expansion.
const MAX_UNPACKED: usize = 1 << 20;
/// A connection that sends nothing for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a client may take to send its transport header.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Most connections one DC holds open at once; more are closed on arrival.
const MAX_CONNECTIONS: usize = 16_384;
/// Most messages the DC packs into one container (Telegram's limit is 1020).
const MAX_BATCH_MESSAGES: usize = 1020;
/// Most bytes of messages the DC packs into one container.
const MAX_BATCH_BYTES: usize = 256 * 1024;
/// Oldest layer accepted.
const MIN_LAYER: i32 = 150;

const MSGS_ACK: u32 = 0x62d6_b459;
const PING: u32 = 0x7abe_77ec;
const PING_DELAY_DISCONNECT: u32 = 0xf342_7b8c;
const GET_FUTURE_SALTS: u32 = 0xb921_bd04;
const DESTROY_SESSION: u32 = 0xe751_2126;
const MSGS_STATE_REQ: u32 = 0xda69_fb52;
const RPC_DROP_ANSWER: u32 = 0x58e4_a740;
const INVOKE_WITH_LAYER: u32 = 0xda9b_0d0d;
const INIT_CONNECTION: u32 = 0xc1cd_5ea9;
const INVOKE_WITHOUT_UPDATES: u32 = 0xbf94_59b7;
const INVOKE_AFTER_MSG: u32 = 0xcb9f_372d;

/// Accepts connections until shutdown.
pub(crate) async fn serve(
    listener: TcpListener,
    dc_id: i32,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let connections_stop = shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of descriptors and the like: back off a little, keep serving.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                shared.stats.lock().connections += 1;
                let open = &shared.dcs[&dc_id].open_connections;
                if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                    // Full: refuse this one (closing it) and keep serving the others.
                    open.fetch_sub(1, Ordering::SeqCst);
                    drop(stream);
                    continue;
                }
                let shared = shared.clone();
                let mut stop = connections_stop.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = Connection::run(stream, dc_id, shared.clone()) => {}
                        _ = stopped(&mut stop) => {}
                    }
                    shared.dcs[&dc_id].open_connections.fetch_sub(1, Ordering::SeqCst);
                });
            }
            _ = stopped(&mut shutdown) => break,
        }
    }
}

/// Resolves once the test DC is told to stop.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// A frame to queue for the client.
enum Out {
    Packet(Vec<u8>),
    TransportError(i32),
}

/// Server messages waiting to go out together (see `Connection::send`).
#[derive(Default)]
struct Batch {
    /// (session_id, salt) of every message in `items`.
    session: (i64, i64),
    /// (msg_id, seq_no, body).
    items: Vec<(i64, i32, Vec<u8>)>,
    bytes: usize,
}

/// Where an incoming message sits: top level, or inside a container.
#[derive(Clone, Copy)]
struct Incoming {
    msg_id: i64,
    seq_no: i32,
}

struct Connection {
    dc_id: i32,
    shared: Arc<Shared>,
    /// Frames are queued here while a burst of incoming frames is handled, then written
    /// with one system call (the run loop flushes once the reader has nothing buffered).
    writer: FrameWriter<OwnedWriteHalf>,
    /// Answers held back by the delay fault come back through here.
    delayed: mpsc::UnboundedSender<Vec<u8>>,
    /// Messages sent during the current burst, not encrypted yet.
    batch: Batch,
    clock: MsgIdClock,
    recent: RecentMsgIds,
    handshake: Option<ServerHandshake>,
    key: Option<Arc<KeyEntry>>,
    session_id: i64,
    /// Padded intermediate: frames carry 0..15 random bytes after the message.
    padded: bool,
    /// Server pushes (updates) for this connection's auth key come through here.
    pushes: mpsc::UnboundedSender<Vec<u8>>,
    /// This connection's entry in the push registry, once its auth key is known.
    registered: Option<super::push::Registration>,
}

impl Connection {
    async fn run(stream: TcpStream, dc_id: i32, shared: Arc<Shared>) {
        let _ = stream.set_nodelay(true);
        let Ok(accepted) = accept_framed(stream, MAX_FRAME, HEADER_TIMEOUT).await else {
            return;
        };
        let (kind, _obfuscated, mut reader, writer) = accepted;
        let padded = kind == crate::protocol::transport::TransportKind::PaddedIntermediate;
        let (delayed, mut delayed_rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let (pushes, mut pushes_rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let mut conn = Connection {
            dc_id,
            shared,
            writer,
            delayed,
            batch: Batch::default(),
            clock: MsgIdClock::new(),
            recent: RecentMsgIds::new(1024),
            handshake: None,
            key: None,
            session_id: 0,
            padded,
            pushes,
            registered: None,
        };
        loop {
            let mut open = true;
            tokio::select! {
                frame = tokio::time::timeout(IDLE_TIMEOUT, reader.recv()) => {
                    let mut frame = match frame {
                        Ok(Ok(Frame::Packet(payload))) => Some(payload),
                        _ => break,
                    };
                    // The whole burst that has arrived, then one write for all the answers.
                    while let Some(payload) = frame.take() {
                        if conn.on_frame(payload).await.is_err() {
                            open = false;
                            break;
                        }
                        frame = match reader.try_recv_buffered() {
                            Ok(Some(Frame::Packet(payload))) => Some(payload),
                            Ok(None) => None,
                            Ok(Some(Frame::TransportError(_))) | Err(_) => {
                                open = false;
                                None
                            }
                        };
                    }
                }
                Some(frame) = delayed_rx.recv() => {
                    open = conn.emit(Out::Packet(frame)).is_ok();
                }
                Some(update) = pushes_rx.recv() => {
                    open = conn.send(update, MsgIdKind::ServerOther, true).await.is_ok();
                }
            }
            // What was queued goes out even when the connection is closing: a transport
            // error is sent before the close.
            if conn.seal().is_err() {
                break;
            }
            match tokio::time::timeout(IDLE_TIMEOUT, conn.writer.flush()).await {
                Ok(Ok(())) if open => {}
                _ => break,
            }
        }
        if let Some(registration) = conn.registered.take() {
            conn.shared.pushes.unregister(registration);
        }
        let _ = tokio::time::timeout(HEADER_TIMEOUT, conn.writer.shutdown()).await;
    }

    /// Draws a fault, counting the ones that happen.
    fn fault(&self, fault: Fault) -> bool {
        let hit = self.shared.faults.roll(fault);
        if hit {
            self.shared.stats.lock().faults_injected += 1;
        }
        hit
    }

    fn dc(&self) -> &DcState {
        &self.shared.dcs[&self.dc_id]
    }

    /// Encrypts the messages [`send`](Self::send) collected, in one msg_container when
    /// there are several, and queues the frame.
    fn seal(&mut self) -> Result<(), ()> {
        if self.batch.items.is_empty() {
            return Ok(());
        }
        let key = self.key.clone().ok_or(())?;
        let items = std::mem::take(&mut self.batch.items);
        let bytes = std::mem::take(&mut self.batch.bytes);
        let (session_id, salt) = self.batch.session;
        let mut plain = Vec::with_capacity(bytes + 64);
        if let [(msg_id, seq, body)] = items.as_slice() {
            write_envelope(salt, session_id, *msg_id, *seq, body, &mut plain);
        } else {
            let seq = {
                let mut sessions = self.dc().sessions.lock();
                let session = sessions.entry((key.key.id(), session_id)).or_default();
                session.seq.next(false)
            };
            let refs: Vec<(i64, i32, &[u8])> = items
                .iter()
                .map(|(id, seq, body)| (*id, *seq, body.as_slice()))
                .collect();
            let mut container = Vec::with_capacity(bytes + 8);
            write_container(&refs, &mut container);
            // After the inner messages' ids, as the container's id must be.
            let msg_id = self.clock.next(MsgIdKind::ServerOther);
            write_envelope(salt, session_id, msg_id, seq, &container, &mut plain);
        }
        let mut frame = Vec::with_capacity(plain.len() + 64);
        cipher::encrypt(&key.key, Side::Server, &plain, &mut frame);
        self.writer.queue(&frame).map_err(|_| ())
    }

    /// Queues a frame, after the messages collected so far; it is written when the
    /// current burst has been handled.
    fn emit(&mut self, out: Out) -> Result<(), ()> {
        self.seal()?;
        match out {
            Out::Packet(bytes) => self.writer.queue(&bytes).map_err(|_| ()),
            Out::TransportError(code) => {
                self.writer.queue_transport_error(code);
                Ok(())
            }
        }
    }

    /// Handles one frame; `Err` closes the connection.
    async fn on_frame(&mut self, mut frame: Vec<u8>) -> Result<(), ()> {
        let key_id = cipher::frame_auth_key_id(&frame).ok_or(())?;
        if key_id == 0 {
            return self.on_plain(&frame).await;
        }
        if self.padded && frame.len() > 24 {
            // Keep auth_key_id + msg_key + whole 16-byte blocks; the rest is padding.
            frame.truncate(24 + (frame.len() - 24) / 16 * 16);
        }
        let entry = self.dc().keys.lock().get(&key_id).cloned();
        let Some(entry) = entry else {
            // Unknown auth key: transport error -404, as Telegram sends.
            let _ = self.emit(Out::TransportError(-404));
            return Err(());
        };
        // Every failure below closes the connection the same way (item 14's spirit).
        let plain = cipher::decrypt(&entry.key, Side::Client, &mut frame).map_err(|_| ())?;
        let envelope = read_envelope(plain).map_err(|_| ())?;
        if self.key.as_ref().is_some_and(|k| k.key.id() != key_id) {
            return Err(()); // one key per connection
        }
        self.key = Some(entry.clone());
        if self.registered.is_none() {
            self.registered = Some(self.shared.pushes.register(
                self.dc_id,
                key_id,
                self.pushes.clone(),
            ));
        }
        self.session_id = envelope.session_id;
        let body = envelope.body.to_vec();
        self.on_top_level(envelope.msg_id, envelope.seq_no, envelope.salt, &body)
            .await
    }

    async fn on_plain(&mut self, frame: &[u8]) -> Result<(), ()> {
        let (_, body) = read_plain(frame).map_err(|_| ())?;
        if ServerHandshake::is_handshake_start(body) {
            let flaw = match self.shared.flaw {
                Some(super::flaws::Flaw::Handshake(f)) => Some(f),
                _ => None,
            };
            self.handshake = Some(
                ServerHandshake::with_flaw(self.shared.key.clone(), flaw)
                    .with_pool(Some(self.shared.dh_pool.clone())),
            );
        }
        let mut handshake = self.handshake.take().ok_or(())?;
        let step = if ServerHandshake::is_handshake_start(body) {
            // resPQ: a random pq, microseconds.
            handshake.handle(body, |_: &AuthKey| true)
        } else {
            // An RSA decryption or a 2048-bit exponentiation: milliseconds, which would
            // hold up every other connection on this worker. It runs on the blocking
            // pool, at most one per CPU at a time however many clients handshake at once.
            let permit = self.shared.crypto_slots.clone().acquire_owned().await;
            let body = body.to_vec();
            let shared = self.shared.clone();
            let dc_id = self.dc_id;
            let (back, step) = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                let dc = &shared.dcs[&dc_id];
                let step = handshake.handle(&body, |key: &AuthKey| {
                    !dc.keys.lock().contains_key(&key.id())
                });
                (handshake, step)
            })
            .await
            .map_err(|_| ())?;
            handshake = back;
            step
        };
        self.handshake = Some(handshake);
        let dc = &self.shared.dcs[&self.dc_id];
        let reply = match step {
            Ok(ServerStep::Reply(reply)) => reply,
            Ok(ServerStep::Done(reply, key)) => {
                let entry = Arc::new(KeyEntry {
                    unbound_temp: key.temp_expires_in.is_some(),
                    key: key.outcome.auth_key,
                    first_salt: key.outcome.first_salt,
                });
                dc.keys.lock().insert(entry.key.id(), entry);
                self.shared.stats.lock().auth_keys_created += 1;
                self.handshake = None;
                reply
            }
            Err(_) => {
                // A broken handshake: transport error -404, then close.
                let _ = self.emit(Out::TransportError(-404));
                return Err(());
            }
        };
        let mut out = Vec::with_capacity(reply.len() + 20);
        write_plain(self.clock.next(MsgIdKind::ServerResponse), &reply, &mut out);
        self.emit(Out::Packet(out))
    }

    /// Sends one server message in the current session, applying the per-answer faults.
    ///
    /// Messages are collected while a burst of client frames is handled and go out
    /// together in one msg_container (see [`seal`](Self::seal)), as Telegram also packs
    /// its answers: one encryption and one frame for the burst instead of one per answer.
    /// A message hit by a fault, or one that is a container itself, goes out alone.
    async fn send(&mut self, body: Vec<u8>, kind: MsgIdKind, content: bool) -> Result<(), ()> {
        let key = self.key.clone().ok_or(())?;
        let (salt, seq) = {
            let mut sessions = self.dc().sessions.lock();
            let session = sessions.entry((key.key.id(), self.session_id)).or_default();
            (session.salt, session.seq.next(content))
        };
        let msg_id = self.clock.next(kind);
        let corrupt = self.fault(Fault::Corrupt);
        let delay = self.fault(Fault::Delay);
        if !corrupt && !delay && constructor_of(&body) != Some(MSG_CONTAINER) {
            if self.batch.session != (self.session_id, salt) {
                self.seal()?;
                self.batch.session = (self.session_id, salt);
            }
            self.batch.bytes += body.len() + 16;
            self.batch.items.push((msg_id, seq, body));
            if self.batch.items.len() >= MAX_BATCH_MESSAGES || self.batch.bytes >= MAX_BATCH_BYTES {
                self.seal()?;
            }
            return Ok(());
        }
        self.seal()?;
        let mut plain = Vec::with_capacity(body.len() + 32);
        write_envelope(salt, self.session_id, msg_id, seq, &body, &mut plain);
        let mut frame = Vec::with_capacity(plain.len() + 64);
        cipher::encrypt(&key.key, Side::Server, &plain, &mut frame);
        if corrupt {
            let at = 8 + (crate::protocol::random::array::<1>()[0] as usize % (frame.len() - 8));
            frame[at] ^= 0x40;
        }
        if delay {
            let delayed = self.delayed.clone();
            let ms = u16::from_le_bytes(crate::protocol::random::array::<2>()) % 2000;
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(ms as u64)).await;
                let _ = delayed.send(frame);
            });
            return Ok(());
        }
        self.emit(Out::Packet(frame))
    }

    async fn send_bad_msg(&mut self, bad: Incoming, error_code: i32) -> Result<(), ()> {
        let body = enums::BadMsgNotification::Notification(types::BadMsgNotification {
            bad_msg_id: bad.msg_id,
            bad_msg_seqno: bad.seq_no,
            error_code,
        })
        .to_bytes();
        self.send(body, MsgIdKind::ServerOther, false).await
    }

    async fn send_bad_salt(&mut self, bad: Incoming, new_salt: i64) -> Result<(), ()> {
        let body = enums::BadMsgNotification::BadServerSalt(types::BadServerSalt {
            bad_msg_id: bad.msg_id,
            bad_msg_seqno: bad.seq_no,
            error_code: 48,
            new_server_salt: new_salt,
        })
        .to_bytes();
        self.send(body, MsgIdKind::ServerOther, false).await
    }

    /// Session, msg_id, seq_no and salt checks for a top-level message, then dispatch.
    async fn on_top_level(
        &mut self,
        msg_id: i64,
        seq_no: i32,
        salt: i64,
        body: &[u8],
    ) -> Result<(), ()> {
        let key = self.key.clone().ok_or(())?;
        let incoming = Incoming { msg_id, seq_no };
        if self.fault(Fault::ForgetKey) {
            self.dc().keys.lock().remove(&key.key.id());
            let _ = self.emit(Out::TransportError(-404));
            return Err(());
        }
        if self.fault(Fault::Drop) {
            return Err(());
        }
        if self.fault(Fault::NewSession) {
            self.dc()
                .sessions
                .lock()
                .remove(&(key.key.id(), self.session_id));
        }
        // A new session: new_session_created first (with the salt to use).
        let created = {
            let mut sessions = self.dc().sessions.lock();
            let id = (key.key.id(), self.session_id);
            if sessions.contains_key(&id) {
                None
            } else {
                let key_id = key.key.id();
                let salt = if sessions
                    .range((key_id, i64::MIN)..=(key_id, i64::MAX))
                    .next()
                    .is_some()
                {
                    crate::protocol::random::i64()
                } else {
                    key.first_salt
                };
                sessions.insert(
                    id,
                    SessionEntry {
                        salt,
                        ..SessionEntry::default()
                    },
                );
                Some(salt)
            }
        };
        if let Some(server_salt) = created {
            let body = enums::NewSession::Created(types::NewSessionCreated {
                first_msg_id: msg_id,
                unique_id: crate::protocol::random::i64(),
                server_salt,
            })
            .to_bytes();
            self.send(body, MsgIdKind::ServerOther, false).await?;
        }
        // msg_id: divisible by 4, within the time window (16 too low, 17 too high).
        if msg_id % 4 != 0 {
            return self.send_bad_msg(incoming, 18).await;
        }
        let now = message::unix_now() as i64;
        let t = message::msg_id_time(msg_id);
        if t < now - message::MAX_PAST_SECS || self.fault(Fault::TimeSkew) && t <= now {
            return self.send_bad_msg(incoming, 16).await;
        }
        if t > now + message::MAX_FUTURE_SECS {
            return self.send_bad_msg(incoming, 17).await;
        }
        if self.recent.check(Side::Client, msg_id, None).is_err() {
            return Ok(()); // a duplicate: ignored, as Telegram does
        }
        // seq_no parity (34: even expected, 35: odd expected). Service queries are sent both
        // ways by clients that work against Telegram (tdlib: even; Telethon: odd), so
        // Telegram takes either parity for them, and so does this DC.
        let constructor = constructor_of(body).unwrap_or(0);
        if !is_service_query(constructor) {
            let content = message::is_content_related(constructor);
            if content && seq_no % 2 == 0 {
                return self.send_bad_msg(incoming, 35).await;
            }
            if !content && seq_no % 2 == 1 {
                return self.send_bad_msg(incoming, 34).await;
            }
        }
        // Salt (48).
        let current = {
            let mut sessions = self.dc().sessions.lock();
            let session = sessions
                .get_mut(&(key.key.id(), self.session_id))
                .ok_or(())?;
            if self.fault(Fault::BadSalt) {
                session.salt = crate::protocol::random::i64();
            }
            session.salt
        };
        if salt != current {
            return self.send_bad_salt(incoming, current).await;
        }
        if constructor_of(body) == Some(MSG_CONTAINER) {
            let Ok(items) = read_container(msg_id, body) else {
                return self.send_bad_msg(incoming, 64).await;
            };
            for item in items {
                let inner = Incoming {
                    msg_id: item.msg_id,
                    seq_no: item.seq_no,
                };
                if item.msg_id % 4 != 0 {
                    self.send_bad_msg(inner, 18).await?;
                    continue;
                }
                if self.recent.check(Side::Client, item.msg_id, None).is_err() {
                    continue;
                }
                Box::pin(self.dispatch(inner, item.body)).await?;
            }
            return Ok(());
        }
        self.dispatch(incoming, body).await
    }

    async fn dispatch(&mut self, incoming: Incoming, body: &[u8]) -> Result<(), ()> {
        let Some(id) = constructor_of(body) else {
            return Err(());
        };
        let mut cursor = Cursor::from_slice(&body[4..]);
        match id {
            MSGS_ACK => Ok(()),
            GZIP_PACKED => {
                let unpacked = read_gzip_packed(body, MAX_UNPACKED).map_err(|_| ())?;
                Box::pin(self.dispatch(incoming, &unpacked)).await
            }
            PING | PING_DELAY_DISCONNECT => {
                let ping_id = i64::deserialize(&mut cursor).map_err(|_| ())?;
                let pong = enums::Pong::Pong(types::Pong {
                    msg_id: incoming.msg_id,
                    ping_id,
                })
                .to_bytes();
                self.send(pong, MsgIdKind::ServerResponse, false).await
            }
            GET_FUTURE_SALTS => {
                let req = functions::GetFutureSalts::deserialize(&mut cursor).map_err(|_| ())?;
                let salt = self.current_salt();
                let now = message::unix_now() as i32;
                let count = req.num.clamp(1, 64);
                let salts = (0..count)
                    .map(|i| types::FutureSalt {
                        valid_since: now + i * 3600,
                        valid_until: now + (i + 1) * 3600,
                        salt: if i == 0 {
                            salt
                        } else {
                            crate::protocol::random::i64()
                        },
                    })
                    .collect();
                let result = enums::FutureSalts::Salts(types::FutureSalts {
                    req_msg_id: incoming.msg_id,
                    now,
                    salts: grammers_tl_types::RawVec(salts),
                })
                .to_bytes();
                // future_salts is sent bare, not inside rpc_result.
                self.send(result, MsgIdKind::ServerResponse, false).await
            }
            DESTROY_SESSION => {
                let req = functions::DestroySession::deserialize(&mut cursor).map_err(|_| ())?;
                let key_id = self.key.as_ref().ok_or(())?.key.id();
                let existed = req.session_id != self.session_id
                    && self
                        .dc()
                        .sessions
                        .lock()
                        .remove(&(key_id, req.session_id))
                        .is_some();
                let result = if existed {
                    enums::DestroySessionRes::DestroySessionOk(types::DestroySessionOk {
                        session_id: req.session_id,
                    })
                } else {
                    enums::DestroySessionRes::DestroySessionNone(types::DestroySessionNone {
                        session_id: req.session_id,
                    })
                };
                self.answer(incoming, result.to_bytes()).await
            }
            MSGS_STATE_REQ => {
                let ids = Vec::<i64>::deserialize(&mut cursor).map_err(|_| ())?;
                if ids.len() > message::MAX_ID_LIST {
                    return Err(());
                }
                let info = enums::MsgsStateInfo::Info(types::MsgsStateInfo {
                    req_msg_id: incoming.msg_id,
                    info: vec![1; ids.len()],
                })
                .to_bytes();
                self.send(info, MsgIdKind::ServerResponse, false).await
            }
            RPC_DROP_ANSWER => {
                let result = enums::RpcDropAnswer::RpcAnswerUnknown.to_bytes();
                self.answer(incoming, result).await
            }
            _ => self.on_query(incoming, body).await,
        }
    }

    fn current_salt(&self) -> i64 {
        let Some(key) = &self.key else { return 0 };
        self.dc()
            .sessions
            .lock()
            .get(&(key.key.id(), self.session_id))
            .map(|s| s.salt)
            .unwrap_or(0)
    }

    fn session_layer(&self) -> Option<i32> {
        let key = self.key.as_ref()?;
        self.dc()
            .sessions
            .lock()
            .get(&(key.key.id(), self.session_id))
            .and_then(|s| s.layer)
    }

    fn set_session_layer(&self, layer: i32) {
        if let Some(key) = &self.key {
            if let Some(s) = self
                .dc()
                .sessions
                .lock()
                .get_mut(&(key.key.id(), self.session_id))
            {
                s.layer = Some(layer);
            }
        }
    }

    /// The answer already given to a request with this msg_id in this session, if any.
    fn answered(&self, msg_id: i64) -> Option<Vec<u8>> {
        let key = self.key.as_ref()?;
        let sessions = self.dc().sessions.lock();
        let session = sessions.get(&(key.key.id(), self.session_id))?;
        session.answered.get(msg_id).cloned()
    }

    /// Sends an rpc_result, applying the answer faults.
    async fn answer(&mut self, incoming: Incoming, mut result: Vec<u8>) -> Result<(), ()> {
        if let Some(key) = &self.key {
            let mut sessions = self.dc().sessions.lock();
            if let Some(session) = sessions.get_mut(&(key.key.id(), self.session_id)) {
                session.answered.remember(incoming.msg_id, &result);
            }
        }
        if self.fault(Fault::Gzip) {
            result = write_gzip_packed(&result);
        }
        let mut body = Vec::with_capacity(result.len() + 12);
        write_rpc_result(incoming.msg_id, &result, &mut body);
        if let Some(flaw) = self
            .shared
            .flaw
            .filter(|f| !matches!(f, super::flaws::Flaw::Handshake(_)))
        {
            return self.send_flawed(flaw, body).await;
        }
        if self.fault(Fault::Container) {
            let ack = enums::MsgsAck::Ack(types::MsgsAck {
                msg_ids: vec![incoming.msg_id],
            })
            .to_bytes();
            // Inner messages take their ids and seq_nos before the container's.
            let (ack_id, result_id) = (
                self.clock.next(MsgIdKind::ServerOther),
                self.clock.next(MsgIdKind::ServerResponse),
            );
            let (ack_seq, result_seq) = {
                let key = self.key.clone().ok_or(())?;
                let mut sessions = self.dc().sessions.lock();
                let session = sessions.entry((key.key.id(), self.session_id)).or_default();
                (session.seq.next(false), session.seq.next(true))
            };
            let mut container = Vec::new();
            write_container(
                &[(ack_id, ack_seq, &ack), (result_id, result_seq, &body)],
                &mut container,
            );
            return self.send(container, MsgIdKind::ServerOther, false).await;
        }
        self.send(body, MsgIdKind::ServerResponse, true).await
    }

    /// Sends an answer that breaks one check on purpose (the misbehaving mode).
    async fn send_flawed(&mut self, flaw: super::flaws::Flaw, body: Vec<u8>) -> Result<(), ()> {
        use super::flaws::Flaw;
        let key = self.key.clone().ok_or(())?;
        let (salt, seq) = {
            let mut sessions = self.dc().sessions.lock();
            let session = sessions.entry((key.key.id(), self.session_id)).or_default();
            (session.salt, session.seq.next(true))
        };
        let random_i64 = || crate::protocol::random::i64();
        let now = message::unix_now() as i64;
        let mut msg_id = self.clock.next(MsgIdKind::ServerResponse);
        let mut session_id = self.session_id;
        let mut body = body;
        let mut before: Option<Vec<u8>> = None;
        match flaw {
            Flaw::WrongSessionId => session_id = random_i64(),
            Flaw::EvenMsgId => msg_id &= !3,
            Flaw::MsgIdTooOld => msg_id = ((now - 400) << 32) | 1,
            Flaw::MsgIdTooNew => msg_id = ((now + 60) << 32) | 1,
            Flaw::NestedContainer => {
                let inner_id = self.clock.next(MsgIdKind::ServerResponse);
                let mut inner = Vec::new();
                write_container(&[(inner_id, seq, &body)], &mut inner);
                let wrap_id = self.clock.next(MsgIdKind::ServerOther);
                let mut outer = Vec::new();
                write_container(&[(wrap_id, 0, &inner)], &mut outer);
                body = outer;
                msg_id = self.clock.next(MsgIdKind::ServerOther);
            }
            Flaw::ContainerIdNotGreater => {
                let container_id = self.clock.next(MsgIdKind::ServerOther);
                let inner_id = self.clock.next(MsgIdKind::ServerResponse);
                let mut c = Vec::new();
                write_container(&[(inner_id, seq, &body)], &mut c);
                body = c;
                msg_id = container_id;
            }
            Flaw::ContainerTooLarge => {
                let ack = enums::MsgsAck::Ack(types::MsgsAck { msg_ids: vec![1] }).to_bytes();
                let mut items: Vec<(i64, i32, Vec<u8>)> = (0..1024)
                    .map(|_| (self.clock.next(MsgIdKind::ServerOther), 0, ack.clone()))
                    .collect();
                items.push((
                    self.clock.next(MsgIdKind::ServerResponse),
                    seq,
                    body.clone(),
                ));
                let refs: Vec<(i64, i32, &[u8])> = items
                    .iter()
                    .map(|(a, b, c)| (*a, *b, c.as_slice()))
                    .collect();
                let mut c = Vec::new();
                write_container(&refs, &mut c);
                body = c;
                msg_id = self.clock.next(MsgIdKind::ServerOther);
            }
            Flaw::HugeAckList => {
                before = Some(
                    enums::MsgsAck::Ack(types::MsgsAck {
                        msg_ids: (1..=8193).map(|i| i * 4).collect(),
                    })
                    .to_bytes(),
                );
            }
            Flaw::BadSaltForUnknownId => {
                before = Some(
                    enums::BadMsgNotification::BadServerSalt(types::BadServerSalt {
                        bad_msg_id: random_i64() & !3,
                        bad_msg_seqno: 1,
                        error_code: 48,
                        new_server_salt: random_i64(),
                    })
                    .to_bytes(),
                );
            }
            Flaw::BadMsgForUnknownId => {
                before = Some(
                    enums::BadMsgNotification::Notification(types::BadMsgNotification {
                        bad_msg_id: random_i64() & !3,
                        bad_msg_seqno: 1,
                        error_code: 16,
                    })
                    .to_bytes(),
                );
            }
            _ => {}
        }
        if let Some(service) = before {
            self.send(service, MsgIdKind::ServerOther, false).await?;
        }
        let mut plain = Vec::with_capacity(body.len() + 32);
        write_envelope(salt, session_id, msg_id, seq, &body, &mut plain);
        if flaw == Flaw::DataLengthPastEnd {
            plain[28..32].copy_from_slice(&((body.len() as u32) + 64).to_le_bytes());
        }
        let mut frame = Vec::with_capacity(plain.len() + 1100);
        if flaw == Flaw::PaddingTooLong {
            let pad = 1040 + (16 - plain.len() % 16) % 16;
            cipher::encrypt_with_padding(
                &key.key,
                Side::Server,
                &plain,
                &vec![0u8; pad],
                &mut frame,
            );
        } else {
            cipher::encrypt(&key.key, Side::Server, &plain, &mut frame);
        }
        match flaw {
            Flaw::WrongAuthKeyId => frame[0] ^= 0xff,
            Flaw::BadMsgKey => frame[10] ^= 0x01,
            Flaw::FrameLengthNotAligned => frame.truncate(frame.len() - 4),
            _ => {}
        }
        if flaw == Flaw::DuplicateMsgId {
            self.emit(Out::Packet(frame.clone()))?;
        }
        self.emit(Out::Packet(frame))
    }

    async fn answer_error(
        &mut self,
        incoming: Incoming,
        code: i32,
        message: &str,
    ) -> Result<(), ()> {
        let mut error = Vec::new();
        write_rpc_error(code, message, &mut error);
        self.answer(incoming, error).await
    }

    /// invokeWithLayer / initConnection wrappers, then the API call itself.
    async fn on_query(&mut self, incoming: Incoming, body: &[u8]) -> Result<(), ()> {
        if let Some(previous) = self.answered(incoming.msg_id) {
            // Resent after a reconnect: the same answer, nothing done twice.
            return self.answer(incoming, previous).await;
        }
        if body.len() > MAX_QUERY {
            return self
                .answer_error(incoming, 400, "INPUT_REQUEST_TOO_LONG")
                .await;
        }
        let mut query = body;
        let mut layer = None;
        let mut inits = false;
        // Unwrap the invoke* wrappers in any order.
        loop {
            let id = constructor_of(query).ok_or(())?;
            let mut cursor = Cursor::from_slice(&query[4..]);
            match id {
                INVOKE_WITH_LAYER => {
                    let l = i32::deserialize(&mut cursor).map_err(|_| ())?;
                    layer = Some(l);
                    query = &query[4 + cursor.pos()..];
                }
                INIT_CONNECTION => {
                    let Ok(init) = functions::InitConnection::<Skip>::deserialize(&mut cursor)
                    else {
                        return self
                            .answer_error(incoming, 400, "CONNECTION_NOT_INITED")
                            .await;
                    };
                    let _ = init;
                    inits = true;
                    query = &query[4 + cursor.pos()..];
                }
                INVOKE_WITHOUT_UPDATES => {
                    query = &query[4..];
                }
                INVOKE_AFTER_MSG => {
                    let _ = i64::deserialize(&mut cursor).map_err(|_| ())?;
                    query = &query[12..];
                }
                _ => break,
            }
        }
        if let Some(l) = layer {
            if !(MIN_LAYER..=grammers_tl_types::LAYER).contains(&l) {
                return self
                    .answer_error(incoming, 400, "CONNECTION_LAYER_INVALID")
                    .await;
            }
        }
        if inits {
            self.set_session_layer(
                layer
                    .or(self.session_layer())
                    .unwrap_or(grammers_tl_types::LAYER),
            );
        }
        let Some(layer) = self.session_layer() else {
            return self
                .answer_error(incoming, 400, "CONNECTION_NOT_INITED")
                .await;
        };
        let key = self.key.clone().ok_or(())?;
        if key.unbound_temp {
            return self
                .answer_error(incoming, 401, "AUTH_KEY_PERM_EMPTY")
                .await;
        }
        if self.fault(Fault::Rpc500) {
            return self
                .answer_error(incoming, 500, "INTERNAL_SERVER_ERROR")
                .await;
        }
        self.call_api(incoming, query, layer, key).await
    }

    /// help.getConfig: this test DC's DCs as dc_options.
    fn config(&self) -> Vec<u8> {
        super::config_answer(
            &self.shared.info.dcs,
            self.dc_id,
            message::unix_now() as i32,
        )
        .to_bytes()
    }
}

/// Service queries whose seq_no parity clients disagree on: tdlib sends them as not
/// content-related (even seq_no), Telethon as content-related (odd), and both work against
/// Telegram.
fn is_service_query(constructor: u32) -> bool {
    matches!(
        constructor,
        PING | PING_DELAY_DISCONNECT
            | GET_FUTURE_SALTS
            | MSGS_STATE_REQ
            | RPC_DROP_ANSWER
            | DESTROY_SESSION
    )
}

/// Skips the inner query of a wrapper: the fields before it are what we parse.
struct Skip;

impl Deserializable for Skip {
    fn deserialize(_buf: &mut Cursor<'_>) -> grammers_tl_types::deserialize::Result<Self> {
        Ok(Skip)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrapper_constructor_ids_match_the_schema() {
        use grammers_tl_types::{functions, Identifiable};
        assert_eq!(
            super::INVOKE_WITH_LAYER,
            functions::InvokeWithLayer::<()>::CONSTRUCTOR_ID
        );
        assert_eq!(
            super::INIT_CONNECTION,
            functions::InitConnection::<()>::CONSTRUCTOR_ID
        );
        assert_eq!(
            super::INVOKE_WITHOUT_UPDATES,
            functions::InvokeWithoutUpdates::<()>::CONSTRUCTOR_ID
        );
        assert_eq!(
            super::INVOKE_AFTER_MSG,
            functions::InvokeAfterMsg::<()>::CONSTRUCTOR_ID
        );
        assert_eq!(super::PING, functions::Ping::CONSTRUCTOR_ID);
        assert_eq!(
            super::GET_FUTURE_SALTS,
            functions::GetFutureSalts::CONSTRUCTOR_ID
        );
        assert_eq!(
            super::DESTROY_SESSION,
            functions::DestroySession::CONSTRUCTOR_ID
        );
    }

    #[test]
    fn methods_that_need_a_user_are_told_apart() {
        use grammers_tl_types::{functions, Identifiable};
        assert!(super::needs_authorization(
            functions::users::GetUsers::CONSTRUCTOR_ID
        ));
        assert!(super::needs_authorization(
            functions::updates::GetState::CONSTRUCTOR_ID
        ));
        assert!(!super::needs_authorization(
            functions::auth::SendCode::CONSTRUCTOR_ID
        ));
        assert!(!super::needs_authorization(
            functions::help::GetConfig::CONSTRUCTOR_ID
        ));
        assert!(!super::needs_authorization(0xdead_beef));
    }
}
