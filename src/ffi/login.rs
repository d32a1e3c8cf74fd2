//! The login calls after `tg_send_code`: sign-in, sign-up, the cloud password, bots,
//! resending and cancelling the code, logging out; and what the session says of the
//! login (`tg_client_signed_in`, `tg_client_export_session`).
//!
//! Each call checks and copies its arguments, then hands a future of the client core to
//! `spawn_request`; the protocol is in `crate::client::auth`.

use std::ffi::{c_char, c_void, CString};

use zeroize::Zeroizing;

use super::authorization::{
    bytes, deliver_authorization, deliver_done, deliver_password_info, tg_authorization_callback,
    tg_done_callback, tg_password_info_callback,
};
use super::client::{deliver_sent_code, tg_bytes, tg_client, tg_error, tg_send_code_callback};
use super::request::{app_arg, callback_arg, client_arg, spawn_request, text_arg, UserData};
use super::{
    guard, optional_string_arg, string_arg, tg_result, MAX_PHONE, MAX_PHONE_CODE_HASH, MAX_SECRET,
    MAX_SHORT_TEXT,
};
use crate::client::{Error, SessionFormat};

/// Called exactly once per accepted `tg_log_out`, on a library thread: with the future
/// auth token (`error` NULL; `len` 0 when Telegram gave none) or an error
/// (`future_auth_token` NULL). Both are borrowed for the call only.
pub type tg_log_out_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        future_auth_token: *const tg_bytes,
        error: *const tg_error,
    ),
>;

/// The string-session formats of `tg_client_export_session`. Never renumbered.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tg_session_format {
    /// Telethon's StringSession ("1...").
    TG_SESSION_FORMAT_TELETHON = 0,
    /// GramJS's StringSession ("1...").
    TG_SESSION_FORMAT_GRAMJS = 1,
    /// Pyrogram's and Kurigram's session string (holds the user and the api_id).
    TG_SESSION_FORMAT_PYROGRAM = 2,
    /// mtcute's session string (version 3).
    TG_SESSION_FORMAT_MTCUTE = 3,
}

/// Signs in with the code the user received (auth.signIn). phone_number 1..=64 bytes and
/// phone_code_hash 1..=256 bytes as `tg_send_code` gave them, phone_code at most 256 bytes.
/// The callback gets the authorization: the user, or `sign_up_required` (then
/// `tg_sign_up`); `401 SESSION_PASSWORD_NEEDED` means: call `tg_check_password`; a wrong
/// code is `400 PHONE_CODE_INVALID` (try again). Arguments are checked at once (a refusal
/// calls nothing); on TG_RESULT_OK the callback is called exactly once, on a library
/// thread: with the result, an error, or TG_RESULT_CANCELLED (`tg_cancel`,
/// `tg_client_free`).
///
/// # Safety
/// `client` is NULL or from `tg_client_new`; strings are NULL or NUL-terminated;
/// `request_id_out` is NULL or writable; `callback` may be called with `user_data` from
/// another thread.
#[no_mangle]
pub unsafe extern "C" fn tg_sign_in(
    client: *mut tg_client,
    phone_number: *const c_char,
    phone_code_hash: *const c_char,
    phone_code: *const c_char,
    callback: tg_authorization_callback,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        let callback = try_arg!(callback_arg(callback));
        let phone = try_arg!(unsafe { text_arg(phone_number, MAX_PHONE) });
        let hash = try_arg!(unsafe { text_arg(phone_code_hash, MAX_PHONE_CODE_HASH) });
        let code = Zeroizing::new(try_arg!(unsafe { string_arg(phone_code, MAX_SHORT_TEXT) }));
        let client = shared.client.clone();
        spawn_request(
            shared,
            request_id_out,
            async move { client.sign_in(&phone, &hash, &code).await },
            deliver_authorization(callback, UserData(user_data)),
        )
    })
}

/// Creates the account of a number that `tg_sign_in` answered with `sign_up_required`
/// (auth.signUp): the same phone_number and phone_code_hash, first_name (at most 256
/// bytes; Telegram refuses "" with `400 FIRSTNAME_INVALID`) and last_name (NULL: ""). The
/// callback gets the new user's authorization, as `tg_sign_in`'s.
///
/// # Safety
/// As `tg_sign_in`.
#[no_mangle]
pub unsafe extern "C" fn tg_sign_up(
    client: *mut tg_client,
    phone_number: *const c_char,
    phone_code_hash: *const c_char,
    first_name: *const c_char,
    last_name: *const c_char,
    callback: tg_authorization_callback,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        let callback = try_arg!(callback_arg(callback));
        let phone = try_arg!(unsafe { text_arg(phone_number, MAX_PHONE) });
        let hash = try_arg!(unsafe { text_arg(phone_code_hash, MAX_PHONE_CODE_HASH) });
        let first = try_arg!(unsafe { string_arg(first_name, MAX_SHORT_TEXT) });
        let last =
            try_arg!(unsafe { optional_string_arg(last_name, MAX_SHORT_TEXT) }).unwrap_or_default();
        let client = shared.client.clone();
        spawn_request(
            shared,
            request_id_out,
            async move { client.sign_up(&phone, &hash, &first, &last).await },
            deliver_authorization(callback, UserData(user_data)),
        )
    })
}

