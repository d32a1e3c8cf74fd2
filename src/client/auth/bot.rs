//! Bot login: auth.importBotAuthorization.

use grammers_tl_types::functions;

use super::Authorization;
use crate::client::{Client, Error};

impl Client {
    /// Signs a bot in with its token from @BotFather. A bot lives on one DC: the
    /// `USER_MIGRATE_X` Telegram answers elsewhere is followed, and that DC becomes home.
    pub async fn sign_in_bot(
        &self,
        bot_token: &str,
        api_id: i32,
        api_hash: &str,
    ) -> Result<Authorization, Error> {
        self.remember_app(api_id, api_hash)?;
        let request = functions::auth::ImportBotAuthorization {
            flags: 0,
            api_id,
            api_hash: api_hash.to_owned(),
            bot_auth_token: bot_token.to_owned(),
        };
        let deadline = self.deadline();
        let auth = self
            .within(deadline, self.invoke(&request, false, deadline))
            .await?;
        self.finish_login(auth.into())
    }
}
