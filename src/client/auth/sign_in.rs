//! Typing the code: auth.signIn, and auth.signUp for a number with no account.

use grammers_tl_types::functions;

use super::Authorization;
use crate::client::{Client, Error};

impl Client {
    /// `auth.signIn` with the code the user received.
    ///
    /// - Signed in: an [`Authorization`] with the user (the session records it).
    /// - A number with no account: an [`Authorization`] with `sign_up_required` (the terms
    ///   of service); nothing is accepted on the user's behalf, call [`Client::sign_up`].
    /// - An account with a cloud password: the RPC error `401 SESSION_PASSWORD_NEEDED`;
    ///   then [`Client::check_password`] finishes the login.
    ///
    /// The hash belongs to the DC and auth key that asked for the code: another process
    /// can sign in with the same session (file or string) and the hash; a different key
    /// gets `PHONE_CODE_EXPIRED`, as from Telegram.
    pub async fn sign_in(
        &self,
        phone_number: &str,
        phone_code_hash: &str,
        phone_code: &str,
    ) -> Result<Authorization, Error> {
        let request = functions::auth::SignIn {
            phone_number: phone_number.to_owned(),
            phone_code_hash: phone_code_hash.to_owned(),
            phone_code: Some(phone_code.to_owned()),
            email_verification: None,
        };
        let deadline = self.deadline();
        let auth = self
            .within(deadline, self.invoke(&request, false, deadline))
            .await?;
        self.finish_login(auth.into())
    }

    /// `auth.signUp` after [`Client::sign_in`] answered `sign_up_required`: makes the
    /// account with the names the user chose (accepting the terms shown to them).
    pub async fn sign_up(
        &self,
        phone_number: &str,
        phone_code_hash: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<Authorization, Error> {
        let request = functions::auth::SignUp {
            no_joined_notifications: false,
            phone_number: phone_number.to_owned(),
            phone_code_hash: phone_code_hash.to_owned(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
        };
        let deadline = self.deadline();
        let auth = self
            .within(deadline, self.invoke(&request, false, deadline))
            .await?;
        self.finish_login(auth.into())
    }

    /// Records a login step's outcome in the session and hands it back.
    pub(crate) fn finish_login(&self, auth: Authorization) -> Result<Authorization, Error> {
        self.record_authorization(&auth)?;
        Ok(auth)
    }
}
