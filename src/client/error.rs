//! Errors of the client core, classified the way users need them.

use std::fmt;

/// The kind of a failure. The C ABI maps each to a `tg_result`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An argument was refused before anything was sent.
    InvalidArgument,
    /// The server answered with an RPC error.
    Rpc,
    /// Connecting, reading or writing failed.
    Network,
    /// The request's deadline passed.
    Timeout,
    /// The request was cancelled (or its client closed).
    Cancelled,
    /// The peer failed a protocol security check.
    Security,
    /// The session file is unusable, locked or corrupt.
    Session,
    /// A bug in tgauth.
    Internal,
    /// The server sent something we cannot understand.
    Protocol,
    /// A local file or socket could not be opened.
    Io,
}

/// An error with everything a caller may want to branch on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The RPC error code (400, 303, 420, ...), 0 when not an RPC error.
    pub code: i32,
    /// The RPC error name with any number taken out (`FLOOD_WAIT`), empty when not RPC.
    pub name: String,
    /// The number taken out of the name, -1 when none.
    pub value: i64,
    /// A sentence for people.
    pub message: String,
}

impl Error {
    /// A non-RPC error.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: 0,
            name: String::new(),
            value: -1,
            message: message.into(),
        }
    }

    /// An RPC error from its code and raw message (`FLOOD_WAIT_42`).
    pub fn rpc(code: i32, raw: &str) -> Self {
        let (name, value) = split_rpc_name(raw);
        let message = match value {
            Some(v) => format!("the server answered {code} {raw} ({name}, value {v})"),
            None => format!("the server answered {code} {raw}"),
        };
        Self {
            kind: ErrorKind::Rpc,
            code,
            name,
            value: value.unwrap_or(-1),
            message,
        }
    }

    /// Whether this is the RPC error `name` (without its number).
    pub fn is_rpc(&self, name: &str) -> bool {
        self.kind == ErrorKind::Rpc && self.name == name
    }

    pub(crate) fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "the request was cancelled")
    }

    pub(crate) fn timeout() -> Self {
        Self::new(
            ErrorKind::Timeout,
            "the request did not complete before its deadline",
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Splits `PHONE_MIGRATE_2` into (`PHONE_MIGRATE`, 2) and `2FA_CONFIRM_WAIT_10` into
/// (`2FA_CONFIRM_WAIT`, 10): the number is the last all-digit `_` separated part.
/// A name without a number (`PHONE_NUMBER_INVALID`) is returned whole.
pub fn split_rpc_name(raw: &str) -> (String, Option<i64>) {
    if let Some((head, tail)) = raw.rsplit_once('_') {
        if !tail.is_empty() && !head.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(v) = tail.parse::<i64>() {
                return (head.to_owned(), Some(v));
            }
        }
    }
    // Telegram also writes some numbers in the middle: FLOOD_PREMIUM_WAIT_X is covered above;
    // "EMAIL_UNCONFIRMED_X" likewise. Anything else keeps its name.
    (raw.to_owned(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_numbers_out_of_names() {
        assert_eq!(
            split_rpc_name("FLOOD_WAIT_42"),
            ("FLOOD_WAIT".into(), Some(42))
        );
        assert_eq!(
            split_rpc_name("PHONE_MIGRATE_2"),
            ("PHONE_MIGRATE".into(), Some(2))
        );
        assert_eq!(
            split_rpc_name("PHONE_NUMBER_INVALID"),
            ("PHONE_NUMBER_INVALID".into(), None)
        );
        assert_eq!(
            split_rpc_name("2FA_CONFIRM_WAIT_10"),
            ("2FA_CONFIRM_WAIT".into(), Some(10))
        );
        assert_eq!(split_rpc_name("_5"), ("_5".into(), None));
        let e = Error::rpc(420, "FLOOD_WAIT_77000");
        assert_eq!(
            (e.code, e.name.as_str(), e.value),
            (420, "FLOOD_WAIT", 77000)
        );
        assert!(e.is_rpc("FLOOD_WAIT"));
    }
}
