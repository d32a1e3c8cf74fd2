//! QR login: auth.exportLoginToken, auth.acceptLoginToken, auth.importLoginToken.
//!
//! A key exports a token (32 random bytes, [`LOGIN_TOKEN_TTL`]); a signed-in key (or the
//! library, as a given number) accepts it and the exporting key is told with
//! `updateShort(updateLoginToken)`. Exporting again then finishes the login on the accepting
//! account's home DC and answers `auth.loginTokenMigrateTo` elsewhere, where
//! auth.importLoginToken finishes it. A 2FA account's finish is 401 SESSION_PASSWORD_NEEDED,
//! and the key waits for auth.checkPassword.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grammers_tl_types::{enums, functions, types, Serializable};

use super::accounts::{authorization, Signed};
use super::{normalize_phone, Answer, CallContext, DeskState, LoginDesk, RpcError};

/// How long an exported login token can be accepted.
pub const LOGIN_TOKEN_TTL: Duration = Duration::from_secs(30);

/// How long an expired token stays known (answering AUTH_TOKEN_EXPIRED).
const EXPIRED_TOKENS_KEPT: Duration = Duration::from_secs(600);

/// One exported token.
#[derive(Clone, Debug)]
pub(super) struct LoginToken {
    /// The key that exported it: (DC, auth_key_id).
    exporter: (i32, i64),
    /// The app that exported it (the approving side sees it in the new session).
    api_id: i32,
    expires: SystemTime,
    /// The number whose account accepted it.
    accepted_by: Option<String>,
    /// A key signed in with it: it stays known, so accepting it again is
    /// AUTH_TOKEN_ALREADY_ACCEPTED.
    used: bool,
}

/// A connection to tell something: (DC, auth_key_id).
pub type PushTarget = (i32, i64);

/// The token of a `tg://login?token=BASE64URL` URL, or a raw base64url token.
pub fn parse_login_token(token_or_url: &str) -> Result<Vec<u8>, String> {
    crate::protocol::login_token::parse_login_token(token_or_url).map_err(str::to_owned)
}

/// The `updateShort(updateLoginToken)` pushed to the exporting connection.
pub fn login_token_update(now: SystemTime) -> Vec<u8> {
    enums::Updates::UpdateShort(types::UpdateShort {
        update: enums::Update::LoginToken,
        date: unix(now),
    })
    .to_bytes()
}

fn unix(t: SystemTime) -> i32 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i32)
}

impl LoginDesk {
    /// auth.exportLoginToken: the login's end when a token of this key was accepted, else a
    /// fresh token.
    pub fn export_login_token(
        &self,
        ctx: &CallContext,
        req: &functions::auth::ExportLoginToken,
    ) -> Result<Answer, RpcError> {
        self.check_app(req.api_id, &req.api_hash)?;
        let key = (ctx.dc_id, ctx.auth_key_id);
        let mut state = self.state.lock();
        let accepted = state
            .login_tokens
            .iter()
            .find(|(_, t)| t.exporter == key && t.accepted_by.is_some() && !t.used)
            .map(|(bytes, _)| bytes.clone());
        if let Some(token) = accepted {
            return self.finish_login(&mut state, ctx, token);
        }
        // Earlier tokens stay known until a while after they expire (they answer
        // AUTH_TOKEN_EXPIRED then, not AUTH_TOKEN_INVALID), then go.
        let now = ctx.now;
        state.login_tokens.retain(|_, t| {
            now.duration_since(t.expires)
                .ok()
                .is_none_or(|d| d <= EXPIRED_TOKENS_KEPT)
        });
        let token = crate::protocol::random::array::<32>().to_vec();
        let expires = ctx.now + LOGIN_TOKEN_TTL;
        state.login_tokens.insert(
            token.clone(),
            LoginToken {
                exporter: key,
                api_id: req.api_id,
                expires,
                accepted_by: None,
                used: false,
            },
        );
        Ok(Answer::LoginToken(
            types::auth::LoginToken {
                expires: unix(expires),
                token,
            }
            .into(),
        ))
    }

