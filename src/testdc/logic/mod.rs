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
mod log_out;
mod password;
pub mod qr;
mod sign_in;
mod users;

pub use accounts::{
    authorization, test_user, user_id_for, Account, Signed, BOT_USER_ID, MAX_FIRST_NAME, PASSWORD,
    PASSWORD_HINT,
};
pub use answer::{Answer, LOGIN_CONSTRUCTORS};
pub use qr::{parse_login_token, LOGIN_TOKEN_TTL};

use accounts::table_dc;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime};

use grammers_tl_types::{enums, functions, types};
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

/// The kind of a successful answer: one per `auth.SentCodeType` constructor (inside
/// `auth.sentCode`), plus `auth.sentCodeSuccess` and `auth.sentCodePaymentRequired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodeKind {
    App,
    Sms,
    Call,
    FlashCall,
    MissedCall,
    EmailCode,
    SetUpEmailRequired,
    FragmentSms,
    FirebaseSms,
    SmsWord,
    SmsPhrase,
    /// `auth.sentCodeSuccess` (a valid logout token was given).
    Success,
    /// `auth.sentCodePaymentRequired`.
    PaymentRequired,
}

/// One constructor, in the encoding `grammers-tl-types` (layer 230) writes, and the first layer
/// whose schema has that constructor with that id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConstructorLayer {
    pub name: &'static str,
    pub id: u32,
    pub layer: i32,
}

/// The layer in which each constructor an answer may use first appeared *with the id we
/// write* (a constructor whose id changed, e.g. `user`, counts from its newest id: an older
/// client could not read it).
///
/// Source: the git history of the published schemas: gotd/td `_schema/telegram.tl` (every
/// layer bump, "LAYER N" line of the commit adding the constructor and of its parent),
/// cross-checked with LonamiWebs/Telethon `telethon_generator/data/api.tl` and
/// Lonami/grammers `tl/api.tl`. "A→B" below: absent at layer A, present at layer B.
/// Where layers between A and B were never published, B (the conservative value) is used.
pub const CONSTRUCTOR_LAYERS: &[ConstructorLayer] = &[
    // Present in the oldest schemas of all three histories (≤ 103/104): older than layer 150.
    cl("auth.sentCode", 0x5e002502, 104),
    cl("auth.sentCodeTypeApp", 0x3dbb5986, 103),
    cl("auth.sentCodeTypeSms", 0xc000bba2, 103),
    cl("auth.sentCodeTypeCall", 0x5353e5a7, 103),
    cl("auth.sentCodeTypeFlashCall", 0xab03c6d9, 103),
    cl("auth.codeTypeSms", 0x72a3158c, 103),
    cl("auth.codeTypeCall", 0x741cd3e3, 103),
    cl("auth.codeTypeFlashCall", 0x226ccefb, 103),
    // 134→135 (gotd; grammers also at 135).
    cl("auth.sentCodeTypeMissedCall", 0x82006484, 135),
    cl("auth.codeTypeMissedCall", 0xd61ad6ee, 135),
    // 144→145 (gotd).
    cl("auth.sentCodeTypeSetUpEmailRequired", 0xa5491dea, 145),
    // 149→150 (gotd; Telethon also first at 150).
    cl("auth.sentCodeTypeFragmentSms", 0xd9565c39, 150),
    cl("auth.codeTypeFragmentSms", 0x06ed998c, 150),
    // 151→152 (gotd and Telethon).
    cl("auth.sentCodeSuccess", 0x2390fe44, 152),
    cl("auth.authorization", 0x2ea2c0d4, 152),
    // 155→158 (gotd and Telethon; 156 and 157 not in either history): conservative 158.
    cl("auth.sentCodeTypeEmailCode", 0xf450f59b, 158),
    // 178→179 (gotd; Telethon and grammers also first at 179).
    cl("auth.sentCodeTypeSmsWord", 0xa416ac81, 179),
    cl("auth.sentCodeTypeSmsPhrase", 0xb37794af, 179),
    // 181→183 (gotd and Telethon; 182 not in either history): conservative 183. An older
    // firebaseSms (other id) exists from 152 on; we cannot write it.
    cl("auth.sentCodeTypeFirebaseSms", 0x009fd736, 183),
    // 224→225 (gotd). An older sentCodePaymentRequired (other id) exists from 201 on.
    cl("auth.sentCodePaymentRequired", 0xf8827ebf, 225),
    // 227→228 (gotd); the id of `user` changes often, this is the one of layers 228-230.
    cl("user", 0xb1b8cc83, 228),
];

const fn cl(name: &'static str, id: u32, layer: i32) -> ConstructorLayer {
    ConstructorLayer { name, id, layer }
}

/// The layer of a constructor named in [`CONSTRUCTOR_LAYERS`] (the newest layer if absent,
/// which a test guards against).
fn layer_of(name: &str) -> i32 {
    CONSTRUCTOR_LAYERS
        .iter()
        .find(|c| c.name == name)
        .map_or(NEWEST_LAYER, |c| c.layer)
}

impl CodeKind {
    /// Every kind, in a fixed order.
    pub const ALL: [CodeKind; 13] = [
        CodeKind::App,
        CodeKind::Sms,
        CodeKind::Call,
        CodeKind::FlashCall,
        CodeKind::MissedCall,
        CodeKind::EmailCode,
        CodeKind::SetUpEmailRequired,
        CodeKind::FragmentSms,
        CodeKind::FirebaseSms,
        CodeKind::SmsWord,
        CodeKind::SmsPhrase,
        CodeKind::Success,
        CodeKind::PaymentRequired,
    ];

