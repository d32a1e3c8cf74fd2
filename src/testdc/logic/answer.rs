//! What the login rules answer, and how an answer is written for the client's layer.
//!
//! The rules build answers with the types of `grammers-tl-types` (layer
//! [`NEWEST_LAYER`](super::NEWEST_LAYER)); [`Answer::encode`] is the one place that writes
//! them, and the place where an answer is lowered to an older layer's constructors.
//!
//! Every constructor these answers use has the same id in Telethon 1.45's layer 229 as in
//! 230 ([`LOGIN_CONSTRUCTORS`], checked against the crate by a test), so nothing is lowered
//! for it. The auth.sendCode kinds are lowered by kind (see `CodeKind::for_layer`).

use grammers_tl_types::{enums, types, Serializable};

/// An answer of the login rules.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    SentCode(enums::auth::SentCode),
    Authorization(types::auth::Authorization),
    SignUpRequired(types::auth::AuthorizationSignUpRequired),
    Bool(bool),
    LoggedOut(types::auth::LoggedOut),
    Password(types::account::Password),
    Users(Vec<types::User>),
    UserFull(types::users::UserFull),
    State(types::updates::State),
    /// `updates.differenceEmpty`.
    NoDifference(types::updates::DifferenceEmpty),
    LoginToken(enums::auth::LoginToken),
    /// `authorization` (a session), the answer of auth.acceptLoginToken.
    Session(types::Authorization),
}

/// The constructors login answers use besides the auth.sendCode ones, with their ids at
/// layer 230; each has the same id at 229 (Telethon 1.45's layer).
pub const LOGIN_CONSTRUCTORS: &[(&str, u32)] = &[
    ("user", 0xb1b8cc83),
    ("userFull", 0x06cbe645),
    ("users.userFull", 0x3b6d152e),
    ("auth.authorization", 0x2ea2c0d4),
    ("auth.authorizationSignUpRequired", 0x44747e9a),
    ("help.termsOfService", 0x780a0310),
    ("dataJSON", 0x7d748d04),
    ("account.password", 0x957b50fb),
    (
        "passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow",
        0x3a912d4a,
    ),
    ("securePasswordKdfAlgoSHA512", 0x86471d92),
    ("peerSettings", 0xf47741f7),
    ("peerNotifySettings", 0x99622c0c),
    ("updates.state", 0xa56c2a3e),
    ("auth.loginToken", 0x629f1980),
    ("auth.loginTokenMigrateTo", 0x068e9916),
    ("auth.loginTokenSuccess", 0x390d5c5e),
    ("updateShort", 0x78d4dec1),
    ("updateLoginToken", 0x564fe691),
    ("auth.loggedOut", 0xc3a2835f),
    ("authorization", 0xad01d61d),
    ("updates.differenceEmpty", 0x5d75a138),
];

impl Answer {
    /// The answer's bytes for a client of `layer`.
    pub fn encode(&self, _layer: i32) -> Vec<u8> {
        match self {
            Answer::SentCode(a) => a.to_bytes(),
            Answer::Authorization(a) => {
                enums::auth::Authorization::Authorization(a.clone()).to_bytes()
            }
            Answer::SignUpRequired(a) => {
                enums::auth::Authorization::SignUpRequired(a.clone()).to_bytes()
            }
            Answer::Bool(b) => b.to_bytes(),
            Answer::LoggedOut(a) => enums::auth::LoggedOut::Out(a.clone()).to_bytes(),
            Answer::Password(a) => enums::account::Password::Password(a.clone()).to_bytes(),
            Answer::Users(users) => users
                .iter()
                .cloned()
                .map(enums::User::User)
                .collect::<Vec<_>>()
                .to_bytes(),
            Answer::UserFull(a) => enums::users::UserFull::Full(a.clone()).to_bytes(),
            Answer::State(a) => enums::updates::State::State(a.clone()).to_bytes(),
            Answer::NoDifference(a) => enums::updates::Difference::Empty(a.clone()).to_bytes(),
            Answer::LoginToken(a) => a.to_bytes(),
            Answer::Session(a) => enums::Authorization::Authorization(a.clone()).to_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use grammers_tl_types::Identifiable;

    use super::*;

    #[test]
    fn login_constructors_match_the_crate() {
        let crate_ids = [
            types::User::CONSTRUCTOR_ID,
            types::UserFull::CONSTRUCTOR_ID,
            types::users::UserFull::CONSTRUCTOR_ID,
            types::auth::Authorization::CONSTRUCTOR_ID,
            types::auth::AuthorizationSignUpRequired::CONSTRUCTOR_ID,
            types::help::TermsOfService::CONSTRUCTOR_ID,
            types::DataJson::CONSTRUCTOR_ID,
            types::account::Password::CONSTRUCTOR_ID,
            types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow::CONSTRUCTOR_ID,
            types::SecurePasswordKdfAlgoSha512::CONSTRUCTOR_ID,
            types::PeerSettings::CONSTRUCTOR_ID,
            types::PeerNotifySettings::CONSTRUCTOR_ID,
            types::updates::State::CONSTRUCTOR_ID,
            types::auth::LoginToken::CONSTRUCTOR_ID,
            types::auth::LoginTokenMigrateTo::CONSTRUCTOR_ID,
            types::auth::LoginTokenSuccess::CONSTRUCTOR_ID,
            types::UpdateShort::CONSTRUCTOR_ID,
            types::UpdateLoginToken::CONSTRUCTOR_ID,
            types::auth::LoggedOut::CONSTRUCTOR_ID,
            types::Authorization::CONSTRUCTOR_ID,
            types::updates::DifferenceEmpty::CONSTRUCTOR_ID,
        ];
        assert_eq!(crate_ids.len(), LOGIN_CONSTRUCTORS.len());
        for ((name, id), crate_id) in LOGIN_CONSTRUCTORS.iter().zip(crate_ids) {
            assert_eq!(*id, crate_id, "{name}");
        }
    }

    #[test]
    fn answers_start_with_their_constructor() {
        let a = Answer::Bool(true).encode(229);
        assert_eq!(a, 0x997275b5u32.to_le_bytes());
        let s = Answer::State(types::updates::State {
            pts: 1,
            qts: 0,
            date: 5,
            seq: 1,
            unread_count: 0,
        })
        .encode(229);
        assert_eq!(&s[..4], &0xa56c2a3eu32.to_le_bytes());
        assert_eq!(s.len(), 24);
    }
}
