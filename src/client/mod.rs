//! The client core: configuration, sessions, DC links and `auth.sendCode` with the
//! behaviour Telegram expects (migrations, flood waits, AUTH_RESTART, lost keys).
//!
//! Nothing here knows about FFI; the C ABI in `ffi` is a thin layer over [`Client`].

pub mod auth;
mod connection;
pub mod error;
mod retry;
pub mod runtime;
pub mod session;

use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use grammers_session::SessionData;
use grammers_tl_types::{enums, functions, types, Deserializable, RemoteCall, Serializable};
use parking_lot::Mutex;

pub use auth::{
    AcceptedLogin, Authorization, CodeTypeKind, LoginToken, PasswordInfo, SentCode, SentCodeKind,
    TermsOfService, User,
};
pub use connection::InitParams;
use connection::{Link, LinkSettings, Push};
pub use error::{Error, ErrorKind};
use retry::{Decision, RetryPolicy};
pub use session::SessionFormat;
use session::{dc_option, option_addr, SessionStore, StringSession};

use crate::protocol::cipher::AuthKey;
use crate::protocol::handshake::rsa::{self, RsaPublicKey};
use crate::protocol::transport::TransportKind;

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
    /// A string session to start from, in any format [`SessionFormat`] names (detected).
    /// Pyrogram's holds no address: the DC's comes from `dcs`, else from Telegram's
    /// production or test DCs (by the string's test-mode flag).
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

