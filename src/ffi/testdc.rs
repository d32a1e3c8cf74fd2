//! `tg_testdc`: the local test DC, in-process.

use std::ffi::{c_char, CString};

use serde::Deserialize;

use super::{c_string, guard, optional_string_arg, string_arg, tg_result, MAX_STRING};
use crate::client::runtime;
use crate::testdc::{TestDc, TestDcOptions};

/// A running test DC (opaque). Start with `tg_testdc_start`, stop with `tg_testdc_stop`.
pub struct tg_testdc {
    dc: TestDc,
    info: CString,
}

#[derive(Deserialize)]
struct AppJson {
    id: i32,
    hash: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OptionsJson {
    host: Option<String>,
    port: Option<u16>,
    dcs: Option<i32>,
    key_pem: Option<String>,
    #[serde(default)]
    apps: Vec<AppJson>,
    #[serde(default)]
    published_apps: Vec<AppJson>,
    code_limit: Option<u32>,
    code_ttl: Option<u64>,
    faults: Option<String>,
}

fn options(json: Option<String>) -> Result<TestDcOptions, tg_result> {
    let parsed: OptionsJson = match json {
        None => OptionsJson::default(),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            log::warn!("tg_testdc_start: bad options: {e}");
            tg_result::TG_RESULT_INVALID_ARGUMENT
        })?,
    };
    let mut o = TestDcOptions::default();
    if let Some(h) = parsed.host {
        o.host = h;
    }
    if let Some(p) = parsed.port {
        o.port = p;
    }
    if let Some(d) = parsed.dcs {
        o.dcs = d;
    }
    o.key_pem = parsed.key_pem;
    o.apps = parsed.apps.into_iter().map(|a| (a.id, a.hash)).collect();
    o.published_apps = parsed
        .published_apps
        .into_iter()
        .map(|a| (a.id, a.hash))
        .collect();
    if let Some(c) = parsed.code_limit {
        o.code_limit = c;
    }
    if let Some(t) = parsed.code_ttl {
        o.code_ttl = std::time::Duration::from_secs(t);
    }
    if let Some(f) = parsed.faults {
        o.faults = f.parse().map_err(|e| {
            log::warn!("tg_testdc_start: {e}");
            tg_result::TG_RESULT_INVALID_ARGUMENT
        })?;
    }
    Ok(o)
}

/// Starts a test DC on loopback (see TESTDC behaviour in the README). `options_json` is
/// NULL for the defaults, or a JSON object with any of "host", "port", "dcs", "key_pem",
/// "apps" ([{"id":..,"hash":..}]), "published_apps", "code_limit", "code_ttl" (seconds),
/// "faults".
///
/// # Safety
/// `options_json` is NULL or NUL-terminated; `testdc_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tg_testdc_start(
    options_json: *const c_char,
    testdc_out: *mut *mut tg_testdc,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        if testdc_out.is_null() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        let json = match unsafe { optional_string_arg(options_json, MAX_STRING) } {
            Ok(j) => j,
            Err(r) => return r,
        };
        let options = match options(json) {
            Ok(o) => o,
            Err(r) => return r,
        };
        // Started on the shared runtime; block_on runs on a helper thread so this works
        // from any thread, a runtime thread included.
        let started =
            std::thread::spawn(move || runtime::handle().block_on(TestDc::start(options))).join();
        let dc = match started {
            Ok(Ok(dc)) => dc,
            Ok(Err(e)) => {
                log::warn!("tg_testdc_start: {e}");
                return if e.kind() == std::io::ErrorKind::InvalidInput {
                    tg_result::TG_RESULT_INVALID_ARGUMENT
                } else {
                    tg_result::TG_RESULT_IO
                };
            }
            Err(_) => return tg_result::TG_RESULT_INTERNAL,
        };
        let info = c_string(dc.info_json());
        // SAFETY: checked non-NULL.
        unsafe { *testdc_out = Box::into_raw(Box::new(tg_testdc { dc, info })) };
        tg_result::TG_RESULT_OK
    })
}

/// The ready line (JSON: dcs, rsa_public_key, fingerprint, api_id, api_hash, password,
/// bot_token), owned by the
/// test DC and valid until `tg_testdc_stop`. NULL for a NULL test DC.
///
/// # Safety
/// `testdc` is NULL or from `tg_testdc_start`.
#[no_mangle]
pub unsafe extern "C" fn tg_testdc_info_json(testdc: *const tg_testdc) -> *const c_char {
    guard(std::ptr::null(), || {
        if testdc.is_null() {
            return std::ptr::null();
        }
        // SAFETY: non-NULL and from tg_testdc_start.
        unsafe { (*testdc).info.as_ptr() }
    })
}

