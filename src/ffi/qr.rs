//! QR-code login: `tg_qr_login` (the device that shows the code) and
//! `tg_accept_login_token` (the signed-in app that scans it).

use std::ffi::{c_char, c_void};
use std::time::{Duration, UNIX_EPOCH};

use super::authorization::{
    deliver_authorization, deliver_done, tg_authorization_callback, tg_done_callback,
};
use super::client::tg_client;
use super::request::{app_arg, callback_arg, client_arg, spawn_request, text_arg, UserData};
use super::{c_string, guard, tg_result, MAX_SECRET};
use crate::client::LoginToken;

/// Called by `tg_qr_login` with each new login URL to show as a QR code
/// (`tg://login?token=...`) and when Telegram stops accepting it (Unix seconds): once at
/// first, then again each time a token expires unanswered. Called on a library thread,
/// strictly before the request's final callback and never after it; `url` is borrowed for
/// the call only. Keep it short: it runs on a thread the library's I/O shares.
pub type tg_login_token_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, url: *const c_char, expires_unix: i64)>;

/// The QR login's own wait when the call gives none: this many of the client's timeouts.
const DEFAULT_WAIT_TIMEOUTS: u32 = 30;

/// Logs in by QR code (auth.exportLoginToken until a signed-in app accepts a token, then
/// the login is finished, on another DC if Telegram says so). `on_token` gets each URL to
/// show; the callback, exactly once and after the last `on_token`, gets the
/// authorization, `401 SESSION_PASSWORD_NEEDED` (then `tg_check_password`),
/// TG_RESULT_TIMEOUT when no app accepted a token within `wait_ms` (0: 30 times the
/// client's timeout), or TG_RESULT_CANCELLED. api_id > 0 and api_hash 1..=256 bytes, or
/// `api_id` 0 with `api_hash` NULL for the configuration's app. Both callbacks get
/// `user_data`.
///
/// # Safety
/// `client` is NULL or from `tg_client_new`; `api_hash` is NULL or NUL-terminated;
/// `request_id_out` is NULL or writable; `on_token` and `callback` may be called with
/// `user_data` from another thread.
#[no_mangle]
pub unsafe extern "C" fn tg_qr_login(
    client: *mut tg_client,
    api_id: i32,
    api_hash: *const c_char,
    wait_ms: u32,
    on_token: tg_login_token_callback,
    callback: tg_authorization_callback,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        let on_token = try_arg!(callback_arg(on_token));
        let callback = try_arg!(callback_arg(callback));
        let (api_id, api_hash) =
            try_arg!(unsafe { app_arg(shared, api_id, api_hash, "tg_qr_login") });
        let wait = match wait_ms {
            0 => shared.timeout.saturating_mul(DEFAULT_WAIT_TIMEOUTS),
            ms => Duration::from_millis(ms.into()),
        };
        let user_data = UserData(user_data);
        let show = move |token: &LoginToken| {
            let url = c_string(&token.url);
            let expires = token
                .expires
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            // The user's callback may unwind (C++): that must not cross into the runtime.
            let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // SAFETY: the user's callback, with the user's pointer, as documented.
                unsafe { on_token(user_data.get(), url.as_ptr(), expires) }
            }));
            if called.is_err() {
                log::error!("an on_token callback unwound; the unwinding stopped at tgauth");
            }
        };
        let client = shared.client.clone();
        // The final callback runs after this future is done or dropped (cancelled), so
        // `show` can never run after it.
        spawn_request(
            shared,
            request_id_out,
            async move { client.qr_login(api_id, &api_hash, wait, show).await },
            deliver_authorization(callback, user_data),
        )
    })
}

/// Approves a QR login from this signed-in client (auth.acceptLoginToken), given the
/// `tg://login?token=...` URL or the bare base64url token (1..=4096 bytes; a malformed
/// one is refused at once). The callback gets NULL when approved, or the error.
///
/// # Safety
/// `client` is NULL or from `tg_client_new`; `token_or_url` is NULL or NUL-terminated;
/// `request_id_out` is NULL or writable; `callback` may be called with `user_data` from
/// another thread.
#[no_mangle]
pub unsafe extern "C" fn tg_accept_login_token(
    client: *mut tg_client,
    token_or_url: *const c_char,
    callback: tg_done_callback,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let shared = try_arg!(unsafe { client_arg(client) });
        let callback = try_arg!(callback_arg(callback));
        let token = try_arg!(unsafe { text_arg(token_or_url, MAX_SECRET) });
        if crate::client::auth::parse_login_token(&token).is_err() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        let client = shared.client.clone();
        spawn_request(
            shared,
            request_id_out,
            async move { client.accept_login_token(&token).await },
            deliver_done(callback, UserData(user_data)),
        )
    })
}