    /// The constructors an answer of this kind is written with (next types aside).
    pub fn constructors(self) -> &'static [&'static str] {
        match self {
            CodeKind::App => &["auth.sentCode", "auth.sentCodeTypeApp"],
            CodeKind::Sms => &["auth.sentCode", "auth.sentCodeTypeSms"],
            CodeKind::Call => &["auth.sentCode", "auth.sentCodeTypeCall"],
            CodeKind::FlashCall => &["auth.sentCode", "auth.sentCodeTypeFlashCall"],
            CodeKind::MissedCall => &["auth.sentCode", "auth.sentCodeTypeMissedCall"],
            CodeKind::EmailCode => &["auth.sentCode", "auth.sentCodeTypeEmailCode"],
            CodeKind::SetUpEmailRequired => {
                &["auth.sentCode", "auth.sentCodeTypeSetUpEmailRequired"]
            }
            CodeKind::FragmentSms => &["auth.sentCode", "auth.sentCodeTypeFragmentSms"],
            CodeKind::FirebaseSms => &["auth.sentCode", "auth.sentCodeTypeFirebaseSms"],
            CodeKind::SmsWord => &["auth.sentCode", "auth.sentCodeTypeSmsWord"],
            CodeKind::SmsPhrase => &["auth.sentCode", "auth.sentCodeTypeSmsPhrase"],
            CodeKind::Success => &["auth.sentCodeSuccess", "auth.authorization", "user"],
            CodeKind::PaymentRequired => &["auth.sentCodePaymentRequired"],
        }
    }

    /// The oldest client layer that can read an answer of this kind.
    pub fn min_layer(self) -> i32 {
        self.constructors()
            .iter()
            .map(|n| layer_of(n))
            .max()
            .unwrap_or(NEWEST_LAYER)
    }

    /// This kind if a client of `layer` can read it, else [`CodeKind::Sms`] (which every
    /// accepted layer has).
    pub fn for_layer(self, layer: i32) -> CodeKind {
        if self.min_layer() <= layer {
            self
        } else {
            CodeKind::Sms
        }
    }
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

/// The kind of answer a number gets, before the layer fallback (the rule of
/// `docs/testdc.md`):
///
/// 1. `settings.logout_tokens` holds the number's valid logout token → [`CodeKind::Success`].
/// 2. Digits `99988` + `TT` + anything: `TT` chooses — 01 sms, 02 call, 03 flashCall (only
///    with `allow_flashcall`), 04 missedCall (only with `allow_missed_call`), 05 emailCode,
///    06 setUpEmailRequired, 07 fragmentSms, 08 firebaseSms (only with `allow_firebase`),
///    09 smsWord, 10 smsPhrase, 11 paymentRequired. 03, 04 and 08 without their flag give sms
///    (Telegram never uses a method the client did not allow). Any other `TT`: step 3.
/// 3. Otherwise: missedCall with `allow_missed_call`, else flashCall with `allow_flashcall`,
///    else app.
pub fn select_kind(phone_digits: &str, settings: &types::CodeSettings) -> CodeKind {
    let has_token = settings
        .logout_tokens
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|t| is_valid_logout_token(t, phone_digits));
    if has_token {
        return CodeKind::Success;
    }
    if let Some(rest) = phone_digits.strip_prefix("99988") {
        let chosen = match rest.get(..2) {
            Some("01") => Some(CodeKind::Sms),
            Some("02") => Some(CodeKind::Call),
            Some("03") if settings.allow_flashcall => Some(CodeKind::FlashCall),
            Some("04") if settings.allow_missed_call => Some(CodeKind::MissedCall),
            Some("05") => Some(CodeKind::EmailCode),
            Some("06") => Some(CodeKind::SetUpEmailRequired),
            Some("07") => Some(CodeKind::FragmentSms),
            Some("08") if settings.allow_firebase => Some(CodeKind::FirebaseSms),
            Some("09") => Some(CodeKind::SmsWord),
            Some("10") => Some(CodeKind::SmsPhrase),
            Some("11") => Some(CodeKind::PaymentRequired),
            Some("03" | "04" | "08") => Some(CodeKind::Sms),
            _ => None,
        };
        if let Some(kind) = chosen {
            return kind;
        }
    }
    if settings.allow_missed_call {
        CodeKind::MissedCall
    } else if settings.allow_flashcall {
        CodeKind::FlashCall
    } else {
        CodeKind::App
    }
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

const WORDS_A: &[&str] = &["anchor", "amber", "atlas", "arrow", "autumn", "acorn"];
const WORDS: &[&str] = &["orchard", "river", "lantern", "meadow", "harbor", "pepper"];

/// What one answer carries besides its kind.
struct Made {
    code: String,
    answer: enums::auth::SentCode,
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