/// The codes sent to a number, oldest first, as a JSON array of
/// {"dc", "code", "phone_code_hash", "phone_number"}; free with `tg_string_free`.
///
/// # Safety
/// `testdc` is NULL or from `tg_testdc_start`; `phone_number` NUL-terminated;
/// `json_out` writable.
#[no_mangle]
pub unsafe extern "C" fn tg_testdc_codes_json(
    testdc: *const tg_testdc,
    phone_number: *const c_char,
    json_out: *mut *mut c_char,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        if testdc.is_null() || json_out.is_null() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        let phone = match unsafe { string_arg(phone_number, 64) } {
            Ok(p) => p,
            Err(r) => return r,
        };
        // SAFETY: non-NULL and from tg_testdc_start.
        let dc = unsafe { &(*testdc).dc };
        let codes: Vec<serde_json::Value> = dc
            .codes_for(&phone)
            .into_iter()
            .map(|c| {
                serde_json::json!({
                    "dc": c.dc_id,
                    "code": c.code,
                    "phone_code_hash": c.phone_code_hash,
                    "phone_number": c.phone_number,
                })
            })
            .collect();
        let text = serde_json::Value::Array(codes).to_string();
        // SAFETY: checked non-NULL.
        unsafe { *json_out = c_string(&text).into_raw() };
        tg_result::TG_RESULT_OK
    })
}

/// Counters as JSON ({"auth_keys_created", "connections", "send_code_calls",
/// "faults_injected", "dh_pairs_ready_made"}); free with `tg_string_free`.
///
/// # Safety
/// `testdc` is NULL or from `tg_testdc_start`; `json_out` writable.
#[no_mangle]
pub unsafe extern "C" fn tg_testdc_stats_json(
    testdc: *const tg_testdc,
    json_out: *mut *mut c_char,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        if testdc.is_null() || json_out.is_null() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        // SAFETY: non-NULL and from tg_testdc_start.
        let stats = unsafe { &(*testdc).dc }.stats();
        let text = serde_json::to_string(&stats).expect("plain data serialises");
        // SAFETY: checked non-NULL.
        unsafe { *json_out = c_string(&text).into_raw() };
        tg_result::TG_RESULT_OK
    })
}

/// Accepts a QR login token as the account of `phone`, as a signed-in device of that
/// account would (auth.acceptLoginToken): the exporting connection is told at once.
/// `token_or_url` is the token in base64url or a `tg://login?token=...` URL. Returns at
/// once: `TG_RESULT_OK`, or `TG_RESULT_INVALID_ARGUMENT` for a NULL or non-UTF-8 argument,
/// a token that is not base64url, an unknown, expired or already accepted token, or a
/// number with no account.
///
/// # Safety
/// `testdc` is NULL or from `tg_testdc_start`; the strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn tg_testdc_accept_login_token(
    testdc: *const tg_testdc,
    token_or_url: *const c_char,
    phone: *const c_char,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        if testdc.is_null() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        let token = match unsafe { string_arg(token_or_url, 4096) } {
            Ok(t) => t,
            Err(r) => return r,
        };
        let phone = match unsafe { string_arg(phone, 64) } {
            Ok(p) => p,
            Err(r) => return r,
        };
        // SAFETY: non-NULL and from tg_testdc_start.
        let dc = unsafe { &(*testdc).dc };
        match dc.accept_login_token(&token, &phone) {
            Ok(()) => tg_result::TG_RESULT_OK,
            Err(e) => {
                log::warn!("tg_testdc_accept_login_token: {e}");
                tg_result::TG_RESULT_INVALID_ARGUMENT
            }
        }
    })
}

/// Stops a test DC and closes its connections. NULL is a no-op.
///
/// # Safety
/// `testdc` is NULL or from `tg_testdc_start`, not stopped before.
#[no_mangle]
pub unsafe extern "C" fn tg_testdc_stop(testdc: *mut tg_testdc) {
    guard((), || {
        if !testdc.is_null() {
            // SAFETY: from Box::into_raw in tg_testdc_start.
            let testdc = unsafe { Box::from_raw(testdc) };
            testdc.dc.stop();
            // Dropped on a runtime-free thread is fine: TestDc holds no runtime.
            drop(testdc);
        }
    })
}
