//! The client core: configuration, sessions, DC links and `auth.sendCode` with the
//! behaviour Telegram expects (migrations, flood waits, AUTH_RESTART, lost keys).
//!
//! Nothing here knows about FFI; the C ABI in `ffi` is a thin layer over [`Client`].

mod connection;
pub mod error;
pub mod runtime;
mod sent_code;
pub mod session;

use std::collections::HashMap;
use std::net::{SocketAddr, SocketAddrV4, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use grammers_session::SessionData;
use grammers_tl_types::{enums, functions, types, Deserializable, Serializable};
use parking_lot::Mutex;

pub use connection::InitParams;
use connection::{Link, LinkSettings};
pub use error::{Error, ErrorKind};
pub use sent_code::{CodeTypeKind, SentCode, SentCodeKind};
use session::{dc_option, SessionStore, StringSession};

use crate::protocol::cipher::AuthKey;
use crate::protocol::handshake::rsa::{self, RsaPublicKey};
use crate::protocol::transport::TransportKind;

/// How many *_MIGRATE hops one request follows.
const MAX_MIGRATIONS: u32 = 3;
/// How many times AUTH_RESTART is retried.
const MAX_AUTH_RESTARTS: u32 = 3;
/// How many flood waits one request sleeps through.
const MAX_FLOOD_SLEEPS: u32 = 1;
/// How many times a lost or duplicated key is replaced within one request.
const MAX_KEY_RESETS: u32 = 1;

/// Telegram's test DCs (core.telegram.org/api/auth#test-accounts): DC 1-3.
const TELEGRAM_TEST_DCS: [(i32, [u8; 4]); 3] = [
    (1, [149, 154, 175, 10]),
    (2, [149, 154, 167, 40]),
    (3, [149, 154, 175, 117]),
];

/// Everything a client is set up with.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// DCs to use; the first is home until a migration or a saved session says otherwise.
    /// Empty: Telegram's production DCs (or test DCs with `test_servers`).
    pub dcs: Vec<(i32, SocketAddr)>,
    /// RSA keys to trust; empty: Telegram's production and test keys.
    pub rsa_keys: Vec<RsaPublicKey>,
    /// Telegram's test servers instead of production (when `dcs` is empty).
    pub test_servers: bool,
    /// Where the session persists; `None` keeps it in memory.
    pub session_path: Option<PathBuf>,
    /// A Telethon or GramJS string session to start from.
    pub session_string: Option<String>,
    /// One deadline per request.
    pub timeout: Duration,
    /// FLOOD_WAIT up to this many seconds is slept through; longer ones are returned.
    pub flood_sleep_threshold: u32,
    /// initConnection parameters.
    pub init: InitParams,
    /// The transport.
    pub transport: TransportKind,
    /// Whether to wrap the transport in obfuscated2.
    pub obfuscated: bool,
    /// The app (api_id, api_hash) for initConnection and every call that needs one; None:
    /// the first call that names one.
    pub app: Option<(i32, String)>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            dcs: Vec::new(),
            rsa_keys: Vec::new(),
            test_servers: false,
            session_path: None,
            session_string: None,
            timeout: Duration::from_secs(10),
            flood_sleep_threshold: 60,
            init: InitParams::default(),
            transport: TransportKind::Intermediate,
            obfuscated: false,
            app: None,
        }
    }
}

impl ClientConfig {
    /// Refuses what cannot work, before anything connects: the full transport under
    /// obfuscated2 (obfuscated2 carries only abridged, intermediate and padded
    /// intermediate), and an app with a non-positive api_id or an empty api_hash.
    pub fn validate(&self) -> Result<(), Error> {
        if self.obfuscated && self.transport == TransportKind::Full {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the full transport cannot be obfuscated: obfuscated2 carries only the \
                 abridged, intermediate and padded intermediate transports",
            ));
        }
        if let Some((api_id, api_hash)) = &self.app {
            check_app(*api_id, api_hash)?;
        }
        Ok(())
    }
}

/// An app's api_id must be positive and its api_hash non-empty.
fn check_app(api_id: i32, api_hash: &str) -> Result<(), Error> {
    if api_id <= 0 {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("api_id must be positive, not {api_id}"),
        ));
    }
    if api_hash.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "api_hash must not be empty",
        ));
    }
    Ok(())
}

