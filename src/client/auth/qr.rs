//! QR-code login (core.telegram.org/api/qr-login), and approving one from a signed-in
//! client.
//!
//! The exporting side shows `tg://login?token=<base64url>` as a QR code and waits for the
//! server's `updateLoginToken` push (or the token's expiry, then a new token and URL).
//! Exporting again then answers `auth.loginTokenSuccess`, or `auth.loginTokenMigrateTo` a
//! DC where `auth.importLoginToken` finishes (a key is made there if needed). A token that
//! expired meanwhile, also during the migration, is exported again until the caller's
//! deadline. `401 SESSION_PASSWORD_NEEDED` goes to the caller, who finishes with
//! `check_password` as after `sign_in`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grammers_tl_types::{enums, functions, Deserializable};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::Authorization;
use crate::client::{Client, Error, ErrorKind};
use crate::protocol::login_token::{self, login_url};

pub use crate::protocol::login_token::LOGIN_URL_PREFIX;

/// One login token to show as a QR code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginToken {
    /// `tg://login?token=<base64url>`: what the QR code holds.
    pub url: String,
    /// The raw token.
    pub token: Vec<u8>,
    /// When Telegram stops accepting it.
    pub expires: SystemTime,
}

impl LoginToken {
    fn new(token: Vec<u8>, expires_unix: i32) -> Self {
        LoginToken {
            url: login_url(&token),
            token,
            expires: UNIX_EPOCH + Duration::from_secs(expires_unix.max(0) as u64),
        }
    }
}

/// The token of a `tg://login?token=...` URL, or of the bare base64url token;
/// InvalidArgument when it is neither.
pub fn parse_login_token(token_or_url: &str) -> Result<Vec<u8>, Error> {
    login_token::parse_login_token(token_or_url)
        .map_err(|why| Error::new(ErrorKind::InvalidArgument, why))
}

/// The session a QR login created, as the approving client sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AcceptedLogin {
    /// The new session's hash (for account.resetAuthorization).
    pub hash: i64,
    /// Its device model.
    pub device_model: String,
    /// Its platform.
    pub platform: String,
    /// Its app's name.
    pub app_name: String,
    /// Its app's api_id.
    pub api_id: i32,
}

/// Whether a push carries `updateLoginToken`.
fn is_login_token_push(body: &[u8]) -> bool {
    match enums::Updates::from_bytes(body) {
        Ok(enums::Updates::UpdateShort(u)) => matches!(u.update, enums::Update::LoginToken),
        Ok(enums::Updates::Updates(u)) => u
            .updates
            .iter()
            .any(|u| matches!(u, enums::Update::LoginToken)),
        Ok(enums::Updates::Combined(u)) => u
            .updates
            .iter()
            .any(|u| matches!(u, enums::Update::LoginToken)),
        _ => false,
    }
}

impl Client {
    /// Logs in by QR code: `on_token` gets each new token (a new URL to draw) until a
    /// signed-in app accepts one, or `wait` passes (a TIMEOUT error). A 2FA account ends
    /// with the RPC error `401 SESSION_PASSWORD_NEEDED`: then `check_password`.
    pub async fn qr_login(
        &self,
        api_id: i32,
        api_hash: &str,
        wait: Duration,
        mut on_token: impl FnMut(&LoginToken) + Send,
    ) -> Result<Authorization, Error> {
        self.remember_app(api_id, api_hash)?;
        let overall = Instant::now() + wait;
        let mut pushes = self.subscribe_pushes();
        let export = functions::auth::ExportLoginToken {
            api_id,
            api_hash: api_hash.to_owned(),
            except_ids: Vec::new(),
        };
        loop {
            let step = self.deadline().min(overall);
            let answer = self.within(step, self.invoke(&export, false, step)).await?;
            let token = match answer {
                enums::auth::LoginToken::Success(s) => {
                    return self.finish_login(s.authorization.into())
                }
                enums::auth::LoginToken::MigrateTo(m) => {
                    // Accepted by an account of another DC: import the token there.
                    self.move_home(m.dc_id).await?;
                    let import = functions::auth::ImportLoginToken { token: m.token };
                    let step = self.deadline().min(overall);
                    match self.within(step, self.invoke(&import, false, step)).await {
                        Ok(enums::auth::LoginToken::Success(s)) => {
                            return self.finish_login(s.authorization.into())
                        }
                        // Expired on the way: a new token, from the new home DC.
                        Ok(_) => continue,
                        Err(e) if e.is_rpc("AUTH_TOKEN_EXPIRED") => continue,
                        Err(e) => return Err(e),
                    }
                }
                enums::auth::LoginToken::Token(t) => LoginToken::new(t.token, t.expires),
            };
            on_token(&token);
            let left = token
                .expires
                .duration_since(SystemTime::now())
                .unwrap_or_default()
                .clamp(Duration::from_secs(1), Duration::from_secs(3600));
            let until = (Instant::now() + left).min(overall);
            // The push (accepted), or the expiry (a new token), whichever comes first.
            loop {
                tokio::select! {
                    push = pushes.recv() => match push {
                        Ok(p) if is_login_token_push(&p.body) => break,
                        Ok(_) => {}
                        // Missed some: one of them may have been it; asking again is harmless.
                        Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => {
                            return Err(Error::new(ErrorKind::Cancelled, "the client is closed"))
                        }
                    },
                    _ = tokio::time::sleep_until(until) => break,
                }
            }
            if Instant::now() >= overall {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    "no app accepted the login token before the deadline",
                ));
            }
        }
    }

    /// Approves a QR login from this signed-in client (`auth.acceptLoginToken`), given the
    /// `tg://login?token=...` URL or the token.
    pub async fn accept_login_token(&self, token_or_url: &str) -> Result<AcceptedLogin, Error> {
        let token = parse_login_token(token_or_url)?;
        let deadline = self.deadline();
        let request = functions::auth::AcceptLoginToken { token };
        let enums::Authorization::Authorization(a) = self
            .within(deadline, self.invoke(&request, true, deadline))
            .await?;
        Ok(AcceptedLogin {
            hash: a.hash,
            device_model: a.device_model,
            platform: a.platform,
            app_name: a.app_name,
            api_id: a.api_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grammers_tl_types::{types, Serializable};

    #[test]
    fn urls_and_tokens_round_trip() {
        let t = LoginToken::new(vec![0xfb, 0xff, 0x00, 0x10], 1_700_000_000);
        assert_eq!(t.url, "tg://login?token=-_8AEA");
        assert_eq!(t.expires, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        assert_eq!(parse_login_token(&t.url).unwrap(), t.token);
        // The forms themselves are tested in protocol::login_token; here, the error kind.
        let e = parse_login_token("not base64!").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
    }

    #[test]
    fn only_update_login_token_counts_as_the_push() {
        let short = enums::Updates::UpdateShort(types::UpdateShort {
            update: enums::Update::LoginToken,
            date: 1,
        });
        assert!(is_login_token_push(&short.to_bytes()));
        let other = enums::Updates::UpdateShort(types::UpdateShort {
            update: enums::Update::Config,
            date: 1,
        });
        assert!(!is_login_token_push(&other.to_bytes()));
        assert!(!is_login_token_push(&[1, 2, 3]));
    }
}
