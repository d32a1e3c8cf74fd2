//! users.getUsers, users.getFullUser, updates.getState and updates.getDifference on a
//! signed-in key: enough for clients to start from a session tgauth signed in.

use std::time::UNIX_EPOCH;

use grammers_tl_types::{enums, functions, types};

use super::accounts::Account;
use super::{Answer, CallContext, LoginDesk, RpcError};

/// Whether an input user names the account itself.
fn is_self(input: &enums::InputUser, me: &Account) -> bool {
    match input {
        enums::InputUser::UserSelf => true,
        enums::InputUser::User(u) => u.user_id == me.user_id,
        _ => false,
    }
}

/// The `userFull` of an account: nothing set beyond what is required.
fn user_full(me: &Account) -> types::UserFull {
    types::UserFull {
        blocked: false,
        phone_calls_available: false,
        phone_calls_private: false,
        can_pin_message: false,
        has_scheduled: false,
        video_calls_available: false,
        voice_messages_forbidden: false,
        translations_disabled: false,
        stories_pinned_available: false,
        blocked_my_stories_from: false,
        wallpaper_overridden: false,
        contact_require_premium: false,
        read_dates_private: false,
        sponsored_enabled: false,
        can_view_revenue: false,
        bot_can_manage_emoji_status: false,
        display_gifts_button: false,
        noforwards_my_enabled: false,
        noforwards_peer_enabled: false,
        unofficial_security_risk: false,
        id: me.user_id,
        about: None,
        settings: types::PeerSettings {
            report_spam: false,
            add_contact: false,
            block_contact: false,
            share_contact: false,
            need_contacts_exception: false,
            report_geo: false,
            autoarchived: false,
            invite_members: false,
            request_chat_broadcast: false,
            business_bot_paused: false,
            business_bot_can_reply: false,
            geo_distance: None,
            request_chat_title: None,
            request_chat_date: None,
            business_bot_id: None,
            business_bot_manage_url: None,
            charge_paid_message_stars: None,
            registration_month: None,
            phone_country: None,
            name_change_date: None,
            photo_change_date: None,
        }
        .into(),
        personal_photo: None,
        profile_photo: None,
        fallback_photo: None,
        notify_settings: types::PeerNotifySettings {
            show_previews: None,
            silent: None,
            mute_until: None,
            ios_sound: None,
            android_sound: None,
            other_sound: None,
            stories_muted: None,
            stories_hide_sender: None,
            stories_ios_sound: None,
            stories_android_sound: None,
            stories_other_sound: None,
        }
        .into(),
        bot_info: None,
        pinned_msg_id: None,
        common_chats_count: 0,
        folder_id: None,
        ttl_period: None,
        theme: None,
        private_forward_name: None,
        bot_group_admin_rights: None,
        bot_broadcast_admin_rights: None,
        wallpaper: None,
        stories: None,
        business_work_hours: None,
        business_location: None,
        business_greeting_message: None,
        business_away_message: None,
        business_intro: None,
        birthday: None,
        personal_channel_id: None,
        personal_channel_message: None,
        stargifts_count: None,
        starref_program: None,
        bot_verification: None,
        send_paid_messages_stars: None,
        disallowed_gifts: None,
        stars_rating: None,
        stars_my_pending_rating: None,
        stars_my_pending_rating_date: None,
        main_tab: None,
        saved_music: None,
        note: None,
        bot_manager_id: None,
    }
}

impl LoginDesk {
    /// users.getUsers: the account for each entry naming it (inputUserSelf or its id),
    /// nothing for others.
    pub fn get_users(
        &self,
        ctx: &CallContext,
        req: &functions::users::GetUsers,
    ) -> Result<Answer, RpcError> {
        let state = self.state.lock();
        let me = self.signed_in_account(&state, ctx.dc_id, ctx.auth_key_id)?;
        let users = req
            .id
            .iter()
            .filter(|input| is_self(input, &me))
            .map(|_| me.user())
            .collect();
        Ok(Answer::Users(users))
    }