/// The 2FA step (SRP, then auth.checkPassword), after `tg_sign_in` or `tg_qr_login`
/// answered `401 SESSION_PASSWORD_NEEDED`. password at most 4096 bytes; it is copied into
/// memory that is wiped after use, and never logged. A wrong password is
/// `400 PASSWORD_HASH_INVALID` (try again). The callback gets the authorization.
///
/// # Safety
/// As `tg_sign_in`.
#[no_mangle]
pub unsafe extern "C" fn tg_check_password(
    client: *mut tg_client,
    password: *const c_char,
    callback: tg_authorization_callback,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        let callback = try_arg!(callback_arg(callback));
        let password = Zeroizing::new(try_arg!(unsafe { string_arg(password, MAX_SECRET) }));
        let client = shared.client.clone();
        spawn_request(
            shared,
            request_id_out,
            async move { client.check_password(&password).await },
            deliver_authorization(callback, UserData(user_data)),
        )
    })
}

/// What Telegram says of the account's cloud password (account.getPassword): whether it
/// has one, its hint, whether a recovery email is set. Useful right after
/// `SESSION_PASSWORD_NEEDED`, to show the hint.
///
/// # Safety
/// As `tg_sign_in`.
#[no_mangle]
pub unsafe extern "C" fn tg_password_info(
    client: *mut tg_client,
    callback: tg_password_info_callback,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        let callback = try_arg!(callback_arg(callback));
        let client = shared.client.clone();
        spawn_request(
            shared,
            request_id_out,
            async move { client.password_info().await },
            deliver_password_info(callback, UserData(user_data)),
        )
    })
}

/// Signs a bot in with its token from @BotFather (auth.importBotAuthorization).
/// bot_token 1..=4096 bytes (never logged); api_id > 0 and api_hash 1..=256 bytes, or
/// `api_id` 0 with `api_hash` NULL for the configuration's app. The callback gets the
/// authorization (its user has `bot` set).
///
/// # Safety
/// As `tg_sign_in`.
#[no_mangle]
pub unsafe extern "C" fn tg_sign_in_bot(
    client: *mut tg_client,
    bot_token: *const c_char,
    api_id: i32,
    api_hash: *const c_char,
    callback: tg_authorization_callback,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        let callback = try_arg!(callback_arg(callback));
        let token = Zeroizing::new(try_arg!(unsafe { text_arg(bot_token, MAX_SECRET) }));
        let (api_id, api_hash) =
            try_arg!(unsafe { app_arg(shared, api_id, api_hash, "tg_sign_in_bot") });
        let client = shared.client.clone();
        spawn_request(
            shared,
            request_id_out,
            async move { client.sign_in_bot(&token, api_id, &api_hash).await },
            deliver_authorization(callback, UserData(user_data)),
        )
    })
}

/// Sends the code again (auth.resendCode), by the `next_type` of the previous answer.
/// phone_number and phone_code_hash as for `tg_sign_in`; reason (at most 256 bytes) may
/// be NULL. The callback is a `tg_send_code_callback` and gets the new `tg_sent_code`.
///
/// # Safety
/// As `tg_sign_in`.
#[no_mangle]
pub unsafe extern "C" fn tg_resend_code(
    client: *mut tg_client,
    phone_number: *const c_char,
    phone_code_hash: *const c_char,
    reason: *const c_char,
    callback: tg_send_code_callback,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        let callback = try_arg!(callback_arg(callback));
        let phone = try_arg!(unsafe { text_arg(phone_number, MAX_PHONE) });
        let hash = try_arg!(unsafe { text_arg(phone_code_hash, MAX_PHONE_CODE_HASH) });
        let reason = try_arg!(unsafe { optional_string_arg(reason, MAX_SHORT_TEXT) });
        let client = shared.client.clone();
        spawn_request(
            shared,
            request_id_out,
            async move { client.resend_code(&phone, &hash, reason.as_deref()).await },
            deliver_sent_code(callback, UserData(user_data)),
        )
    })
}