/// codeSettings with every flag off and nothing set: what a plain login sends.
pub fn default_code_settings() -> types::CodeSettings {
    types::CodeSettings {
        allow_flashcall: false,
        current_number: false,
        allow_app_hash: false,
        allow_missed_call: false,
        allow_firebase: false,
        unknown_number: false,
        logout_tokens: None,
        token: None,
        app_sandbox: None,
    }
}

/// Resolves `host:port` to one IPv4 address (sessions store IPv4 addresses).
pub fn resolve_v4(host: &str, port: u16) -> Result<SocketAddr, Error> {
    let addrs = (host, port).to_socket_addrs().map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("cannot resolve {host}: {e}"),
        )
    })?;
    let mut first = None;
    for addr in addrs {
        if addr.is_ipv4() {
            return Ok(addr);
        }
        first.get_or_insert(addr);
    }
    first.ok_or_else(|| Error::new(ErrorKind::InvalidArgument, format!("{host} has no address")))
}

struct Inner {
    config: ClientConfig,
    session: Arc<SessionStore>,
    links: Mutex<HashMap<i32, Link>>,
    trusted: Arc<Vec<RsaPublicKey>>,
    init: Arc<InitParams>,
    /// Serialises migrations' getConfig look-ups.
    dc_lookup: tokio::sync::Mutex<()>,
}

