//! `tg_client`, `tg_send_code`, `tg_cancel` and the structs a sent code is described by.

use std::collections::HashMap;
use std::ffi::{c_char, c_void, CString};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use grammers_tl_types::types;
use parking_lot::{Condvar, Mutex};
use tokio::sync::oneshot;

use super::config::tg_config;
use super::request::{
    app_arg, callback_arg, client_arg, spawn_request, text_arg, with_error, UserData,
};
use super::{c_string, guard, string_arg, tg_result, MAX_PHONE};
use crate::client::{runtime, Client, CodeTypeKind, Error, SentCode, SentCodeKind};

/// A Telegram client (opaque). Create with `tg_client_new`, free with `tg_client_free`.
pub struct tg_client {
    pub(crate) shared: Arc<ClientShared>,
}

/// What a client handle and its requests in flight share.
pub(crate) struct ClientShared {
    pub(crate) client: Client,
    /// The configuration's timeout (the default wait of a QR login is 30 of them).
    pub(crate) timeout: Duration,
    pub(crate) next_id: AtomicU64,
    /// Requests in flight, by id, with the sender that cancels each.
    pub(crate) requests: Mutex<HashMap<u64, oneshot::Sender<()>>>,
    /// Callbacks not yet returned; tg_client_free waits for zero.
    pub(crate) outstanding: Mutex<usize>,
    idle: Condvar,
}

impl ClientShared {
    pub(crate) fn new(client: Client, timeout: Duration) -> Self {
        ClientShared {
            client,
            timeout,
            next_id: AtomicU64::new(1),
            requests: Mutex::new(HashMap::new()),
            outstanding: Mutex::new(0),
            idle: Condvar::new(),
        }
    }

    /// One accepted request's callback returned.
    pub(crate) fn callback_returned(&self) {
        let mut n = self.outstanding.lock();
        *n -= 1;
        if *n == 0 {
            self.idle.notify_all();
        }
    }
}

/// How a code is delivered (auth.SentCodeType / auth.CodeType). Never renumbered.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tg_code_type {
    /// Absent.
    TG_CODE_TYPE_NONE = 0,
    /// In another Telegram app.
    TG_CODE_TYPE_APP = 1,
    /// By SMS.
    TG_CODE_TYPE_SMS = 2,
    /// By a voice call.
    TG_CODE_TYPE_CALL = 3,
    /// By a flash call.
    TG_CODE_TYPE_FLASH_CALL = 4,
    /// By a missed call.
    TG_CODE_TYPE_MISSED_CALL = 5,
    /// By email.
    TG_CODE_TYPE_EMAIL_CODE = 6,
    /// An email must be set up first.
    TG_CODE_TYPE_SET_UP_EMAIL_REQUIRED = 7,
    /// Through fragment.com.
    TG_CODE_TYPE_FRAGMENT_SMS = 8,
    /// By SMS after Firebase verification.
    TG_CODE_TYPE_FIREBASE_SMS = 9,
    /// By an SMS holding a word.
    TG_CODE_TYPE_SMS_WORD = 10,
    /// By an SMS holding a phrase.
    TG_CODE_TYPE_SMS_PHRASE = 11,
}

impl From<Option<CodeTypeKind>> for tg_code_type {
    fn from(kind: Option<CodeTypeKind>) -> Self {
        use tg_code_type::*;
        match kind {
            None => TG_CODE_TYPE_NONE,
            Some(CodeTypeKind::App) => TG_CODE_TYPE_APP,
            Some(CodeTypeKind::Sms) => TG_CODE_TYPE_SMS,
            Some(CodeTypeKind::Call) => TG_CODE_TYPE_CALL,
            Some(CodeTypeKind::FlashCall) => TG_CODE_TYPE_FLASH_CALL,
            Some(CodeTypeKind::MissedCall) => TG_CODE_TYPE_MISSED_CALL,
            Some(CodeTypeKind::EmailCode) => TG_CODE_TYPE_EMAIL_CODE,
            Some(CodeTypeKind::SetUpEmailRequired) => TG_CODE_TYPE_SET_UP_EMAIL_REQUIRED,
            Some(CodeTypeKind::FragmentSms) => TG_CODE_TYPE_FRAGMENT_SMS,
            Some(CodeTypeKind::FirebaseSms) => TG_CODE_TYPE_FIREBASE_SMS,
            Some(CodeTypeKind::SmsWord) => TG_CODE_TYPE_SMS_WORD,
            Some(CodeTypeKind::SmsPhrase) => TG_CODE_TYPE_SMS_PHRASE,
        }
    }
}

