//! One client's link to one DC: an actor task that owns the TCP connection, the auth key
//! handshake and the encrypted session, and multiplexes many requests over it.
//!
//! Requests arrive on a channel and are answered on oneshot channels. On a broken
//! connection the link reconnects (same session) and resends what was not answered with
//! the same msg_id, so the server can recognise a request it already processed and answer
//! it again instead of acting twice (no second SMS). Requests the server refused to
//! process (bad_server_salt, bad_msg_notification) are resent under new msg_ids.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use grammers_tl_types::{enums, functions, Deserializable, Serializable};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use super::error::{Error, ErrorKind};
use crate::protocol::cipher::{self, AuthKey};
use crate::protocol::handshake::client::{ClientHandshake, ClientStep, DhGuess};
use crate::protocol::handshake::rsa::RsaPublicKey;
use crate::protocol::message::{
    self, constructor_of, read_container, read_envelope, read_gzip_packed, read_plain,
    read_rpc_result, write_container, write_envelope, write_plain, MsgIdClock, MsgIdKind,
    RecentMsgIds, SeqNo, GZIP_PACKED, MSG_CONTAINER, RPC_ERROR, RPC_RESULT,
};
use crate::protocol::transport::{connect_framed, Frame, FrameReader, FrameWriter, TransportKind};
use crate::protocol::Side;

/// Largest frame we accept from a server.
const MAX_FRAME: usize = 2 << 20;
/// Largest gzip expansion we accept.
const MAX_UNPACKED: usize = 4 << 20;
/// How many broken connections may be charged to a request before it fails (see
/// [`Pending::attempts`]); its deadline bounds it anyway.
const MAX_ATTEMPTS: u32 = 8;
/// Requests written on a connection and not answered yet, at most; the rest wait in the
/// queue (their deadline still runs). A request resent after a reconnect under the same
/// msg_id is answered from the server's memory of its last answers (the test DC keeps 512
/// a session): what is in flight must stay well below that, or a resend would find its
/// answer forgotten and the request done twice.
const MAX_IN_FLIGHT: usize = 256;
/// How many times the server may ask for a request to be resent (bad_server_salt,
/// bad_msg_notification, a new session) before it fails. The request's deadline bounds
/// both anyway.
const MAX_RESENDS: u32 = 16;
/// Most requests packed into one container.
const MAX_BATCH: usize = 256;
/// Bytes of queries packed into one container.
const MAX_BATCH_BYTES: usize = 256 * 1024;

const MSGS_ACK: u32 = 0x62d6_b459;
const MSG_RESEND_REQ: u32 = 0x7d86_1a08;
const MSGS_STATE_REQ: u32 = 0xda69_fb52;

/// How many of the server's msg_ids are remembered against replays.
const RECENT_IDS: usize = 2048;
const NEW_SESSION_CREATED: u32 = 0x9ec2_0908;
const BAD_MSG_NOTIFICATION: u32 = 0xa7ef_f811;
const BAD_SERVER_SALT: u32 = 0xedab_447b;

/// Handshake steps running on the blocking pool at once, across all clients: one per CPU.
static CRYPTO_SLOTS: once_cell::sync::Lazy<tokio::sync::Semaphore> =
    once_cell::sync::Lazy::new(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });

/// Runs a handshake step on the blocking pool, holding one of the [`CRYPTO_SLOTS`].
///
/// Factorising pq, RSA and the DH exponentiations take milliseconds: they run there, not
/// on the runtime's workers, which every client shares.
async fn run_crypto<T: Send + 'static>(
    mut hs: ClientHandshake,
    work: impl FnOnce(&mut ClientHandshake) -> T + Send + 'static,
) -> Result<(ClientHandshake, T), Broken> {
    let permit = CRYPTO_SLOTS.acquire().await.expect("never closed");
    let done = tokio::task::spawn_blocking(move || {
        let out = work(&mut hs);
        (hs, out)
    })
    .await
    .map_err(|_| {
        Broken::Handshake(Error::new(
            ErrorKind::Internal,
            "the auth key handshake failed unexpectedly",
        ))
    });
    drop(permit);
    done
}

/// initConnection's description of the app.
#[derive(Clone, Debug)]
pub struct InitParams {
    /// device_model.
    pub device_model: String,
    /// system_version.
    pub system_version: String,
    /// app_version.
    pub app_version: String,
    /// system_lang_code.
    pub system_lang_code: String,
    /// lang_pack.
    pub lang_pack: String,
    /// lang_code.
    pub lang_code: String,
}

impl Default for InitParams {
    fn default() -> Self {
        Self {
            device_model: "tgauth".into(),
            system_version: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            app_version: env!("CARGO_PKG_VERSION").into(),
            system_lang_code: "en".into(),
            lang_pack: String::new(),
            lang_code: "en".into(),
        }
    }
}