    /// auth.importLoginToken: an accepted token finishes the login on the account's home
    /// DC (migrating elsewhere); a waiting one is answered as still waiting.
    pub fn import_login_token(
        &self,
        ctx: &CallContext,
        req: &functions::auth::ImportLoginToken,
    ) -> Result<Answer, RpcError> {
        let mut state = self.state.lock();
        let t = state
            .login_tokens
            .get(&req.token)
            .filter(|t| !t.used)
            .ok_or_else(|| RpcError::new(400, "AUTH_TOKEN_INVALID"))?;
        if t.accepted_by.is_none() {
            if ctx.now >= t.expires {
                return Err(RpcError::new(400, "AUTH_TOKEN_EXPIRED"));
            }
            return Ok(Answer::LoginToken(
                types::auth::LoginToken {
                    expires: unix(t.expires),
                    token: req.token.clone(),
                }
                .into(),
            ));
        }
        self.finish_login(&mut state, ctx, req.token.clone())
    }

    /// The end of a QR login on the key of `ctx`, for an accepted token.
    fn finish_login(
        &self,
        state: &mut DeskState,
        ctx: &CallContext,
        token: Vec<u8>,
    ) -> Result<Answer, RpcError> {
        let digits = state.login_tokens[&token]
            .accepted_by
            .clone()
            .expect("finish_login is given accepted tokens");
        let home = self.home_dc_for(&digits);
        if home != ctx.dc_id {
            return Ok(Answer::LoginToken(
                types::auth::LoginTokenMigrateTo { dc_id: home, token }.into(),
            ));
        }
        if let Some(t) = state.login_tokens.get_mut(&token) {
            t.used = true;
        }
        let account = self
            .account_in(state, &digits)
            .ok_or_else(|| RpcError::new(400, "AUTH_TOKEN_INVALID"))?;
        let key = (ctx.dc_id, ctx.auth_key_id);
        if account.has_password {
            state.awaiting_password.insert(key, digits);
            return Err(RpcError::new(401, "SESSION_PASSWORD_NEEDED"));
        }
        state.signed_in.insert(key, Signed::Phone(digits));
        Ok(Answer::LoginToken(
            types::auth::LoginTokenSuccess {
                authorization: authorization(&account, None).into(),
            }
            .into(),
        ))
    }

    /// auth.acceptLoginToken from a signed-in key: the new session's `authorization`, and
    /// the exporting key to tell.
    pub fn accept_login_token(
        &self,
        ctx: &CallContext,
        req: &functions::auth::AcceptLoginToken,
    ) -> Result<(Answer, PushTarget), RpcError> {
        let signed = {
            let state = self.state.lock();
            self.signed_in_account(&state, ctx.dc_id, ctx.auth_key_id)?;
            state.signed_in.get(&(ctx.dc_id, ctx.auth_key_id)).cloned()
        };
        let Some(Signed::Phone(digits)) = signed else {
            return Err(RpcError::new(400, "BOT_METHOD_INVALID"));
        };
        let target = self.accept_login_token_as(&digits, &req.token, ctx.now)?;
        let api_id = self
            .state
            .lock()
            .login_tokens
            .get(&req.token)
            .map_or(0, |t| t.api_id);
        let session = types::Authorization {
            current: false,
            official_app: false,
            password_pending: false,
            encrypted_requests_disabled: false,
            call_requests_disabled: false,
            unconfirmed: false,
            hash: crate::protocol::random::i64(),
            device_model: "tgauth test client".to_owned(),
            platform: "test".to_owned(),
            system_version: "1".to_owned(),
            api_id,
            app_name: "tgauth".to_owned(),
            app_version: "1".to_owned(),
            date_created: unix(ctx.now),
            date_active: unix(ctx.now),
            ip: "127.0.0.1".to_owned(),
            country: "Test".to_owned(),
            region: String::new(),
        };
        Ok((Answer::Session(session), target))
    }

