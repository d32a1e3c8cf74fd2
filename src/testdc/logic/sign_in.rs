//! auth.signIn, auth.signUp, auth.resendCode and auth.cancelCode: the steps that take a
//! phone_code_hash.
//!
//! A hash is alive for the (DC, auth key, number) it was issued to, until it is cancelled,
//! used by a successful sign-in or sign-up, or older than the code TTL: anything else is
//! 400 `PHONE_CODE_EXPIRED`. Every step answers 303 `PHONE_MIGRATE_X` first on the wrong DC.

use std::time::SystemTime;

use grammers_tl_types::{enums, functions, types};

use super::accounts::{authorization, Account, Signed, MAX_FIRST_NAME};
use super::{
    make_answer, normalize_phone, Answer, CallContext, CodeKind, DeskState, KeptCode, LoginDesk,
    RpcError,
};

/// One phone_code_hash the DC issued, and what it is bound to.
#[derive(Clone, Debug)]
pub(super) struct IssuedHash {
    dc_id: i32,
    auth_key_id: i64,
    digits: String,
    /// The code of the last answer that carried this hash.
    code: String,
    /// The last answer's `next_type` (auth.resendCode sends that kind).
    next: Option<CodeKind>,
    issued_at: SystemTime,
    /// Cancelled, or used by a successful sign-in.
    dead: bool,
    /// auth.signIn answered sign-up required with it: auth.signUp may use it.
    sign_up_allowed: bool,
}

impl IssuedHash {
    pub(super) fn new(
        ctx: &CallContext,
        digits: String,
        code: String,
        answer: &enums::auth::SentCode,
    ) -> Self {
        IssuedHash {
            dc_id: ctx.dc_id,
            auth_key_id: ctx.auth_key_id,
            digits,
            code,
            next: next_kind(answer),
            issued_at: ctx.now,
            dead: false,
            sign_up_allowed: false,
        }
    }
}

/// The kind auth.resendCode would send after this answer.
fn next_kind(answer: &enums::auth::SentCode) -> Option<CodeKind> {
    use enums::auth::CodeType;
    let enums::auth::SentCode::Code(code) = answer else {
        return None;
    };
    Some(match code.next_type.as_ref()? {
        CodeType::Sms => CodeKind::Sms,
        CodeType::Call => CodeKind::Call,
        CodeType::FlashCall => CodeKind::FlashCall,
        CodeType::MissedCall => CodeKind::MissedCall,
        CodeType::FragmentSms => CodeKind::FragmentSms,
    })
}

/// The `help.termsOfService` a sign-up-required answer carries.
pub fn terms_of_service() -> types::help::TermsOfService {
    types::help::TermsOfService {
        popup: false,
        id: types::DataJson {
            data: "tgauth-testdc-tos-1".to_owned(),
        }
        .into(),
        text: "These are the terms of service of a local test data center: it keeps \
               nothing once stopped."
            .to_owned(),
        entities: Vec::new(),
        min_age_confirm: None,
    }
}

impl LoginDesk {
    /// The digits of a number named in a request, after the DC routing: 406
    /// PHONE_NUMBER_INVALID, or 303 PHONE_MIGRATE_X on the wrong DC.
    pub(super) fn routed_number(&self, ctx: &CallContext, raw: &str) -> Result<String, RpcError> {
        let digits =
            normalize_phone(raw).ok_or_else(|| RpcError::new(406, "PHONE_NUMBER_INVALID"))?;
        match self.wrong_dc(&digits, ctx.dc_id) {
            Some(migrate) => Err(migrate),
            None => Ok(digits),
        }
    }

