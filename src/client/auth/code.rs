//! Asking for a login code: auth.sendCode, auth.resendCode, auth.cancelCode.

use grammers_tl_types::{enums, functions, types};

use super::SentCode;
use crate::client::{Client, Error};

impl Client {
    /// `auth.sendCode`, with one deadline for the whole request (the client's timeout).
    ///
    /// Unless `settings.logout_tokens` is given, the session's future auth tokens go with
    /// it, so a number that logged out here comes back without a code: the answer is then
    /// `auth.sentCodeSuccess` and the session is signed in.
    pub async fn send_code(
        &self,
        phone_number: &str,
        api_id: i32,
        api_hash: &str,
        mut settings: types::CodeSettings,
    ) -> Result<SentCode, Error> {
        self.remember_app(api_id, api_hash)?;
        if settings.logout_tokens.is_none() {
            let tokens = self.future_auth_tokens();
            if !tokens.is_empty() {
                settings.logout_tokens = Some(tokens);
            }
        }
        let request = functions::auth::SendCode {
            phone_number: phone_number.to_owned(),
            api_id,
            api_hash: api_hash.to_owned(),
            settings: enums::CodeSettings::Settings(settings),
        };
        let deadline = self.deadline();
        let sent = self
            .within(deadline, self.invoke(&request, false, deadline))
            .await?;
        self.finish_sent_code(sent)
    }

    /// `auth.resendCode`: the code again, by the `next_type` of the previous answer.
    /// `reason` is the optional reason Telegram accepts (e.g. the code never arrived).
    pub async fn resend_code(
        &self,
        phone_number: &str,
        phone_code_hash: &str,
        reason: Option<&str>,
    ) -> Result<SentCode, Error> {
        let request = functions::auth::ResendCode {
            phone_number: phone_number.to_owned(),
            phone_code_hash: phone_code_hash.to_owned(),
            reason: reason.map(str::to_owned),
        };
        let deadline = self.deadline();
        let sent = self
            .within(deadline, self.invoke(&request, false, deadline))
            .await?;
        self.finish_sent_code(sent)
    }

    /// `auth.cancelCode`: the code is no longer wanted; its hash is dead afterwards.
    /// Returns what the server answered (`true` when it cancelled the code).
    pub async fn cancel_code(
        &self,
        phone_number: &str,
        phone_code_hash: &str,
    ) -> Result<bool, Error> {
        let request = functions::auth::CancelCode {
            phone_number: phone_number.to_owned(),
            phone_code_hash: phone_code_hash.to_owned(),
        };
        let deadline = self.deadline();
        let answer = self
            .within(deadline, self.invoke(&request, false, deadline))
            .await?;
        Ok(answer)
    }

    /// An `auth.sentCodeSuccess` is a finished login: the session records it.
    fn finish_sent_code(&self, sent: enums::auth::SentCode) -> Result<SentCode, Error> {
        let sent = SentCode::from(sent);
        if let Some(auth) = &sent.authorization {
            self.record_authorization(auth)?;
        }
        Ok(sent)
    }
}