/// The name of a `tg_code_type` value ("app", "sms", "flash_call", ...; "" for NONE;
/// "unknown" for a value this version does not know). Static.
#[no_mangle]
pub extern "C" fn tg_code_type_str(code_type: u32) -> *const c_char {
    // Taken as an integer: a value from a newer header must not be undefined behaviour.
    let s: &'static std::ffi::CStr = match code_type {
        0 => c"",
        1 => c"app",
        2 => c"sms",
        3 => c"call",
        4 => c"flash_call",
        5 => c"missed_call",
        6 => c"email_code",
        7 => c"set_up_email_required",
        8 => c"fragment_sms",
        9 => c"firebase_sms",
        10 => c"sms_word",
        11 => c"sms_phrase",
        _ => c"unknown",
    };
    s.as_ptr()
}

/// Which auth.SentCode constructor answered. Never renumbered.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tg_sent_code_kind {
    /// auth.sentCode.
    TG_SENT_CODE_KIND_CODE = 0,
    /// auth.sentCodeSuccess.
    TG_SENT_CODE_KIND_SUCCESS = 1,
    /// auth.sentCodePaymentRequired.
    TG_SENT_CODE_KIND_PAYMENT_REQUIRED = 2,
}

/// Borrowed bytes.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tg_bytes {
    /// The bytes (may be NULL when len is 0).
    pub data: *const u8,
    /// How many.
    pub len: usize,
}

/// codeSettings. All-zero (or passing NULL) means the defaults.
#[repr(C)]
pub struct tg_code_settings {
    /// allow_flashcall.
    pub allow_flashcall: bool,
    /// current_number.
    pub current_number: bool,
    /// allow_app_hash.
    pub allow_app_hash: bool,
    /// allow_missed_call.
    pub allow_missed_call: bool,
    /// allow_firebase.
    pub allow_firebase: bool,
    /// unknown_number.
    pub unknown_number: bool,
    /// logout_tokens (may be NULL when logout_tokens_len is 0); at most 64, each at most 1 KiB.
    pub logout_tokens: *const tg_bytes,
    /// How many logout tokens.
    pub logout_tokens_len: usize,
    /// token; NULL: absent.
    pub token: *const c_char,
    /// app_sandbox: 0 absent, 1 false, 2 true.
    pub app_sandbox: i32,
}

/// An error, borrowed for the duration of the callback.
#[repr(C)]
pub struct tg_error {
    /// The kind.
    pub result: tg_result,
    /// The RPC code (400, 303, 420, ...); 0 when not an RPC error.
    pub code: i32,
    /// The RPC name without its number ("FLOOD_WAIT"); "" when not RPC. Never NULL.
    pub name: *const c_char,
    /// The number taken out of the name (seconds, DC id); -1 when none.
    pub value: i64,
    /// For people. Never NULL.
    pub message: *const c_char,
}

