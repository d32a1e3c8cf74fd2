//! The borrowed C views of a login's outcome: `tg_user`, `tg_authorization`,
//! `tg_cloud_password`, and their deliveries to the callbacks of the login calls.

use std::ffi::{c_char, c_void, CString};

use super::c_string;
use super::client::{tg_bytes, tg_error};
use super::request::{with_error, UserData};
use crate::client::{Authorization, Error, PasswordInfo, User};

/// A Telegram user, borrowed for the duration of the callback.
#[repr(C)]
pub struct tg_user {
    /// The user's id.
    pub id: i64,
    /// The access hash bound to this session (0 when the server sent none).
    pub access_hash: i64,
    /// First name; "" when absent. Never NULL.
    pub first_name: *const c_char,
    /// Last name; "" when absent. Never NULL.
    pub last_name: *const c_char,
    /// Username without the '@'; NULL when none.
    pub username: *const c_char,
    /// Phone number, digits only; NULL when hidden or for bots.
    pub phone: *const c_char,
    /// Whether the account is a bot.
    pub bot: bool,
}

/// The outcome of a login step (auth.Authorization), borrowed for the duration of the
/// callback. Either `user` is set (signed in), or `sign_up_required` is true (the number
/// has no account: show the terms, then `tg_sign_up`).
#[repr(C)]
pub struct tg_authorization {
    /// The user now signed in; NULL when a sign-up is required.
    pub user: *const tg_user,
    /// The number has no account yet: call `tg_sign_up` with the names the user chose.
    pub sign_up_required: bool,
    /// The terms of service to show; NULL unless sign_up_required.
    pub terms_of_service: *const c_char,
    /// The terms' id; NULL unless sign_up_required.
    pub terms_of_service_id: *const c_char,
    /// A token that logs this number back in without a code ({NULL, 0} when absent; the
    /// session keeps it too, and `tg_send_code` sends it).
    pub future_auth_token: tg_bytes,
    /// Telegram asks the account to set a cloud password.
    pub setup_password_required: bool,
    /// Days after which Telegram asks this device to log in again; -1 when absent.
    pub otherwise_relogin_days: i32,
}

/// What Telegram says of an account's cloud password (what `tg_password_info` gives),
/// borrowed for the callback. (Not named `tg_password_info`: in C a type and the function
/// cannot share that name.)
#[repr(C)]
pub struct tg_cloud_password {
    /// Whether the account has a cloud password.
    pub has_password: bool,
    /// The hint the user set; NULL when none.
    pub hint: *const c_char,
    /// Whether a recovery email is set.
    pub has_recovery: bool,
}

/// Called exactly once per accepted login call that ends in an authorization
/// (`tg_sign_in`, `tg_sign_up`, `tg_check_password`, `tg_sign_in_bot`, `tg_qr_login`), on
/// a library thread: with the authorization (`error` NULL) or an error (`authorization`
/// NULL). `401 SESSION_PASSWORD_NEEDED` means: call `tg_check_password`. Both are
/// borrowed for the call only.
pub type tg_authorization_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        authorization: *const tg_authorization,
        error: *const tg_error,
    ),
>;

/// Called exactly once per accepted `tg_password_info`, on a library thread: with the
/// information (`error` NULL) or an error (`info` NULL), borrowed for the call only.
pub type tg_password_info_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        info: *const tg_cloud_password,
        error: *const tg_error,
    ),
>;

/// Called exactly once per accepted call that has no value to hand back
/// (`tg_cancel_code`, `tg_accept_login_token`), on a library thread: `error` is NULL when
/// it is done, else the error, borrowed for the call only.
pub type tg_done_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, error: *const tg_error)>;

fn optional(s: &Option<String>) -> Option<CString> {
    s.as_deref().map(c_string)
}

fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// Borrowed bytes of an optional buffer ({NULL, 0} when absent).
pub(crate) fn bytes(b: &Option<Vec<u8>>) -> tg_bytes {
    match b {
        Some(b) => tg_bytes {
            data: b.as_ptr(),
            len: b.len(),
        },
        None => tg_bytes {
            data: std::ptr::null(),
            len: 0,
        },
    }
}

fn with_user<R>(user: &User, f: impl FnOnce(&tg_user) -> R) -> R {
    let first = c_string(&user.first_name);
    let last = c_string(&user.last_name);
    let (username, phone) = (optional(&user.username), optional(&user.phone));
    f(&tg_user {
        id: user.id,
        access_hash: user.access_hash,
        first_name: first.as_ptr(),
        last_name: last.as_ptr(),
        username: ptr(&username),
        phone: ptr(&phone),
        bot: user.bot,
    })
}

