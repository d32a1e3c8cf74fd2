//! The persistent session: home DC, DC addresses and auth keys, so a second run makes no
//! new key and sign-in later reaches the DC that issued the phone_code_hash.
//!
//! The in-memory model is grammers-session's [`SessionData`]. On disk it is a small JSON
//! document, created 0600, replaced atomically (write to a temporary file, fsync, rename),
//! and guarded by an exclusive `flock` on `<path>.lock` so two processes never share a key.
//! A file that cannot be parsed is reported, never overwritten.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use grammers_session::types::DcOption;
use grammers_session::SessionData;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::error::{Error, ErrorKind};

const FORMAT: &str = "tgauth-session";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct FileDc {
    id: i32,
    ipv4: String,
    ipv6: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth_key: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct FileSession {
    format: String,
    version: u32,
    home_dc: i32,
    dcs: Vec<FileDc>,
    /// Who is signed in on the home DC's key (absent: nobody).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user: Option<SignedIn>,
    /// Future auth tokens, newest first, base64.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    future_auth_tokens: Vec<String>,
    /// The api_id the key was initialised with (initConnection needs it; the hash is never
    /// stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_id: Option<i32>,
}

/// Who a session is signed in as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    /// The user's id.
    pub id: i64,
    /// Whether the account is a bot.
    pub bot: bool,
}

/// How many future auth tokens a session keeps (newest first).
pub const MAX_FUTURE_AUTH_TOKENS: usize = 20;

/// The login half of a session: who is signed in, and the tokens that log a number back
/// in without a code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoginState {
    /// Who is signed in, if anyone.
    pub user: Option<SignedIn>,
    /// Future auth tokens, newest first, at most [`MAX_FUTURE_AUTH_TOKENS`].
    pub future_auth_tokens: Vec<Vec<u8>>,
    /// The api_id of the app that uses this session, so a later process can sign in with
    /// the session alone.
    pub api_id: Option<i32>,
}

impl LoginState {
    /// Keeps a new future auth token in front (an older copy of it moves up).
    pub fn remember_token(&mut self, token: Vec<u8>) {
        if token.is_empty() {
            return;
        }
        self.future_auth_tokens.retain(|t| *t != token);
        self.future_auth_tokens.insert(0, token);
        self.future_auth_tokens.truncate(MAX_FUTURE_AUTH_TOKENS);
    }
}

/// Everything a session holds.
struct State {
    data: SessionData,
    login: LoginState,
}

fn session_error(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Session,
        format!("session file {}: {what}", path.display()),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Parses the JSON document into session data.
fn parse(path: &Path, text: &str) -> Result<(SessionData, LoginState), Error> {
    let file: FileSession =
        serde_json::from_str(text).map_err(|e| session_error(path, format!("corrupt ({e})")))?;
    if file.format != FORMAT || file.version != VERSION {
        return Err(session_error(
            path,
            "not a tgauth session of a known version",
        ));
    }
    let mut data = SessionData {
        home_dc: file.home_dc,
        dc_options: HashMap::new(),
        ..SessionData::default()
    };
    for dc in file.dcs {
        let ipv4: SocketAddrV4 = dc
            .ipv4
            .parse()
            .map_err(|_| session_error(path, format!("corrupt address {}", dc.ipv4)))?;
        let ipv6: SocketAddrV6 = dc
            .ipv6
            .parse()
            .map_err(|_| session_error(path, format!("corrupt address {}", dc.ipv6)))?;
        let auth_key = match dc.auth_key {
            None => None,
            Some(h) => Some(
                unhex(&h)
                    .and_then(|v| <[u8; 256]>::try_from(v).ok())
                    .ok_or_else(|| session_error(path, "corrupt auth key"))?,
            ),
        };
        data.dc_options.insert(
            dc.id,
            DcOption {
                id: dc.id,
                ipv4,
                ipv6,
                auth_key,
            },
        );
    }
    if !data.dc_options.contains_key(&data.home_dc) {
        return Err(session_error(path, "home DC has no address"));
    }
    let mut login = LoginState {
        user: file.user,
        future_auth_tokens: Vec::new(),
        api_id: file.api_id,
    };
    for t in file.future_auth_tokens.iter().take(MAX_FUTURE_AUTH_TOKENS) {
        let token = base64::engine::general_purpose::STANDARD
            .decode(t)
            .map_err(|_| session_error(path, "corrupt future auth token"))?;
        login.future_auth_tokens.push(token);
    }
    Ok((data, login))
}

fn render(data: &SessionData, login: &LoginState) -> String {
    let mut dcs: Vec<FileDc> = data
        .dc_options
        .values()
        .map(|dc| FileDc {
            id: dc.id,
            ipv4: dc.ipv4.to_string(),
            ipv6: dc.ipv6.to_string(),
            auth_key: dc.auth_key.map(|k| hex(&k)),
        })
        .collect();
    dcs.sort_by_key(|d| d.id);
    serde_json::to_string_pretty(&FileSession {
        format: FORMAT.into(),
        version: VERSION,
        home_dc: data.home_dc,
        dcs,
        user: login.user,
        future_auth_tokens: login
            .future_auth_tokens
            .iter()
            .map(|t| base64::engine::general_purpose::STANDARD.encode(t))
            .collect(),
        api_id: login.api_id,
    })
    .expect("plain data serialises")
}

/// A copy of session data (SessionData itself is not Clone).
pub fn duplicate(d: &SessionData) -> SessionData {
    SessionData {
        home_dc: d.home_dc,
        dc_options: d.dc_options.clone(),
        ..SessionData::default()
    }
}

/// A DC option without a key, for an IPv4 address.
pub fn dc_option(id: i32, addr: SocketAddrV4) -> DcOption {
    DcOption {
        id,
        ipv4: addr,
        ipv6: SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, addr.port(), 0, 0),
        auth_key: None,
    }
}

