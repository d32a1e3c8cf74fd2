//! The API calls: one small handler per method, each asking the pure login rules
//! ([`LoginDesk`](crate::testdc::logic::LoginDesk)) and writing the answer in the client's
//! layer.

use std::sync::Arc;
use std::time::SystemTime;

use grammers_tl_types::{functions, Cursor, Deserializable, Identifiable, Serializable};

use super::{Connection, Incoming};
use crate::protocol::message::constructor_of;
use crate::testdc::logic::{qr, Answer, CallContext, Outcome, RpcError};
use crate::testdc::KeyEntry;

/// A request's fields, or 400 INPUT_FETCH_ERROR.
fn parse<T: Deserializable>(query: &[u8]) -> Result<T, RpcError> {
    let mut cursor = Cursor::from_slice(&query[4..]);
    T::deserialize(&mut cursor).map_err(|_| RpcError::new(400, "INPUT_FETCH_ERROR"))
}

impl Connection {
    /// Answers one API call (the invoke wrappers already taken off).
    pub(super) async fn call_api(
        &mut self,
        incoming: Incoming,
        query: &[u8],
        layer: i32,
        key: Arc<KeyEntry>,
    ) -> Result<(), ()> {
        use functions::{account, auth, help, updates, users};
        let id = constructor_of(query).ok_or(())?;
        let ctx = CallContext {
            dc_id: self.dc_id,
            layer,
            auth_key_id: key.key.id(),
            session_id: self.session_id,
            now: SystemTime::now(),
        };
        let shared = self.shared.clone();
        let desk = &shared.desk;
        let reply: Result<Answer, RpcError> = match id {
            help::GetConfig::CONSTRUCTOR_ID => {
                let config = self.config();
                return self.answer(incoming, config).await;
            }
            auth::SendCode::CONSTRUCTOR_ID => return self.send_code(incoming, query, ctx).await,
            auth::SignIn::CONSTRUCTOR_ID => parse(query).and_then(|r| desk.sign_in(&ctx, &r)),
            auth::SignUp::CONSTRUCTOR_ID => parse(query).and_then(|r| desk.sign_up(&ctx, &r)),
            auth::ResendCode::CONSTRUCTOR_ID => {
                parse(query).and_then(|r| desk.resend_code(&ctx, &r))
            }
            auth::CancelCode::CONSTRUCTOR_ID => {
                parse(query).and_then(|r| desk.cancel_code(&ctx, &r))
            }
            auth::ImportBotAuthorization::CONSTRUCTOR_ID => {
                parse(query).and_then(|r| desk.import_bot_authorization(&ctx, &r))
            }
            auth::LogOut::CONSTRUCTOR_ID => desk.log_out(&ctx),
            account::GetPassword::CONSTRUCTOR_ID => desk.get_password(&ctx),
            auth::CheckPassword::CONSTRUCTOR_ID => {
                parse(query).and_then(|r| desk.check_password(&ctx, &r))
            }
            auth::ExportLoginToken::CONSTRUCTOR_ID => {
                parse(query).and_then(|r| desk.export_login_token(&ctx, &r))
            }
            auth::ImportLoginToken::CONSTRUCTOR_ID => {
                parse(query).and_then(|r| desk.import_login_token(&ctx, &r))
            }
            auth::AcceptLoginToken::CONSTRUCTOR_ID => parse(query)
                .and_then(|r| desk.accept_login_token(&ctx, &r))
                .map(|(answer, (dc, key))| {
                    shared
                        .pushes
                        .push(dc, key, &qr::login_token_update(ctx.now));
                    answer
                }),
            users::GetUsers::CONSTRUCTOR_ID => parse(query).and_then(|r| desk.get_users(&ctx, &r)),
            users::GetFullUser::CONSTRUCTOR_ID => {
                parse(query).and_then(|r| desk.get_full_user(&ctx, &r))
            }
            updates::GetState::CONSTRUCTOR_ID => desk.get_state(&ctx),
            updates::GetDifference::CONSTRUCTOR_ID => desk.get_difference(&ctx),
            // Any other method that needs a user: 401 on a key that is not signed in, as
            // Telegram answers. Clients rely on it: Telethon's connect() treats only 401 as
            // "not logged in yet".
            _ if needs_authorization(id) => Err(desk.other_user_method(&ctx)),
            _ => Err(RpcError::new(400, "INPUT_METHOD_INVALID")),
        };
        match reply {
            Ok(answer) => self.answer(incoming, answer.encode(layer)).await,
            Err(e) => self.answer_error(incoming, e.code, &e.message).await,
        }
    }

    /// auth.sendCode, which may also make the DC forget the auth key.
    async fn send_code(
        &mut self,
        incoming: Incoming,
        query: &[u8],
        ctx: CallContext,
    ) -> Result<(), ()> {
        let req = match parse::<functions::auth::SendCode>(query) {
            Ok(r) => r,
            Err(e) => return self.answer_error(incoming, e.code, &e.message).await,
        };
        let (outcome, effects) = self.shared.desk.send_code(&ctx, &req);
        self.shared.stats.lock().send_code_calls += 1;
        let result = match outcome {
            Outcome::Sent(sent) => self.answer(incoming, sent.to_bytes()).await,
            Outcome::Error { code, message } => self.answer_error(incoming, code, &message).await,
        };
        if effects.forget_auth_key {
            self.dc().keys.lock().remove(&ctx.auth_key_id);
            self.shared.desk.forget_key(ctx.dc_id, ctx.auth_key_id);
        }
        result
    }
}

/// Whether a query constructor is an API method that needs a signed-in user: any method of
/// the schema outside the namespaces usable before sign-in (auth., help., langpack.).
/// Unknown constructors are not: they get INPUT_METHOD_INVALID.
pub(super) fn needs_authorization(id: u32) -> bool {
    let name = grammers_tl_types::name_for_id(id);
    match name.split_once('.') {
        Some((namespace, _)) => !matches!(namespace, "auth" | "help" | "langpack"),
        None => false,
    }
}
