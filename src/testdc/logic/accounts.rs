//! The test accounts (the table of `TESTDC.md`, "Accounts and the rest of the login") and
//! which auth keys are signed in to which of them.
//!
//! | number (digits) | account | home DC |
//! |---|---|---|
//! | `99966X…` | registered, no cloud password | X |
//! | `99967X…` | registered, cloud password [`PASSWORD`], hint [`PASSWORD_HINT`] | X |
//! | `99968X…` | none until auth.signUp | X |
//! | any other valid number | registered, no cloud password | as auth.sendCode routes it |
//!
//! Plus one bot ([`BOT_USER_ID`]), signed in with the ready line's `bot_token`.

use grammers_tl_types::types;

use super::{LoginDesk, RpcError};

/// The cloud password of every `99967X…` account.
pub const PASSWORD: &str = "secret";
/// Its hint.
pub const PASSWORD_HINT: &str = "the usual one";
/// The longest first name auth.signUp takes, in characters.
pub const MAX_FIRST_NAME: usize = 64;
/// The user id of the test DC's bot (the `ID` of its `bot_token`).
pub const BOT_USER_ID: i64 = 7_000_000_001;

/// Who an auth key is signed in as.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Signed {
    /// The account of a number (digits).
    Phone(String),
    /// The test DC's bot.
    Bot,
}

/// An account as the DC shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub user_id: i64,
    /// Digits; `None` for the bot.
    pub phone: Option<String>,
    pub first_name: String,
    pub last_name: Option<String>,
    /// A cloud password (2FA) is set.
    pub has_password: bool,
    pub bot: bool,
}

/// What the table says about a number before anyone signs up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Preset {
    Registered { password: bool },
    SignUpRequired,
}

/// The X of a `99966X…`, `99967X…` or `99968X…` number, X in `1..=dcs`.
pub(super) fn table_dc(digits: &str, dcs: i32) -> Option<i32> {
    let rest = ["99966", "99967", "99968"]
        .iter()
        .find_map(|p| digits.strip_prefix(p))?;
    let x = i32::from(*rest.as_bytes().first()?) - i32::from(b'0');
    (1..=dcs).contains(&x).then_some(x)
}

/// The table's account for a number (digits).
pub(super) fn preset(digits: &str, dcs: i32) -> Preset {
    if table_dc(digits, dcs).is_some() {
        if digits.starts_with("99967") {
            return Preset::Registered { password: true };
        }
        if digits.starts_with("99968") {
            return Preset::SignUpRequired;
        }
    }
    Preset::Registered { password: false }
}

/// The user id of the test account of a number: its digits read as a number (1 for an
/// all-zero number).
pub fn user_id_for(phone_digits: &str) -> i64 {
    phone_digits.parse::<i64>().unwrap_or(0).max(1)
}

impl Account {
    /// The registered account of a number as the table makes it.
    pub fn of_number(digits: &str, has_password: bool) -> Account {
        Account {
            user_id: user_id_for(digits),
            phone: Some(digits.to_owned()),
            first_name: "Test".to_owned(),
            last_name: None,
            has_password,
            bot: false,
        }
    }

    /// The test DC's bot.
    pub fn bot() -> Account {
        Account {
            user_id: BOT_USER_ID,
            phone: None,
            first_name: "Test".to_owned(),
            last_name: None,
            has_password: false,
            bot: true,
        }
    }

    /// The account as `user` with `self` set: the id, an access hash derived from the id,
    /// the phone and names; no photo, status or other optional object.
    pub fn user(&self) -> types::User {
        // FNV-1a: a stable access hash without keeping one.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let seed = match &self.phone {
            Some(p) => p.clone(),
            None => format!("bot:{}", self.user_id),
        };
        for b in b"tgauth-user:".iter().chain(seed.as_bytes()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        types::User {
            is_self: true,
            contact: false,
            mutual_contact: false,
            deleted: false,
            bot: self.bot,
            bot_chat_history: false,
            bot_nochats: false,
            verified: false,
            restricted: false,
            min: false,
            bot_inline_geo: false,
            support: false,
            scam: false,
            apply_min_photo: false,
            fake: false,
            bot_attach_menu: false,
            premium: false,
            attach_menu_enabled: false,
            bot_can_edit: false,
            close_friend: false,
            stories_hidden: false,
            stories_unavailable: false,
            contact_require_premium: false,
            bot_business: false,
            bot_has_main_app: false,
            bot_forum_view: false,
            bot_forum_can_manage_topics: false,
            bot_can_manage_bots: false,
            bot_guestchat: false,
            bot_guard: false,
            id: self.user_id,
            access_hash: Some(h as i64),
            first_name: Some(self.first_name.clone()),
            last_name: self.last_name.clone(),
            username: self.bot.then(|| "tgauth_test_bot".to_owned()),
            phone: self.phone.clone(),
            photo: None,
            status: None,
            bot_info_version: self.bot.then_some(1),
            restriction_reason: None,
            bot_inline_placeholder: None,
            lang_code: None,
            emoji_status: None,
            usernames: None,
            stories_max_id: None,
            color: None,
            profile_color: None,
            bot_active_users: None,
            bot_verification_icon: None,
            send_paid_messages_stars: None,
            linked_community_id: None,
        }
    }
}