/// Where a session lives, with its lock held while it is open.
pub struct SessionStore {
    path: Option<PathBuf>,
    state: Mutex<State>,
    /// Kept open: the flock lasts as long as the descriptor (until `close`).
    lock: Mutex<Option<File>>,
    /// Once closed, nothing is written any more.
    closed: std::sync::atomic::AtomicBool,
    /// Whether the data came from an existing file (then its home DC wins).
    loaded: bool,
}

impl SessionStore {
    /// A session kept only in memory.
    pub fn in_memory(data: SessionData) -> Self {
        Self {
            path: None,
            state: Mutex::new(State {
                data,
                login: LoginState::default(),
            }),
            lock: Mutex::new(None),
            closed: Default::default(),
            loaded: false,
        }
    }

    /// Opens (or prepares to create) the session at `path`, taking its lock.
    pub fn open(path: &Path, fallback: SessionData) -> Result<Self, Error> {
        let lock_path = {
            let mut p = path.as_os_str().to_owned();
            p.push(".lock");
            PathBuf::from(p)
        };
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot open {}: {e}", lock_path.display()),
                )
            })?;
        // An exclusive advisory lock, without waiting (flock(2) on Unix), held as long as
        // the file stays open.
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(session_error(
                    path,
                    "is in use by another client or process (its lock is held)",
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(session_error(path, format!("cannot be locked: {e}")));
            }
        }
        let (data, login, loaded) = match std::fs::read_to_string(path) {
            Ok(text) => {
                let (data, login) = parse(path, &text)?;
                (data, login, true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                (fallback, LoginState::default(), false)
            }
            Err(e) => return Err(session_error(path, e)),
        };
        Ok(Self {
            path: Some(path.to_owned()),
            state: Mutex::new(State { data, login }),
            lock: Mutex::new(Some(lock)),
            closed: Default::default(),
            loaded,
        })
    }

    /// Whether the session was read from an existing file.
    pub fn loaded(&self) -> bool {
        self.loaded
    }

    /// The home DC.
    pub fn home_dc(&self) -> i32 {
        self.state.lock().data.home_dc
    }

    /// A DC's option, with its key if any.
    pub fn dc(&self, id: i32) -> Option<DcOption> {
        self.state.lock().data.dc_options.get(&id).cloned()
    }

    /// Changes data and persists it.
    pub fn update(&self, change: impl FnOnce(&mut SessionData)) -> Result<(), Error> {
        self.update_all(|data, _| change(data))
    }

    /// Changes the login state and persists it.
    pub fn update_login(&self, change: impl FnOnce(&mut LoginState)) -> Result<(), Error> {
        self.update_all(|_, login| change(login))
    }

    fn update_all(
        &self,
        change: impl FnOnce(&mut SessionData, &mut LoginState),
    ) -> Result<(), Error> {
        let mut state = self.state.lock();
        let State { data, login } = &mut *state;
        change(data, login);
        let text = render(data, login);
        // Written while holding the state lock: updates land in order, and `close`
        // never releases the file lock in the middle of a write.
        self.write(&text)
    }

    /// The login state: who is signed in, and the future auth tokens.
    pub fn login(&self) -> LoginState {
        self.state.lock().login.clone()
    }

    /// Sets the home DC and persists it.
    pub fn set_home_dc(&self, id: i32) -> Result<(), Error> {
        self.update(|d| d.home_dc = id)
    }

    /// Stores (or, with `None`, forgets) a DC's key and persists it.
    pub fn set_auth_key(&self, id: i32, key: Option<[u8; 256]>) -> Result<(), Error> {
        self.update(|d| {
            if let Some(dc) = d.dc_options.get_mut(&id) {
                dc.auth_key = key;
            }
        })
    }

    /// Stops writing and releases the file lock, so another client may open the session.
    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        // Taken under the state lock, so no write is half done when the lock goes.
        let _state = self.state.lock();
        self.lock.lock().take();
    }

    fn write(&self, text: &str) -> Result<(), Error> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let result = (|| -> std::io::Result<()> {
            let mut file = OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .mode(0o600)
                .open(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                if let Ok(d) = File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            Ok(())
        })();
        result.map_err(|e| session_error(path, format!("cannot be written: {e}")))
    }

    /// A copy of the whole session.
    pub fn snapshot(&self) -> SessionData {
        duplicate(&self.state.lock().data)
    }
}

