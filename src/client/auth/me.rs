//! Who is signed in, asked of the server: users.getUsers([inputUserSelf]).

use grammers_tl_types::{enums, functions};

use super::User;
use crate::client::{Client, Error, ErrorKind};

impl Client {
    /// The signed-in user as the server sees it now (`users.getUsers([inputUserSelf])`).
    /// A key nobody signed in on gets the RPC error `401 AUTH_KEY_UNREGISTERED`.
    pub async fn get_me(&self) -> Result<User, Error> {
        let request = functions::users::GetUsers {
            id: vec![enums::InputUser::UserSelf],
        };
        let deadline = self.deadline();
        let users = self
            .within(deadline, self.invoke(&request, true, deadline))
            .await?;
        let user = users.into_iter().next().ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                "users.getUsers([inputUserSelf]) answered no user",
            )
        })?;
        let user = User::from(user);
        self.inner.session.update_login(|login| {
            login.user = Some(crate::client::session::SignedIn {
                id: user.id,
                bot: user.bot,
            })
        })?;
        Ok(user)
    }
}