/// The test account of a number (registered, no password), as `user`.
pub fn test_user(phone_digits: &str) -> types::User {
    Account::of_number(phone_digits, false).user()
}

/// The `auth.authorization` that signs an account in.
pub fn authorization(
    account: &Account,
    future_auth_token: Option<Vec<u8>>,
) -> types::auth::Authorization {
    types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token,
        user: account.user().into(),
    }
}

impl LoginDesk {
    /// The account of a number (digits) now, `None` while it needs auth.signUp.
    pub fn account(&self, digits: &str) -> Option<Account> {
        self.account_in(&self.state.lock(), digits)
    }

    pub(super) fn account_in(&self, state: &super::DeskState, digits: &str) -> Option<Account> {
        if let Some(made) = state.accounts.get(digits) {
            return Some(made.clone());
        }
        match preset(digits, self.cfg.dc_count) {
            Preset::Registered { password } => Some(Account::of_number(digits, password)),
            Preset::SignUpRequired => None,
        }
    }

    /// Who the auth key `auth_key_id` on DC `dc_id` is signed in as.
    pub fn signed_in(&self, dc_id: i32, auth_key_id: i64) -> Option<Signed> {
        self.state
            .lock()
            .signed_in
            .get(&(dc_id, auth_key_id))
            .cloned()
    }

    /// The account a key is signed in to, or 401 AUTH_KEY_UNREGISTERED.
    pub(super) fn signed_in_account(
        &self,
        state: &super::DeskState,
        dc_id: i32,
        auth_key_id: i64,
    ) -> Result<Account, RpcError> {
        let unregistered = || RpcError::new(401, "AUTH_KEY_UNREGISTERED");
        match state.signed_in.get(&(dc_id, auth_key_id)) {
            Some(Signed::Phone(digits)) => self.account_in(state, digits).ok_or_else(unregistered),
            Some(Signed::Bot) => Ok(Account::bot()),
            None => Err(unregistered()),
        }
    }

    /// Forgets everything tied to an auth key (AUTH_KEY_DUPLICATED, or the key is gone).
    pub fn forget_key(&self, dc_id: i32, auth_key_id: i64) {
        let mut state = self.state.lock();
        state.signed_in.remove(&(dc_id, auth_key_id));
        state.awaiting_password.remove(&(dc_id, auth_key_id));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::desk;
    use super::*;

    #[test]
    fn the_table() {
        let d = desk();
        let a = d.account("9996621234").unwrap();
        assert_eq!(a, Account::of_number("9996621234", false));
        assert_eq!((a.user_id, a.first_name.as_str()), (9996621234, "Test"));
        assert!(d.account("9996731234").unwrap().has_password);
        assert_eq!(d.account("9996831234"), None);
        // X outside 1..=dcs: an ordinary number.
        assert_eq!(
            d.account("9996841234"),
            Some(Account::of_number("9996841234", false))
        );
        assert_eq!(d.account("9996741234").map(|a| a.has_password), Some(false));
        assert!(d.account("9998801123").is_some());
        assert_eq!(table_dc("9996731234", 3), Some(3));
        assert_eq!(table_dc("9996801234", 3), None);
        assert_eq!(d.home_dc_for("9996831234"), 3);
        assert_eq!(d.home_dc_for("9996711234"), 1);
    }

    #[test]
    fn users_show_the_account() {
        let u = test_user("9996621234");
        assert!(u.is_self && !u.bot);
        assert_eq!(u.phone.as_deref(), Some("9996621234"));
        let b = Account::bot().user();
        assert!(b.bot && b.is_self);
        assert_eq!((b.id, b.phone.as_deref()), (BOT_USER_ID, None));
        assert_ne!(u.access_hash, b.access_hash);
    }
}