    /// users.getFullUser of the account itself; 400 USER_ID_INVALID for anyone else.
    pub fn get_full_user(
        &self,
        ctx: &CallContext,
        req: &functions::users::GetFullUser,
    ) -> Result<Answer, RpcError> {
        let state = self.state.lock();
        let me = self.signed_in_account(&state, ctx.dc_id, ctx.auth_key_id)?;
        if !is_self(&req.id, &me) {
            return Err(RpcError::new(400, "USER_ID_INVALID"));
        }
        Ok(Answer::UserFull(types::users::UserFull {
            full_user: user_full(&me).into(),
            chats: Vec::new(),
            users: vec![me.user().into()],
        }))
    }

    /// updates.getState: an empty account's state at the call's time.
    pub fn get_state(&self, ctx: &CallContext) -> Result<Answer, RpcError> {
        let state = self.state.lock();
        self.signed_in_account(&state, ctx.dc_id, ctx.auth_key_id)?;
        let date = ctx
            .now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i32);
        Ok(Answer::State(types::updates::State {
            pts: 1,
            qts: 0,
            date,
            seq: 1,
            unread_count: 0,
        }))
    }
}

impl LoginDesk {
    /// updates.getDifference: nothing happened (`updates.differenceEmpty`).
    pub fn get_difference(&self, ctx: &CallContext) -> Result<Answer, RpcError> {
        let state = self.state.lock();
        self.signed_in_account(&state, ctx.dc_id, ctx.auth_key_id)?;
        let date = ctx
            .now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i32);
        Ok(Answer::NoDifference(types::updates::DifferenceEmpty {
            date,
            seq: 1,
        }))
    }

    /// Any other method that needs a user: 401 AUTH_KEY_UNREGISTERED on a key that is not
    /// signed in (what Telegram answers), 400 INPUT_METHOD_INVALID on one that is (the test
    /// DC does not implement it).
    pub fn other_user_method(&self, ctx: &CallContext) -> RpcError {
        let state = self.state.lock();
        match self.signed_in_account(&state, ctx.dc_id, ctx.auth_key_id) {
            Ok(_) => RpcError::new(400, "INPUT_METHOD_INVALID"),
            Err(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::accounts::Signed;
    use super::super::tests::{ctx, desk, T0};
    use super::*;

    #[test]
    fn only_signed_in_keys() {
        let d = desk();
        let c = ctx(2);
        let unregistered = Err(RpcError::new(401, "AUTH_KEY_UNREGISTERED"));
        let get_users = functions::users::GetUsers {
            id: vec![enums::InputUser::UserSelf],
        };
        let get_full = functions::users::GetFullUser {
            id: enums::InputUser::UserSelf,
        };
        assert_eq!(d.get_users(&c, &get_users), unregistered);
        assert_eq!(d.get_full_user(&c, &get_full), unregistered);
        assert_eq!(d.get_state(&c), unregistered);
        assert_eq!(d.get_difference(&c), unregistered);
        assert_eq!(
            d.other_user_method(&c),
            RpcError::new(401, "AUTH_KEY_UNREGISTERED")
        );

        d.state
            .lock()
            .signed_in
            .insert((2, c.auth_key_id), Signed::Phone("9996621234".into()));
        let Ok(Answer::Users(users)) = d.get_users(&c, &get_users) else {
            panic!()
        };
        assert_eq!(users.len(), 1);
        assert_eq!(
            (users[0].id, users[0].phone.as_deref()),
            (9996621234, Some("9996621234"))
        );
        let Ok(Answer::UserFull(full)) = d.get_full_user(&c, &get_full) else {
            panic!()
        };
        let enums::UserFull::Full(f) = &full.full_user;
        assert_eq!(f.id, 9996621234);
        assert_eq!(full.users.len(), 1);
        let other = functions::users::GetFullUser {
            id: enums::InputUser::User(types::InputUser {
                user_id: 5,
                access_hash: 0,
            }),
        };
        assert_eq!(
            d.get_full_user(&c, &other),
            Err(RpcError::new(400, "USER_ID_INVALID"))
        );
        let Ok(Answer::State(s)) = d.get_state(&c) else {
            panic!()
        };
        assert_eq!(s.date as u64, T0);
        assert!(matches!(d.get_difference(&c), Ok(Answer::NoDifference(_))));
        assert_eq!(
            d.other_user_method(&c),
            RpcError::new(400, "INPUT_METHOD_INVALID")
        );
        // Signed in per DC.
        assert_eq!(d.get_state(&ctx(1)), unregistered);
    }
}
