//! The login, one file per step, each a method of [`Client`](super::Client) that runs on
//! the general request path (one deadline, the one retry policy):
//!
//! | step | method | Telegram |
//! |---|---|---|
//! | ask for a code | `send_code`, `resend_code`, `cancel_code` | auth.sendCode / resendCode / cancelCode |
//! | type the code | `sign_in`, then `sign_up` for a new number | auth.signIn / signUp |
//! | cloud password (2FA) | `password_info`, `check_password` | account.getPassword, auth.checkPassword (SRP) |
//! | bots | `sign_in_bot` | auth.importBotAuthorization |
//! | leave | `log_out` | auth.logOut |
//!
//! The states, as Telegram sees them: a key with no user; a `phone_code_hash` issued to
//! that key (it belongs to that DC *and* that key: the session must outlive the process,
//! and a different key gets `PHONE_CODE_EXPIRED`); `SESSION_PASSWORD_NEEDED` after a right
//! code on an account with a cloud password; signed in. The session records the last one
//! (user id, bot or not) and the future auth tokens, so a user who logged out is let back
//! in without a code (`auth.sentCodeSuccess`).

mod authorization;
mod bot;
mod code;
mod log_out;
mod me;
mod password;
mod qr;
mod sent_code;
mod sign_in;

pub use authorization::{Authorization, TermsOfService, User};
pub use password::PasswordInfo;
pub use qr::{parse_login_token, AcceptedLogin, LoginToken, LOGIN_URL_PREFIX};
pub use sent_code::{CodeTypeKind, SentCode, SentCodeKind};