/// Resolves `host:port` to one address, IPv4 when there is one, else IPv6. An IPv6 literal
/// may be bracketed (`[::1]`).
pub fn resolve_v4(host: &str, port: u16) -> Result<SocketAddr, Error> {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
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
    /// The app: from the config, or from the first call that named one.
    app: Mutex<Option<(i32, String)>>,
    /// Whether the DCs are Telegram's test DCs (config, or an imported session's flag).
    test_mode: bool,
    /// The server's pushes, from every link.
    pushes: tokio::sync::broadcast::Sender<Push>,
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
        let imported = match &config.session_string {
            Some(s) => Some(StringSession::parse(s)?),
            None => None,
        };
        // Telegram's test DCs: asked for, or named by the string session (when no DCs of
        // our own are configured).
        let test_mode = config.test_servers || imported.as_ref().is_some_and(|s| s.test_mode);
        let mut fallback = SessionData {
            dc_options: HashMap::new(),
            ..SessionData::default()
        };
        if config.dcs.is_empty() {
            if test_mode {
                for (id, ip) in TELEGRAM_TEST_DCS {
                    let addr = SocketAddr::from((ip, 443));
                    fallback.dc_options.insert(id, dc_option(id, addr));
                }
                fallback.home_dc = 2;
            } else {
                fallback = SessionData::default();
            }
        } else {
            for (id, addr) in &config.dcs {
                fallback.dc_options.insert(*id, dc_option(*id, *addr));
            }
            fallback.home_dc = config.dcs[0].0;
        }
        if let Some(imported) = &imported {
            let addr = match imported.addr {
                Some(addr) => addr,
                None => fallback
                    .dc_options
                    .get(&imported.dc_id)
                    .map(option_addr)
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::InvalidArgument,
                            format!(
                                "the session string names DC {} and holds no address: \
                                 configure that DC's address",
                                imported.dc_id
                            ),
                        )
                    })?,
            };
            let mut option = dc_option(imported.dc_id, addr);
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
                    if option_addr(entry) != option_addr(option) {
                        entry.ipv4 = option.ipv4;
                        entry.ipv6 = option.ipv6;
                        entry.auth_key = None;
                    }
                }
            })?;
        } else if !session.loaded() {
            session.update_login(|login| {
                // What the string session says about the user and the app.
                if let Some(imported) = &imported {
                    login.user = imported.user;
                    login.api_id = imported.api_id;
                }
            })?;
        }
        let trusted = if config.rsa_keys.is_empty() {
            rsa::builtin_keys()
        } else {
            config.rsa_keys.clone()
        };
        let app = Mutex::new(config.app.clone());
        Ok(Client {
            inner: Arc::new(Inner {
                init: Arc::new(config.init.clone()),
                config,
                session: Arc::new(session),
                links: Mutex::new(HashMap::new()),
                trusted: Arc::new(trusted),
                dc_lookup: tokio::sync::Mutex::new(()),
                app,
                test_mode,
                pushes: tokio::sync::broadcast::channel(64).0,
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
        self.export_session(SessionFormat::Telethon).ok()
    }

    /// The session (home DC, its address and key) as another library's string session.
    /// A Session error when the session has no key yet; InvalidArgument for Pyrogram (whose string
    /// holds them) when nobody is signed in or no api_id is known (from the config, a call
    /// that named the app, or the imported session). Pyrogram's and mtcute's test-mode flag
    /// is set when the client uses Telegram's test DCs.
    pub fn export_session(&self, format: SessionFormat) -> Result<String, Error> {
        let home = self.home_dc();
        let dc = self.inner.session.dc(home);
        let Some((dc, auth_key)) = dc.and_then(|dc| dc.auth_key.map(|k| (dc, k))) else {
            return Err(Error::new(
                ErrorKind::Session,
                format!("the session has no auth key for its home DC {home} yet"),
            ));
        };
        let login = self.inner.session.login();
        let s = StringSession {
            format,
            dc_id: dc.id,
            addr: Some(option_addr(&dc)),
            auth_key,
            user: login.user,
            api_id: self.app().map(|(id, _)| id).or(login.api_id),
            test_mode: self.inner.test_mode && self.inner.config.dcs.is_empty(),
        };
        s.render(format)
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
            wire_dc_id: if self.inner.test_mode && c.dcs.is_empty() {
                10_000 + dc_id
            } else {
                dc_id
            },
            addr: option_addr(&option),
            transport: c.transport,
            obfuscated: c.obfuscated,
            trusted: self.inner.trusted.clone(),
            init: self.inner.init.clone(),
            connect_timeout: c.timeout,
            pushes: self.inner.pushes.clone(),
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
            // IPv4 addresses first; a DC listed with IPv6 addresses only gets one of those.
            for ipv6 in [false, true] {
                for enums::DcOption::Option(o) in &config.dc_options {
                    if o.ipv6 != ipv6
                        || o.media_only
                        || o.cdn
                        || data.dc_options.contains_key(&o.id)
                    {
                        continue;
                    }
                    let Ok(ip) = o.ip_address.parse::<std::net::IpAddr>() else {
                        continue;
                    };
                    let Ok(port) = u16::try_from(o.port) else {
                        continue;
                    };
                    let addr = SocketAddr::new(ip, port);
                    data.dc_options.insert(o.id, dc_option(o.id, addr));
                }
            }
            found = data.dc_options.contains_key(&wanted);
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

    /// The app (api_id, api_hash) the client knows: from its config, or from the first
    /// call that named one.
    pub fn app(&self) -> Option<(i32, String)> {
        self.inner.app.lock().clone()
    }

    /// Remembers the app a call named, unless one is known already; the session keeps
    /// its api_id so a later process can go on with the session alone.
    pub(crate) fn remember_app(&self, api_id: i32, api_hash: &str) -> Result<(), Error> {
        {
            let mut app = self.inner.app.lock();
            if app.is_none() {
                *app = Some((api_id, api_hash.to_owned()));
            }
        }
        if self.inner.session.login().api_id != Some(api_id) {
            self.inner
                .session
                .update_login(|login| login.api_id = Some(api_id))?;
        }
        Ok(())
    }

    /// The api_id for initConnection: the app's, else the one the session was used with,
    /// else a clear error.
    fn api_id(&self) -> Result<i32, Error> {
        if let Some((id, _)) = self.inner.app.lock().as_ref() {
            return Ok(*id);
        }
        self.inner.session.login().api_id.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                "no app known yet: give api_id and api_hash in the config, or call \
                 send_code (or sign_in_bot) first",
            )
        })
    }

    /// The deadline of an operation starting now (the client's timeout).
    pub(crate) fn deadline(&self) -> tokio::time::Instant {
        tokio::time::Instant::now() + self.inner.config.timeout
    }

    /// Runs an operation (one or several requests) under one deadline.
    pub(crate) async fn within<T>(
        &self,
        deadline: tokio::time::Instant,
        op: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        match tokio::time::timeout_at(deadline, op).await {
            Ok(result) => result,
            Err(_) => Err(Error::timeout()),
        }
    }

    /// The general request path: sends `request` to the home DC and applies the one retry
    /// policy (migrations followed and saved, short flood waits slept through, AUTH_RESTART
    /// and 5xx retried, a lost or duplicated key replaced), all before `deadline`.
    pub(crate) async fn invoke<R: RemoteCall>(
        &self,
        request: &R,
        needs_user: bool,
        deadline: tokio::time::Instant,
    ) -> Result<R::Return, Error> {
        let query = request.to_bytes();
        let api_id = self.api_id()?;
        let mut policy = RetryPolicy::new(self.inner.config.flood_sleep_threshold);
        policy.needs_user = needs_user;
        loop {
            let dc = self.home_dc();
            let err = match self.invoke_raw(dc, query.clone(), api_id).await {
                Ok(raw) => {
                    return R::Return::from_bytes(&raw).map_err(|e| {
                        Error::new(
                            ErrorKind::Protocol,
                            format!(
                                "the answer to {} could not be read: {e}",
                                grammers_tl_types::name_for_id(u32::from_le_bytes(
                                    query[..4].try_into().expect("a constructor")
                                ))
                            ),
                        )
                    });
                }
                Err(err) => err,
            };
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match policy.decide(err, dc, left) {
                Decision::Migrate(target) => {
                    log::info!("migrating from DC {dc} to DC {target}");
                    self.move_home(target).await?;
                }
                Decision::Sleep(wait) => {
                    log::info!("FLOOD_WAIT: sleeping {} s", wait.as_secs());
                    tokio::time::sleep(wait).await;
                }
                Decision::Retry => {}
                Decision::ResetKey => self.drop_key(dc)?,
                Decision::Fail(err) => return Err(err),
            }
        }
    }

    /// Listens to the server's pushes on every link (from now on).
    pub(crate) fn subscribe_pushes(&self) -> tokio::sync::broadcast::Receiver<Push> {
        self.inner.pushes.subscribe()
    }

    /// Makes `dc` home, learning its address from the current home DC first if needed.
    pub(crate) async fn move_home(&self, dc: i32) -> Result<(), Error> {
        let from = self.home_dc();
        if from == dc {
            return Ok(());
        }
        if self.inner.session.dc(dc).is_none() {
            self.learn_dc(from, dc, self.api_id()?).await?;
        }
        self.inner.session.set_home_dc(dc)
    }

    /// Who the session is signed in as, if anyone.
    pub fn signed_in(&self) -> Option<session::SignedIn> {
        self.inner.session.login().user
    }

    /// The future auth tokens the session keeps, newest first.
    pub fn future_auth_tokens(&self) -> Vec<Vec<u8>> {
        self.inner.session.login().future_auth_tokens
    }

    /// Records a finished login (or a sign-up request) in the session.
    pub(crate) fn record_authorization(&self, auth: &Authorization) -> Result<(), Error> {
        self.inner.session.update_login(|login| {
            if let Some(user) = &auth.user {
                login.user = Some(session::SignedIn {
                    id: user.id,
                    bot: user.bot,
                });
            }
            if let Some(token) = &auth.future_auth_token {
                login.remember_token(token.clone());
            }
        })
    }

    fn drop_key(&self, dc: i32) -> Result<(), Error> {
        self.inner.links.lock().remove(&dc);
        if dc == self.home_dc() {
            // Nobody is signed in on the new key that replaces it.
            self.inner.session.update_login(|login| login.user = None)?;
        }
        self.inner.session.set_auth_key(dc, None)
    }

    /// The app of a call: the call's own when it names one (api_id and api_hash together),
    /// else the one the client knows (the configuration's, or the first call's);
    /// InvalidArgument when neither has one, or when the call
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
            (None, None) => self.app().ok_or_else(|| {
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
