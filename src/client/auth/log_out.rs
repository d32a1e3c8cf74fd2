//! Leaving: auth.logOut.

use grammers_tl_types::{enums, functions};

use crate::client::{Client, Error};

impl Client {
    /// `auth.logOut`: the key is signed out. Returns the future auth token Telegram gave
    /// (also kept in the session, newest first, and sent with the next `send_code`, which
    /// then signs the same number back in without a code).
    pub async fn log_out(&self) -> Result<Option<Vec<u8>>, Error> {
        let deadline = self.deadline();
        let answer = self
            .within(
                deadline,
                self.invoke(&functions::auth::LogOut {}, true, deadline),
            )
            .await?;
        let enums::auth::LoggedOut::Out(out) = answer;
        let token = out.future_auth_token;
        self.inner.session.update_login(|login| {
            login.user = None;
            if let Some(t) = &token {
                login.remember_token(t.clone());
            }
        })?;
        Ok(token)
    }
}