/// auth.SentCode, borrowed for the duration of the callback. Strings are NULL when absent.
#[repr(C)]
pub struct tg_sent_code {
    /// Which constructor.
    pub kind: tg_sent_code_kind,
    /// Never NULL ("" for SUCCESS).
    pub phone_code_hash: *const c_char,
    /// NONE unless kind is CODE.
    pub r#type: tg_code_type,
    /// The code's length; -1 when the type has none.
    pub length: i32,
    /// NONE when absent.
    pub next_type: tg_code_type,
    /// Seconds; -1 when absent.
    pub timeout: i32,
    /// FLASH_CALL.
    pub pattern: *const c_char,
    /// MISSED_CALL.
    pub prefix: *const c_char,
    /// FRAGMENT_SMS.
    pub url: *const c_char,
    /// EMAIL_CODE.
    pub email_pattern: *const c_char,
    /// SMS_WORD / SMS_PHRASE, when given.
    pub beginning: *const c_char,
    /// FIREBASE_SMS (iOS).
    pub receipt: *const c_char,
    /// FIREBASE_SMS (Android); len 0 when absent.
    pub firebase_nonce: tg_bytes,
    /// FIREBASE_SMS; len 0 when absent.
    pub play_integrity_nonce: tg_bytes,
    /// FIREBASE_SMS; 0 when absent.
    pub play_integrity_project_id: i64,
    /// FIREBASE_SMS; -1 when absent.
    pub push_timeout: i32,
    /// EMAIL_CODE; -1 when absent.
    pub reset_available_period: i32,
    /// EMAIL_CODE; -1 when absent.
    pub reset_pending_date: i32,
    /// EMAIL_CODE / SET_UP_EMAIL_REQUIRED.
    pub apple_signin_allowed: bool,
    /// EMAIL_CODE / SET_UP_EMAIL_REQUIRED.
    pub google_signin_allowed: bool,
    /// SUCCESS: auth.authorizationSignUpRequired.
    pub sign_up_required: bool,
    /// SUCCESS: the authorized user's id; 0 when unknown.
    pub user_id: i64,
    /// SUCCESS: len 0 when absent.
    pub future_auth_token: tg_bytes,
    /// PAYMENT_REQUIRED.
    pub store_product: *const c_char,
    /// PAYMENT_REQUIRED.
    pub support_email_address: *const c_char,
    /// PAYMENT_REQUIRED.
    pub support_email_subject: *const c_char,
    /// PAYMENT_REQUIRED.
    pub currency: *const c_char,
    /// PAYMENT_REQUIRED.
    pub amount: i64,
    /// PAYMENT_REQUIRED.
    pub premium_days: i32,
}

/// Called exactly once per accepted `tg_send_code`, on a library thread: with the result
/// (`error` NULL) or an error (`sent_code` NULL). Both are borrowed for the call only.
pub type tg_send_code_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        sent_code: *const tg_sent_code,
        error: *const tg_error,
    ),
>;

fn with_sent_code<R>(sent: &SentCode, f: impl FnOnce(&tg_sent_code) -> R) -> R {
    let opt = |s: &Option<String>| s.as_deref().map(c_string);
    let ptr = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    let bytes = |b: &Option<Vec<u8>>| match b {
        Some(b) => tg_bytes {
            data: b.as_ptr(),
            len: b.len(),
        },
        None => tg_bytes {
            data: std::ptr::null(),
            len: 0,
        },
    };
    let hash = c_string(&sent.phone_code_hash);
    let (pattern, prefix, url, email) = (
        opt(&sent.pattern),
        opt(&sent.prefix),
        opt(&sent.url),
        opt(&sent.email_pattern),
    );
    let (beginning, receipt) = (opt(&sent.beginning), opt(&sent.receipt));
    let (product, support_address, support_subject, currency) = (
        opt(&sent.store_product),
        opt(&sent.support_email_address),
        opt(&sent.support_email_subject),
        opt(&sent.currency),
    );
    f(&tg_sent_code {
        kind: match sent.kind {
            Some(SentCodeKind::Success) => tg_sent_code_kind::TG_SENT_CODE_KIND_SUCCESS,
            Some(SentCodeKind::PaymentRequired) => {
                tg_sent_code_kind::TG_SENT_CODE_KIND_PAYMENT_REQUIRED
            }
            _ => tg_sent_code_kind::TG_SENT_CODE_KIND_CODE,
        },
        phone_code_hash: hash.as_ptr(),
        r#type: sent.code_type.into(),
        length: sent.length.unwrap_or(-1),
        next_type: sent.next_type.into(),
        timeout: sent.timeout.unwrap_or(-1),
        pattern: ptr(&pattern),
        prefix: ptr(&prefix),
        url: ptr(&url),
        email_pattern: ptr(&email),
        beginning: ptr(&beginning),
        receipt: ptr(&receipt),
        firebase_nonce: bytes(&sent.firebase_nonce),
        play_integrity_nonce: bytes(&sent.play_integrity_nonce),
        play_integrity_project_id: sent.play_integrity_project_id.unwrap_or(0),
        push_timeout: sent.push_timeout.unwrap_or(-1),
        reset_available_period: sent.reset_available_period.unwrap_or(-1),
        reset_pending_date: sent.reset_pending_date.unwrap_or(-1),
        apple_signin_allowed: sent.apple_signin_allowed,
        google_signin_allowed: sent.google_signin_allowed,
        sign_up_required: sent.sign_up_required,
        user_id: sent.user_id.unwrap_or(0),
        future_auth_token: bytes(&sent.future_auth_token),
        store_product: ptr(&product),
        support_email_address: ptr(&support_address),
        support_email_subject: ptr(&support_subject),
        currency: ptr(&currency),
        amount: sent.amount.unwrap_or(0),
        premium_days: sent.premium_days.unwrap_or(0),
    })
}