/// A Telegram client, cheap to create and to clone. Dropping the last clone closes its
/// connections; requests still in flight then fail as cancelled.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    /// Builds a client, opening (and locking) its session file if it has one.
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        config.validate()?;
        let mut fallback = SessionData {
            dc_options: HashMap::new(),
            ..SessionData::default()
        };
        if config.dcs.is_empty() {
            if config.test_servers {
                for (id, ip) in TELEGRAM_TEST_DCS {
                    fallback
                        .dc_options
                        .insert(id, dc_option(id, SocketAddrV4::new(ip.into(), 443)));
                }
                fallback.home_dc = 2;
            } else {
                fallback = SessionData::default();
            }
        } else {
            for (id, addr) in &config.dcs {
                fallback
                    .dc_options
                    .insert(*id, dc_option(*id, to_v4(*addr)?));
            }
            fallback.home_dc = config.dcs[0].0;
        }
        if let Some(s) = &config.session_string {
            let imported = StringSession::parse(s)?;
            let mut option = dc_option(imported.dc_id, to_v4(imported.addr)?);
            option.auth_key = Some(imported.auth_key);
            fallback.dc_options.insert(imported.dc_id, option);
            fallback.home_dc = imported.dc_id;
        }
        let session = match &config.session_path {
            Some(path) => SessionStore::open(path, session::duplicate(&fallback))?,
            None => SessionStore::in_memory(session::duplicate(&fallback)),
        };
        if session.loaded() && !config.dcs.is_empty() {
            // Addresses the user configured now win over saved ones; keys stay with their DC.
            session.update(|data| {
                for (id, option) in &fallback.dc_options {
                    let entry = data.dc_options.entry(*id).or_insert_with(|| option.clone());
                    if entry.ipv4 != option.ipv4 {
                        entry.ipv4 = option.ipv4;
                        entry.auth_key = None;
                    }
                }
            })?;
        } else if !session.loaded() {
            session.update(|_| {})?;
        }
        let trusted = if config.rsa_keys.is_empty() {
            rsa::builtin_keys()
        } else {
            config.rsa_keys.clone()
        };
        Ok(Client {
            inner: Arc::new(Inner {
                init: Arc::new(config.init.clone()),
                config,
                session: Arc::new(session),
                links: Mutex::new(HashMap::new()),
                trusted: Arc::new(trusted),
                dc_lookup: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Closes the client now: its connections wind down and its session file is
    /// unlocked, whatever clones remain. Requests still in flight fail as cancelled.
    pub fn close(&self) {
        self.inner.links.lock().clear();
        self.inner.session.close();
    }

    /// The current home DC.
    pub fn home_dc(&self) -> i32 {
        self.inner.session.home_dc()
    }

    /// The session as a Telethon string session (home DC and its key), if it has a key.
    pub fn export_session_string(&self) -> Option<String> {
        let dc = self.inner.session.dc(self.home_dc())?;
        Some(
            StringSession {
                dc_id: dc.id,
                addr: SocketAddr::V4(dc.ipv4),
                auth_key: dc.auth_key?,
            }
            .to_telethon(),
        )
    }

    fn link(&self, dc_id: i32) -> Result<Link, Error> {
        let mut links = self.inner.links.lock();
        if let Some(link) = links.get(&dc_id) {
            return Ok(link.clone());
        }
        let option = self.inner.session.dc(dc_id).ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                format!("no address known for DC {dc_id}"),
            )
        })?;
        // Weak: a link must not keep the session (and its file lock) alive.
        let session = Arc::downgrade(&self.inner.session);
        let c = &self.inner.config;
        let settings = LinkSettings {
            dc_id,
            wire_dc_id: if c.test_servers && c.dcs.is_empty() {
                10_000 + dc_id
            } else {
                dc_id
            },
            addr: SocketAddr::V4(option.ipv4),
            transport: c.transport,
            obfuscated: c.obfuscated,
            trusted: self.inner.trusted.clone(),
            init: self.inner.init.clone(),
            connect_timeout: c.timeout,
            on_key: Arc::new(move |dc, key| {
                if let Some(session) = session.upgrade() {
                    if let Err(e) = session.set_auth_key(dc, key) {
                        log::error!("could not save the auth key of DC {dc}: {e}");
                    }
                }
            }),
        };
        let link = Link::spawn(settings, option.auth_key.map(AuthKey::from_bytes));
        links.insert(dc_id, link.clone());
        Ok(link)
    }

    /// Sends a serialised query to a DC and returns the raw answer.
    pub async fn invoke_raw(
        &self,
        dc_id: i32,
        query: Vec<u8>,
        api_id: i32,
    ) -> Result<Vec<u8>, Error> {
        self.link(dc_id)?.invoke(query, api_id).await
    }

    /// Learns a DC's address from help.getConfig on a DC we know.
    async fn learn_dc(&self, from_dc: i32, wanted: i32, api_id: i32) -> Result<(), Error> {
        let _guard = self.inner.dc_lookup.lock().await;
        if self.inner.session.dc(wanted).is_some() {
            return Ok(());
        }
        let raw = self
            .invoke_raw(from_dc, functions::help::GetConfig {}.to_bytes(), api_id)
            .await?;
        let enums::Config::Config(config) = enums::Config::from_bytes(&raw).map_err(|e| {
            Error::new(
                ErrorKind::Protocol,
                format!("bad help.getConfig answer: {e}"),
            )
        })?;
        let mut found = false;
        self.inner.session.update(|data| {
            for enums::DcOption::Option(o) in &config.dc_options {
                if o.ipv6 || o.media_only || o.cdn {
                    continue;
                }
                let Ok(ip) = o.ip_address.parse::<std::net::Ipv4Addr>() else {
                    continue;
                };
                let addr = SocketAddrV4::new(ip, o.port as u16);
                data.dc_options
                    .entry(o.id)
                    .or_insert_with(|| dc_option(o.id, addr));
                found |= o.id == wanted;
            }
        })?;
        if found {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Protocol,
                format!("help.getConfig does not list DC {wanted}"),
            ))
        }
    }

    /// `auth.sendCode`, with one deadline for the whole request (the client's timeout).
    pub async fn send_code(
        &self,
        phone_number: &str,
        api_id: i32,
        api_hash: &str,
        settings: types::CodeSettings,
    ) -> Result<SentCode, Error> {
        let deadline = tokio::time::Instant::now() + self.inner.config.timeout;
        match tokio::time::timeout_at(
            deadline,
            self.send_code_inner(phone_number, api_id, api_hash, settings, deadline),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err(Error::timeout()),
        }
    }

    async fn send_code_inner(
        &self,
        phone_number: &str,
        api_id: i32,
        api_hash: &str,
        settings: types::CodeSettings,
        deadline: tokio::time::Instant,
    ) -> Result<SentCode, Error> {
        let query = functions::auth::SendCode {
            phone_number: phone_number.to_owned(),
            api_id,
            api_hash: api_hash.to_owned(),
            settings: enums::CodeSettings::Settings(settings),
        }
        .to_bytes();
        let (mut hops, mut restarts, mut sleeps, mut resets) = (0, 0, 0, 0);
        loop {
            let dc = self.home_dc();
            let err = match self.invoke_raw(dc, query.clone(), api_id).await {
                Ok(raw) => {
                    let sent = enums::auth::SentCode::from_bytes(&raw).map_err(|e| {
                        Error::new(ErrorKind::Protocol, format!("bad auth.SentCode: {e}"))
                    })?;
                    return Ok(SentCode::from(sent));
                }
                Err(err) => err,
            };
            match err.name.as_str() {
                "PHONE_MIGRATE" | "NETWORK_MIGRATE" | "USER_MIGRATE"
                    if err.kind == ErrorKind::Rpc =>
                {
                    let target = i32::try_from(err.value).unwrap_or(-1);
                    if target == dc {
                        return Err(Error {
                            message: format!("{} names the DC we are on (DC {dc})", err.name),
                            ..err
                        });
                    }
                    hops += 1;
                    if hops > MAX_MIGRATIONS || target <= 0 {
                        return Err(Error {
                            message: format!(
                                "gave up after {MAX_MIGRATIONS} DC migrations: {}",
                                err.message
                            ),
                            ..err
                        });
                    }
                    if self.inner.session.dc(target).is_none() {
                        self.learn_dc(dc, target, api_id).await?;
                    }
                    log::info!("{} to DC {target}", err.name);
                    self.inner.session.set_home_dc(target)?;
                }
                "FLOOD_WAIT" if err.kind == ErrorKind::Rpc => {
                    let secs = err.value.max(0) as u64;
                    let wake = tokio::time::Instant::now() + Duration::from_secs(secs);
                    // Never sleep past the request's deadline: the caller would only see a
                    // timeout instead of the flood wait.
                    if secs > self.inner.config.flood_sleep_threshold as u64
                        || sleeps >= MAX_FLOOD_SLEEPS
                        || wake >= deadline
                    {
                        return Err(err);
                    }
                    sleeps += 1;
                    log::info!("FLOOD_WAIT: sleeping {secs} s");
                    tokio::time::sleep(Duration::from_secs(secs)).await;
                }
                _ if err.kind == ErrorKind::Rpc
                    && (err.name == "AUTH_RESTART" || err.code >= 500) =>
                {
                    // AUTH_RESTART and Telegram's internal errors: a bounded number of retries.
                    restarts += 1;
                    if restarts > MAX_AUTH_RESTARTS {
                        return Err(err);
                    }
                }
                "AUTH_KEY_DUPLICATED" | "AUTH_KEY_UNREGISTERED" if err.kind == ErrorKind::Rpc => {
                    // The key is no good on this DC: forget it so the next use makes a new
                    // one; retry once, never in a loop.
                    self.drop_key(dc)?;
                    resets += 1;
                    if resets > MAX_KEY_RESETS {
                        return Err(err);
                    }
                }
                _ => return Err(err),
            }
        }
    }

    fn drop_key(&self, dc: i32) -> Result<(), Error> {
        self.inner.links.lock().remove(&dc);
        self.inner.session.set_auth_key(dc, None)
    }

    /// The app of a call: the call's own when it names one (api_id and api_hash together),
    /// else the configuration's; InvalidArgument when neither has one, or when the call
    /// gives only half of one.
    pub fn app_for(
        &self,
        api_id: Option<i32>,
        api_hash: Option<&str>,
    ) -> Result<(i32, String), Error> {
        match (api_id, api_hash) {
            (Some(id), Some(hash)) => {
                check_app(id, hash)?;
                Ok((id, hash.to_owned()))
            }
            (None, None) => self.inner.config.app.clone().ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    "no app: give api_id and api_hash, in the config or in the call",
                )
            }),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                "give api_id and api_hash together (or neither, to use the config's app)",
            )),
        }
    }
}

fn to_v4(addr: SocketAddr) -> Result<SocketAddrV4, Error> {
    match addr {
        SocketAddr::V4(v4) => Ok(v4),
        SocketAddr::V6(_) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{addr}: only IPv4 DC addresses are supported"),
        )),
    }
}
