//! `tg_config`: the builder a client is made from.

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use super::{guard, optional_string_arg, string_arg, tg_result, MAX_STRING};
use crate::client::{resolve_v4, ClientConfig};
use crate::protocol::handshake::rsa::RsaPublicKey;
use crate::protocol::transport::TransportKind;

/// The longest api_hash accepted (Telegram's are 32 hex digits).
pub(crate) const MAX_API_HASH: usize = 256;

/// A client configuration (opaque). Create with `tg_config_new`, free with `tg_config_free`.
pub struct tg_config {
    pub(crate) inner: ClientConfig,
}

macro_rules! config_mut {
    ($ptr:expr) => {{
        if $ptr.is_null() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        // SAFETY: non-NULL, and the caller passes a tg_config from tg_config_new.
        unsafe { &mut (*$ptr).inner }
    }};
}

/// Creates a configuration with the defaults: Telegram's production DCs and keys, no
/// session file, a 10 s timeout, flood waits up to 60 s slept through.
///
/// # Safety
/// `config_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tg_config_new(config_out: *mut *mut tg_config) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        if config_out.is_null() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        let config = Box::new(tg_config {
            inner: ClientConfig::default(),
        });
        // SAFETY: checked non-NULL above.
        unsafe { *config_out = Box::into_raw(config) };
        tg_result::TG_RESULT_OK
    })
}

/// Adds a DC. The first DC added is home until a migration or a saved session says
/// otherwise. `host` is copied (a name is resolved now, to an IPv4 address).
///
/// # Safety
/// `config` is NULL or from `tg_config_new`; `host` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn tg_config_add_dc(
    config: *mut tg_config,
    dc_id: i32,
    host: *const c_char,
    port: u16,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let config = config_mut!(config);
        let host = try_arg!(unsafe { string_arg(host, 1024) });
        if !(1..=1000).contains(&dc_id) || port == 0 || host.is_empty() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        let addr = match resolve_v4(&host, port) {
            Ok(addr) if addr.is_ipv4() => addr,
            _ => return tg_result::TG_RESULT_INVALID_ARGUMENT,
        };
        config.dcs.retain(|(id, _)| *id != dc_id);
        config.dcs.push((dc_id, addr));
        tg_result::TG_RESULT_OK
    })
}

/// Trusts an RSA public key (PKCS#1 "BEGIN RSA PUBLIC KEY" PEM). Once any key is added,
/// only added keys are trusted.
///
/// # Safety
/// `config` is NULL or from `tg_config_new`; `pkcs1_pem` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn tg_config_add_rsa_key(
    config: *mut tg_config,
    pkcs1_pem: *const c_char,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let config = config_mut!(config);
        let pem = try_arg!(unsafe { string_arg(pkcs1_pem, MAX_STRING) });
        match RsaPublicKey::from_pkcs1_pem(&pem) {
            Ok(key) => {
                config.rsa_keys.push(key);
                tg_result::TG_RESULT_OK
            }
            Err(_) => tg_result::TG_RESULT_INVALID_ARGUMENT,
        }
    })
}

/// Uses Telegram's test DCs (when no DC is added) and trusts Telegram's test key.
///
/// # Safety
/// `config` is NULL or from `tg_config_new`.
#[no_mangle]
pub unsafe extern "C" fn tg_config_use_test_servers(config: *mut tg_config) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let config = config_mut!(config);
        config.test_servers = true;
        tg_result::TG_RESULT_OK
    })
}

/// Persists the session (home DC, DC addresses, auth keys) at `path`, created 0600 and
/// locked against a second client or process.
///
/// # Safety
/// `config` is NULL or from `tg_config_new`; `path` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn tg_config_set_session_path(
    config: *mut tg_config,
    path: *const c_char,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let config = config_mut!(config);
        let path = try_arg!(unsafe { string_arg(path, 4096) });
        if path.is_empty() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        config.session_path = Some(PathBuf::from(path));
        tg_result::TG_RESULT_OK
    })
}

/// Starts from a Telethon or GramJS string session ("1...").
///
/// # Safety
/// `config` is NULL or from `tg_config_new`; `session` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn tg_config_set_session_string(
    config: *mut tg_config,
    session: *const c_char,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let config = config_mut!(config);
        let session = try_arg!(unsafe { string_arg(session, 4096) });
        if crate::client::session::StringSession::parse(&session).is_err() {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        config.session_string = Some(session);
        tg_result::TG_RESULT_OK
    })
}

/// Sets the deadline of each request, 1 ms to 1 hour.
///
/// # Safety
/// `config` is NULL or from `tg_config_new`.
#[no_mangle]
pub unsafe extern "C" fn tg_config_set_timeout_ms(
    config: *mut tg_config,
    timeout_ms: u32,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let config = config_mut!(config);
        if !(1..=3_600_000).contains(&timeout_ms) {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        config.timeout = Duration::from_millis(timeout_ms as u64);
        tg_result::TG_RESULT_OK
    })
}

/// FLOOD_WAIT of at most `seconds` is slept through (once per request); longer ones are
/// returned as errors. 0 returns every flood wait.
///
/// # Safety
/// `config` is NULL or from `tg_config_new`.
#[no_mangle]
pub unsafe extern "C" fn tg_config_set_flood_sleep_threshold(
    config: *mut tg_config,
    seconds: u32,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let config = config_mut!(config);
        if seconds > 86_400 {
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        }
        config.flood_sleep_threshold = seconds;
        tg_result::TG_RESULT_OK
    })
}

