//! auth.importBotAuthorization: the ready line's `bot_token` signs in the test DC's bot,
//! homed on the last DC.

use grammers_tl_types::functions;

use super::accounts::{authorization, Account, Signed, BOT_USER_ID};
use super::{hex, Answer, CallContext, LoginDesk, RpcError};

/// A fresh `ID:SECRET` token for the bot ([`BOT_USER_ID`] and 32 random hex digits).
pub(super) fn random_bot_token() -> String {
    format!(
        "{BOT_USER_ID}:{}",
        hex(&crate::protocol::random::array::<16>())
    )
}

impl LoginDesk {
    /// The bot's home DC: the last one.
    pub fn bot_dc(&self) -> i32 {
        self.cfg.dc_count
    }

    /// auth.importBotAuthorization: the app, then the token (400 ACCESS_TOKEN_INVALID),
    /// then the DC (303 USER_MIGRATE_<last DC>); the key is signed in as the bot.
    pub fn import_bot_authorization(
        &self,
        ctx: &CallContext,
        req: &functions::auth::ImportBotAuthorization,
    ) -> Result<Answer, RpcError> {
        self.check_app(req.api_id, &req.api_hash)?;
        // Compared in constant time: it is a secret.
        let given = req.bot_auth_token.as_bytes();
        let ours = self.bot_token.as_bytes();
        let same = given.len() == ours.len()
            && given
                .iter()
                .zip(ours)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(RpcError::new(400, "ACCESS_TOKEN_INVALID"));
        }
        if ctx.dc_id != self.bot_dc() {
            return Err(RpcError::new(
                303,
                format!("USER_MIGRATE_{}", self.bot_dc()),
            ));
        }
        self.state
            .lock()
            .signed_in
            .insert((ctx.dc_id, ctx.auth_key_id), Signed::Bot);
        Ok(Answer::Authorization(authorization(&Account::bot(), None)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ctx, desk};
    use super::*;
    use grammers_tl_types::enums;

    fn import(token: &str) -> functions::auth::ImportBotAuthorization {
        functions::auth::ImportBotAuthorization {
            flags: 0,
            api_id: 1,
            api_hash: "h1".into(),
            bot_auth_token: token.into(),
        }
    }

    #[test]
    fn the_bot_token_signs_in_on_the_last_dc() {
        let d = desk();
        let token = d.bot_token().to_owned();
        assert!(token.starts_with(&format!("{BOT_USER_ID}:")));
        let err = |r: Result<Answer, RpcError>| r.unwrap_err();
        assert_eq!(
            err(d.import_bot_authorization(&ctx(1), &import(&token))),
            RpcError::new(303, "USER_MIGRATE_3")
        );
        assert_eq!(
            err(d.import_bot_authorization(&ctx(3), &import("1:nope"))),
            RpcError::new(400, "ACCESS_TOKEN_INVALID")
        );
        assert_eq!(
            err(d.import_bot_authorization(&ctx(1), &import(""))),
            RpcError::new(400, "ACCESS_TOKEN_INVALID")
        );
        let mut bad_app = import(&token);
        bad_app.api_hash = "x".into();
        assert_eq!(
            err(d.import_bot_authorization(&ctx(3), &bad_app)),
            RpcError::new(400, "API_ID_INVALID")
        );
        assert_eq!(d.signed_in(3, 11), None);
        let Ok(Answer::Authorization(a)) = d.import_bot_authorization(&ctx(3), &import(&token))
        else {
            panic!()
        };
        let enums::User::User(u) = a.user else {
            panic!()
        };
        assert!(u.bot && u.is_self);
        assert_eq!(u.id, BOT_USER_ID);
        assert_eq!(d.signed_in(3, 11), Some(Signed::Bot));
    }
}
