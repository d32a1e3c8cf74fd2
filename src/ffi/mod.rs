//! The C ABI. It converts arguments, owns handles and calls back; the protocol lives in
//! `crate::client` and `crate::testdc`.
//!
//! Conventions (see `include/tgauth.h`): every symbol starts with `tg_`; every exported
//! body runs inside a panic boundary; strings passed in are copied; NULL handles to
//! `*_free` are no-ops; `tg_result` values are never renumbered.

#![allow(non_camel_case_types)]

/// The value of a checked argument, or an early return of its refusal (a `tg_result`).
macro_rules! try_arg {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

mod authorization;
mod client;
mod config;
mod login;
mod qr;
mod request;
mod testdc;

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::client::ErrorKind;

/// Result of every fallible call, and the kind of an error. Values are never renumbered.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tg_result {
    /// Success.
    TG_RESULT_OK = 0,
    /// NULL, invalid UTF-8, an out-of-range or oversized argument.
    TG_RESULT_INVALID_ARGUMENT = 1,
    /// The server answered with an RPC error (see `tg_error`).
    TG_RESULT_RPC = 2,
    /// Connecting, reading or writing failed.
    TG_RESULT_NETWORK = 3,
    /// The request's deadline passed.
    TG_RESULT_TIMEOUT = 4,
    /// `tg_cancel`, or the client was freed.
    TG_RESULT_CANCELLED = 5,
    /// The peer failed a protocol security check.
    TG_RESULT_SECURITY = 6,
    /// The session file is unusable, locked or corrupt.
    TG_RESULT_SESSION = 7,
    /// A bug in tgauth (a caught panic, ...).
    TG_RESULT_INTERNAL = 8,
    /// `tg_cancel`: no such request in flight.
    TG_RESULT_NOT_FOUND = 9,
    /// The server sent something tgauth cannot understand.
    TG_RESULT_PROTOCOL = 10,
    /// A local file or socket could not be opened.
    TG_RESULT_IO = 11,
}

impl From<ErrorKind> for tg_result {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => tg_result::TG_RESULT_INVALID_ARGUMENT,
            ErrorKind::Rpc => tg_result::TG_RESULT_RPC,
            ErrorKind::Network => tg_result::TG_RESULT_NETWORK,
            ErrorKind::Timeout => tg_result::TG_RESULT_TIMEOUT,
            ErrorKind::Cancelled => tg_result::TG_RESULT_CANCELLED,
            ErrorKind::Security => tg_result::TG_RESULT_SECURITY,
            ErrorKind::Session => tg_result::TG_RESULT_SESSION,
            ErrorKind::Internal => tg_result::TG_RESULT_INTERNAL,
            ErrorKind::Protocol => tg_result::TG_RESULT_PROTOCOL,
            ErrorKind::Io => tg_result::TG_RESULT_IO,
        }
    }
}

/// Longest string argument accepted (a phone number, hash, host or path is far shorter;
/// a PEM key or options JSON fits easily).
pub(crate) const MAX_STRING: usize = 64 * 1024;
/// Longest phone number accepted.
pub(crate) const MAX_PHONE: usize = 64;
/// Longest phone_code_hash accepted.
pub(crate) const MAX_PHONE_CODE_HASH: usize = 256;
/// Longest login code, first or last name, or resend reason accepted.
pub(crate) const MAX_SHORT_TEXT: usize = 256;
/// Longest cloud password, bot token, or QR login token / URL accepted.
pub(crate) const MAX_SECRET: usize = 4096;

/// Runs an exported body, turning a panic into `on_panic` so it never unwinds into C.
pub(crate) fn guard<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(_) => {
            log::error!("a panic was caught at the C ABI boundary (a bug in tgauth)");
            on_panic
        }
    }
}

/// Copies a required C string argument, refusing NULL, invalid UTF-8 and absurd lengths.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string.
pub(crate) unsafe fn string_arg(ptr: *const c_char, max: usize) -> Result<String, tg_result> {
    if ptr.is_null() {
        return Err(tg_result::TG_RESULT_INVALID_ARGUMENT);
    }
    // Bounded scan: never read past `max` bytes looking for the NUL.
    let mut len = 0usize;
    // SAFETY: the caller promises a NUL-terminated string; we stop at the NUL or at max.
    while unsafe { *ptr.add(len) } != 0 {
        len += 1;
        if len > max {
            return Err(tg_result::TG_RESULT_INVALID_ARGUMENT);
        }
    }
    // SAFETY: len bytes before the NUL are readable, as just scanned.
    let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, len) };
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| tg_result::TG_RESULT_INVALID_ARGUMENT)
}

/// Like [`string_arg`], with NULL meaning `None`.
///
/// # Safety
/// As [`string_arg`].
pub(crate) unsafe fn optional_string_arg(
    ptr: *const c_char,
    max: usize,
) -> Result<Option<String>, tg_result> {
    if ptr.is_null() {
        Ok(None)
    } else {
        unsafe { string_arg(ptr, max) }.map(Some)
    }
}