/// Everything a link needs to know about its DC.
pub(crate) struct LinkSettings {
    pub dc_id: i32,
    /// The id the DC knows itself by in p_q_inner_data_dc / obfuscated2 (10000 + id on
    /// Telegram's test servers).
    pub wire_dc_id: i32,
    pub addr: SocketAddr,
    pub transport: TransportKind,
    pub obfuscated: bool,
    pub trusted: Arc<Vec<RsaPublicKey>>,
    pub init: Arc<InitParams>,
    pub connect_timeout: Duration,
    /// Called with a new key (or `None` when the DC forgot ours) so it can be persisted.
    pub on_key: Arc<dyn Fn(i32, Option<[u8; 256]>) + Send + Sync>,
    /// Where the server's pushes (`Updates`) go; whoever listens subscribes.
    pub pushes: tokio::sync::broadcast::Sender<Push>,
}

/// Something the server sent on its own (an `Updates` constructor), not an answer.
#[derive(Clone, Debug)]
pub struct Push {
    /// The TL of the `Updates` object.
    pub body: Arc<Vec<u8>>,
}

/// The constructors of `Updates`: what the server pushes outside answers.
fn is_updates(constructor: u32) -> bool {
    use grammers_tl_types::{types, Identifiable};
    matches!(
        constructor,
        types::UpdatesTooLong::CONSTRUCTOR_ID
            | types::UpdateShortMessage::CONSTRUCTOR_ID
            | types::UpdateShortChatMessage::CONSTRUCTOR_ID
            | types::UpdateShort::CONSTRUCTOR_ID
            | types::UpdatesCombined::CONSTRUCTOR_ID
            | types::Updates::CONSTRUCTOR_ID
            | types::UpdateShortSentMessage::CONSTRUCTOR_ID
    )
}

/// A request for the link.
pub(crate) struct Invocation {
    pub query: Vec<u8>,
    pub api_id: i32,
    pub reply: oneshot::Sender<Result<Vec<u8>, Error>>,
}

struct Pending {
    inv: Invocation,
    /// Broken connections charged to it since the link last got past it: ones it was
    /// written on that broke while its answer was due (no older request was waiting) or
    /// that answered nothing at all after it was written. A connection that broke after
    /// answering others written before or with it, this one not due yet, resets the count:
    /// it was only waiting behind them. A request never written is never charged.
    attempts: u32,
    /// The link's write (see [`Actor::writes`]) it last went out in on this connection.
    written_in: Option<u64>,
    /// The top-level msg_id it last went out in: its own, or its container's.
    sent_in: i64,
    /// Written on a connection that broke before its answer came: the server may have
    /// acted on it, and only a resend under the same msg_id (in this session) is answered
    /// from its memory instead of being done again.
    maybe_done: bool,
    /// Resends the server asked for.
    resends: u32,
    /// The msg_id and seq_no it was last sent with, kept for a resend after reconnecting.
    sent_as: Option<(i64, i32)>,
    /// The init-wrapped body, when the query went out wrapped; resent identically.
    body: Option<Vec<u8>>,
}

impl Pending {
    /// The exact body sent (or to send) for this request.
    fn wire_body(&self) -> &[u8] {
        self.body.as_deref().unwrap_or(&self.inv.query)
    }
}

/// The handle clients use; dropping every handle stops the link.
#[derive(Clone)]
pub(crate) struct Link {
    tx: mpsc::UnboundedSender<Invocation>,
}

impl Link {
    /// Starts a link's actor on the current runtime.
    pub fn spawn(settings: LinkSettings, auth_key: Option<AuthKey>) -> Link {
        let (tx, rx) = mpsc::unbounded_channel();
        let actor = Actor {
            settings,
            auth_key,
            session_id: crate::protocol::random::i64(),
            salt: 0,
            clock: MsgIdClock::new(),
            seq: SeqNo::default(),
            queue: VecDeque::new(),
            sent: HashMap::new(),
            containers: HashMap::new(),
            acks: Vec::new(),
            writes: 0,
            answered_after: 0,
            fruitless_in_a_row: 0,
            inited: false,
            clock_synced: false,
            recent: RecentMsgIds::new(RECENT_IDS),
        };
        tokio::spawn(actor.run(rx));
        Link { tx }
    }

    /// Sends a query and waits for its result (the raw TL of the answer).
    pub async fn invoke(&self, query: Vec<u8>, api_id: i32) -> Result<Vec<u8>, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Invocation {
                query,
                api_id,
                reply,
            })
            .map_err(|_| Error::new(ErrorKind::Cancelled, "the client is closed"))?;
        rx.await
            .unwrap_or_else(|_| Err(Error::new(ErrorKind::Internal, "the DC link stopped")))
    }
}