/// Creates a client from a configuration (which is copied and may be freed after).
/// Opens and locks the session file, if any: TG_RESULT_SESSION when it is corrupt or in
/// use by another client.
///
/// # Safety
/// `config` is NULL or from `tg_config_new`; `client_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tg_client_new(
    config: *const tg_config,
    client_out: *mut *mut tg_client,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        if config.is_null() || client_out.is_null() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        // SAFETY: non-NULL and from tg_config_new.
        let config = unsafe { &(*config).inner }.clone();
        let timeout = config.timeout;
        let client = match Client::new(config) {
            Ok(c) => c,
            Err(e) => {
                log::warn!("tg_client_new: {e}");
                return e.kind.into();
            }
        };
        let handle = Box::new(tg_client {
            shared: Arc::new(ClientShared::new(client, timeout)),
        });
        // SAFETY: checked non-NULL.
        unsafe { *client_out = Box::into_raw(handle) };
        tg_result::TG_RESULT_OK
    })
}

/// Frees a client. Every request in flight is cancelled (its callback called with
/// TG_RESULT_CANCELLED); returns after their callbacks returned, unless called from inside
/// a callback (then those callbacks may still be running). NULL is a no-op.
///
/// # Safety
/// `client` is NULL or from `tg_client_new`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn tg_client_free(client: *mut tg_client) {
    guard((), || {
        if client.is_null() {
            return;
        }
        // SAFETY: from Box::into_raw in tg_client_new.
        let client = unsafe { Box::from_raw(client) };
        let cancels: Vec<_> = client.shared.requests.lock().drain().collect();
        for (_, cancel) in cancels {
            let _ = cancel.send(());
        }
        if !runtime::on_runtime_thread() {
            let mut n = client.shared.outstanding.lock();
            while *n > 0 {
                client.shared.idle.wait(&mut n);
            }
        }
        // Release the session file now, even if a finishing task still holds the client.
        client.shared.client.close();
    })
}

fn code_settings(settings: *const tg_code_settings) -> Result<types::CodeSettings, tg_result> {
    let mut out = crate::client::default_code_settings();
    if settings.is_null() {
        return Ok(out);
    }
    // SAFETY: non-NULL; the caller passes a valid tg_code_settings.
    let s = unsafe { &*settings };
    out.allow_flashcall = s.allow_flashcall;
    out.current_number = s.current_number;
    out.allow_app_hash = s.allow_app_hash;
    out.allow_missed_call = s.allow_missed_call;
    out.allow_firebase = s.allow_firebase;
    out.unknown_number = s.unknown_number;
    if s.logout_tokens_len > 0 {
        if s.logout_tokens.is_null() || s.logout_tokens_len > 64 {
            return Err(tg_result::TG_RESULT_INVALID_ARGUMENT);
        }
        // SAFETY: logout_tokens_len readable entries, as documented.
        let tokens = unsafe { std::slice::from_raw_parts(s.logout_tokens, s.logout_tokens_len) };
        let mut copied = Vec::with_capacity(tokens.len());
        for t in tokens {
            if t.len > 1024 || (t.data.is_null() && t.len > 0) {
                return Err(tg_result::TG_RESULT_INVALID_ARGUMENT);
            }
            copied.push(if t.len == 0 {
                Vec::new()
            } else {
                // SAFETY: len readable bytes, as documented.
                unsafe { std::slice::from_raw_parts(t.data, t.len) }.to_vec()
            });
        }
        out.logout_tokens = Some(copied);
    }
    if !s.token.is_null() {
        out.token = Some(unsafe { string_arg(s.token, 4096) }?);
    }
    out.app_sandbox = match s.app_sandbox {
        0 => None,
        1 => Some(false),
        2 => Some(true),
        _ => return Err(tg_result::TG_RESULT_INVALID_ARGUMENT),
    };
    // Telegram requires token and app_sandbox together (flags.8).
    if out.token.is_some() != out.app_sandbox.is_some() {
        return Err(tg_result::TG_RESULT_INVALID_ARGUMENT);
    }
    Ok(out)
}