/// Sets initConnection's device description; NULL leaves a field at its default.
///
/// # Safety
/// `config` is NULL or from `tg_config_new`; strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn tg_config_set_device(
    config: *mut tg_config,
    device_model: *const c_char,
    system_version: *const c_char,
    app_version: *const c_char,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let config = config_mut!(config);
        let device_model = try_arg!(unsafe { optional_string_arg(device_model, 256) });
        let system_version = try_arg!(unsafe { optional_string_arg(system_version, 256) });
        let app_version = try_arg!(unsafe { optional_string_arg(app_version, 256) });
        if let Some(v) = device_model {
            config.init.device_model = v;
        }
        if let Some(v) = system_version {
            config.init.system_version = v;
        }
        if let Some(v) = app_version {
            config.init.app_version = v;
        }
        tg_result::TG_RESULT_OK
    })
}

/// Sets initConnection's language fields; NULL leaves a field at its default.
///
/// # Safety
/// `config` is NULL or from `tg_config_new`; strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn tg_config_set_lang(
    config: *mut tg_config,
    system_lang_code: *const c_char,
    lang_pack: *const c_char,
    lang_code: *const c_char,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let config = config_mut!(config);
        let system_lang_code = try_arg!(unsafe { optional_string_arg(system_lang_code, 64) });
        let lang_pack = try_arg!(unsafe { optional_string_arg(lang_pack, 64) });
        let lang_code = try_arg!(unsafe { optional_string_arg(lang_code, 64) });
        if let Some(v) = system_lang_code {
            config.init.system_lang_code = v;
        }
        if let Some(v) = lang_pack {
            config.init.lang_pack = v;
        }
        if let Some(v) = lang_code {
            config.init.lang_code = v;
        }
        tg_result::TG_RESULT_OK
    })
}

/// Frees a configuration. NULL is a no-op. Clients made from it are unaffected.
///
/// # Safety
/// `config` is NULL or from `tg_config_new`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn tg_config_free(config: *mut tg_config) {
    guard((), || {
        if !config.is_null() {
            // SAFETY: it came from Box::into_raw in tg_config_new.
            drop(unsafe { Box::from_raw(config) });
        }
    })
}

/// The transport a client speaks (`tg_config_set_transport`). Values are never renumbered.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tg_transport {
    /// A 1-byte length (4 bytes from 508 bytes on), counted in 4-byte words.
    TG_TRANSPORT_ABRIDGED = 0,
    /// A 4-byte length (the default).
    TG_TRANSPORT_INTERMEDIATE = 1,
    /// Intermediate with 0 to 15 random bytes after each payload; meant for obfuscated2.
    TG_TRANSPORT_PADDED = 2,
    /// Length, sequence number, payload and CRC32. Cannot be obfuscated.
    TG_TRANSPORT_FULL = 3,
}

/// The `TransportKind` of a `tg_transport` value; None for a value this version does not know.
fn transport_kind(transport: u32) -> Option<TransportKind> {
    use tg_transport::*;
    Some(match transport {
        t if t == TG_TRANSPORT_ABRIDGED as u32 => TransportKind::Abridged,
        t if t == TG_TRANSPORT_INTERMEDIATE as u32 => TransportKind::Intermediate,
        t if t == TG_TRANSPORT_PADDED as u32 => TransportKind::PaddedIntermediate,
        t if t == TG_TRANSPORT_FULL as u32 => TransportKind::Full,
        _ => return None,
    })
}

/// Chooses the transport (a `tg_transport` value; default TG_TRANSPORT_INTERMEDIATE) and
/// whether to wrap it in obfuscated2, which networks that block MTProto often let through.
/// TG_RESULT_INVALID_ARGUMENT, with the configuration unchanged, for an unknown value and
/// for TG_TRANSPORT_FULL with `obfuscated` (obfuscated2 cannot carry the full transport).
///
/// # Safety
/// `config` is NULL or from `tg_config_new`.
#[no_mangle]
pub unsafe extern "C" fn tg_config_set_transport(
    config: *mut tg_config,
    transport: u32,
    obfuscated: bool,
) -> tg_result {
    // Taken as an integer: a value from a newer header must not be undefined behaviour.
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let config = config_mut!(config);
        let Some(kind) = transport_kind(transport) else {
            log::warn!("tg_config_set_transport: unknown transport {transport}");
            return tg_result::TG_RESULT_INVALID_ARGUMENT;
        };
        let candidate = ClientConfig {
            transport: kind,
            obfuscated,
            ..ClientConfig::default()
        };
        if let Err(e) = candidate.validate() {
            log::warn!("tg_config_set_transport: {e}");
            return e.kind.into();
        }
        config.transport = kind;
        config.obfuscated = obfuscated;
        tg_result::TG_RESULT_OK
    })
}

/// Sets the app (api_id, api_hash) used in initConnection and by every call that names
/// none: `tg_send_code` with `api_id` 0 and `api_hash` NULL uses it. `api_id` > 0;
/// `api_hash` 1..=256 bytes of UTF-8, copied.
///
/// # Safety
/// `config` is NULL or from `tg_config_new`; `api_hash` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn tg_config_set_app(
    config: *mut tg_config,
    api_id: i32,
    api_hash: *const c_char,
) -> tg_result {
    guard(tg_result::TG_RESULT_INTERNAL, || {
        let config = config_mut!(config);
        let api_hash = try_arg!(unsafe { string_arg(api_hash, MAX_API_HASH) });
        let candidate = ClientConfig {
            app: Some((api_id, api_hash)),
            ..ClientConfig::default()
        };
        if let Err(e) = candidate.validate() {
            log::warn!("tg_config_set_app: {e}");
            return e.kind.into();
        }
        config.app = candidate.app;
        tg_result::TG_RESULT_OK
    })
}
