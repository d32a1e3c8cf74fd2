//! The business logic of the test DC's `auth.sendCode`: pure and synchronous, no networking.
//!
//! The connection handling decodes a request, builds a [`CallContext`] (which DC answered, the
//! layer from `invokeWithLayer`, the auth key and session, the time) and asks the
//! [`LoginDesk`] shared by every DC of one test DC process for the answer. The rules are the
//! fixed ones of `TESTDC.md` ("Behaviour of auth.sendCode"); the user-facing description is
//! `docs/testdc.md`. In short:
//!
//! 1. The app: an `api_id` that is not registered, or an `api_hash` that is not its hash, is
//!    400 `API_ID_INVALID`; a published app is 400 `API_ID_PUBLISHED_FLOOD` (Telegram checks the
//!    app before it looks at the number).
//! 2. The number: see [`normalize_phone`]; 406 `PHONE_NUMBER_INVALID` otherwise.
//! 3. The number table (which DC answers, which errors), see [`LoginDesk::send_code`].
//! 4. The kind of answer (the `auth.SentCodeType`, `auth.sentCodeSuccess`,
//!    `auth.sentCodePaymentRequired`), see [`select_kind`], lowered to what the client's layer
//!    knows ([`CodeKind::min_layer`], [`CONSTRUCTOR_LAYERS`]).
//! 5. The code limit: more than `code_limit` codes for one number within an hour is
//!    420 `FLOOD_WAIT_X`.
//! 6. The code is made, kept ([`LoginDesk::codes_for`]) and the answer returned.

mod accounts;
mod answer;
mod bot;
mod code_kinds;
mod log_out;
mod password;
pub mod qr;
mod send_code;
mod sign_in;
mod users;

pub use accounts::{
    authorization, test_user, user_id_for, Account, Signed, BOT_USER_ID, MAX_FIRST_NAME, PASSWORD,
    PASSWORD_HINT,
};
pub use answer::{Answer, LOGIN_CONSTRUCTORS};
pub use qr::{parse_login_token, LOGIN_TOKEN_TTL};

pub use code_kinds::{select_kind, CodeKind, ConstructorLayer, CONSTRUCTOR_LAYERS};
#[cfg(test)]
use send_code::tests;

use accounts::table_dc;
use code_kinds::make_answer;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime};

use grammers_tl_types::enums;
use parking_lot::Mutex;

/// How long a phone_code_hash stays valid by default (`--code-ttl`).
pub const DEFAULT_CODE_TTL: Duration = Duration::from_secs(300);

/// The window of the code limit.
pub const CODE_WINDOW: Duration = Duration::from_secs(3600);

/// A logout token is valid for a number when it is exactly these bytes followed by the
/// number's digits (e.g. `b"tgauth-logout:9998800123"`).
pub const LOGOUT_TOKEN_PREFIX: &[u8] = b"tgauth-logout:";

/// The newest layer this test DC knows (the layer of `grammers-tl-types`).
pub const NEWEST_LAYER: i32 = grammers_tl_types::LAYER;

/// The calling number of flash calls and missed calls starts with this (`+99944…`).
pub const CALLER_PREFIX: &str = "99944";

/// A registered app (`--app ID:HASH`, or `--published-app ID:HASH` with `published`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    pub id: i32,
    pub hash: String,
    pub published: bool,
}

/// What the login rules depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginRulesConfig {
    /// How many DCs the test DC has (`--dcs`); DC ids are `1..=dc_count`. Below 1 counts as 1.
    pub dc_count: i32,
    /// Every registered app, published ones included.
    pub apps: Vec<App>,
    /// At most this many codes for one number within [`CODE_WINDOW`]; 0 means no limit.
    pub code_limit: u32,
}

/// Everything about one call that the rules look at, besides the request itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallContext {
    /// The DC that received the call.
    pub dc_id: i32,
    /// The client's layer, from `invokeWithLayer`.
    pub layer: i32,
    pub auth_key_id: i64,
    pub session_id: i64,
    /// The time of the call (the code limit uses this, never the wall clock).
    pub now: SystemTime,
}

/// The answer to one `auth.sendCode`.
// `Sent` is large (an `auth.sentCodeSuccess` holds a whole `user`); one is made per call and
// moved once, so it stays unboxed for the callers' convenience.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Sent(enums::auth::SentCode),
    /// An `rpc_error`, e.g. `(303, "PHONE_MIGRATE_2")`.
    Error {
        code: i32,
        message: String,
    },
}

/// An `rpc_error` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }
}

impl From<RpcError> for Outcome {
    fn from(e: RpcError) -> Self {
        Outcome::Error {
            code: e.code,
            message: e.message,
        }
    }
}

impl Outcome {
    fn error(code: i32, message: impl Into<String>) -> Self {
        Outcome::Error {
            code,
            message: message.into(),
        }
    }
}