/// Why a connection ended.
#[derive(Debug)]
enum Broken {
    /// The client dropped every handle.
    Closed,
    /// The TCP connection could not be made at all.
    Connect(String),
    /// Read or write failed (or the server closed).
    Network(String),
    /// The server failed a security check; nothing from it was used.
    Security(String),
    /// The server does not know our key (-404); it is dropped.
    KeyLost,
    /// The handshake could not complete.
    Handshake(Error),
}

struct Actor {
    settings: LinkSettings,
    auth_key: Option<AuthKey>,
    session_id: i64,
    salt: i64,
    clock: MsgIdClock,
    seq: SeqNo,
    /// Not sent on this connection yet (new, or to resend).
    queue: VecDeque<Pending>,
    /// Sent, awaiting an answer, by msg_id.
    sent: HashMap<i64, Pending>,
    /// Containers we sent, by msg_id, with their inner msg_ids.
    containers: HashMap<i64, Vec<i64>>,
    /// Server content messages to acknowledge.
    acks: Vec<i64>,
    /// Frames of requests written so far, over the link's life.
    writes: u64,
    /// The value of `writes` when the last answer came on this connection (0: none came).
    answered_after: u64,
    /// Connections in a row that broke without answering anything.
    fruitless_in_a_row: u32,
    /// Whether initConnection went through on this connection.
    inited: bool,
    clock_synced: bool,
    /// The server's last msg_ids in this session (item 17).
    recent: RecentMsgIds,
}

impl Actor {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Invocation>) {
        loop {
            self.prune_abandoned();
            if self.queue.is_empty() && self.sent.is_empty() {
                match rx.recv().await {
                    Some(inv) => self.enqueue(inv),
                    None => return,
                }
            }
            self.answered_after = 0;
            let broken = self.connection(&mut rx).await;
            // Requests whose caller gave up are dropped, never charged.
            self.prune_abandoned();
            let progress = self.answered_after > 0;
            self.fruitless_in_a_row = if progress {
                0
            } else {
                self.fruitless_in_a_row + 1
            };
            // What was written and not answered: charged (see `Pending::attempts`), then
            // back to the front of the queue, keeping its msg_id.
            let mut resend: Vec<Pending> = self.sent.drain().map(|(_, p)| p).collect();
            resend.sort_by_key(|p| (p.written_in, p.sent_as.map(|s| s.0)));
            let charges = !matches!(
                broken,
                Broken::Closed | Broken::Connect(_) | Broken::Handshake(_)
            );
            if charges {
                for (i, p) in resend.iter_mut().enumerate() {
                    let fruitless = p.written_in.is_none_or(|w| self.answered_after < w);
                    if i == 0 || fruitless {
                        p.attempts += 1;
                    } else {
                        p.attempts = 0;
                    }
                }
            }
            for p in resend.iter_mut() {
                p.written_in = None;
                p.maybe_done = true;
            }
            for p in resend.into_iter().rev() {
                self.queue.push_front(p);
            }
            self.containers.clear();
            self.acks.clear();
            let fail_with = match broken {
                Broken::Closed => {
                    self.fail_all(Error::cancelled);
                    return;
                }
                Broken::KeyLost => {
                    log::warn!(
                        "DC {}: the server forgot our auth key; making a new one",
                        self.settings.dc_id
                    );
                    self.auth_key = None;
                    (self.settings.on_key)(self.settings.dc_id, None);
                    self.new_session();
                    Error::new(ErrorKind::Security, "the DC keeps forgetting our auth key")
                }
                Broken::Handshake(e) => {
                    // A handshake the server refused or failed: no point retrying at once.
                    self.fail_all(|| e.clone());
                    continue;
                }
                Broken::Connect(why) => {
                    // Nothing listens there (or it is unreachable): fail rather than spin.
                    let err = Error::new(
                        ErrorKind::Network,
                        format!("DC {}: {why}", self.settings.dc_id),
                    );
                    self.fail_all(|| err.clone());
                    continue;
                }
                Broken::Network(why) => {
                    log::debug!("DC {}: connection lost: {why}", self.settings.dc_id);
                    Error::new(
                        ErrorKind::Network,
                        format!("DC {}: {why}", self.settings.dc_id),
                    )
                }
                Broken::Security(why) => {
                    log::warn!(
                        "DC {}: dropped a connection that failed a security check: {why}",
                        self.settings.dc_id
                    );
                    Error::new(
                        ErrorKind::Security,
                        format!("DC {}: {why}", self.settings.dc_id),
                    )
                }
            };
            let queue = std::mem::take(&mut self.queue);
            for p in queue {
                if p.attempts >= MAX_ATTEMPTS {
                    let _ = p.inv.reply.send(Err(fail_with.clone()));
                } else {
                    self.queue.push_back(p);
                }
            }
            // A short pause once connections keep breaking with nothing answered, so a
            // flapping server is not hammered.
            let pause = 20 * u64::from(self.fruitless_in_a_row.min(10));
            if pause > 0 {
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
        }
    }