/// Cancels a code that is no longer wanted (auth.cancelCode); its phone_code_hash is dead
/// afterwards (`400 PHONE_CODE_EXPIRED`). Arguments as for `tg_sign_in`. The callback gets
/// NULL when done, or the error.
///
/// # Safety
/// As `tg_sign_in`.
#[no_mangle]
pub unsafe extern "C" fn tg_cancel_code(
    client: *mut tg_client,
    phone_number: *const c_char,
    phone_code_hash: *const c_char,
    callback: tg_done_callback,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        let callback = try_arg!(callback_arg(callback));
        let phone = try_arg!(unsafe { text_arg(phone_number, MAX_PHONE) });
        let hash = try_arg!(unsafe { text_arg(phone_code_hash, MAX_PHONE_CODE_HASH) });
        let client = shared.client.clone();
        spawn_request(
            shared,
            request_id_out,
            async move { client.cancel_code(&phone, &hash).await },
            deliver_done(callback, UserData(user_data)),
        )
    })
}

/// Logs the session out (auth.logOut). The callback gets the future auth token Telegram
/// gave (len 0 when none): the session keeps it, and the next `tg_send_code` for the same
/// number sends it, so that number comes back without a code
/// (TG_SENT_CODE_KIND_SUCCESS).
///
/// # Safety
/// As `tg_sign_in`.
#[no_mangle]
pub unsafe extern "C" fn tg_log_out(
    client: *mut tg_client,
    callback: tg_log_out_callback,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        let callback = try_arg!(callback_arg(callback));
        let client = shared.client.clone();
        spawn_request(
            shared,
            request_id_out,
            async move { client.log_out().await },
            deliver_log_out(callback, UserData(user_data)),
        )
    })
}

fn deliver_log_out(
    callback: unsafe extern "C" fn(*mut c_void, *const tg_bytes, *const tg_error),
    user_data: UserData,
) -> impl FnOnce(Result<Option<Vec<u8>>, Error>) + Send + 'static {
    move |result| match result {
        Ok(token) => {
            let view = bytes(&token);
            // SAFETY: the user's callback, with the user's pointer, as documented.
            unsafe { callback(user_data.get(), &view, std::ptr::null()) }
        }
        Err(err) => super::request::with_error(&err, |e| unsafe {
            callback(user_data.get(), std::ptr::null(), e)
        }),
    }
}

/// Writes the session (its home DC and key) as another library's string session, to free
/// with `tg_string_free`. `format` is a `tg_session_format` (an unknown value is
/// TG_RESULT_INVALID_ARGUMENT). TG_RESULT_SESSION when the session has no key yet;
/// TG_RESULT_INVALID_ARGUMENT for PYROGRAM when nobody is signed in or no api_id is known
/// (its string holds both).
///
/// # Safety
/// `client` is NULL or from `tg_client_new`; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tg_client_export_session(
    client: *mut tg_client,
    format: u32,
    out: *mut *mut c_char,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        if out.is_null() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        // Taken as an integer: a value from a newer header must not be undefined behaviour.
        const TELETHON: u32 = tg_session_format::TG_SESSION_FORMAT_TELETHON as u32;
        const GRAMJS: u32 = tg_session_format::TG_SESSION_FORMAT_GRAMJS as u32;
        const PYROGRAM: u32 = tg_session_format::TG_SESSION_FORMAT_PYROGRAM as u32;
        const MTCUTE: u32 = tg_session_format::TG_SESSION_FORMAT_MTCUTE as u32;
        let format = match format {
            TELETHON => SessionFormat::Telethon,
            GRAMJS => SessionFormat::GramJs,
            PYROGRAM => SessionFormat::Pyrogram,
            MTCUTE => SessionFormat::Mtcute,
            _ => return tg_result::TG_RESULT_INVALID_ARGUMENT,
        };
        match shared.client.export_session(format) {
            Ok(s) => {
                // The string holds the auth key: no copies left behind (freed wiped).
                let Ok(s) = CString::new(s) else {
                    return tg_result::TG_RESULT_INTERNAL;
                };
                // SAFETY: checked non-NULL.
                unsafe { *out = s.into_raw() };
                tg_result::TG_RESULT_OK
            }
            Err(e) => {
                log::warn!("tg_client_export_session: {e}");
                tg_result::from(e.kind)
            }
        }
    })
}

/// Who the session is signed in as: TG_RESULT_OK with the user's id in `*user_id_out` and
/// whether it is a bot in `*bot_out` (either may be NULL), or TG_RESULT_SESSION when
/// nobody is (before the login, after `tg_log_out`).
///
/// # Safety
/// `client` is NULL or from `tg_client_new`; `user_id_out` and `bot_out` are NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn tg_client_signed_in(
    client: *const tg_client,
    user_id_out: *mut i64,
    bot_out: *mut bool,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        let Some(who) = shared.client.signed_in() else {
            return tg_result::TG_RESULT_SESSION;
        };
        if !user_id_out.is_null() {
            // SAFETY: non-NULL and writable, as documented.
            unsafe { *user_id_out = who.id };
        }
        if !bot_out.is_null() {
            // SAFETY: as above.
            unsafe { *bot_out = who.bot };
        }
        tg_result::TG_RESULT_OK
    })
}
