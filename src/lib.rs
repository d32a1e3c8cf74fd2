//! tgauth: Telegram login (`auth.sendCode`) over MTProto 2.0, natively.
//!
//! The crate is layered so that each part knows only what lies below it:
//!
//! - [`protocol`]: the wire format shared by both sides: transports, the MTProto 2.0
//!   message cipher, message bookkeeping, TL helpers and the auth-key handshake.
//! - [`client`]: the async client core (runtime, connections, sessions, `auth.sendCode`).
//! - [`testdc`]: a local Telegram data center speaking the server side of the same protocol.
//! - `ffi`: the C ABI over the client and the test DC; it holds no protocol logic.

pub mod client;
pub mod protocol;
pub mod testdc;

mod ffi;