    fn enqueue(&mut self, inv: Invocation) {
        self.queue.push_back(Pending {
            inv,
            attempts: 0,
            written_in: None,
            sent_in: 0,
            maybe_done: false,
            resends: 0,
            sent_as: None,
            body: None,
        });
    }

    fn new_session(&mut self) {
        self.session_id = crate::protocol::random::i64();
        self.seq = SeqNo::default();
        self.recent = RecentMsgIds::new(RECENT_IDS);
        for p in self.queue.iter_mut() {
            p.sent_as = None;
        }
    }

    fn prune_abandoned(&mut self) {
        self.queue.retain(|p| !p.inv.reply.is_closed());
        self.sent.retain(|_, p| !p.inv.reply.is_closed());
    }

    fn fail_all(&mut self, err: impl Fn() -> Error) {
        for p in self
            .queue
            .drain(..)
            .chain(self.sent.drain().map(|(_, p)| p))
        {
            let _ = p.inv.reply.send(Err(err()));
        }
    }

    /// One TCP connection's life.
    async fn connection(&mut self, rx: &mut mpsc::UnboundedReceiver<Invocation>) -> Broken {
        let s = &self.settings;
        let stream = match tokio::time::timeout(s.connect_timeout, TcpStream::connect(s.addr)).await
        {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Broken::Connect(format!("cannot connect to {}: {e}", s.addr)),
            Err(_) => return Broken::Connect(format!("cannot connect to {}: timed out", s.addr)),
        };
        let (mut reader, mut writer) = match connect_framed(
            stream,
            s.transport,
            s.obfuscated,
            s.wire_dc_id as i16,
            MAX_FRAME,
        )
        .await
        {
            Ok(halves) => halves,
            Err(e) => return Broken::Network(format!("cannot connect to {}: {e}", s.addr)),
        };
        let result = self.serve(&mut reader, &mut writer, rx).await;
        let _ = writer.shutdown().await;
        result
    }

