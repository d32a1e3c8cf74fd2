//! What a finished (or refused) login hands back: the user, or the terms of service of a
//! sign-up that the caller has to accept explicitly, and the future auth token.

use grammers_tl_types::enums;

/// The signed-in user, as Telegram described it at login.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    /// The user's id.
    pub id: i64,
    /// The access hash bound to this session (0 when the server sent none).
    pub access_hash: i64,
    /// First name ("" when absent).
    pub first_name: String,
    /// Last name ("" when absent).
    pub last_name: String,
    /// Username, without the '@' (`None` when the user has none).
    pub username: Option<String>,
    /// Phone number, digits only (`None` when hidden or for bots).
    pub phone: Option<String>,
    /// Whether the account is a bot.
    pub bot: bool,
}

impl From<enums::User> for User {
    fn from(user: enums::User) -> Self {
        match user {
            enums::User::Empty(u) => User {
                id: u.id,
                ..User::default()
            },
            enums::User::User(u) => User {
                id: u.id,
                access_hash: u.access_hash.unwrap_or(0),
                first_name: u.first_name.unwrap_or_default(),
                last_name: u.last_name.unwrap_or_default(),
                username: u.username,
                phone: u.phone,
                bot: u.bot,
            },
        }
    }
}

/// Telegram's terms of service, which a new account must accept (`help.termsOfService`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TermsOfService {
    /// The text to show.
    pub text: String,
    /// The id to accept with `help.acceptTermsOfService`.
    pub id: String,
    /// Whether the user must be shown a popup (Telegram's `popup` flag).
    pub popup: bool,
    /// The minimum age, when Telegram requires one.
    pub min_age_confirm: Option<i32>,
}

/// The outcome of a login step that finishes the login or asks for a sign-up.
///
/// Exactly one of `user` and `sign_up_required` is set: a new number is never signed up
/// silently, the caller has to call `sign_up` with the names the user chose.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Authorization {
    /// The user now signed in (`None` when a sign-up is required).
    pub user: Option<User>,
    /// The number has no account: the terms of service to accept before `sign_up`.
    pub sign_up_required: Option<TermsOfService>,
    /// A token that logs this number back in without a code (kept in the session too).
    pub future_auth_token: Option<Vec<u8>>,
    /// The account should set a cloud password (Telegram's `setup_password_required`).
    pub setup_password_required: bool,
    /// Days after which Telegram asks this device to log in again, when it says.
    pub otherwise_relogin_days: Option<i32>,
}

impl Authorization {
    /// Whether someone is signed in now.
    pub fn is_signed_in(&self) -> bool {
        self.user.is_some()
    }
}

impl From<enums::auth::Authorization> for Authorization {
    fn from(auth: enums::auth::Authorization) -> Self {
        match auth {
            enums::auth::Authorization::Authorization(a) => Authorization {
                user: Some(User::from(a.user)),
                sign_up_required: None,
                future_auth_token: a.future_auth_token,
                setup_password_required: a.setup_password_required,
                otherwise_relogin_days: a.otherwise_relogin_days,
            },
            enums::auth::Authorization::SignUpRequired(s) => Authorization {
                user: None,
                sign_up_required: Some(
                    s.terms_of_service
                        .map(TermsOfService::from)
                        .unwrap_or_default(),
                ),
                ..Authorization::default()
            },
        }
    }
}

impl From<enums::help::TermsOfService> for TermsOfService {
    fn from(t: enums::help::TermsOfService) -> Self {
        let enums::help::TermsOfService::Service(t) = t;
        let enums::DataJson::Json(id) = t.id;
        TermsOfService {
            text: t.text,
            id: id.data,
            popup: t.popup,
            min_age_confirm: t.min_age_confirm,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grammers_tl_types::types;

    fn tl_user(bot: bool) -> enums::User {
        // The test DC's account of a number: a full `user` as the server sends it.
        let mut u = crate::testdc::logic::test_user("9996612345");
        u.bot = bot;
        u.id = 42;
        u.access_hash = Some(7);
        u.first_name = Some("Ann".into());
        u.into()
    }

    #[test]
    fn a_signed_in_user_is_described_whole() {
        let auth = Authorization::from(enums::auth::Authorization::Authorization(
            types::auth::Authorization {
                setup_password_required: false,
                otherwise_relogin_days: Some(3),
                tmp_sessions: None,
                future_auth_token: Some(vec![1, 2, 3]),
                user: tl_user(false),
            },
        ));
        let user = auth.user.clone().expect("signed in");
        assert_eq!(
            (
                user.id,
                user.access_hash,
                user.first_name.as_str(),
                user.bot
            ),
            (42, 7, "Ann", false)
        );
        assert_eq!(user.phone.as_deref(), Some("9996612345"));
        assert_eq!(auth.future_auth_token, Some(vec![1, 2, 3]));
        assert_eq!(auth.otherwise_relogin_days, Some(3));
        assert!(auth.is_signed_in() && auth.sign_up_required.is_none());
    }

    #[test]
    fn sign_up_required_carries_the_terms() {
        let auth = Authorization::from(enums::auth::Authorization::SignUpRequired(
            types::auth::AuthorizationSignUpRequired {
                terms_of_service: Some(enums::help::TermsOfService::Service(
                    types::help::TermsOfService {
                        popup: true,
                        id: enums::DataJson::Json(types::DataJson {
                            data: "tos-1".into(),
                        }),
                        text: "Be nice.".into(),
                        entities: Vec::new(),
                        min_age_confirm: Some(16),
                    },
                )),
            },
        ));
        assert!(!auth.is_signed_in());
        let tos = auth.sign_up_required.expect("terms");
        assert_eq!(
            (
                tos.text.as_str(),
                tos.id.as_str(),
                tos.popup,
                tos.min_age_confirm
            ),
            ("Be nice.", "tos-1", true, Some(16))
        );
    }
}