    /// The answer to `auth.sendCode`, checked in this order: the app, the number's validity,
    /// the number table (errors, migrations, AUTH_RESTART), the kind of answer (and the
    /// layer fallback), the code limit (not for `auth.sentCodeSuccess`, which sends no code).
    pub fn send_code(
        &self,
        ctx: &CallContext,
        req: &functions::auth::SendCode,
    ) -> (Outcome, Effects) {
        let none = Effects::default();
        if let Err(e) = self.check_app(req.api_id, &req.api_hash) {
            return (e.into(), none);
        }
        let Some(digits) = normalize_phone(&req.phone_number) else {
            return (Outcome::error(406, "PHONE_NUMBER_INVALID"), none);
        };

        let mut state = self.state.lock();
        match self.route(&digits) {
            Route::Refused(code, msg) => return (Outcome::error(code, msg), none),
            Route::AuthKeyDuplicated => {
                return (
                    Outcome::error(406, "AUTH_KEY_DUPLICATED"),
                    Effects {
                        forget_auth_key: true,
                    },
                )
            }
            Route::RestartOnce => {
                if state
                    .restarted
                    .insert((ctx.auth_key_id, ctx.session_id, digits.clone()))
                {
                    return (Outcome::error(500, "AUTH_RESTART"), none);
                }
            }
            Route::Phone(dc) if dc != ctx.dc_id => {
                return (Outcome::error(303, format!("PHONE_MIGRATE_{dc}")), none)
            }
            Route::Network(dc) if dc != ctx.dc_id => {
                return (Outcome::error(303, format!("NETWORK_MIGRATE_{dc}")), none)
            }
            Route::Phone(_) | Route::Network(_) => {}
        }

        let enums::CodeSettings::Settings(settings) = &req.settings;
        let given = settings.logout_tokens.as_deref().unwrap_or_default();
        let account = self.account_in(&state, &digits);
        let mut kind = select_kind(&digits, settings);
        let issued_token = given
            .iter()
            .find(|t| state.logout_tokens.get(*t) == Some(&digits))
            .cloned();
        if issued_token.is_some() {
            kind = CodeKind::Success;
        }
        if account.is_none() {
            // Sign-up required: no app is logged in, the first code goes by SMS.
            kind = CodeKind::Sms;
        }
        let kind = kind.for_layer(ctx.layer);
        if let (CodeKind::Success, Some(account)) = (kind, &account) {
            // The key is signed in; a token of auth.logOut is used up and a new one given.
            let token = match issued_token {
                Some(used) => {
                    state.logout_tokens.remove(&used);
                    let fresh = log_out::random_token();
                    state.logout_tokens.insert(fresh.clone(), digits.clone());
                    fresh
                }
                None => logout_token_for(&digits),
            };
            state
                .signed_in
                .insert((ctx.dc_id, ctx.auth_key_id), Signed::Phone(digits.clone()));
            let answer = types::auth::SentCodeSuccess {
                authorization: authorization(account, Some(token)).into(),
            };
            return (Outcome::Sent(answer.into()), none);
        }

        let codes = state.codes.entry(digits.clone()).or_default();
        if let Some(wait) = self.flood_wait(codes, ctx.now) {
            return (Outcome::error(420, format!("FLOOD_WAIT_{wait}")), none);
        }

        let mut hash = [0u8; 16];
        fill_random(&mut hash);
        let phone_code_hash = hex(&hash);
        let fixed = table_dc(&digits, self.cfg.dc_count)
            .map(|x| char::from(b'0' + x as u8).to_string().repeat(5));
        let made = make_answer(kind, &digits, fixed, settings, ctx.layer, &phone_code_hash);
        codes.push(KeptCode {
            dc_id: ctx.dc_id,
            phone_number: digits.clone(),
            code: made.code.clone(),
            phone_code_hash: phone_code_hash.clone(),
            kind,
            sent_at: ctx.now,
        });
        state.hashes.insert(
            phone_code_hash,
            sign_in::IssuedHash::new(ctx, digits, made.code, &made.answer),
        );
        (Outcome::Sent(made.answer), none)
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

    /// `Some(seconds)` when one more code would exceed the limit: the seconds until enough
    /// codes leave the window (with the limit fixed, until the oldest one leaves), at least 1.
    fn flood_wait(&self, codes: &[KeptCode], now: SystemTime) -> Option<u64> {
        let limit = self.cfg.code_limit as usize;
        if limit == 0 {
            return None;
        }
        let age = |t: SystemTime| now.duration_since(t).unwrap_or(Duration::ZERO);
        let mut recent: Vec<SystemTime> = codes
            .iter()
            .map(|c| c.sent_at)
            .filter(|&t| age(t) < CODE_WINDOW)
            .collect();
        if recent.len() < limit {
            return None;
        }
        recent.sort();
        // After this one leaves the window, limit - 1 remain.
        let leaving = recent[recent.len() - limit];
        let left = CODE_WINDOW - age(leaving);
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        Some(secs.max(1))
    }
}

/// The answer of a kind, and the code it sends. `fixed` is the digits of a `99966X` number's
/// code (X five times), used wherever the code is five digits.
fn make_answer(
    kind: CodeKind,
    digits: &str,
    fixed: Option<String>,
    settings: &types::CodeSettings,
    layer: i32,
    phone_code_hash: &str,
) -> Made {
    use enums::auth::{CodeType, SentCodeType as T};
    use types::auth as a;

    let five = || fixed.clone().unwrap_or_else(|| random_digits(5));
    let sms_then = |t: CodeType| (Some(t), Some(60));
    let (code, ty, (next_type, timeout)) = match kind {
        CodeKind::App => (
            five(),
            T::App(a::SentCodeTypeApp { length: 5 }),
            sms_then(CodeType::Sms),
        ),
        CodeKind::Sms => (
            five(),
            T::Sms(a::SentCodeTypeSms { length: 5 }),
            sms_then(CodeType::Call),
        ),
        CodeKind::Call => (
            five(),
            T::Call(a::SentCodeTypeCall { length: 5 }),
            (None, None),
        ),
        CodeKind::FlashCall => {
            // The code is the calling number; the pattern hides its last five digits.
            let code = format!("{CALLER_PREFIX}{}", five());
            let pattern = format!("+{CALLER_PREFIX}*****");
            let next = if settings.allow_missed_call {
                CodeType::MissedCall
            } else {
                CodeType::Sms
            };
            (
                code,
                T::FlashCall(a::SentCodeTypeFlashCall { pattern }),
                sms_then(next),
            )
        }
        CodeKind::MissedCall => {
            // The call comes from +99944XXXXX; the code is its last five digits.
            let ty = T::MissedCall(a::SentCodeTypeMissedCall {
                prefix: format!("+{CALLER_PREFIX}"),
                length: 5,
            });
            let next = if settings.allow_flashcall {
                CodeType::FlashCall
            } else {
                CodeType::Sms
            };
            (five(), ty, sms_then(next))
        }
        CodeKind::EmailCode => {
            let ty = T::EmailCode(a::SentCodeTypeEmailCode {
                apple_signin_allowed: true,
                google_signin_allowed: true,
                email_pattern: "t***@example.com".to_owned(),
                length: 6,
                reset_available_period: Some(7 * 24 * 3600),
                reset_pending_date: None,
            });
            (random_digits(6), ty, (None, None))
        }
        CodeKind::SetUpEmailRequired => {
            // No code goes out until the email is set up; the one kept is for that email.
            let ty = T::SetUpEmailRequired(a::SentCodeTypeSetUpEmailRequired {
                apple_signin_allowed: true,
                google_signin_allowed: true,
            });
            (random_digits(6), ty, (None, None))
        }
        CodeKind::FragmentSms => {
            let ty = T::FragmentSms(a::SentCodeTypeFragmentSms {
                url: format!("https://fragment.com/number/{digits}/code"),
                length: 5,
            });
            (five(), ty, sms_then(CodeType::FragmentSms))
        }
        CodeKind::FirebaseSms => {
            // iOS clients pass their push token: a receipt and a push timeout. Others
            // (Android): a nonce for SafetyNet / Play Integrity.
            let ios = settings.token.is_some();
            let mut nonce = vec![0u8; 32];
            fill_random(&mut nonce);
            let ty = T::FirebaseSms(a::SentCodeTypeFirebaseSms {
                nonce: (!ios).then_some(nonce),
                play_integrity_project_id: None,
                play_integrity_nonce: None,
                receipt: ios.then(|| format!("tgauth-receipt-{digits}")),
                push_timeout: ios.then_some(30),
                length: 5,
            });
            (five(), ty, sms_then(CodeType::Sms))
        }
        CodeKind::SmsWord => {
            let ty = T::SmsWord(a::SentCodeTypeSmsWord {
                beginning: Some("a".to_owned()),
            });
            let word = WORDS_A[random_index(WORDS_A.len())].to_owned();
            (word, ty, sms_then(CodeType::Sms))
        }
        CodeKind::SmsPhrase => {
            let ty = T::SmsPhrase(a::SentCodeTypeSmsPhrase {
                beginning: Some("apple".to_owned()),
            });
            let phrase = format!(
                "apple {} {}",
                WORDS[random_index(WORDS.len())],
                WORDS[random_index(WORDS.len())]
            );
            (phrase, ty, sms_then(CodeType::Sms))
        }
        CodeKind::PaymentRequired => {
            // The code goes out once the payment is made; the one kept is that code.
            let answer = a::SentCodePaymentRequired {
                store_product: "org.telegram.telegramPremium.oneMonth".to_owned(),
                phone_code_hash: phone_code_hash.to_owned(),
                support_email_address: "login-support@example.com".to_owned(),
                support_email_subject: format!("tgauth test DC: payment for +{digits}"),
                premium_days: 30,
                currency: "USD".to_owned(),
                amount: 499,
            };
            return Made {
                code: five(),
                answer: answer.into(),
            };
        }
        CodeKind::Success => unreachable!("auth.sentCodeSuccess carries no code"),
    };
    let next_type = next_type.filter(|t| layer_of(code_type_name(t)) <= layer);
    let answer = a::SentCode {
        r#type: ty,
        phone_code_hash: phone_code_hash.to_owned(),
        timeout: next_type.as_ref().and(timeout),
        next_type,
    };
    Made {
        code,
        answer: answer.into(),
    }
}

fn code_type_name(t: &enums::auth::CodeType) -> &'static str {
    use enums::auth::CodeType;
    match t {
        CodeType::Sms => "auth.codeTypeSms",
        CodeType::Call => "auth.codeTypeCall",
        CodeType::FlashCall => "auth.codeTypeFlashCall",
        CodeType::MissedCall => "auth.codeTypeMissedCall",
        CodeType::FragmentSms => "auth.codeTypeFragmentSms",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use enums::auth::{CodeType, SentCode, SentCodeType};
    use grammers_tl_types::Identifiable;

    pub(super) const T0: u64 = 1_700_000_000;

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff, 0x5c]), "000fa0ff5c");
    }

    pub(super) fn desk_with(dcs: i32, limit: u32) -> LoginDesk {
        LoginDesk::new(LoginRulesConfig {
            dc_count: dcs,
            apps: vec![
                App {
                    id: 1,
                    hash: "h1".into(),
                    published: false,
                },
                App {
                    id: 2,
                    hash: "h2".into(),
                    published: true,
                },
            ],
            code_limit: limit,
        })
    }

    pub(super) fn desk() -> LoginDesk {
        desk_with(3, 0)
    }

    pub(super) fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + secs)
    }

    pub(super) fn ctx(dc: i32) -> CallContext {
        CallContext {
            dc_id: dc,
            layer: NEWEST_LAYER,
            auth_key_id: 11,
            session_id: 22,
            now: at(0),
        }
    }

    pub(super) fn settings() -> types::CodeSettings {
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

    pub(super) fn req_with(phone: &str, s: types::CodeSettings) -> functions::auth::SendCode {
        functions::auth::SendCode {
            phone_number: phone.into(),
            api_id: 1,
            api_hash: "h1".into(),
            settings: enums::CodeSettings::Settings(s),
        }
    }

    pub(super) fn req(phone: &str) -> functions::auth::SendCode {
        req_with(phone, settings())
    }

    pub(super) fn err(o: &Outcome) -> (i32, &str) {
        match o {
            Outcome::Error { code, message } => (*code, message.as_str()),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    pub(super) fn sent(o: &Outcome) -> &types::auth::SentCode {
        match o {
            Outcome::Sent(SentCode::Code(c)) => c,
            other => panic!("expected auth.sentCode, got {other:?}"),
        }
    }

    fn kind_of(d: &LoginDesk, c: &CallContext, r: &functions::auth::SendCode) -> CodeKind {
        let (o, _) = d.send_code(c, r);
        match &o {
            Outcome::Sent(SentCode::Success(_)) => CodeKind::Success,
            Outcome::Sent(SentCode::PaymentRequired(_)) => CodeKind::PaymentRequired,
            _ => match &sent(&o).r#type {
                SentCodeType::App(_) => CodeKind::App,
                SentCodeType::Sms(_) => CodeKind::Sms,
                SentCodeType::Call(_) => CodeKind::Call,
                SentCodeType::FlashCall(_) => CodeKind::FlashCall,
                SentCodeType::MissedCall(_) => CodeKind::MissedCall,
                SentCodeType::EmailCode(_) => CodeKind::EmailCode,
                SentCodeType::SetUpEmailRequired(_) => CodeKind::SetUpEmailRequired,
                SentCodeType::FragmentSms(_) => CodeKind::FragmentSms,
                SentCodeType::FirebaseSms(_) => CodeKind::FirebaseSms,
                SentCodeType::SmsWord(_) => CodeKind::SmsWord,
                SentCodeType::SmsPhrase(_) => CodeKind::SmsPhrase,
            },
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalize_phone("+1 (234) 567-89-00").as_deref(),
            Some("12345678900")
        );
        assert_eq!(normalize_phone("1234567").as_deref(), Some("1234567"));
        assert_eq!(
            normalize_phone("123456789012345").as_deref(),
            Some("123456789012345")
        );
        assert_eq!(normalize_phone("123456"), None);
        assert_eq!(normalize_phone("1234567890123456"), None);
        assert_eq!(normalize_phone("12345a789"), None);
        assert_eq!(normalize_phone("1234567\t"), None);
        assert_eq!(normalize_phone("123456\u{0667}"), None);
        assert_eq!(normalize_phone("+() - "), None);
        let d = desk();
        let (o, _) = d.send_code(&ctx(2), &req("12345x789"));
        assert_eq!(err(&o), (406, "PHONE_NUMBER_INVALID"));
        let (o, _) = d.send_code(&ctx(2), &req("123456"));
        assert_eq!(err(&o), (406, "PHONE_NUMBER_INVALID"));
        let (o, _) = d.send_code(&ctx(2), &req("+1 (234) 567"));
        sent(&o);
    }

    #[test]
    fn app_checks_come_first() {
        let d = desk();
        let mut r = req("bad number");
        r.api_id = 99;
        assert_eq!(err(&d.send_code(&ctx(2), &r).0), (400, "API_ID_INVALID"));
        let mut r = req("9996621234");
        r.api_hash = "wrong".into();
        assert_eq!(err(&d.send_code(&ctx(2), &r).0), (400, "API_ID_INVALID"));
        let mut r = req("9997711000");
        r.api_id = 2;
        r.api_hash = "h2".into();
        let (o, e) = d.send_code(&ctx(2), &r);
        assert_eq!(err(&o), (400, "API_ID_PUBLISHED_FLOOD"));
        assert!(!e.forget_auth_key);
        let mut r = req("9996621234");
        r.api_id = 2;
        r.api_hash = "nope".into();
        assert_eq!(err(&d.send_code(&ctx(2), &r).0), (400, "API_ID_INVALID"));
    }

    #[test]
    fn table_99966() {
        let d = desk();
        for x in 1..=3 {
            let phone = format!("99966{x}1234");
            for dc in 1..=3 {
                let (o, e) = d.send_code(&ctx(dc), &req(&phone));
                assert!(!e.forget_auth_key);
                if dc == x {
                    let c = sent(&o);
                    assert_eq!(
                        c.r#type,
                        SentCodeType::App(types::auth::SentCodeTypeApp { length: 5 })
                    );
                    assert_eq!(c.next_type, Some(CodeType::Sms));
                    assert_eq!(c.timeout, Some(60));
                } else {
                    assert_eq!(err(&o), (303, format!("PHONE_MIGRATE_{x}").as_str()));
                }
            }
            assert_eq!(d.home_dc_for(&phone), x);
            let kept = d.codes_for(&phone);
            assert_eq!(kept.len(), 1);
            assert_eq!(kept[0].code, x.to_string().repeat(5));
            assert_eq!(kept[0].dc_id, x);
            assert_eq!(kept[0].phone_number, phone);
        }
        // X = 0 or X > dcs: any other number, homed on DC 2.
        for phone in ["9996601234", "9996641234"] {
            assert_eq!(
                err(&d.send_code(&ctx(1), &req(phone)).0),
                (303, "PHONE_MIGRATE_2")
            );
            assert_eq!(
                err(&d.send_code(&ctx(3), &req(phone)).0),
                (303, "PHONE_MIGRATE_2")
            );
            sent(&d.send_code(&ctx(2), &req(phone)).0);
            assert_eq!(d.home_dc_for(phone), 2);
            assert_eq!(d.codes_for(phone)[0].code.len(), 5);
        }
    }

    #[test]
    fn table_refusals_on_every_dc() {
        let d = desk();
        let rows = [
            ("9997701", 400, "PHONE_NUMBER_BANNED"),
            ("9997702", 400, "PHONE_NUMBER_FLOOD"),
            ("9997703", 406, "PHONE_PASSWORD_FLOOD"),
            ("9997704", 400, "PHONE_NUMBER_APP_SIGNUP_FORBIDDEN"),
            ("9997705", 400, "SMS_CODE_CREATE_FAILED"),
            ("9997706", 400, "PHONE_PASSWORD_PROTECTED"),
            ("9997707", 420, "FLOOD_WAIT_2"),
            ("9997708", 406, "UPDATE_APP_TO_LOGIN"),
        ];
        for (prefix, code, msg) in rows {
            for phone in [prefix.to_owned(), format!("{prefix}12345678")] {
                for dc in 1..=3 {
                    let (o, e) = d.send_code(&ctx(dc), &req(&phone));
                    assert_eq!(err(&o), (code, msg), "{phone} on DC {dc}");
                    assert!(!e.forget_auth_key);
                }
                assert!(d.codes_for(&phone).is_empty());
            }
        }
        // 9997712 is not reserved: any other number.
        sent(&d.send_code(&ctx(2), &req("9997712000")).0);
    }

    #[test]
    fn auth_restart_once_per_session_on_any_dc() {
        let d = desk();
        for dc in [1, 3] {
            let mut c = ctx(dc);
            c.session_id = 100 + i64::from(dc);
            assert_eq!(
                err(&d.send_code(&c, &req("9997709123")).0),
                (500, "AUTH_RESTART")
            );
            sent(&d.send_code(&c, &req("9997709123")).0);
            sent(&d.send_code(&c, &req("9997709123")).0);
            // A new session restarts once more.
            c.session_id += 50;
            assert_eq!(
                err(&d.send_code(&c, &req("9997709123")).0),
                (500, "AUTH_RESTART")
            );
            sent(&d.send_code(&c, &req("+999 7709 123")).0);
        }
        assert_eq!(d.codes_for("9997709123").len(), 6);
    }

    #[test]
    fn network_migrate_to_last_dc() {
        for dcs in [1, 3, 5] {
            let d = desk_with(dcs, 0);
            for dc in 1..=dcs {
                let (o, _) = d.send_code(&ctx(dc), &req("9997710555"));
                if dc == dcs {
                    sent(&o);
                } else {
                    assert_eq!(err(&o), (303, format!("NETWORK_MIGRATE_{dcs}").as_str()));
                }
            }
            assert_eq!(d.home_dc_for("9997710555"), dcs);
        }
    }

    #[test]
    fn auth_key_duplicated() {
        let d = desk();
        for dc in 1..=3 {
            let (o, e) = d.send_code(&ctx(dc), &req("9997711"));
            assert_eq!(err(&o), (406, "AUTH_KEY_DUPLICATED"));
            assert!(e.forget_auth_key);
        }
    }

    #[test]
    fn other_numbers_home() {
        let d = desk();
        assert_eq!(
            err(&d.send_code(&ctx(1), &req("+44 7700 900123")).0),
            (303, "PHONE_MIGRATE_2")
        );
        assert_eq!(
            err(&d.send_code(&ctx(3), &req("+44 7700 900123")).0),
            (303, "PHONE_MIGRATE_2")
        );
        let (o, e) = d.send_code(&ctx(2), &req("+44 7700 900123"));
        assert_eq!(
            sent(&o).r#type,
            SentCodeType::App(types::auth::SentCodeTypeApp { length: 5 })
        );
        assert!(!e.forget_auth_key);
        let kept = d.codes_for("447700900123");
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].code.len(), 5);
        assert!(kept[0].code.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(kept[0].phone_code_hash.len(), 32);
        assert_eq!(d.home_dc_for("447700900123"), 2);

        let one = desk_with(1, 0);
        assert_eq!(one.home_dc_for("447700900123"), 1);
        sent(&one.send_code(&ctx(1), &req("447700900123")).0);
        // 99966 2 with one DC: X > dcs, any other number (DC 1).
        sent(&one.send_code(&ctx(1), &req("9996621234")).0);
    }

    #[test]
    fn hashes_are_unique() {
        let d = desk();
        let mut seen = HashSet::new();
        for _ in 0..50 {
            let (o, _) = d.send_code(&ctx(2), &req("9996621234"));
            assert!(seen.insert(sent(&o).phone_code_hash.clone()));
        }
        let kept = d.codes_for("9996621234");
        assert_eq!(kept.len(), 50);
        assert!(kept.iter().all(|k| k.code == "22222"));
    }

    #[test]
    fn code_limit() {
        let d = desk_with(3, 5);
        let mut c = ctx(2);
        for i in 0..5 {
            c.now = at(i * 100);
            sent(&d.send_code(&c, &req("9996621234")).0);
        }
        c.now = at(1000);
        // The oldest (t = 0) leaves the window at t = 3600.
        assert_eq!(
            err(&d.send_code(&c, &req("9996621234")).0),
            (420, "FLOOD_WAIT_2600")
        );
        // Refused codes do not count, and a wrong DC still migrates.
        assert_eq!(
            err(&d.send_code(&ctx(1), &req("9996621234")).0),
            (303, "PHONE_MIGRATE_2")
        );
        c.now = at(3599) + Duration::from_millis(500);
        assert_eq!(
            err(&d.send_code(&c, &req("9996621234")).0),
            (420, "FLOOD_WAIT_1")
        );
        c.now = at(3600);
        sent(&d.send_code(&c, &req("9996621234")).0);
        // Now t = 100..400 and 3600 are in the window: the next leaves at 3700.
        c.now = at(3650);
        assert_eq!(
            err(&d.send_code(&c, &req("9996621234")).0),
            (420, "FLOOD_WAIT_50")
        );
        assert_eq!(d.codes_for("9996621234").len(), 6);
        // Other numbers have their own count.
        sent(&d.send_code(&c, &req("9996621235")).0);

        let unlimited = desk_with(3, 0);
        for _ in 0..100 {
            sent(&unlimited.send_code(&ctx(2), &req("9996621234")).0);
        }
        assert_eq!(unlimited.codes_for("9996621234").len(), 100);
    }

    #[test]
    fn every_kind_is_reachable() {
        let d = desk();
        let c = ctx(2);
        let by_tt = [
            ("01", CodeKind::Sms),
            ("02", CodeKind::Call),
            ("03", CodeKind::Sms),
            ("04", CodeKind::Sms),
            ("05", CodeKind::EmailCode),
            ("06", CodeKind::SetUpEmailRequired),
            ("07", CodeKind::FragmentSms),
            ("08", CodeKind::Sms),
            ("09", CodeKind::SmsWord),
            ("10", CodeKind::SmsPhrase),
            ("11", CodeKind::PaymentRequired),
            ("00", CodeKind::App),
            ("12", CodeKind::App),
            ("99", CodeKind::App),
        ];
        for (tt, kind) in by_tt {
            let phone = format!("99988{tt}123");
            assert_eq!(kind_of(&d, &c, &req(&phone)), kind, "TT {tt}");
            assert_eq!(
                err(&d.send_code(&ctx(1), &req(&phone)).0),
                (303, "PHONE_MIGRATE_2")
            );
            assert_eq!(d.codes_for(&phone)[0].kind, kind);
        }
        let mut s = settings();
        s.allow_flashcall = true;
        assert_eq!(
            kind_of(&d, &c, &req_with("9998803123", s.clone())),
            CodeKind::FlashCall
        );
        let mut s = settings();
        s.allow_missed_call = true;
        assert_eq!(
            kind_of(&d, &c, &req_with("9998804123", s.clone())),
            CodeKind::MissedCall
        );
        let mut s = settings();
        s.allow_firebase = true;
        assert_eq!(
            kind_of(&d, &c, &req_with("9998808123", s.clone())),
            CodeKind::FirebaseSms
        );
        let mut s = settings();
        s.logout_tokens = Some(vec![logout_token_for("9998800123")]);
        assert_eq!(
            kind_of(&d, &c, &req_with("9998800123", s)),
            CodeKind::Success
        );
    }

    #[test]
    fn type_details() {
        let d = desk();
        let c = ctx(2);
        let one = |phone: &str, s: types::CodeSettings| {
            let (o, _) = d.send_code(&c, &req_with(phone, s));
            let kept = d.codes_for(phone).pop().unwrap();
            (o, kept)
        };
        let (o, k) = one("9998801123", settings());
        let sc = sent(&o);
        assert_eq!(
            sc.r#type,
            SentCodeType::Sms(types::auth::SentCodeTypeSms { length: 5 })
        );
        assert_eq!(
            (sc.next_type.clone(), sc.timeout),
            (Some(CodeType::Call), Some(60))
        );
        assert_eq!(k.code.len(), 5);
        let (o, _) = one("9998802123", settings());
        assert_eq!((sent(&o).next_type.clone(), sent(&o).timeout), (None, None));

        let mut s = settings();
        s.allow_flashcall = true;
        s.allow_missed_call = true;
        let (o, k) = one("9998803123", s.clone());
        let sc = sent(&o);
        let SentCodeType::FlashCall(f) = &sc.r#type else {
            panic!()
        };
        assert_eq!(f.pattern, "+99944*****");
        assert_eq!(sc.next_type, Some(CodeType::MissedCall));
        assert!(k.code.starts_with("99944") && k.code.len() == 10);
        let (o, k) = one("9998804123", s.clone());
        let sc = sent(&o);
        let SentCodeType::MissedCall(m) = &sc.r#type else {
            panic!()
        };
        assert_eq!((m.prefix.as_str(), m.length), ("+99944", 5));
        assert_eq!(sc.next_type, Some(CodeType::FlashCall));
        assert_eq!(k.code.len(), 5);

        let (o, k) = one("9998805123", settings());
        let SentCodeType::EmailCode(e) = &sent(&o).r#type else {
            panic!()
        };
        assert_eq!(e.email_pattern, "t***@example.com");
        assert_eq!(e.length, 6);
        assert!(e.apple_signin_allowed && e.google_signin_allowed);
        assert_eq!(e.reset_available_period, Some(604800));
        assert_eq!(k.code.len(), 6);

        let (o, _) = one("9998806123", settings());
        assert!(matches!(
            sent(&o).r#type,
            SentCodeType::SetUpEmailRequired(_)
        ));

        let (o, _) = one("9998807123", settings());
        let sc = sent(&o);
        let SentCodeType::FragmentSms(f) = &sc.r#type else {
            panic!()
        };
        assert_eq!(f.url, "https://fragment.com/number/9998807123/code");
        assert_eq!(sc.next_type, Some(CodeType::FragmentSms));

        let mut s = settings();
        s.allow_firebase = true;
        let (o, _) = one("9998808123", s.clone());
        let SentCodeType::FirebaseSms(f) = &sent(&o).r#type else {
            panic!()
        };
        assert_eq!(f.nonce.as_ref().map(Vec::len), Some(32));
        assert_eq!(f.receipt, None);
        s.token = Some("push-token".into());
        s.app_sandbox = Some(true);
        let (o, _) = one("9998808123", s);
        let SentCodeType::FirebaseSms(f) = &sent(&o).r#type else {
            panic!()
        };
        assert_eq!(f.nonce, None);
        assert_eq!(f.receipt.as_deref(), Some("tgauth-receipt-9998808123"));
        assert_eq!(f.push_timeout, Some(30));

        let (o, k) = one("9998809123", settings());
        let SentCodeType::SmsWord(w) = &sent(&o).r#type else {
            panic!()
        };
        assert_eq!(w.beginning.as_deref(), Some("a"));
        assert!(k.code.starts_with('a'));
        let (o, k) = one("9998810123", settings());
        let SentCodeType::SmsPhrase(p) = &sent(&o).r#type else {
            panic!()
        };
        assert_eq!(p.beginning.as_deref(), Some("apple"));
        assert!(k.code.starts_with("apple "));
    }

    #[test]
    fn settings_on_99966_numbers() {
        let d = desk();
        let c = ctx(2);
        let mut s = settings();
        s.allow_flashcall = true;
        let (o, _) = d.send_code(&c, &req_with("9996621234", s.clone()));
        assert!(matches!(sent(&o).r#type, SentCodeType::FlashCall(_)));
        assert_eq!(d.codes_for("9996621234")[0].code, "9994422222");
        s.allow_missed_call = true;
        let (o, _) = d.send_code(&c, &req_with("9996621234", s));
        assert!(matches!(sent(&o).r#type, SentCodeType::MissedCall(_)));
        assert_eq!(d.codes_for("9996621234")[1].code, "22222");
    }

    #[test]
    fn logout_token_success() {
        let d = desk_with(3, 1);
        let c = ctx(2);
        let mut s = settings();
        s.logout_tokens = Some(vec![
            b"other".to_vec(),
            b"tgauth-logout:9996621234".to_vec(),
        ]);
        let (o, _) = d.send_code(&c, &req_with("+999 66 2 1234", s.clone()));
        let Outcome::Sent(SentCode::Success(ok)) = &o else {
            panic!("{o:?}")
        };
        let enums::auth::Authorization::Authorization(auth) = &ok.authorization else {
            panic!()
        };
        assert_eq!(
            auth.future_auth_token.as_deref(),
            Some(&b"tgauth-logout:9996621234"[..])
        );
        let enums::User::User(u) = &auth.user else {
            panic!()
        };
        assert_eq!(
            (u.id, u.phone.as_deref(), u.first_name.as_deref()),
            (9996621234, Some("9996621234"), Some("Test"))
        );
        assert!(u.is_self);
        // No code was sent: none kept, none counted (the limit is 1 here).
        assert!(d.codes_for("9996621234").is_empty());
        sent(&d.send_code(&c, &req("9996621234")).0);
        // Still routed first: the wrong DC migrates.
        assert_eq!(
            err(&d.send_code(&ctx(1), &req_with("9996621234", s)).0),
            (303, "PHONE_MIGRATE_2")
        );

        for bad in [
            b"tgauth-logout:9996621235".to_vec(),
            b"tgauth-logout:99966212345".to_vec(),
            b"tgauth-logout:+9996621234".to_vec(),
            b"TGAUTH-LOGOUT:9996621234".to_vec(),
            Vec::new(),
        ] {
            let mut s = settings();
            s.logout_tokens = Some(vec![bad]);
            assert_eq!(
                kind_of(&desk(), &c, &req_with("9996621234", s)),
                CodeKind::App
            );
        }
    }

    #[test]
    fn payment_required() {
        let d = desk();
        let (o, _) = d.send_code(&ctx(2), &req("9998811123"));
        let Outcome::Sent(SentCode::PaymentRequired(p)) = &o else {
            panic!("{o:?}")
        };
        assert_eq!(p.store_product, "org.telegram.telegramPremium.oneMonth");
        assert_eq!(
            (p.currency.as_str(), p.amount, p.premium_days),
            ("USD", 499, 30)
        );
        assert!(!p.support_email_address.is_empty() && !p.support_email_subject.is_empty());
        let kept = d.codes_for("9998811123");
        assert_eq!(kept[0].phone_code_hash, p.phone_code_hash);
        assert_eq!(kept[0].kind, CodeKind::PaymentRequired);
    }

    #[test]
    fn layer_fallback() {
        let d = desk();
        let cases = [
            ("9998805123", CodeKind::EmailCode, 158),
            ("9998806123", CodeKind::SetUpEmailRequired, 145),
            ("9998807123", CodeKind::FragmentSms, 150),
            ("9998809123", CodeKind::SmsWord, 179),
            ("9998810123", CodeKind::SmsPhrase, 179),
            ("9998811123", CodeKind::PaymentRequired, 225),
        ];
        for (phone, kind, layer) in cases {
            assert_eq!(kind.min_layer(), layer);
            let mut c = ctx(2);
            c.layer = layer;
            assert_eq!(kind_of(&d, &c, &req(phone)), kind);
            c.layer = layer - 1;
            if layer > 150 {
                assert_eq!(
                    kind_of(&d, &c, &req(phone)),
                    CodeKind::Sms,
                    "{phone} at {}",
                    c.layer
                );
                assert_eq!(d.codes_for(phone).last().unwrap().kind, CodeKind::Sms);
            }
        }
        let mut s = settings();
        s.allow_firebase = true;
        let mut c = ctx(2);
        c.layer = 182;
        assert_eq!(
            kind_of(&d, &c, &req_with("9998808123", s.clone())),
            CodeKind::Sms
        );
        c.layer = 183;
        assert_eq!(
            kind_of(&d, &c, &req_with("9998808123", s)),
            CodeKind::FirebaseSms
        );

        let mut s = settings();
        s.logout_tokens = Some(vec![logout_token_for("9996621234")]);
        c.layer = 227;
        assert_eq!(
            kind_of(&d, &c, &req_with("9996621234", s.clone())),
            CodeKind::Sms
        );
        c.layer = 228;
        assert_eq!(
            kind_of(&d, &c, &req_with("9996621234", s)),
            CodeKind::Success
        );

        // The oldest accepted layer still gets the old constructors.
        c.layer = 150;
        assert_eq!(kind_of(&d, &c, &req("9996621234")), CodeKind::App);
        let mut s = settings();
        s.allow_missed_call = true;
        assert_eq!(
            kind_of(&d, &c, &req_with("9996621234", s)),
            CodeKind::MissedCall
        );
        for kind in CodeKind::ALL {
            assert!(kind.for_layer(150).min_layer() <= 150);
            assert_eq!(kind.for_layer(NEWEST_LAYER), kind);
        }
    }

    #[test]
    fn layer_table_matches_the_crate() {
        use types::auth as a;
        let ids = [
            ("auth.sentCode", a::SentCode::CONSTRUCTOR_ID),
            ("auth.sentCodeTypeApp", a::SentCodeTypeApp::CONSTRUCTOR_ID),
            ("auth.sentCodeTypeSms", a::SentCodeTypeSms::CONSTRUCTOR_ID),
            ("auth.sentCodeTypeCall", a::SentCodeTypeCall::CONSTRUCTOR_ID),
            (
                "auth.sentCodeTypeFlashCall",
                a::SentCodeTypeFlashCall::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeMissedCall",
                a::SentCodeTypeMissedCall::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeEmailCode",
                a::SentCodeTypeEmailCode::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeSetUpEmailRequired",
                a::SentCodeTypeSetUpEmailRequired::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeFragmentSms",
                a::SentCodeTypeFragmentSms::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeFirebaseSms",
                a::SentCodeTypeFirebaseSms::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeSmsWord",
                a::SentCodeTypeSmsWord::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeSmsPhrase",
                a::SentCodeTypeSmsPhrase::CONSTRUCTOR_ID,
            ),
            ("auth.sentCodeSuccess", a::SentCodeSuccess::CONSTRUCTOR_ID),
            (
                "auth.sentCodePaymentRequired",
                a::SentCodePaymentRequired::CONSTRUCTOR_ID,
            ),
            ("auth.authorization", a::Authorization::CONSTRUCTOR_ID),
            ("user", types::User::CONSTRUCTOR_ID),
            ("auth.codeTypeSms", a::CodeTypeSms::CONSTRUCTOR_ID),
            ("auth.codeTypeCall", a::CodeTypeCall::CONSTRUCTOR_ID),
            (
                "auth.codeTypeFlashCall",
                a::CodeTypeFlashCall::CONSTRUCTOR_ID,
            ),
            (
                "auth.codeTypeMissedCall",
                a::CodeTypeMissedCall::CONSTRUCTOR_ID,
            ),
            (
                "auth.codeTypeFragmentSms",
                a::CodeTypeFragmentSms::CONSTRUCTOR_ID,
            ),
        ];
        assert_eq!(ids.len(), CONSTRUCTOR_LAYERS.len());
        for (name, id) in ids {
            let row = CONSTRUCTOR_LAYERS.iter().find(|c| c.name == name).unwrap();
            assert_eq!(row.id, id, "{name}");
            assert!(row.layer <= NEWEST_LAYER);
        }
        for kind in CodeKind::ALL {
            for name in kind.constructors() {
                assert!(CONSTRUCTOR_LAYERS.iter().any(|c| c.name == *name), "{name}");
            }
        }
    }

    #[test]
    fn codes_for_reads_back() {
        let d = desk();
        assert!(d.codes_for("9996631234").is_empty());
        assert!(d.codes_for("not a number").is_empty());
        let mut c = ctx(3);
        c.now = at(5);
        let (o, _) = d.send_code(&c, &req("+999 663 1234"));
        c.now = at(9);
        let (o2, _) = d.send_code(&c, &req("9996631234"));
        let kept = d.codes_for("+999-663-1234");
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].code, "33333");
        assert_eq!(kept[0].phone_code_hash, sent(&o).phone_code_hash);
        assert_eq!(kept[1].phone_code_hash, sent(&o2).phone_code_hash);
        assert_eq!((kept[0].sent_at, kept[1].sent_at), (at(5), at(9)));
        assert_eq!(kept[0].dc_id, 3);
        assert_eq!(kept[0].kind, CodeKind::App);
    }
}