    /// The live hash `hash` for this key and number, or 400 PHONE_CODE_EXPIRED.
    fn live_hash<'a>(
        &self,
        state: &'a mut DeskState,
        ctx: &CallContext,
        digits: &str,
        hash: &str,
    ) -> Result<&'a mut IssuedHash, RpcError> {
        let issued = state
            .hashes
            .get_mut(hash)
            .filter(|h| {
                h.dc_id == ctx.dc_id
                    && h.auth_key_id == ctx.auth_key_id
                    && h.digits == digits
                    && !h.dead
                    && ctx.now.duration_since(h.issued_at).unwrap_or_default() < self.code_ttl
            })
            .ok_or_else(|| RpcError::new(400, "PHONE_CODE_EXPIRED"))?;
        Ok(issued)
    }

    /// auth.signIn: the hash, then the code, then the account: sign-up required, 401
    /// SESSION_PASSWORD_NEEDED (the key then waits for auth.checkPassword), or
    /// `auth.authorization` with the key signed in.
    pub fn sign_in(
        &self,
        ctx: &CallContext,
        req: &functions::auth::SignIn,
    ) -> Result<Answer, RpcError> {
        let digits = self.routed_number(ctx, &req.phone_number)?;
        let mut state = self.state.lock();
        let issued = self.live_hash(&mut state, ctx, &digits, &req.phone_code_hash)?;
        let code = req.phone_code.as_deref().unwrap_or_default();
        if code.is_empty() {
            return Err(RpcError::new(400, "PHONE_CODE_EMPTY"));
        }
        if code != issued.code {
            return Err(RpcError::new(400, "PHONE_CODE_INVALID"));
        }
        let key = (ctx.dc_id, ctx.auth_key_id);
        let Some(account) = self.account_in(&state, &digits) else {
            if let Some(h) = state.hashes.get_mut(&req.phone_code_hash) {
                h.sign_up_allowed = true;
            }
            return Ok(Answer::SignUpRequired(
                types::auth::AuthorizationSignUpRequired {
                    terms_of_service: Some(terms_of_service().into()),
                },
            ));
        };
        if let Some(h) = state.hashes.get_mut(&req.phone_code_hash) {
            h.dead = true;
        }
        if account.has_password {
            state.awaiting_password.insert(key, digits);
            return Err(RpcError::new(401, "SESSION_PASSWORD_NEEDED"));
        }
        state.signed_in.insert(key, Signed::Phone(digits));
        Ok(Answer::Authorization(authorization(&account, None)))
    }

    /// auth.signUp after a sign-up-required answer: the hash, the first name (1 to
    /// [`MAX_FIRST_NAME`] characters, else 400 FIRSTNAME_INVALID), then the account is made
    /// and the key signed in.
    pub fn sign_up(
        &self,
        ctx: &CallContext,
        req: &functions::auth::SignUp,
    ) -> Result<Answer, RpcError> {
        let digits = self.routed_number(ctx, &req.phone_number)?;
        let mut state = self.state.lock();
        let allowed = self
            .live_hash(&mut state, ctx, &digits, &req.phone_code_hash)?
            .sign_up_allowed;
        if !allowed {
            // The code was never checked with this hash.
            return Err(RpcError::new(400, "PHONE_CODE_EXPIRED"));
        }
        let first = req.first_name.trim();
        if first.is_empty() || first.chars().count() > MAX_FIRST_NAME {
            return Err(RpcError::new(400, "FIRSTNAME_INVALID"));
        }
        if self.account_in(&state, &digits).is_some() {
            return Err(RpcError::new(400, "PHONE_NUMBER_OCCUPIED"));
        }
        if let Some(h) = state.hashes.get_mut(&req.phone_code_hash) {
            h.dead = true;
        }
        let last = req.last_name.trim();
        let account = Account {
            first_name: first.to_owned(),
            last_name: (!last.is_empty()).then(|| last.chars().take(64).collect()),
            ..Account::of_number(&digits, false)
        };
        state.accounts.insert(digits.clone(), account.clone());
        state
            .signed_in
            .insert((ctx.dc_id, ctx.auth_key_id), Signed::Phone(digits));
        Ok(Answer::Authorization(authorization(&account, None)))
    }

    /// auth.resendCode: `auth.sentCode` of the previous answer's next type, same hash and
    /// code (a code of five digits stays the same; a flash call's code is the calling number
    /// ending in them); no next type: 400 SEND_CODE_UNAVAILABLE.
    pub fn resend_code(
        &self,
        ctx: &CallContext,
        req: &functions::auth::ResendCode,
    ) -> Result<Answer, RpcError> {
        let digits = self.routed_number(ctx, &req.phone_number)?;
        let mut state = self.state.lock();
        let issued = self.live_hash(&mut state, ctx, &digits, &req.phone_code_hash)?;
        let Some(kind) = issued.next else {
            return Err(RpcError::new(400, "SEND_CODE_UNAVAILABLE"));
        };
        let last5 = issued.code.get(issued.code.len().saturating_sub(5)..);
        let five = last5.filter(|c| c.len() == 5 && c.bytes().all(|b| b.is_ascii_digit()));
        let settings = types::CodeSettings {
            allow_flashcall: kind == CodeKind::FlashCall,
            current_number: false,
            allow_app_hash: false,
            allow_missed_call: kind == CodeKind::MissedCall,
            allow_firebase: false,
            unknown_number: false,
            logout_tokens: None,
            token: None,
            app_sandbox: None,
        };
        let made = make_answer(
            kind,
            &digits,
            five.map(str::to_owned),
            &settings,
            ctx.layer,
            &req.phone_code_hash,
        );
        issued.code = made.code.clone();
        issued.next = next_kind(&made.answer);
        state
            .codes
            .entry(digits.clone())
            .or_default()
            .push(KeptCode {
                dc_id: ctx.dc_id,
                phone_number: digits,
                code: made.code,
                phone_code_hash: req.phone_code_hash.clone(),
                kind,
                sent_at: ctx.now,
            });
        Ok(Answer::SentCode(made.answer))
    }

    /// auth.cancelCode: `boolTrue`, and the hash is dead.
    pub fn cancel_code(
        &self,
        ctx: &CallContext,
        req: &functions::auth::CancelCode,
    ) -> Result<Answer, RpcError> {
        let digits = self.routed_number(ctx, &req.phone_number)?;
        let mut state = self.state.lock();
        self.live_hash(&mut state, ctx, &digits, &req.phone_code_hash)?
            .dead = true;
        Ok(Answer::Bool(true))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::tests::{at, ctx, desk, desk_with, req, sent};
    use super::*;
    use crate::testdc::logic::Outcome;

    fn sign_in_req(phone: &str, hash: &str, code: &str) -> functions::auth::SignIn {
        functions::auth::SignIn {
            phone_number: phone.into(),
            phone_code_hash: hash.into(),
            phone_code: Some(code.into()),
            email_verification: None,
        }
    }

    fn send(d: &LoginDesk, c: &CallContext, phone: &str) -> String {
        sent(&d.send_code(c, &req(phone)).0).phone_code_hash.clone()
    }

    fn error(r: Result<Answer, RpcError>) -> (i32, String) {
        match r {
            Err(e) => (e.code, e.message),
            Ok(a) => panic!("expected an error, got {a:?}"),
        }
    }

    fn user_of(r: Result<Answer, RpcError>) -> types::User {
        match r {
            Ok(Answer::Authorization(a)) => match a.user {
                enums::User::User(u) => u,
                other => panic!("{other:?}"),
            },
            other => panic!("expected auth.authorization, got {other:?}"),
        }
    }

    fn e(code: i32, m: &str) -> (i32, String) {
        (code, m.to_owned())
    }

    #[test]
    fn sign_in_with_the_code() {
        let d = desk();
        let c = ctx(2);
        let hash = send(&d, &c, "9996621234");
        assert_eq!(d.signed_in(2, c.auth_key_id), None);
        let u = user_of(d.sign_in(&c, &sign_in_req("+999 662 1234", &hash, "22222")));
        assert_eq!(
            (u.id, u.phone.as_deref(), u.first_name.as_deref()),
            (9996621234, Some("9996621234"), Some("Test"))
        );
        assert!(u.is_self && !u.bot);
        assert_eq!(
            d.signed_in(2, c.auth_key_id),
            Some(Signed::Phone("9996621234".into()))
        );
        // Used by a successful sign-in: dead.
        assert_eq!(
            error(d.sign_in(&c, &sign_in_req("9996621234", &hash, "22222"))),
            e(400, "PHONE_CODE_EXPIRED")
        );
    }

    #[test]
    fn code_errors() {
        let d = desk();
        let c = ctx(2);
        let hash = send(&d, &c, "9996621234");
        assert_eq!(
            error(d.sign_in(&c, &sign_in_req("9996621234", &hash, ""))),
            e(400, "PHONE_CODE_EMPTY")
        );
        let mut none = sign_in_req("9996621234", &hash, "");
        none.phone_code = None;
        assert_eq!(error(d.sign_in(&c, &none)), e(400, "PHONE_CODE_EMPTY"));
        assert_eq!(
            error(d.sign_in(&c, &sign_in_req("9996621234", &hash, "22223"))),
            e(400, "PHONE_CODE_INVALID")
        );
        // A wrong code does not kill the hash.
        user_of(d.sign_in(&c, &sign_in_req("9996621234", &hash, "22222")));
    }

    #[test]
    fn the_hash_is_bound_to_dc_key_and_number() {
        let d = desk();
        let c = ctx(2);
        let hash = send(&d, &c, "9996621234");
        let mut other_key = ctx(2);
        other_key.auth_key_id = 99;
        let expired = e(400, "PHONE_CODE_EXPIRED");
        assert_eq!(
            error(d.sign_in(&other_key, &sign_in_req("9996621234", &hash, "22222"))),
            expired
        );
        assert_eq!(
            error(d.sign_in(&c, &sign_in_req("9996621235", &hash, "22222"))),
            expired
        );
        assert_eq!(
            error(d.sign_in(&c, &sign_in_req("9996621234", "not-a-hash", "22222"))),
            expired
        );
        // Another DC: the number's migration comes first.
        assert_eq!(
            error(d.sign_in(&ctx(1), &sign_in_req("9996621234", &hash, "22222"))),
            e(303, "PHONE_MIGRATE_2")
        );
        // A hash from another DC for a number answered on every DC (AUTH_RESTART numbers).
        let mut c3 = ctx(3);
        c3.auth_key_id = c.auth_key_id;
        let restart = "9997709123";
        d.send_code(&c3, &req(restart));
        let Outcome::Sent(enums::auth::SentCode::Code(s)) = d.send_code(&c3, &req(restart)).0
        else {
            panic!()
        };
        let code = d.codes_for(restart)[0].code.clone();
        assert_eq!(
            error(d.sign_in(&c, &sign_in_req(restart, &s.phone_code_hash, &code))),
            expired
        );
        user_of(d.sign_in(&c3, &sign_in_req(restart, &s.phone_code_hash, &code)));
        assert_eq!(
            error(d.sign_in(&c, &sign_in_req("12345", &hash, "1"))),
            e(406, "PHONE_NUMBER_INVALID")
        );
    }

    #[test]
    fn the_hash_expires_after_the_ttl() {
        let d = desk_with(3, 0).with_code_ttl(Duration::from_secs(60));
        let mut c = ctx(2);
        let hash = send(&d, &c, "9996621234");
        c.now = at(60);
        assert_eq!(
            error(d.sign_in(&c, &sign_in_req("9996621234", &hash, "22222"))),
            e(400, "PHONE_CODE_EXPIRED")
        );
        c.now = at(59);
        user_of(d.sign_in(&c, &sign_in_req("9996621234", &hash, "22222")));
        let d = desk();
        let mut c = ctx(2);
        let hash = send(&d, &c, "9996621234");
        c.now = at(299);
        assert_eq!(
            error(d.sign_in(&c, &sign_in_req("9996621234", &hash, "2"))),
            e(400, "PHONE_CODE_INVALID")
        );
        c.now = at(300);
        assert_eq!(
            error(d.sign_in(&c, &sign_in_req("9996621234", &hash, "22222"))),
            e(400, "PHONE_CODE_EXPIRED")
        );
    }

    #[test]
    fn password_accounts_wait_for_the_password() {
        let d = desk();
        let c = ctx(3);
        let hash = send(&d, &c, "9996731234");
        assert_eq!(
            error(d.sign_in(&c, &sign_in_req("9996731234", &hash, "33333"))),
            e(401, "SESSION_PASSWORD_NEEDED")
        );
        assert_eq!(d.signed_in(3, c.auth_key_id), None);
        assert_eq!(
            d.state
                .lock()
                .awaiting_password
                .get(&(3, c.auth_key_id))
                .map(String::as_str),
            Some("9996731234")
        );
    }

    #[test]
    fn sign_up() {
        let d = desk();
        let c = ctx(1);
        let phone = "9996811234";
        let s = d.send_code(&c, &req(phone)).0;
        assert!(matches!(sent(&s).r#type, enums::auth::SentCodeType::Sms(_)));
        let hash = sent(&s).phone_code_hash.clone();
        let up = |first: &str| functions::auth::SignUp {
            no_joined_notifications: false,
            phone_number: phone.into(),
            phone_code_hash: hash.clone(),
            first_name: first.into(),
            last_name: "Tester".into(),
        };
        // Not before the code was checked.
        assert_eq!(
            error(d.sign_up(&c, &up("Ann"))),
            e(400, "PHONE_CODE_EXPIRED")
        );
        let Ok(Answer::SignUpRequired(r)) = d.sign_in(&c, &sign_in_req(phone, &hash, "11111"))
        else {
            panic!()
        };
        assert!(r.terms_of_service.is_some());
        assert_eq!(error(d.sign_up(&c, &up(""))), e(400, "FIRSTNAME_INVALID"));
        assert_eq!(error(d.sign_up(&c, &up("  "))), e(400, "FIRSTNAME_INVALID"));
        assert_eq!(
            error(d.sign_up(&c, &up(&"é".repeat(65)))),
            e(400, "FIRSTNAME_INVALID")
        );
        assert_eq!(
            error(d.sign_up(&ctx(2), &up("Ann"))),
            e(303, "PHONE_MIGRATE_1")
        );
        let u = user_of(d.sign_up(&c, &up(&"é".repeat(64))));
        assert_eq!((u.id, u.last_name.as_deref()), (9996811234, Some("Tester")));
        assert_eq!(
            d.signed_in(1, c.auth_key_id),
            Some(Signed::Phone(phone.into()))
        );
        assert_eq!(
            error(d.sign_up(&c, &up("Ann"))),
            e(400, "PHONE_CODE_EXPIRED")
        );
        // Registered now: the app code, and sign-in works.
        let s = d.send_code(&c, &req(phone)).0;
        assert!(matches!(sent(&s).r#type, enums::auth::SentCodeType::App(_)));
        let hash = sent(&s).phone_code_hash.clone();
        assert_eq!(
            user_of(d.sign_in(&c, &sign_in_req(phone, &hash, "11111"))).first_name,
            Some("é".repeat(64))
        );
    }

    #[test]
    fn resend_follows_next_type() {
        let d = desk();
        let c = ctx(2);
        let hash = send(&d, &c, "9996621234");
        let resend = functions::auth::ResendCode {
            phone_number: "9996621234".into(),
            phone_code_hash: hash.clone(),
            reason: None,
        };
        let kind = |r: Result<Answer, RpcError>| match r {
            Ok(Answer::SentCode(enums::auth::SentCode::Code(c))) => (c.r#type, c.phone_code_hash),
            other => panic!("{other:?}"),
        };
        let (t, h) = kind(d.resend_code(&c, &resend));
        assert!(matches!(t, enums::auth::SentCodeType::Sms(_)));
        assert_eq!(h, hash);
        let (t, _) = kind(d.resend_code(&c, &resend));
        assert!(matches!(t, enums::auth::SentCodeType::Call(_)));
        assert_eq!(
            error(d.resend_code(&c, &resend)),
            e(400, "SEND_CODE_UNAVAILABLE")
        );
        let kept = d.codes_for("9996621234");
        assert_eq!(kept.len(), 3);
        assert!(kept
            .iter()
            .all(|k| k.code == "22222" && k.phone_code_hash == hash));
        assert_eq!(
            error(d.resend_code(&ctx(1), &resend)),
            e(303, "PHONE_MIGRATE_2")
        );
        user_of(d.sign_in(&c, &sign_in_req("9996621234", &hash, "22222")));
        assert_eq!(
            error(d.resend_code(&c, &resend)),
            e(400, "PHONE_CODE_EXPIRED")
        );
    }

    #[test]
    fn cancel_kills_the_hash() {
        let d = desk();
        let c = ctx(2);
        let hash = send(&d, &c, "9996621234");
        let cancel = functions::auth::CancelCode {
            phone_number: "9996621234".into(),
            phone_code_hash: hash.clone(),
        };
        assert_eq!(
            error(d.cancel_code(&ctx(3), &cancel)),
            e(303, "PHONE_MIGRATE_2")
        );
        assert_eq!(d.cancel_code(&c, &cancel), Ok(Answer::Bool(true)));
        assert_eq!(
            error(d.sign_in(&c, &sign_in_req("9996621234", &hash, "22222"))),
            e(400, "PHONE_CODE_EXPIRED")
        );
        assert_eq!(
            error(d.cancel_code(&c, &cancel)),
            e(400, "PHONE_CODE_EXPIRED")
        );
    }
}