/// A session brought in from a Telethon or GramJS string session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringSession {
    /// The DC the key belongs to (the home DC).
    pub dc_id: i32,
    /// Its address.
    pub addr: std::net::SocketAddr,
    /// The auth key.
    pub auth_key: [u8; 256],
}

impl StringSession {
    /// Parses a "1..." string session of Telethon (`>B4sH256s` / `>B16sH256s`, urlsafe
    /// base64) or GramJS (dc byte, u16 address length, address text, u16 port, key; base64).
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad =
            |why: &str| Error::new(ErrorKind::InvalidArgument, format!("string session: {why}"));
        let body = s
            .trim()
            .strip_prefix('1')
            .ok_or_else(|| bad("unknown version (expected \"1...\")"))?;
        let bytes = base64::engine::general_purpose::URL_SAFE
            .decode(body)
            .or_else(|_| base64::engine::general_purpose::STANDARD.decode(body))
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body))
            .map_err(|_| bad("not base64"))?;
        let key_at = |at: usize| -> Option<[u8; 256]> { bytes.get(at..at + 256)?.try_into().ok() };
        // GramJS: its address length field must agree with the total.
        if bytes.len() > 261 {
            let len = u16::from_be_bytes([bytes[1], bytes[2]]) as usize;
            if bytes.len() == 1 + 2 + len + 2 + 256 {
                if let Some(ip) = std::str::from_utf8(&bytes[3..3 + len])
                    .ok()
                    .and_then(|t| t.parse::<std::net::IpAddr>().ok())
                {
                    let port = u16::from_be_bytes([bytes[3 + len], bytes[4 + len]]);
                    return Ok(Self {
                        dc_id: bytes[0] as i32,
                        addr: std::net::SocketAddr::new(ip, port),
                        auth_key: key_at(5 + len).ok_or_else(|| bad("truncated"))?,
                    });
                }
            }
        }
        let (ip, at): (std::net::IpAddr, usize) = match bytes.len() {
            263 => (
                Ipv4Addr::from(<[u8; 4]>::try_from(&bytes[1..5]).expect("4")).into(),
                5,
            ),
            275 => (
                Ipv6Addr::from(<[u8; 16]>::try_from(&bytes[1..17]).expect("16")).into(),
                17,
            ),
            _ => return Err(bad("unexpected length")),
        };
        let port = u16::from_be_bytes([bytes[at], bytes[at + 1]]);
        Ok(Self {
            dc_id: bytes[0] as i32,
            addr: std::net::SocketAddr::new(ip, port),
            auth_key: key_at(at + 2).ok_or_else(|| bad("truncated"))?,
        })
    }

    /// Renders Telethon's format (which GramJS cannot read, but Telethon and tgauth can).
    pub fn to_telethon(&self) -> String {
        let mut out = vec![self.dc_id as u8];
        match self.addr.ip() {
            std::net::IpAddr::V4(ip) => out.extend_from_slice(&ip.octets()),
            std::net::IpAddr::V6(ip) => out.extend_from_slice(&ip.octets()),
        }
        out.extend_from_slice(&self.addr.port().to_be_bytes());
        out.extend_from_slice(&self.auth_key);
        format!("1{}", base64::engine::general_purpose::URL_SAFE.encode(out))
    }

    /// Renders GramJS's format.
    pub fn to_gramjs(&self) -> String {
        let ip = self.addr.ip().to_string();
        let mut out = vec![self.dc_id as u8];
        out.extend_from_slice(&(ip.len() as u16).to_be_bytes());
        out.extend_from_slice(ip.as_bytes());
        out.extend_from_slice(&self.addr.port().to_be_bytes());
        out.extend_from_slice(&self.auth_key);
        format!("1{}", base64::engine::general_purpose::STANDARD.encode(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tgauth-session-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("s.session")
    }

    fn sample() -> SessionData {
        let mut data = SessionData {
            home_dc: 2,
            dc_options: HashMap::new(),
            ..SessionData::default()
        };
        data.dc_options
            .insert(2, dc_option(2, "127.0.0.1:4000".parse().unwrap()));
        data
    }

    #[test]
    fn persists_with_0600_and_locks() {
        use std::os::unix::fs::PermissionsExt;
        let path = temp_path("persist");
        {
            let store = SessionStore::open(&path, sample()).unwrap();
            assert!(!store.loaded());
            store.set_auth_key(2, Some([7; 256])).unwrap();
            // A second opener is refused while the first holds the lock.
            let second = SessionStore::open(&path, sample());
            assert_eq!(second.err().unwrap().kind, ErrorKind::Session);
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let store = SessionStore::open(&path, SessionData::default()).unwrap();
        assert!(store.loaded());
        assert_eq!(store.home_dc(), 2);
        assert_eq!(store.dc(2).unwrap().auth_key, Some([7; 256]));
    }

    #[test]
    fn the_login_state_persists_with_tokens_newest_first() {
        let path = temp_path("login");
        {
            let store = SessionStore::open(&path, sample()).unwrap();
            assert_eq!(store.login(), LoginState::default());
            store
                .update_login(|login| {
                    login.user = Some(SignedIn { id: 42, bot: true });
                    login.api_id = Some(7);
                    for i in 0..25u8 {
                        login.remember_token(vec![i; 4]);
                    }
                    // An old token given again moves to the front, not in twice.
                    login.remember_token(vec![20; 4]);
                    login.remember_token(Vec::new());
                })
                .unwrap();
        }
        let store = SessionStore::open(&path, sample()).unwrap();
        let login = store.login();
        assert_eq!(login.user, Some(SignedIn { id: 42, bot: true }));
        assert_eq!(login.api_id, Some(7));
        assert_eq!(login.future_auth_tokens.len(), MAX_FUTURE_AUTH_TOKENS);
        assert_eq!(login.future_auth_tokens[0], vec![20; 4]);
        assert_eq!(login.future_auth_tokens[1], vec![24; 4]);
        assert_eq!(
            login
                .future_auth_tokens
                .iter()
                .filter(|t| **t == vec![20; 4])
                .count(),
            1
        );
        // A file of the first format (no login fields) still opens, signed out.
        drop(store);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        for field in ["user", "future_auth_tokens", "api_id"] {
            json.as_object_mut().unwrap().remove(field);
        }
        std::fs::write(&path, json.to_string()).unwrap();
        let store = SessionStore::open(&path, sample()).unwrap();
        assert_eq!(store.login(), LoginState::default());
        assert_eq!(store.home_dc(), 2);
    }

    #[test]
    fn corrupt_file_is_reported_and_kept() {
        let path = temp_path("corrupt");
        std::fs::write(&path, "{\"format\":\"tgauth-session\",\"vers").unwrap();
        let err = SessionStore::open(&path, sample()).err().unwrap();
        assert_eq!(err.kind, ErrorKind::Session);
        assert!(err.message.contains("corrupt"), "{}", err.message);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"format\":\"tgauth-session\",\"vers"
        );
    }

    #[test]
    fn string_sessions_round_trip_both_formats() {
        let s = StringSession {
            dc_id: 2,
            addr: "149.154.167.51:443".parse().unwrap(),
            auth_key: [0xab; 256],
        };
        assert_eq!(StringSession::parse(&s.to_telethon()).unwrap(), s);
        assert_eq!(StringSession::parse(&s.to_gramjs()).unwrap(), s);
        let v6 = StringSession {
            dc_id: 4,
            addr: "[2001:67c:4e8:f004::a]:443".parse().unwrap(),
            auth_key: [1; 256],
        };
        assert_eq!(StringSession::parse(&v6.to_telethon()).unwrap(), v6);
        assert!(StringSession::parse("2abc").is_err());
        assert!(StringSession::parse("1!!!").is_err());
        assert!(StringSession::parse("1AAAA").is_err());
    }
}