/// What the DC must do besides answering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// `AUTH_KEY_DUPLICATED`: the DC must forget the auth key the call came on.
    pub forget_auth_key: bool,
}

/// One code the test DC "sent", kept so a test can read it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptCode {
    /// The DC that sent it.
    pub dc_id: i32,
    /// The number, digits only.
    pub phone_number: String,
    /// What the user would type: digits for most kinds, the whole calling number for a
    /// flash call, a word or a phrase for `smsWord` / `smsPhrase`.
    pub code: String,
    pub phone_code_hash: String,
    /// The kind of answer that carried it (after the layer fallback).
    pub kind: CodeKind,
    pub sent_at: SystemTime,
}

/// The digits of a phone number: `'+'`, `' '`, `'-'`, `'('` and `')'` are ignored; any other
/// character (including non-ASCII digits and other white space), or fewer than 7 or more than
/// 15 digits, makes it invalid (`None`: 406 `PHONE_NUMBER_INVALID`).
pub fn normalize_phone(raw: &str) -> Option<String> {
    let mut digits = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' | ' ' | '-' | '(' | ')' => {}
            _ => return None,
        }
    }
    (7..=15).contains(&digits.len()).then_some(digits)
}

/// Whether `token` is the valid logout token of the number with these digits.
pub fn is_valid_logout_token(token: &[u8], phone_digits: &str) -> bool {
    token.len() == LOGOUT_TOKEN_PREFIX.len() + phone_digits.len()
        && token.starts_with(LOGOUT_TOKEN_PREFIX)
        && &token[LOGOUT_TOKEN_PREFIX.len()..] == phone_digits.as_bytes()
}

/// The valid logout token of a number (see [`LOGOUT_TOKEN_PREFIX`]).
pub fn logout_token_for(phone_digits: &str) -> Vec<u8> {
    let mut t = LOGOUT_TOKEN_PREFIX.to_vec();
    t.extend_from_slice(phone_digits.as_bytes());
    t
}

/// Where a number is answered (the table of `TESTDC.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// The same error on every DC.
    Refused(i32, &'static str),
    /// 406 AUTH_KEY_DUPLICATED, and the key is forgotten.
    AuthKeyDuplicated,
    /// 500 AUTH_RESTART the first time in a session, then sent on any DC.
    RestartOnce,
    /// Sent on this DC, 303 PHONE_MIGRATE_X elsewhere.
    Phone(i32),
    /// Sent on this DC, 303 NETWORK_MIGRATE_X elsewhere.
    Network(i32),
}

const REFUSALS: &[(&str, i32, &str)] = &[
    ("9997701", 400, "PHONE_NUMBER_BANNED"),
    ("9997702", 400, "PHONE_NUMBER_FLOOD"),
    ("9997703", 406, "PHONE_PASSWORD_FLOOD"),
    ("9997704", 400, "PHONE_NUMBER_APP_SIGNUP_FORBIDDEN"),
    ("9997705", 400, "SMS_CODE_CREATE_FAILED"),
    ("9997706", 400, "PHONE_PASSWORD_PROTECTED"),
    ("9997707", 420, "FLOOD_WAIT_2"),
    ("9997708", 406, "UPDATE_APP_TO_LOGIN"),
];

/// A code of `n` random decimal digits.
fn random_digits(n: usize) -> String {
    let mut buf = vec![0u8; n];
    fill_random(&mut buf);
    // 250 = 25 * 10: reduce only bytes below it so every digit is equally likely.
    let mut out = String::with_capacity(n);
    let mut i = 0;
    while out.len() < n {
        if i == buf.len() {
            fill_random(&mut buf);
            i = 0;
        }
        if buf[i] < 250 {
            out.push(char::from(b'0' + buf[i] % 10));
        }
        i += 1;
    }
    out
}

fn random_index(len: usize) -> usize {
    let mut b = [0u8; 8];
    fill_random(&mut b);
    (u64::from_le_bytes(b) % len as u64) as usize
}