    /// Accepts a token as the account of a number (raw or digits): 400 AUTH_TOKEN_INVALID
    /// (unknown), AUTH_TOKEN_EXPIRED, AUTH_TOKEN_ALREADY_ACCEPTED. Returns the exporting key.
    pub fn accept_login_token_as(
        &self,
        phone: &str,
        token: &[u8],
        now: SystemTime,
    ) -> Result<PushTarget, RpcError> {
        let digits =
            normalize_phone(phone).ok_or_else(|| RpcError::new(406, "PHONE_NUMBER_INVALID"))?;
        let mut state = self.state.lock();
        if self.account_in(&state, &digits).is_none() {
            return Err(RpcError::new(400, "AUTH_TOKEN_INVALID"));
        }
        let t = state
            .login_tokens
            .get_mut(token)
            .ok_or_else(|| RpcError::new(400, "AUTH_TOKEN_INVALID"))?;
        if t.accepted_by.is_some() {
            return Err(RpcError::new(400, "AUTH_TOKEN_ALREADY_ACCEPTED"));
        }
        if now >= t.expires {
            return Err(RpcError::new(400, "AUTH_TOKEN_EXPIRED"));
        }
        t.accepted_by = Some(digits);
        Ok(t.exporter)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at, ctx, desk};
    use super::*;

    fn export() -> functions::auth::ExportLoginToken {
        functions::auth::ExportLoginToken {
            api_id: 1,
            api_hash: "h1".into(),
            except_ids: Vec::new(),
        }
    }

    fn token_of(a: Result<Answer, RpcError>) -> Vec<u8> {
        match a {
            Ok(Answer::LoginToken(enums::auth::LoginToken::Token(t))) => t.token,
            other => panic!("expected auth.loginToken, got {other:?}"),
        }
    }

    fn signed_key(d: &LoginDesk, dc: i32, key: i64, phone: &str) -> CallContext {
        let mut c = ctx(dc);
        c.auth_key_id = key;
        d.state
            .lock()
            .signed_in
            .insert((dc, key), Signed::Phone(phone.into()));
        c
    }

    #[test]
    fn parse_tokens_and_urls() {
        let token = parse_login_token("tg://login?token=AAEC_-8").unwrap();
        assert_eq!(token, [0, 1, 2, 0xff, 0xef]);
        assert_eq!(parse_login_token("AAEC_-8=").unwrap(), token);
        assert!(parse_login_token("tg://login?token=").is_err());
        assert!(parse_login_token("a+b/").is_err());
    }

    #[test]
    fn accept_then_export_finishes_on_the_home_dc() {
        let d = desk();
        let exporter = ctx(2);
        let mut bad = export();
        bad.api_hash = "x".into();
        assert_eq!(
            d.export_login_token(&exporter, &bad),
            Err(RpcError::new(400, "API_ID_INVALID"))
        );
        let token = token_of(d.export_login_token(&exporter, &export()));
        assert_eq!(token.len(), 32);
        // Still waiting: a new token each time.
        let token = {
            let again = token_of(d.export_login_token(&exporter, &export()));
            assert_ne!(again, token);
            again
        };
        let accept = |c: &CallContext, t: &[u8]| {
            d.accept_login_token(c, &functions::auth::AcceptLoginToken { token: t.to_vec() })
        };
        assert_eq!(
            accept(&ctx(1), &token).unwrap_err(),
            RpcError::new(401, "AUTH_KEY_UNREGISTERED")
        );
        let acceptor = signed_key(&d, 2, 500, "9996621234");
        assert_eq!(
            accept(&acceptor, b"nope").unwrap_err(),
            RpcError::new(400, "AUTH_TOKEN_INVALID")
        );
        let (answer, target) = accept(&acceptor, &token).unwrap();
        assert!(matches!(answer, Answer::Session(_)));
        assert_eq!(target, (2, exporter.auth_key_id));
        assert_eq!(
            accept(&acceptor, &token).unwrap_err(),
            RpcError::new(400, "AUTH_TOKEN_ALREADY_ACCEPTED")
        );
        let Ok(Answer::LoginToken(enums::auth::LoginToken::Success(s))) =
            d.export_login_token(&exporter, &export())
        else {
            panic!()
        };
        let enums::auth::Authorization::Authorization(a) = s.authorization else {
            panic!()
        };
        let enums::User::User(u) = a.user else {
            panic!()
        };
        assert_eq!(u.id, 9996621234);
        assert_eq!(
            d.signed_in(2, exporter.auth_key_id),
            Some(Signed::Phone("9996621234".into()))
        );
        // Used up: the next export is a fresh token, and the old one stays accepted.
        token_of(d.export_login_token(&exporter, &export()));
        assert_eq!(
            accept(&acceptor, &token).unwrap_err(),
            RpcError::new(400, "AUTH_TOKEN_ALREADY_ACCEPTED")
        );
    }