    async fn serve<R, W>(
        &mut self,
        reader: &mut FrameReader<R>,
        writer: &mut FrameWriter<W>,
        rx: &mut mpsc::UnboundedReceiver<Invocation>,
    ) -> Broken
    where
        R: tokio::io::AsyncRead + Unpin,
        W: tokio::io::AsyncWrite + Unpin,
    {
        self.inited = false;
        if self.auth_key.is_none() {
            if let Err(b) = self.handshake(reader, writer).await {
                return b;
            }
        }
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            if let Err(b) = self.flush(writer).await {
                return b;
            }
            // `FrameReader::recv` is cancel-safe, so it can sit in select! directly.
            tokio::select! {
                inv = rx.recv() => match inv {
                    Some(inv) => {
                        self.enqueue(inv);
                        self.gather(rx).await;
                    }
                    None => return Broken::Closed,
                },
                frame = reader.recv() => {
                    let mut frame = match frame {
                        Ok(frame) => Some(frame),
                        Err(e) => return Broken::Network(e.to_string()),
                    };
                    // The whole burst that has arrived.
                    let before = self.sent.len();
                    while let Some(f) = frame.take() {
                        if let Err(b) = self.on_frame(f) {
                            return b;
                        }
                        frame = match reader.try_recv_buffered() {
                            Ok(frame) => frame,
                            Err(e) => return Broken::Network(e.to_string()),
                        };
                    }
                    if self.sent.len() < before {
                        // Callers were answered: what they send next goes in one batch.
                        self.gather(rx).await;
                    }
                }
                // Only while requests are outstanding: an idle client costs no wake-ups.
                _ = tick.tick(), if !self.sent.is_empty() || !self.queue.is_empty() => {
                    // Requests whose caller gave up (timeout, cancel) are forgotten.
                    self.prune_abandoned();
                }
            }
        }
    }

    /// Takes every request that is waiting, after letting the tasks that are ready to run
    /// (callers just answered, say) send theirs: they then go out in one container and
    /// one write, not one write each.
    ///
    /// A task that sends wakes this actor, and tokio runs the task it woke last before
    /// the others (its LIFO slot), which on its own would flush after every request. A
    /// yielded task runs again only once the worker's queue is empty, and `try_recv`
    /// registers no wake-up, so after a yield the others' requests are all waiting. A few
    /// rounds at most: each costs a pass through the scheduler.
    async fn gather(&mut self, rx: &mut mpsc::UnboundedReceiver<Invocation>) {
        while let Ok(inv) = rx.try_recv() {
            self.enqueue(inv);
        }
        for _ in 0..3 {
            tokio::task::yield_now().await;
            let mut more = false;
            while let Ok(inv) = rx.try_recv() {
                self.enqueue(inv);
                more = true;
            }
            if !more {
                break;
            }
        }
    }

    async fn handshake<R, W>(
        &mut self,
        reader: &mut FrameReader<R>,
        writer: &mut FrameWriter<W>,
    ) -> Result<(), Broken>
    where
        R: tokio::io::AsyncRead + Unpin,
        W: tokio::io::AsyncWrite + Unpin,
    {
        let s = &self.settings;
        let (mut hs, mut body) = ClientHandshake::start(s.trusted.as_ref().clone(), s.wire_dc_id);
        let deadline = tokio::time::Instant::now() + s.connect_timeout.max(Duration::from_secs(10));
        // The client's g^b for the group the server is expected to name, made while the
        // first two round trips and the server's RSA run, when a CPU slot is free now
        // (under load it would only take a slot from another handshake's step).
        let mut guess = CRYPTO_SLOTS.try_acquire().ok().map(|permit| {
            tokio::task::spawn_blocking(move || {
                let guess = DhGuess::make();
                drop(permit);
                guess
            })
        });
        let mut answers = 0;
        loop {
            let mut out = Vec::with_capacity(body.len() + 20);
            write_plain(self.clock.next(MsgIdKind::Client), &body, &mut out);
            writer
                .send(&out)
                .await
                .map_err(|e| Broken::Network(e.to_string()))?;
            if hs.key_pending() {
                // set_client_DH_params is out: our g_a^b runs while the server computes
                // its g_b^a, instead of before it.
                hs = run_crypto(hs, |hs| hs.prepare_key()).await?.0;
            }
            let frame = match tokio::time::timeout_at(deadline, reader.recv()).await {
                Ok(Ok(frame)) => frame,
                Ok(Err(crate::protocol::transport::TransportError::Closed)) => {
                    return Err(Broken::Network(
                        "connection closed during the handshake".into(),
                    ))
                }
                Ok(Err(e)) => return Err(Broken::Network(e.to_string())),
                Err(_) => {
                    return Err(Broken::Handshake(Error::new(
                        ErrorKind::Timeout,
                        "the auth key handshake timed out",
                    )))
                }
            };
            let payload = match frame {
                Frame::Packet(p) => p,
                Frame::TransportError(code) => {
                    return Err(Broken::Handshake(Error::new(
                        ErrorKind::Protocol,
                        format!("the DC refused the handshake (transport error {code})"),
                    )))
                }
            };
            let (_, answer) =
                read_plain(&payload).map_err(|e| Broken::Security(format!("handshake: {e}")))?;
            if answers > 0 {
                // Past resPQ: the DH step is next, and the guess is due.
                if let Some(made) = guess.take() {
                    if let Ok(made) = made.await {
                        hs.offer(made);
                    }
                }
            }
            answers += 1;
            let answer = answer.to_vec();
            let (back, step) = run_crypto(hs, move |hs| hs.handle(&answer)).await?;
            hs = back;
            match step {
                Ok(ClientStep::Send(next)) => body = next,
                Ok(ClientStep::Done(outcome)) => {
                    self.salt = outcome.first_salt;
                    self.clock
                        .sync_to(message::unix_now() as i64 + outcome.time_offset);
                    self.clock_synced = true;
                    (s.on_key)(s.dc_id, Some(*outcome.auth_key.bytes()));
                    log::info!("DC {}: new auth key {:?}", s.dc_id, outcome.auth_key);
                    self.auth_key = Some(outcome.auth_key);
                    self.new_session();
                    return Ok(());
                }
                Err(e) => {
                    use crate::protocol::handshake::HandshakeError as H;
                    let kind = match e {
                        H::Security(_) | H::UnknownKey(_) => ErrorKind::Security,
                        H::Protocol(_) | H::Refused(_) => ErrorKind::Protocol,
                    };
                    return Err(Broken::Handshake(Error::new(
                        kind,
                        format!("DC {}: {e}", s.dc_id),
                    )));
                }
            }
        }
    }

    /// The body to send for `p`: the query itself once initConnection went through,
    /// otherwise the query wrapped in invokeWithLayer(initConnection(...)).
    fn wrap(&self, p: &Pending) -> Option<Vec<u8>> {
        if self.inited {
            return None;
        }
        let init = &self.settings.init;
        functions::InvokeWithLayer {
            layer: grammers_tl_types::LAYER,
            query: functions::InitConnection {
                api_id: p.inv.api_id,
                device_model: init.device_model.clone(),
                system_version: init.system_version.clone(),
                app_version: init.app_version.clone(),
                system_lang_code: init.system_lang_code.clone(),
                lang_pack: init.lang_pack.clone(),
                lang_code: init.lang_code.clone(),
                proxy: None,
                params: None,
                query: RawQuery(&p.inv.query),
            },
        }
        .to_bytes()
        .into()
    }

    /// Sends queued requests (batched into containers) and pending acks, every frame in
    /// one write.
    async fn flush<W: tokio::io::AsyncWrite + Unpin>(
        &mut self,
        writer: &mut FrameWriter<W>,
    ) -> Result<(), Broken> {
        while !self.queue.is_empty() || !self.acks.is_empty() {
            let ack = (!self.acks.is_empty()).then(|| {
                let ids: Vec<i64> = self
                    .acks
                    .drain(..self.acks.len().min(message::MAX_ID_LIST))
                    .collect();
                let body = enums::MsgsAck::Ack(grammers_tl_types::types::MsgsAck { msg_ids: ids })
                    .to_bytes();
                (
                    self.clock.next(MsgIdKind::Client),
                    self.seq.next(false),
                    body,
                )
            });
            // The requests of this message, with their msg_ids and seq_nos assigned; no
            // more than MAX_IN_FLIGHT awaiting an answer (the rest wait in the queue).
            let mut batch: Vec<Pending> = Vec::new();
            let mut bytes = 0;
            while self.sent.len() + batch.len() < MAX_IN_FLIGHT {
                let Some(mut p) = self.queue.pop_front() else {
                    break;
                };
                if p.inv.reply.is_closed() {
                    continue;
                }
                if p.sent_as.is_none() {
                    p.body = self.wrap(&p);
                    p.sent_as = Some((self.clock.next(MsgIdKind::Client), self.seq.next(true)));
                }
                bytes += p.wire_body().len();
                batch.push(p);
                if batch.len() + usize::from(ack.is_some()) >= MAX_BATCH || bytes >= MAX_BATCH_BYTES
                {
                    break;
                }
            }
            let key = self
                .auth_key
                .as_ref()
                .expect("a key before any encrypted message");
            let mut top_id = 0;
            let mut plain = Vec::with_capacity(bytes + 16 * batch.len() + 64);
            match (&ack, batch.as_slice()) {
                (None, []) => break,
                (Some((id, seq, body)), []) => {
                    write_envelope(self.salt, self.session_id, *id, *seq, body, &mut plain)
                }
                // One that may have been done goes in a container even alone: the server
                // checks (and remembers) a top-level msg_id before the salt and time, so
                // only inside a container can the same msg_id be refused and sent again.
                (None, [p]) if !p.maybe_done => {
                    let (id, seq) = p.sent_as.expect("assigned above");
                    top_id = id;
                    let body = p.wire_body();
                    write_envelope(self.salt, self.session_id, id, seq, body, &mut plain)
                }
                _ => {
                    // Resent items keep old (lower) ids; the container's must exceed them all.
                    batch.sort_by_key(|p| p.sent_as.map(|s| s.0));
                    let mut items: Vec<(i64, i32, &[u8])> = Vec::with_capacity(batch.len() + 1);
                    if let Some((id, seq, body)) = &ack {
                        items.push((*id, *seq, body));
                    }
                    for p in &batch {
                        let (id, seq) = p.sent_as.expect("assigned above");
                        items.push((id, seq, p.wire_body()));
                    }
                    items.sort_by_key(|i| i.0);
                    let mut body = Vec::with_capacity(bytes + 16 * items.len() + 8);
                    write_container(&items, &mut body);
                    let id = self.clock.next(MsgIdKind::Client);
                    let seq = self.seq.next(false);
                    let inner = batch
                        .iter()
                        .filter_map(|p| p.sent_as.map(|s| s.0))
                        .collect();
                    self.containers.insert(id, inner);
                    top_id = id;
                    write_envelope(self.salt, self.session_id, id, seq, &body, &mut plain);
                }
            }
            let mut frame = Vec::with_capacity(plain.len() + 56);
            cipher::encrypt(key, Side::Client, &plain, &mut frame);
            writer
                .queue(&frame)
                .map_err(|e| Broken::Network(e.to_string()))?;
            if !batch.is_empty() {
                self.writes += 1;
            }
            for mut p in batch {
                let (id, _) = p.sent_as.expect("assigned above");
                p.written_in = Some(self.writes);
                p.sent_in = top_id;
                self.sent.insert(id, p);
            }
        }
        writer
            .flush()
            .await
            .map_err(|e| Broken::Network(e.to_string()))
    }

    fn on_frame(&mut self, frame: Frame) -> Result<(), Broken> {
        let mut payload = match frame {
            Frame::Packet(p) => p,
            Frame::TransportError(-404) => return Err(Broken::KeyLost),
            Frame::TransportError(code) => {
                return Err(Broken::Network(format!("transport error {code}")))
            }
        };
        if self.settings.transport == TransportKind::PaddedIntermediate && payload.len() > 24 {
            // Keep auth_key_id + msg_key + whole 16-byte blocks; the rest is transport padding.
            payload.truncate(24 + (payload.len() - 24) / 16 * 16);
        }
        let key = self
            .auth_key
            .as_ref()
            .ok_or_else(|| Broken::Security("message before a key".into()))?;
        // Items 13-15: our key id, length, msg_key, padding, lengths. All failures look alike.
        let plain = cipher::decrypt(key, Side::Server, &mut payload)
            .map_err(|e| Broken::Security(e.to_string()))?;
        let env = read_envelope(plain).map_err(|e| Broken::Security(e.to_string()))?;
        // Item 16.
        if env.session_id != self.session_id {
            return Err(Broken::Security("message for another session".into()));
        }
        // Item 17 (the window applies once the clock is synced).
        let now = self.clock_synced.then(|| self.clock.now_secs());
        self.check_msg_id(env.msg_id, now)?;
        self.on_message(env.msg_id, env.seq_no, env.body, 0)
    }

    fn check_msg_id(&mut self, msg_id: i64, now: Option<i64>) -> Result<(), Broken> {
        self.recent
            .check(Side::Server, msg_id, now)
            .map_err(|e| Broken::Security(e.to_string()))
    }

    fn on_message(
        &mut self,
        msg_id: i64,
        seq_no: i32,
        body: &[u8],
        depth: u32,
    ) -> Result<(), Broken> {
        if seq_no % 2 == 1 {
            self.acks.push(msg_id);
        }
        let id = constructor_of(body).ok_or_else(|| Broken::Security("empty message".into()))?;
        match id {
            RPC_RESULT => {
                let (req_id, result) =
                    read_rpc_result(body).map_err(|e| Broken::Security(e.to_string()))?;
                let result = if constructor_of(result) == Some(GZIP_PACKED) {
                    read_gzip_packed(result, MAX_UNPACKED)
                        .map_err(|e| Broken::Security(e.to_string()))?
                } else {
                    result.to_vec()
                };
                if !self.sent.contains_key(&req_id) {
                    return Ok(()); // an answer to a request we gave up on
                }
                let answer = if constructor_of(&result) == Some(RPC_ERROR) {
                    match enums::RpcError::from_bytes(&result) {
                        Ok(enums::RpcError::Error(e)) => {
                            Err(Error::rpc(e.error_code, &e.error_message))
                        }
                        Err(_) => Err(Error::new(ErrorKind::Protocol, "malformed rpc_error")),
                    }
                } else {
                    Ok(result)
                };
                if matches!(&answer, Err(e) if e.name == "CONNECTION_NOT_INITED") {
                    // The server lost our initConnection (a new session): init again, resend.
                    self.inited = false;
                    self.resend_new_ids(&[req_id]);
                    return Ok(());
                }
                self.inited = true;
                self.answered_after = self.writes;
                let p = self.sent.remove(&req_id).expect("checked above");
                let _ = p.inv.reply.send(answer);
                Ok(())
            }
            MSG_CONTAINER => {
                if depth > 0 {
                    return Err(Broken::Security("nested container".into()));
                }
                let items =
                    read_container(msg_id, body).map_err(|e| Broken::Security(e.to_string()))?;
                let now = self.clock_synced.then(|| self.clock.now_secs());
                for item in items {
                    self.check_msg_id(item.msg_id, now)?;
                    self.on_message(item.msg_id, item.seq_no, item.body, depth + 1)?;
                }
                Ok(())
            }
            GZIP_PACKED => {
                let unpacked = read_gzip_packed(body, MAX_UNPACKED)
                    .map_err(|e| Broken::Security(e.to_string()))?;
                self.on_message(msg_id, seq_no, &unpacked, depth)
            }
            NEW_SESSION_CREATED => {
                let Ok(enums::NewSession::Created(created)) = enums::NewSession::from_bytes(body)
                else {
                    return Err(Broken::Security("malformed new_session_created".into()));
                };
                self.salt = created.server_salt;
                // A new session on the server knows nothing of our initConnection.
                self.inited = false;
                // Requests sent before first_msg_id were not seen by this session. Compare
                // the message they went out in: the items of the container that started
                // the session have lower ids than it, and this session handles them.
                let old: Vec<i64> = self
                    .sent
                    .iter()
                    .filter(|(_, p)| p.sent_in < created.first_msg_id)
                    .map(|(id, _)| *id)
                    .collect();
                self.resend_new_ids(&old);
                Ok(())
            }
            BAD_SERVER_SALT | BAD_MSG_NOTIFICATION => {
                let Ok(notification) = enums::BadMsgNotification::from_bytes(body) else {
                    return Err(Broken::Security("malformed bad_msg_notification".into()));
                };
                let (bad_id, code, new_salt) = match notification {
                    enums::BadMsgNotification::BadServerSalt(b) => {
                        (b.bad_msg_id, b.error_code, Some(b.new_server_salt))
                    }
                    enums::BadMsgNotification::Notification(b) => {
                        (b.bad_msg_id, b.error_code, None)
                    }
                };
                // Item 19: only for a msg_id we really sent.
                let affected: Vec<i64> = if let Some(inner) = self.containers.get(&bad_id) {
                    inner
                        .iter()
                        .copied()
                        .filter(|id| self.sent.contains_key(id))
                        .collect()
                } else if self.sent.contains_key(&bad_id) {
                    vec![bad_id]
                } else {
                    return Ok(());
                };
                match (code, new_salt) {
                    (48, Some(salt)) => self.salt = salt,
                    (16 | 17, _) => {
                        // Our clock is off: take the server's time from this message's id.
                        self.clock.sync_to_msg_id(msg_id);
                        self.clock_synced = true;
                    }
                    (32 | 33, _) => {
                        // seq_no out of step: start a new session.
                        self.new_session();
                        let all: Vec<i64> = self.sent.keys().copied().collect();
                        self.resend_new_ids(&all);
                        return Ok(());
                    }
                    _ => {}
                }
                self.resend_refused(&affected);
                Ok(())
            }
            MSGS_ACK | MSG_RESEND_REQ | MSGS_STATE_REQ => {
                // Item 18: id lists hold at most 8192 ids (vector constructor, then count).
                let count = body
                    .get(8..12)
                    .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
                    .ok_or_else(|| Broken::Security("truncated id list".into()))?;
                if count > message::MAX_ID_LIST {
                    return Err(Broken::Security(format!("an id list of {count} ids")));
                }
                Ok(())
            }
            _ if is_updates(id) => {
                // A push: handed to whoever listens (QR login waits for updateLoginToken).
                let _ = self.settings.pushes.send(Push {
                    body: Arc::new(body.to_vec()),
                });
                Ok(())
            }
            _ => {
                // pong, future_salts, msg_detailed_info...: nothing to do.
                Ok(())
            }
        }
    }

    /// Moves requests whose message the server refused (a wrong salt, msg_id time) back to
    /// the queue. One that may have been done already keeps its msg_id while the server
    /// would still take it, so the server answers it from its memory; the others go out
    /// under new msg_ids.
    fn resend_refused(&mut self, ids: &[i64]) {
        let now = self.clock.now_secs();
        let (keep, renew): (Vec<i64>, Vec<i64>) = ids.iter().partition(|id| {
            self.sent.get(id).is_some_and(|p| {
                p.maybe_done && now - message::msg_id_time(**id) < message::MAX_PAST_SECS - 60
            })
        });
        self.requeue(&keep, false);
        self.requeue(&renew, true);
    }

    /// Moves sent requests back to the queue to go out again under new msg_ids.
    fn resend_new_ids(&mut self, ids: &[i64]) {
        self.requeue(ids, true);
    }

    /// Moves sent requests back to the queue, under new msg_ids or their own; one the
    /// server refused too often fails instead.
    fn requeue(&mut self, ids: &[i64], new_ids: bool) {
        for id in ids {
            let Some(mut p) = self.sent.remove(id) else {
                continue;
            };
            p.resends += 1;
            if p.resends >= MAX_RESENDS {
                let _ = p.inv.reply.send(Err(Error::new(
                    ErrorKind::Protocol,
                    "the server kept refusing the request's message",
                )));
                continue;
            }
            if new_ids {
                p.sent_as = None;
            }
            self.queue.push_front(p);
        }
    }
}

/// A query already serialised, embedded as the `query:!X` of a wrapper.
struct RawQuery<'a>(&'a [u8]);

impl Serializable for RawQuery<'_> {
    fn serialize(&self, buf: &mut impl Extend<u8>) {
        buf.extend(self.0.iter().copied());
    }
}