/// A C string for text that came from the network or from us: NULs are dropped.
pub(crate) fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "")).expect("NULs were removed")
}

/// Returns a static, human-readable name of a `tg_result` value ("unknown result" for a
/// value this version does not know). Never NULL; never freed.
#[no_mangle]
pub extern "C" fn tg_result_str(result: u32) -> *const c_char {
    // Taken as an integer: a value from a newer header must not be undefined behaviour.
    let s: &'static CStr = match result {
        0 => c"ok",
        1 => c"invalid argument",
        2 => c"RPC error",
        3 => c"network error",
        4 => c"timed out",
        5 => c"cancelled",
        6 => c"security check failed",
        7 => c"session error",
        8 => c"internal error",
        9 => c"not found",
        10 => c"protocol error",
        11 => c"I/O error",
        _ => c"unknown result",
    };
    s.as_ptr()
}

/// Returns the library version ("0.1.0"), a static string.
#[no_mangle]
pub extern "C" fn tg_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// Frees a string returned by tgauth (such as `tg_testdc_codes_json`'s), wiping it first
/// (a session string holds an auth key). NULL is a no-op.
///
/// # Safety
/// `string` is NULL or was returned by tgauth and not freed before.
#[no_mangle]
pub unsafe extern "C" fn tg_string_free(string: *mut c_char) {
    guard((), || {
        if !string.is_null() {
            // SAFETY: it came from CString::into_raw in this library.
            let bytes = unsafe { CString::from_raw(string) }.into_bytes_with_nul();
            drop(zeroize::Zeroizing::new(bytes));
        }
    })
}

/// Receives log lines: level 1 (error) to 5 (trace). Called on any thread, possibly
/// concurrently; `target` and `message` are borrowed for the call.
pub type tg_log_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut std::ffi::c_void,
        level: i32,
        target: *const c_char,
        message: *const c_char,
    ),
>;

struct LogSink {
    callback: unsafe extern "C" fn(*mut std::ffi::c_void, i32, *const c_char, *const c_char),
    user_data: usize,
}

static LOG_SINK: parking_lot::RwLock<Option<LogSink>> = parking_lot::RwLock::new(None);

struct Forwarder;

impl log::Log for Forwarder {
    fn enabled(&self, _: &log::Metadata) -> bool {
        LOG_SINK.read().is_some()
    }

    fn log(&self, record: &log::Record) {
        let sink = LOG_SINK.read();
        let Some(sink) = sink.as_ref() else { return };
        let target = c_string(record.target());
        let message = c_string(&record.args().to_string());
        let level = record.level() as i32;
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the user installed this callback for exactly these arguments.
            unsafe {
                (sink.callback)(
                    sink.user_data as *mut std::ffi::c_void,
                    level,
                    target.as_ptr(),
                    message.as_ptr(),
                )
            }
        }));
    }

    fn flush(&self) {}
}

/// Installs the process-wide log sink, or removes it with a NULL callback. `max_level`
/// 0 (off) to 5 (trace). Auth keys and other secrets are never logged.
///
/// # Safety
/// `callback` stays callable with `user_data` until replaced or removed.
#[no_mangle]
pub unsafe extern "C" fn tg_set_log_callback(
    callback: tg_log_callback,
    user_data: *mut std::ffi::c_void,
    max_level: i32,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        if !(0..=5).contains(&max_level) {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        static INSTALLED: std::sync::Once = std::sync::Once::new();
        INSTALLED.call_once(|| {
            let _ = log::set_logger(&Forwarder);
        });
        *LOG_SINK.write() = callback.map(|callback| LogSink {
            callback,
            user_data: user_data as usize,
        });
        log::set_max_level(match (callback.is_some(), max_level) {
            (false, _) | (_, 0) => log::LevelFilter::Off,
            (_, 1) => log::LevelFilter::Error,
            (_, 2) => log::LevelFilter::Warn,
            (_, 3) => log::LevelFilter::Info,
            (_, 4) => log::LevelFilter::Debug,
            _ => log::LevelFilter::Trace,
        });
        tg_result::TG_RESULT_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed header must be what cbindgen makes of these sources now.
    #[test]
    fn committed_header_is_fresh() {
        let fresh = include_str!(concat!(env!("OUT_DIR"), "/tgauth.h"));
        let committed = include_str!("../../include/tgauth.h");
        assert!(
            fresh == committed,
            "include/tgauth.h is stale: run `make header` and commit it"
        );
    }

    #[test]
    fn every_result_has_a_name() {
        for r in [tg_result::TG_RESULT_OK, tg_result::TG_RESULT_IO] {
            let s = unsafe { CStr::from_ptr(tg_result_str(r as u32)) };
            assert!(!s.to_bytes().is_empty() && s.to_bytes() != b"unknown result");
        }
        let unknown = unsafe { CStr::from_ptr(tg_result_str(12)) };
        assert_eq!(unknown.to_bytes(), b"unknown result");
    }
}