    #[test]
    fn expired_tokens() {
        let d = desk();
        let mut exporter = ctx(2);
        let token = token_of(d.export_login_token(&exporter, &export()));
        let mut acceptor = signed_key(&d, 2, 500, "9996621234");
        acceptor.now = at(30);
        let req = functions::auth::AcceptLoginToken {
            token: token.clone(),
        };
        assert_eq!(
            d.accept_login_token(&acceptor, &req).unwrap_err(),
            RpcError::new(400, "AUTH_TOKEN_EXPIRED")
        );
        exporter.now = at(30);
        let import = functions::auth::ImportLoginToken {
            token: token.clone(),
        };
        assert_eq!(
            d.import_login_token(&exporter, &import),
            Err(RpcError::new(400, "AUTH_TOKEN_EXPIRED"))
        );
        acceptor.now = at(29);
        d.accept_login_token(&acceptor, &req).unwrap();
    }

    #[test]
    fn migrate_then_import_and_the_password() {
        let d = desk();
        let exporter = ctx(1);
        let token = token_of(d.export_login_token(&exporter, &export()));
        assert_eq!(
            d.accept_login_token_as("9996731234", &token, at(1)),
            Ok((1, exporter.auth_key_id))
        );
        let Ok(Answer::LoginToken(enums::auth::LoginToken::MigrateTo(m))) =
            d.export_login_token(&exporter, &export())
        else {
            panic!()
        };
        assert_eq!((m.dc_id, &m.token), (3, &token));
        let import = functions::auth::ImportLoginToken {
            token: token.clone(),
        };
        let mut on_home = ctx(3);
        on_home.auth_key_id = 900;
        // Imported on another DC: migrate again.
        assert!(matches!(
            d.import_login_token(&ctx(2), &import),
            Ok(Answer::LoginToken(enums::auth::LoginToken::MigrateTo(_)))
        ));
        assert_eq!(
            d.import_login_token(&on_home, &import),
            Err(RpcError::new(401, "SESSION_PASSWORD_NEEDED"))
        );
        assert_eq!(d.signed_in(3, 900), None);
        assert_eq!(
            d.state
                .lock()
                .awaiting_password
                .get(&(3, 900))
                .map(String::as_str),
            Some("9996731234")
        );
        assert_eq!(
            d.import_login_token(&on_home, &import),
            Err(RpcError::new(400, "AUTH_TOKEN_INVALID"))
        );
        // An account that needs sign-up cannot accept.
        let token = token_of(d.export_login_token(&exporter, &export()));
        assert_eq!(
            d.accept_login_token_as("9996811234", &token, at(1)),
            Err(RpcError::new(400, "AUTH_TOKEN_INVALID"))
        );
        assert_eq!(
            d.accept_login_token_as("12", &token, at(1)),
            Err(RpcError::new(406, "PHONE_NUMBER_INVALID"))
        );
    }

    #[test]
    fn the_update_pushed() {
        let bytes = login_token_update(at(0));
        assert_eq!(&bytes[..4], &0x78d4dec1u32.to_le_bytes());
        assert_eq!(&bytes[4..8], &0x564fe691u32.to_le_bytes());
        assert_eq!(bytes.len(), 12);
    }
}