/// Asks for a login code (auth.sendCode). Arguments are checked and copied at once: on a
/// refusal the result says why and the callback is never called. Limits: phone_number
/// 1..=64 bytes, api_hash 1..=256 bytes, api_id > 0, or `api_id` 0 with `api_hash` NULL for
/// the configuration's app (`tg_config_set_app`; refused when it has none); in settings at
/// most 64 logout tokens of at most 1 KiB, a token of at most 4096 bytes, and token and
/// app_sandbox given together. On TG_RESULT_OK the callback is called exactly once, later,
/// on a library thread: with the result, an error, or a cancellation (`tg_cancel`,
/// `tg_client_free`).
///
/// # Safety
/// `client` is NULL or from `tg_client_new`; strings are NULL or NUL-terminated;
/// `settings` is NULL or valid for the call; `request_id_out` is NULL or writable;
/// `callback` may be called with `user_data` from another thread.
#[no_mangle]
pub unsafe extern "C" fn tg_send_code(
    client: *mut tg_client,
    phone_number: *const c_char,
    api_id: i32,
    api_hash: *const c_char,
    settings: *const tg_code_settings,
    callback: tg_send_code_callback,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        let callback = try_arg!(callback_arg(callback));
        let phone = try_arg!(unsafe { text_arg(phone_number, MAX_PHONE) });
        let (api_id, api_hash) =
            try_arg!(unsafe { app_arg(shared, api_id, api_hash, "tg_send_code") });
        let settings = try_arg!(code_settings(settings));
        let client = shared.client.clone();
        spawn_request(
            shared,
            request_id_out,
            async move { client.send_code(&phone, api_id, &api_hash, settings).await },
            deliver_sent_code(callback, UserData(user_data)),
        )
    })
}

/// The delivery of a `SentCode` to a `tg_send_code_callback`.
pub(crate) fn deliver_sent_code(
    callback: unsafe extern "C" fn(*mut c_void, *const tg_sent_code, *const tg_error),
    user_data: UserData,
) -> impl FnOnce(Result<SentCode, Error>) + Send + 'static {
    move |result| match result {
        // SAFETY: the user's callback, with the user's pointer, as documented.
        Ok(sent) => with_sent_code(&sent, |c| unsafe {
            callback(user_data.get(), c, std::ptr::null())
        }),
        Err(err) => with_error(&err, |e| unsafe {
            callback(user_data.get(), std::ptr::null(), e)
        }),
    }
}

/// Cancels a request: its callback is called with TG_RESULT_CANCELLED (unless the result
/// arrived first). TG_RESULT_NOT_FOUND when it already completed or never existed.
///
/// # Safety
/// `client` is NULL or from `tg_client_new`.
#[no_mangle]
pub unsafe extern "C" fn tg_cancel(client: *mut tg_client, request_id: u64) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        match shared.requests.lock().remove(&request_id) {
            Some(cancel) => {
                let _ = cancel.send(());
                tg_result::TG_RESULT_OK
            }
            None => tg_result::TG_RESULT_NOT_FOUND,
        }
    })
}

/// Writes the session as a Telethon string session ("1..."), for its home DC; free it
/// with `tg_string_free`. TG_RESULT_NOT_FOUND when the session has no key yet.
///
/// # Safety
/// `client` is NULL or from `tg_client_new`; `session_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tg_client_export_session_string(
    client: *const tg_client,
    session_out: *mut *mut c_char,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        if client.is_null() || session_out.is_null() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        // SAFETY: non-NULL and from tg_client_new.
        let shared = unsafe { &(*client).shared };
        match shared.client.export_session_string() {
            Some(s) => {
                // SAFETY: checked non-NULL.
                unsafe { *session_out = c_string(&s).into_raw() };
                tg_result::TG_RESULT_OK
            }
            None => tg_result::TG_RESULT_NOT_FOUND,
        }
    })
}
