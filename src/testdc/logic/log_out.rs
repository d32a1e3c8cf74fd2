//! auth.logOut: the key is signed out and gets a `future_auth_token` that signs the same
//! number in again through auth.sendCode's `CodeSettings.logout_tokens`.

use super::accounts::Signed;
use super::{Answer, CallContext, LoginDesk, RpcError};
use grammers_tl_types::types;

/// 32 random bytes: a future_auth_token.
pub(super) fn random_token() -> Vec<u8> {
    crate::protocol::random::array::<32>().to_vec()
}

impl LoginDesk {
    /// auth.logOut on a signed-in key: `auth.loggedOut` (with a future_auth_token for a
    /// number's account, none for the bot); 401 AUTH_KEY_UNREGISTERED otherwise.
    pub fn log_out(&self, ctx: &CallContext) -> Result<Answer, RpcError> {
        let mut state = self.state.lock();
        let key = (ctx.dc_id, ctx.auth_key_id);
        let who = state
            .signed_in
            .remove(&key)
            .ok_or_else(|| RpcError::new(401, "AUTH_KEY_UNREGISTERED"))?;
        let future_auth_token = match who {
            Signed::Phone(digits) => {
                let token = random_token();
                state.logout_tokens.insert(token.clone(), digits);
                Some(token)
            }
            Signed::Bot => None,
        };
        Ok(Answer::LoggedOut(types::auth::LoggedOut {
            future_auth_token,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ctx, desk, req_with, settings};
    use super::*;
    use crate::testdc::logic::{logout_token_for, Outcome};
    use grammers_tl_types::enums;

    #[test]
    fn log_out_then_the_token_signs_in_again() {
        let d = desk();
        let c = ctx(2);
        assert_eq!(
            d.log_out(&c),
            Err(RpcError::new(401, "AUTH_KEY_UNREGISTERED"))
        );
        d.state
            .lock()
            .signed_in
            .insert((2, c.auth_key_id), Signed::Phone("9996621234".into()));
        let Ok(Answer::LoggedOut(out)) = d.log_out(&c) else {
            panic!()
        };
        let token = out.future_auth_token.unwrap();
        assert_eq!(token.len(), 32);
        assert_eq!(d.signed_in(2, c.auth_key_id), None);
        assert_eq!(
            d.log_out(&c),
            Err(RpcError::new(401, "AUTH_KEY_UNREGISTERED"))
        );

        // Not for another number.
        let mut s = settings();
        s.logout_tokens = Some(vec![token.clone()]);
        let (o, _) = d.send_code(&c, &req_with("9996621235", s.clone()));
        assert!(matches!(o, Outcome::Sent(enums::auth::SentCode::Code(_))));
        // A new key, the same number: signed in with no code.
        let mut other = ctx(2);
        other.auth_key_id = 77;
        let (o, _) = d.send_code(&other, &req_with("9996621234", s.clone()));
        let Outcome::Sent(enums::auth::SentCode::Success(ok)) = o else {
            panic!("{o:?}")
        };
        let enums::auth::Authorization::Authorization(a) = ok.authorization else {
            panic!()
        };
        let fresh = a.future_auth_token.unwrap();
        assert_ne!(fresh, token);
        assert_eq!(d.signed_in(2, 77), Some(Signed::Phone("9996621234".into())));
        assert!(d.codes_for("9996621234").is_empty());
        // Used once.
        let (o, _) = d.send_code(&c, &req_with("9996621234", s));
        assert!(matches!(o, Outcome::Sent(enums::auth::SentCode::Code(_))));
        // The fixed token works too and signs the key in.
        let mut s = settings();
        s.logout_tokens = Some(vec![logout_token_for("9996621234")]);
        let (o, _) = d.send_code(&c, &req_with("9996621234", s));
        assert!(matches!(
            o,
            Outcome::Sent(enums::auth::SentCode::Success(_))
        ));
        assert_eq!(
            d.signed_in(2, c.auth_key_id),
            Some(Signed::Phone("9996621234".into()))
        );
    }

    #[test]
    fn no_token_for_an_account_that_needs_sign_up() {
        let d = desk();
        let mut s = settings();
        s.logout_tokens = Some(vec![logout_token_for("9996811234")]);
        let (o, _) = d.send_code(&ctx(1), &req_with("9996811234", s));
        let Outcome::Sent(enums::auth::SentCode::Code(c)) = o else {
            panic!("{o:?}")
        };
        assert!(matches!(c.r#type, enums::auth::SentCodeType::Sms(_)));
    }
}