fn fill_random(buf: &mut [u8]) {
    crate::protocol::random::fill(buf);
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

#[derive(Default)]
struct DeskState {
    /// Every code sent, per number (digits), oldest first.
    codes: HashMap<String, Vec<KeptCode>>,
    /// (auth key, session, number) that already got AUTH_RESTART.
    restarted: HashSet<(i64, i64, String)>,
    /// Every phone_code_hash issued, by its text.
    hashes: HashMap<String, sign_in::IssuedHash>,
    /// Accounts made by auth.signUp, by number.
    accounts: HashMap<String, Account>,
    /// Signed-in auth keys: (DC, auth_key_id) -> who.
    signed_in: HashMap<(i32, i64), Signed>,
    /// Keys whose sign-in waits for auth.checkPassword: (DC, auth_key_id) -> number.
    awaiting_password: HashMap<(i32, i64), String>,
    /// future_auth_token of auth.logOut -> the number it signs in again.
    logout_tokens: HashMap<Vec<u8>, String>,
    /// SRP rounds of account.getPassword, by srp_id.
    srp_rounds: HashMap<i64, password::SrpRound>,
    /// QR login tokens, by their bytes.
    login_tokens: HashMap<Vec<u8>, qr::LoginToken>,
}

/// The login rules of one test DC process, shared by all its DCs; internally synchronised.
pub struct LoginDesk {
    cfg: LoginRulesConfig,
    /// How long a phone_code_hash lives ([`DEFAULT_CODE_TTL`] unless set).
    code_ttl: Duration,
    /// The bot's token, `ID:SECRET`.
    bot_token: String,
    state: Mutex<DeskState>,
    /// Each 2FA account's salts and SRP verifier, made once (PBKDF2 is slow).
    verifiers: password::VerifierCache,
}

impl LoginDesk {
    pub fn new(mut cfg: LoginRulesConfig) -> Self {
        cfg.dc_count = cfg.dc_count.max(1);
        LoginDesk {
            cfg,
            code_ttl: DEFAULT_CODE_TTL,
            bot_token: bot::random_bot_token(),
            state: Mutex::new(DeskState::default()),
            verifiers: password::VerifierCache::default(),
        }
    }

    /// How long a phone_code_hash stays valid (`--code-ttl`).
    pub fn with_code_ttl(mut self, ttl: Duration) -> Self {
        self.code_ttl = ttl;
        self
    }

    /// The bot token auth.importBotAuthorization takes (`ID:SECRET`).
    pub fn bot_token(&self) -> &str {
        &self.bot_token
    }

    pub fn config(&self) -> &LoginRulesConfig {
        &self.cfg
    }

    /// The DC a number with no table entry is homed on: 2, or 1 when there is one DC.
    pub fn default_home_dc(&self) -> i32 {
        if self.cfg.dc_count >= 2 {
            2
        } else {
            1
        }
    }

    /// The DC a number belongs to: X for `99966X…` (X in `1..=dcs`), the last DC for
    /// `9997710…`, else [`LoginDesk::default_home_dc`] (also for the numbers answered alike on
    /// every DC, and for invalid numbers). Accepts a raw number or its digits.
    pub fn home_dc_for(&self, phone_digits: &str) -> i32 {
        match normalize_phone(phone_digits).map(|d| self.route(&d)) {
            Some(Route::Phone(dc) | Route::Network(dc)) => dc,
            _ => self.default_home_dc(),
        }
    }

    fn route(&self, digits: &str) -> Route {
        let dcs = self.cfg.dc_count;
        if let Some(x) = table_dc(digits, dcs) {
            return Route::Phone(x);
        }
        if let Some(&(_, code, msg)) = REFUSALS.iter().find(|(p, _, _)| digits.starts_with(p)) {
            return Route::Refused(code, msg);
        }
        if digits.starts_with("9997709") {
            Route::RestartOnce
        } else if digits.starts_with("9997710") {
            Route::Network(dcs)
        } else if digits.starts_with("9997711") {
            Route::AuthKeyDuplicated
        } else {
            Route::Phone(self.default_home_dc())
        }
    }

    /// Every code sent to that number (raw or digits), oldest first.
    pub fn codes_for(&self, phone_number: &str) -> Vec<KeptCode> {
        let Some(digits) = normalize_phone(phone_number) else {
            return Vec::new();
        };
        self.state
            .lock()
            .codes
            .get(&digits)
            .cloned()
            .unwrap_or_default()
    }

    /// The app of a call: 400 API_ID_INVALID when not registered or the hash is not its
    /// hash, 400 API_ID_PUBLISHED_FLOOD for a published one.
    pub(super) fn check_app(&self, api_id: i32, api_hash: &str) -> Result<(), RpcError> {
        match self.cfg.apps.iter().find(|a| a.id == api_id) {
            Some(app) if app.hash == api_hash => {
                if app.published {
                    return Err(RpcError::new(400, "API_ID_PUBLISHED_FLOOD"));
                }
                Ok(())
            }
            _ => Err(RpcError::new(400, "API_ID_INVALID")),
        }
    }

    /// 303 PHONE_MIGRATE_X (or NETWORK_MIGRATE_X) when the number is not answered on
    /// `dc_id`: what every method that names a number answers first on the wrong DC.
    pub(super) fn wrong_dc(&self, digits: &str, dc_id: i32) -> Option<RpcError> {
        match self.route(digits) {
            Route::Phone(dc) if dc != dc_id => {
                Some(RpcError::new(303, format!("PHONE_MIGRATE_{dc}")))
            }
            Route::Network(dc) if dc != dc_id => {
                Some(RpcError::new(303, format!("NETWORK_MIGRATE_{dc}")))
            }
            _ => None,
        }
    }
}