/// Runs `f` with a borrowed `tg_authorization` describing `auth`.
pub(crate) fn with_authorization<R>(
    auth: &Authorization,
    f: impl FnOnce(&tg_authorization) -> R,
) -> R {
    let terms = auth.sign_up_required.as_ref();
    let text = terms.map(|t| c_string(&t.text));
    let terms_id = terms.map(|t| c_string(&t.id));
    let build = |user: *const tg_user| tg_authorization {
        user,
        sign_up_required: terms.is_some(),
        terms_of_service: ptr(&text),
        terms_of_service_id: ptr(&terms_id),
        future_auth_token: bytes(&auth.future_auth_token),
        setup_password_required: auth.setup_password_required,
        otherwise_relogin_days: auth.otherwise_relogin_days.unwrap_or(-1),
    };
    match &auth.user {
        Some(user) => with_user(user, |u| f(&build(u))),
        None => f(&build(std::ptr::null())),
    }
}

/// The delivery of an `Authorization` to a `tg_authorization_callback`.
pub(crate) fn deliver_authorization(
    callback: unsafe extern "C" fn(*mut c_void, *const tg_authorization, *const tg_error),
    user_data: UserData,
) -> impl FnOnce(Result<Authorization, Error>) + Send + 'static {
    move |result| match result {
        // SAFETY: the user's callback, with the user's pointer, as documented.
        Ok(auth) => with_authorization(&auth, |a| unsafe {
            callback(user_data.get(), a, std::ptr::null())
        }),
        Err(err) => with_error(&err, |e| unsafe {
            callback(user_data.get(), std::ptr::null(), e)
        }),
    }
}

/// The delivery of a `PasswordInfo` to a `tg_password_info_callback`.
pub(crate) fn deliver_password_info(
    callback: unsafe extern "C" fn(*mut c_void, *const tg_cloud_password, *const tg_error),
    user_data: UserData,
) -> impl FnOnce(Result<PasswordInfo, Error>) + Send + 'static {
    move |result| match result {
        Ok(info) => {
            let hint = optional(&info.hint);
            let view = tg_cloud_password {
                has_password: info.has_password,
                hint: ptr(&hint),
                has_recovery: info.has_recovery,
            };
            // SAFETY: the user's callback, with the user's pointer, as documented.
            unsafe { callback(user_data.get(), &view, std::ptr::null()) }
        }
        Err(err) => with_error(&err, |e| unsafe {
            callback(user_data.get(), std::ptr::null(), e)
        }),
    }
}

/// The delivery of any outcome without a value to a `tg_done_callback`.
pub(crate) fn deliver_done<T>(
    callback: unsafe extern "C" fn(*mut c_void, *const tg_error),
    user_data: UserData,
) -> impl FnOnce(Result<T, Error>) + Send + 'static {
    move |result| match result {
        // SAFETY: the user's callback, with the user's pointer, as documented.
        Ok(_) => unsafe { callback(user_data.get(), std::ptr::null()) },
        Err(err) => with_error(&err, |e| unsafe { callback(user_data.get(), e) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::TermsOfService;
    use std::ffi::CStr;

    fn text(p: *const c_char) -> Option<String> {
        // SAFETY: NULL or a C string that lives for the callback.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    #[test]
    fn a_signed_in_user_is_described_whole() {
        let auth = Authorization {
            user: Some(User {
                id: 42,
                access_hash: 7,
                first_name: "Ann".into(),
                last_name: String::new(),
                username: None,
                phone: Some("9996612345".into()),
                bot: false,
            }),
            future_auth_token: Some(vec![1, 2, 3]),
            otherwise_relogin_days: None,
            ..Authorization::default()
        };
        with_authorization(&auth, |a| {
            assert!(!a.user.is_null() && !a.sign_up_required);
            // SAFETY: non-NULL, borrowed for this closure.
            let u = unsafe { &*a.user };
            assert_eq!((u.id, u.access_hash, u.bot), (42, 7, false));
            assert_eq!(text(u.first_name).as_deref(), Some("Ann"));
            assert_eq!(text(u.last_name).as_deref(), Some(""));
            assert_eq!(text(u.username), None);
            assert_eq!(text(u.phone).as_deref(), Some("9996612345"));
            assert!(a.terms_of_service.is_null() && a.terms_of_service_id.is_null());
            // SAFETY: len bytes at data, borrowed for this closure.
            let token = unsafe {
                std::slice::from_raw_parts(a.future_auth_token.data, a.future_auth_token.len)
            };
            assert_eq!(token, [1, 2, 3]);
            assert_eq!(a.otherwise_relogin_days, -1);
        });
    }

    #[test]
    fn sign_up_required_carries_the_terms_and_no_user() {
        let auth = Authorization {
            sign_up_required: Some(TermsOfService {
                text: "Be nice.".into(),
                id: "tos-1".into(),
                ..TermsOfService::default()
            }),
            otherwise_relogin_days: Some(3),
            ..Authorization::default()
        };
        with_authorization(&auth, |a| {
            assert!(a.user.is_null() && a.sign_up_required);
            assert_eq!(text(a.terms_of_service).as_deref(), Some("Be nice."));
            assert_eq!(text(a.terms_of_service_id).as_deref(), Some("tos-1"));
            assert!(a.future_auth_token.data.is_null() && a.future_auth_token.len == 0);
            assert_eq!(a.otherwise_relogin_days, 3);
        });
    }
}
