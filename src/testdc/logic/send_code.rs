//! auth.sendCode: the app, the number, the table, the kind of answer, the code limit.

use std::time::{Duration, SystemTime};

use grammers_tl_types::{enums, functions, types};

use super::accounts::{authorization, table_dc, Signed};
use super::code_kinds::{make_answer, select_kind, CodeKind};
use super::{
    fill_random, hex, log_out, logout_token_for, normalize_phone, sign_in, CallContext, Effects,
    KeptCode, LoginDesk, Outcome, Route, CODE_WINDOW,
};

impl LoginDesk {
    /// The answer to `auth.sendCode`, checked in this order: the app, the number's validity,
    /// the number table (errors, migrations, AUTH_RESTART), the kind of answer (and the
    /// layer fallback), the code limit (not for `auth.sentCodeSuccess`, which sends no code).
    pub fn send_code(
        &self,
        ctx: &CallContext,
        req: &functions::auth::SendCode,
    ) -> (Outcome, Effects) {
        let none = Effects::default();
        if let Err(e) = self.check_app(req.api_id, &req.api_hash) {
            return (e.into(), none);
        }
        let Some(digits) = normalize_phone(&req.phone_number) else {
            return (Outcome::error(406, "PHONE_NUMBER_INVALID"), none);
        };

        let mut state = self.state.lock();
        match self.route(&digits) {
            Route::Refused(code, msg) => return (Outcome::error(code, msg), none),
            Route::AuthKeyDuplicated => {
                return (
                    Outcome::error(406, "AUTH_KEY_DUPLICATED"),
                    Effects {
                        forget_auth_key: true,
                    },
                )
            }
            Route::RestartOnce => {
                if state
                    .restarted
                    .insert((ctx.auth_key_id, ctx.session_id, digits.clone()))
                {
                    return (Outcome::error(500, "AUTH_RESTART"), none);
                }
            }
            Route::Phone(dc) if dc != ctx.dc_id => {
                return (Outcome::error(303, format!("PHONE_MIGRATE_{dc}")), none)
            }
            Route::Network(dc) if dc != ctx.dc_id => {
                return (Outcome::error(303, format!("NETWORK_MIGRATE_{dc}")), none)
            }
            Route::Phone(_) | Route::Network(_) => {}
        }

        let enums::CodeSettings::Settings(settings) = &req.settings;
        let given = settings.logout_tokens.as_deref().unwrap_or_default();
        let account = self.account_in(&state, &digits);
        let mut kind = select_kind(&digits, settings);
        let issued_token = given
            .iter()
            .find(|t| state.logout_tokens.get(*t) == Some(&digits))
            .cloned();
        if issued_token.is_some() {
            kind = CodeKind::Success;
        }
        if account.is_none() {
            // Sign-up required: no app is logged in, the first code goes by SMS.
            kind = CodeKind::Sms;
        }
        let kind = kind.for_layer(ctx.layer);
        if let (CodeKind::Success, Some(account)) = (kind, &account) {
            // The key is signed in; a token of auth.logOut is used up and a new one given.
            let token = match issued_token {
                Some(used) => {
                    state.logout_tokens.remove(&used);
                    let fresh = log_out::random_token();
                    state.logout_tokens.insert(fresh.clone(), digits.clone());
                    fresh
                }
                None => logout_token_for(&digits),
            };
            state
                .signed_in
                .insert((ctx.dc_id, ctx.auth_key_id), Signed::Phone(digits.clone()));
            let answer = types::auth::SentCodeSuccess {
                authorization: authorization(account, Some(token)).into(),
            };
            return (Outcome::Sent(answer.into()), none);
        }

        let codes = state.codes.entry(digits.clone()).or_default();
        if let Some(wait) = self.flood_wait(codes, ctx.now) {
            return (Outcome::error(420, format!("FLOOD_WAIT_{wait}")), none);
        }

        let mut hash = [0u8; 16];
        fill_random(&mut hash);
        let phone_code_hash = hex(&hash);
        let fixed = table_dc(&digits, self.cfg.dc_count)
            .map(|x| char::from(b'0' + x as u8).to_string().repeat(5));
        let made = make_answer(kind, &digits, fixed, settings, ctx.layer, &phone_code_hash);
        codes.push(KeptCode {
            dc_id: ctx.dc_id,
            phone_number: digits.clone(),
            code: made.code.clone(),
            phone_code_hash: phone_code_hash.clone(),
            kind,
            sent_at: ctx.now,
        });
        state.hashes.insert(
            phone_code_hash,
            sign_in::IssuedHash::new(ctx, digits, made.code, &made.answer),
        );
        (Outcome::Sent(made.answer), none)
    }

    /// `Some(seconds)` when one more code would exceed the limit: the seconds until enough
    /// codes leave the window (with the limit fixed, until the oldest one leaves), at least 1.
    fn flood_wait(&self, codes: &[KeptCode], now: SystemTime) -> Option<u64> {
        let limit = self.cfg.code_limit as usize;
        if limit == 0 {
            return None;
        }
        let age = |t: SystemTime| now.duration_since(t).unwrap_or(Duration::ZERO);
        let mut recent: Vec<SystemTime> = codes
            .iter()
            .map(|c| c.sent_at)
            .filter(|&t| age(t) < CODE_WINDOW)
            .collect();
        if recent.len() < limit {
            return None;
        }
        recent.sort();
        // After this one leaves the window, limit - 1 remain.
        let leaving = recent[recent.len() - limit];
        let left = CODE_WINDOW - age(leaving);
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        Some(secs.max(1))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::testdc::logic::{App, LoginRulesConfig, CONSTRUCTOR_LAYERS, NEWEST_LAYER};
    use enums::auth::{CodeType, SentCode, SentCodeType};
    use grammers_tl_types::Identifiable;
    use std::collections::HashSet;

    pub(in crate::testdc::logic) const T0: u64 = 1_700_000_000;

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff, 0x5c]), "000fa0ff5c");
    }

    pub(in crate::testdc::logic) fn desk_with(dcs: i32, limit: u32) -> LoginDesk {
        LoginDesk::new(LoginRulesConfig {
            dc_count: dcs,
            apps: vec![
                App {
                    id: 1,
                    hash: "h1".into(),
                    published: false,
                },
                App {
                    id: 2,
                    hash: "h2".into(),
                    published: true,
                },
            ],
            code_limit: limit,
        })
    }

    pub(in crate::testdc::logic) fn desk() -> LoginDesk {
        desk_with(3, 0)
    }

    pub(in crate::testdc::logic) fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + secs)
    }

    pub(in crate::testdc::logic) fn ctx(dc: i32) -> CallContext {
        CallContext {
            dc_id: dc,
            layer: NEWEST_LAYER,
            auth_key_id: 11,
            session_id: 22,
            now: at(0),
        }
    }

    pub(in crate::testdc::logic) fn settings() -> types::CodeSettings {
        crate::client::default_code_settings()
    }

    pub(in crate::testdc::logic) fn req_with(
        phone: &str,
        s: types::CodeSettings,
    ) -> functions::auth::SendCode {
        functions::auth::SendCode {
            phone_number: phone.into(),
            api_id: 1,
            api_hash: "h1".into(),
            settings: enums::CodeSettings::Settings(s),
        }
    }

    pub(in crate::testdc::logic) fn req(phone: &str) -> functions::auth::SendCode {
        req_with(phone, settings())
    }

    pub(in crate::testdc::logic) fn err(o: &Outcome) -> (i32, &str) {
        match o {
            Outcome::Error { code, message } => (*code, message.as_str()),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    pub(in crate::testdc::logic) fn sent(o: &Outcome) -> &types::auth::SentCode {
        match o {
            Outcome::Sent(SentCode::Code(c)) => c,
            other => panic!("expected auth.sentCode, got {other:?}"),
        }
    }

    fn kind_of(d: &LoginDesk, c: &CallContext, r: &functions::auth::SendCode) -> CodeKind {
        let (o, _) = d.send_code(c, r);
        match &o {
            Outcome::Sent(SentCode::Success(_)) => CodeKind::Success,
            Outcome::Sent(SentCode::PaymentRequired(_)) => CodeKind::PaymentRequired,
            _ => match &sent(&o).r#type {
                SentCodeType::App(_) => CodeKind::App,
                SentCodeType::Sms(_) => CodeKind::Sms,
                SentCodeType::Call(_) => CodeKind::Call,
                SentCodeType::FlashCall(_) => CodeKind::FlashCall,
                SentCodeType::MissedCall(_) => CodeKind::MissedCall,
                SentCodeType::EmailCode(_) => CodeKind::EmailCode,
                SentCodeType::SetUpEmailRequired(_) => CodeKind::SetUpEmailRequired,
                SentCodeType::FragmentSms(_) => CodeKind::FragmentSms,
                SentCodeType::FirebaseSms(_) => CodeKind::FirebaseSms,
                SentCodeType::SmsWord(_) => CodeKind::SmsWord,
                SentCodeType::SmsPhrase(_) => CodeKind::SmsPhrase,
            },
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalize_phone("+1 (234) 567-89-00").as_deref(),
            Some("12345678900")
        );
        assert_eq!(normalize_phone("1234567").as_deref(), Some("1234567"));
        assert_eq!(
            normalize_phone("123456789012345").as_deref(),
            Some("123456789012345")
        );
        assert_eq!(normalize_phone("123456"), None);
        assert_eq!(normalize_phone("1234567890123456"), None);
        assert_eq!(normalize_phone("12345a789"), None);
        assert_eq!(normalize_phone("1234567\t"), None);
        assert_eq!(normalize_phone("123456\u{0667}"), None);
        assert_eq!(normalize_phone("+() - "), None);
        let d = desk();
        let (o, _) = d.send_code(&ctx(2), &req("12345x789"));
        assert_eq!(err(&o), (406, "PHONE_NUMBER_INVALID"));
        let (o, _) = d.send_code(&ctx(2), &req("123456"));
        assert_eq!(err(&o), (406, "PHONE_NUMBER_INVALID"));
        let (o, _) = d.send_code(&ctx(2), &req("+1 (234) 567"));
        sent(&o);
    }

    #[test]
    fn app_checks_come_first() {
        let d = desk();
        let mut r = req("bad number");
        r.api_id = 99;
        assert_eq!(err(&d.send_code(&ctx(2), &r).0), (400, "API_ID_INVALID"));
        let mut r = req("9996621234");
        r.api_hash = "wrong".into();
        assert_eq!(err(&d.send_code(&ctx(2), &r).0), (400, "API_ID_INVALID"));
        let mut r = req("9997711000");
        r.api_id = 2;
        r.api_hash = "h2".into();
        let (o, e) = d.send_code(&ctx(2), &r);
        assert_eq!(err(&o), (400, "API_ID_PUBLISHED_FLOOD"));
        assert!(!e.forget_auth_key);
        let mut r = req("9996621234");
        r.api_id = 2;
        r.api_hash = "nope".into();
        assert_eq!(err(&d.send_code(&ctx(2), &r).0), (400, "API_ID_INVALID"));
    }

    #[test]
    fn table_99966() {
        let d = desk();
        for x in 1..=3 {
            let phone = format!("99966{x}1234");
            for dc in 1..=3 {
                let (o, e) = d.send_code(&ctx(dc), &req(&phone));
                assert!(!e.forget_auth_key);
                if dc == x {
                    let c = sent(&o);
                    assert_eq!(
                        c.r#type,
                        SentCodeType::App(types::auth::SentCodeTypeApp { length: 5 })
                    );
                    assert_eq!(c.next_type, Some(CodeType::Sms));
                    assert_eq!(c.timeout, Some(60));
                } else {
                    assert_eq!(err(&o), (303, format!("PHONE_MIGRATE_{x}").as_str()));
                }
            }
            assert_eq!(d.home_dc_for(&phone), x);
            let kept = d.codes_for(&phone);
            assert_eq!(kept.len(), 1);
            assert_eq!(kept[0].code, x.to_string().repeat(5));
            assert_eq!(kept[0].dc_id, x);
            assert_eq!(kept[0].phone_number, phone);
        }
        // X = 0 or X > dcs: any other number, homed on DC 2.
        for phone in ["9996601234", "9996641234"] {
            assert_eq!(
                err(&d.send_code(&ctx(1), &req(phone)).0),
                (303, "PHONE_MIGRATE_2")
            );
            assert_eq!(
                err(&d.send_code(&ctx(3), &req(phone)).0),
                (303, "PHONE_MIGRATE_2")
            );
            sent(&d.send_code(&ctx(2), &req(phone)).0);
            assert_eq!(d.home_dc_for(phone), 2);
            assert_eq!(d.codes_for(phone)[0].code.len(), 5);
        }
    }

    #[test]
    fn table_refusals_on_every_dc() {
        let d = desk();
        let rows = [
            ("9997701", 400, "PHONE_NUMBER_BANNED"),
            ("9997702", 400, "PHONE_NUMBER_FLOOD"),
            ("9997703", 406, "PHONE_PASSWORD_FLOOD"),
            ("9997704", 400, "PHONE_NUMBER_APP_SIGNUP_FORBIDDEN"),
            ("9997705", 400, "SMS_CODE_CREATE_FAILED"),
            ("9997706", 400, "PHONE_PASSWORD_PROTECTED"),
            ("9997707", 420, "FLOOD_WAIT_2"),
            ("9997708", 406, "UPDATE_APP_TO_LOGIN"),
        ];
        for (prefix, code, msg) in rows {
            for phone in [prefix.to_owned(), format!("{prefix}12345678")] {
                for dc in 1..=3 {
                    let (o, e) = d.send_code(&ctx(dc), &req(&phone));
                    assert_eq!(err(&o), (code, msg), "{phone} on DC {dc}");
                    assert!(!e.forget_auth_key);
                }
                assert!(d.codes_for(&phone).is_empty());
            }
        }
        // 9997712 is not reserved: any other number.
        sent(&d.send_code(&ctx(2), &req("9997712000")).0);
    }

    #[test]
    fn auth_restart_once_per_session_on_any_dc() {
        let d = desk();
        for dc in [1, 3] {
            let mut c = ctx(dc);
            c.session_id = 100 + i64::from(dc);
            assert_eq!(
                err(&d.send_code(&c, &req("9997709123")).0),
                (500, "AUTH_RESTART")
            );
            sent(&d.send_code(&c, &req("9997709123")).0);
            sent(&d.send_code(&c, &req("9997709123")).0);
            // A new session restarts once more.
            c.session_id += 50;
            assert_eq!(
                err(&d.send_code(&c, &req("9997709123")).0),
                (500, "AUTH_RESTART")
            );
            sent(&d.send_code(&c, &req("+999 7709 123")).0);
        }
        assert_eq!(d.codes_for("9997709123").len(), 6);
    }

    #[test]
    fn network_migrate_to_last_dc() {
        for dcs in [1, 3, 5] {
            let d = desk_with(dcs, 0);
            for dc in 1..=dcs {
                let (o, _) = d.send_code(&ctx(dc), &req("9997710555"));
                if dc == dcs {
                    sent(&o);
                } else {
                    assert_eq!(err(&o), (303, format!("NETWORK_MIGRATE_{dcs}").as_str()));
                }
            }
            assert_eq!(d.home_dc_for("9997710555"), dcs);
        }
    }

    #[test]
    fn auth_key_duplicated() {
        let d = desk();
        for dc in 1..=3 {
            let (o, e) = d.send_code(&ctx(dc), &req("9997711"));
            assert_eq!(err(&o), (406, "AUTH_KEY_DUPLICATED"));
            assert!(e.forget_auth_key);
        }
    }

    #[test]
    fn other_numbers_home() {
        let d = desk();
        assert_eq!(
            err(&d.send_code(&ctx(1), &req("+44 7700 900123")).0),
            (303, "PHONE_MIGRATE_2")
        );
        assert_eq!(
            err(&d.send_code(&ctx(3), &req("+44 7700 900123")).0),
            (303, "PHONE_MIGRATE_2")
        );
        let (o, e) = d.send_code(&ctx(2), &req("+44 7700 900123"));
        assert_eq!(
            sent(&o).r#type,
            SentCodeType::App(types::auth::SentCodeTypeApp { length: 5 })
        );
        assert!(!e.forget_auth_key);
        let kept = d.codes_for("447700900123");
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].code.len(), 5);
        assert!(kept[0].code.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(kept[0].phone_code_hash.len(), 32);
        assert_eq!(d.home_dc_for("447700900123"), 2);

        let one = desk_with(1, 0);
        assert_eq!(one.home_dc_for("447700900123"), 1);
        sent(&one.send_code(&ctx(1), &req("447700900123")).0);
        // 99966 2 with one DC: X > dcs, any other number (DC 1).
        sent(&one.send_code(&ctx(1), &req("9996621234")).0);
    }

    #[test]
    fn hashes_are_unique() {
        let d = desk();
        let mut seen = HashSet::new();
        for _ in 0..50 {
            let (o, _) = d.send_code(&ctx(2), &req("9996621234"));
            assert!(seen.insert(sent(&o).phone_code_hash.clone()));
        }
        let kept = d.codes_for("9996621234");
        assert_eq!(kept.len(), 50);
        assert!(kept.iter().all(|k| k.code == "22222"));
    }

    #[test]
    fn code_limit() {
        let d = desk_with(3, 5);
        let mut c = ctx(2);
        for i in 0..5 {
            c.now = at(i * 100);
            sent(&d.send_code(&c, &req("9996621234")).0);
        }
        c.now = at(1000);
        // The oldest (t = 0) leaves the window at t = 3600.
        assert_eq!(
            err(&d.send_code(&c, &req("9996621234")).0),
            (420, "FLOOD_WAIT_2600")
        );
        // Refused codes do not count, and a wrong DC still migrates.
        assert_eq!(
            err(&d.send_code(&ctx(1), &req("9996621234")).0),
            (303, "PHONE_MIGRATE_2")
        );
        c.now = at(3599) + Duration::from_millis(500);
        assert_eq!(
            err(&d.send_code(&c, &req("9996621234")).0),
            (420, "FLOOD_WAIT_1")
        );
        c.now = at(3600);
        sent(&d.send_code(&c, &req("9996621234")).0);
        // Now t = 100..400 and 3600 are in the window: the next leaves at 3700.
        c.now = at(3650);
        assert_eq!(
            err(&d.send_code(&c, &req("9996621234")).0),
            (420, "FLOOD_WAIT_50")
        );
        assert_eq!(d.codes_for("9996621234").len(), 6);
        // Other numbers have their own count.
        sent(&d.send_code(&c, &req("9996621235")).0);

        let unlimited = desk_with(3, 0);
        for _ in 0..100 {
            sent(&unlimited.send_code(&ctx(2), &req("9996621234")).0);
        }
        assert_eq!(unlimited.codes_for("9996621234").len(), 100);
    }

    #[test]
    fn every_kind_is_reachable() {
        let d = desk();
        let c = ctx(2);
        let by_tt = [
            ("01", CodeKind::Sms),
            ("02", CodeKind::Call),
            ("03", CodeKind::Sms),
            ("04", CodeKind::Sms),
            ("05", CodeKind::EmailCode),
            ("06", CodeKind::SetUpEmailRequired),
            ("07", CodeKind::FragmentSms),
            ("08", CodeKind::Sms),
            ("09", CodeKind::SmsWord),
            ("10", CodeKind::SmsPhrase),
            ("11", CodeKind::PaymentRequired),
            ("00", CodeKind::App),
            ("12", CodeKind::App),
            ("99", CodeKind::App),
        ];
        for (tt, kind) in by_tt {
            let phone = format!("99988{tt}123");
            assert_eq!(kind_of(&d, &c, &req(&phone)), kind, "TT {tt}");
            assert_eq!(
                err(&d.send_code(&ctx(1), &req(&phone)).0),
                (303, "PHONE_MIGRATE_2")
            );
            assert_eq!(d.codes_for(&phone)[0].kind, kind);
        }
        let mut s = settings();
        s.allow_flashcall = true;
        assert_eq!(
            kind_of(&d, &c, &req_with("9998803123", s.clone())),
            CodeKind::FlashCall
        );
        let mut s = settings();
        s.allow_missed_call = true;
        assert_eq!(
            kind_of(&d, &c, &req_with("9998804123", s.clone())),
            CodeKind::MissedCall
        );
        let mut s = settings();
        s.allow_firebase = true;
        assert_eq!(
            kind_of(&d, &c, &req_with("9998808123", s.clone())),
            CodeKind::FirebaseSms
        );
        let mut s = settings();
        s.logout_tokens = Some(vec![logout_token_for("9998800123")]);
        assert_eq!(
            kind_of(&d, &c, &req_with("9998800123", s)),
            CodeKind::Success
        );
    }

    #[test]
    fn type_details() {
        let d = desk();
        let c = ctx(2);
        let one = |phone: &str, s: types::CodeSettings| {
            let (o, _) = d.send_code(&c, &req_with(phone, s));
            let kept = d.codes_for(phone).pop().unwrap();
            (o, kept)
        };
        let (o, k) = one("9998801123", settings());
        let sc = sent(&o);
        assert_eq!(
            sc.r#type,
            SentCodeType::Sms(types::auth::SentCodeTypeSms { length: 5 })
        );
        assert_eq!(
            (sc.next_type.clone(), sc.timeout),
            (Some(CodeType::Call), Some(60))
        );
        assert_eq!(k.code.len(), 5);
        let (o, _) = one("9998802123", settings());
        assert_eq!((sent(&o).next_type.clone(), sent(&o).timeout), (None, None));

        let mut s = settings();
        s.allow_flashcall = true;
        s.allow_missed_call = true;
        let (o, k) = one("9998803123", s.clone());
        let sc = sent(&o);
        let SentCodeType::FlashCall(f) = &sc.r#type else {
            panic!()
        };
        assert_eq!(f.pattern, "+99944*****");
        assert_eq!(sc.next_type, Some(CodeType::MissedCall));
        assert!(k.code.starts_with("99944") && k.code.len() == 10);
        let (o, k) = one("9998804123", s.clone());
        let sc = sent(&o);
        let SentCodeType::MissedCall(m) = &sc.r#type else {
            panic!()
        };
        assert_eq!((m.prefix.as_str(), m.length), ("+99944", 5));
        assert_eq!(sc.next_type, Some(CodeType::FlashCall));
        assert_eq!(k.code.len(), 5);

        let (o, k) = one("9998805123", settings());
        let SentCodeType::EmailCode(e) = &sent(&o).r#type else {
            panic!()
        };
        assert_eq!(e.email_pattern, "t***@example.com");
        assert_eq!(e.length, 6);
        assert!(e.apple_signin_allowed && e.google_signin_allowed);
        assert_eq!(e.reset_available_period, Some(604800));
        assert_eq!(k.code.len(), 6);

        let (o, _) = one("9998806123", settings());
        assert!(matches!(
            sent(&o).r#type,
            SentCodeType::SetUpEmailRequired(_)
        ));

        let (o, _) = one("9998807123", settings());
        let sc = sent(&o);
        let SentCodeType::FragmentSms(f) = &sc.r#type else {
            panic!()
        };
        assert_eq!(f.url, "https://fragment.com/number/9998807123/code");
        assert_eq!(sc.next_type, Some(CodeType::FragmentSms));

        let mut s = settings();
        s.allow_firebase = true;
        let (o, _) = one("9998808123", s.clone());
        let SentCodeType::FirebaseSms(f) = &sent(&o).r#type else {
            panic!()
        };
        assert_eq!(f.nonce.as_ref().map(Vec::len), Some(32));
        assert_eq!(f.receipt, None);
        s.token = Some("push-token".into());
        s.app_sandbox = Some(true);
        let (o, _) = one("9998808123", s);
        let SentCodeType::FirebaseSms(f) = &sent(&o).r#type else {
            panic!()
        };
        assert_eq!(f.nonce, None);
        assert_eq!(f.receipt.as_deref(), Some("tgauth-receipt-9998808123"));
        assert_eq!(f.push_timeout, Some(30));

        let (o, k) = one("9998809123", settings());
        let SentCodeType::SmsWord(w) = &sent(&o).r#type else {
            panic!()
        };
        assert_eq!(w.beginning.as_deref(), Some("a"));
        assert!(k.code.starts_with('a'));
        let (o, k) = one("9998810123", settings());
        let SentCodeType::SmsPhrase(p) = &sent(&o).r#type else {
            panic!()
        };
        assert_eq!(p.beginning.as_deref(), Some("apple"));
        assert!(k.code.starts_with("apple "));
    }

    #[test]
    fn settings_on_99966_numbers() {
        let d = desk();
        let c = ctx(2);
        let mut s = settings();
        s.allow_flashcall = true;
        let (o, _) = d.send_code(&c, &req_with("9996621234", s.clone()));
        assert!(matches!(sent(&o).r#type, SentCodeType::FlashCall(_)));
        assert_eq!(d.codes_for("9996621234")[0].code, "9994422222");
        s.allow_missed_call = true;
        let (o, _) = d.send_code(&c, &req_with("9996621234", s));
        assert!(matches!(sent(&o).r#type, SentCodeType::MissedCall(_)));
        assert_eq!(d.codes_for("9996621234")[1].code, "22222");
    }

    #[test]
    fn logout_token_success() {
        let d = desk_with(3, 1);
        let c = ctx(2);
        let mut s = settings();
        s.logout_tokens = Some(vec![
            b"other".to_vec(),
            b"tgauth-logout:9996621234".to_vec(),
        ]);
        let (o, _) = d.send_code(&c, &req_with("+999 66 2 1234", s.clone()));
        let Outcome::Sent(SentCode::Success(ok)) = &o else {
            panic!("{o:?}")
        };
        let enums::auth::Authorization::Authorization(auth) = &ok.authorization else {
            panic!()
        };
        assert_eq!(
            auth.future_auth_token.as_deref(),
            Some(&b"tgauth-logout:9996621234"[..])
        );
        let enums::User::User(u) = &auth.user else {
            panic!()
        };
        assert_eq!(
            (u.id, u.phone.as_deref(), u.first_name.as_deref()),
            (9996621234, Some("9996621234"), Some("Test"))
        );
        assert!(u.is_self);
        // No code was sent: none kept, none counted (the limit is 1 here).
        assert!(d.codes_for("9996621234").is_empty());
        sent(&d.send_code(&c, &req("9996621234")).0);
        // Still routed first: the wrong DC migrates.
        assert_eq!(
            err(&d.send_code(&ctx(1), &req_with("9996621234", s)).0),
            (303, "PHONE_MIGRATE_2")
        );

        for bad in [
            b"tgauth-logout:9996621235".to_vec(),
            b"tgauth-logout:99966212345".to_vec(),
            b"tgauth-logout:+9996621234".to_vec(),
            b"TGAUTH-LOGOUT:9996621234".to_vec(),
            Vec::new(),
        ] {
            let mut s = settings();
            s.logout_tokens = Some(vec![bad]);
            assert_eq!(
                kind_of(&desk(), &c, &req_with("9996621234", s)),
                CodeKind::App
            );
        }
    }

    #[test]
    fn payment_required() {
        let d = desk();
        let (o, _) = d.send_code(&ctx(2), &req("9998811123"));
        let Outcome::Sent(SentCode::PaymentRequired(p)) = &o else {
            panic!("{o:?}")
        };
        assert_eq!(p.store_product, "org.telegram.telegramPremium.oneMonth");
        assert_eq!(
            (p.currency.as_str(), p.amount, p.premium_days),
            ("USD", 499, 30)
        );
        assert!(!p.support_email_address.is_empty() && !p.support_email_subject.is_empty());
        let kept = d.codes_for("9998811123");
        assert_eq!(kept[0].phone_code_hash, p.phone_code_hash);
        assert_eq!(kept[0].kind, CodeKind::PaymentRequired);
    }

    #[test]
    fn layer_fallback() {
        let d = desk();
        let cases = [
            ("9998805123", CodeKind::EmailCode, 158),
            ("9998806123", CodeKind::SetUpEmailRequired, 145),
            ("9998807123", CodeKind::FragmentSms, 150),
            ("9998809123", CodeKind::SmsWord, 179),
            ("9998810123", CodeKind::SmsPhrase, 179),
            ("9998811123", CodeKind::PaymentRequired, 225),
        ];
        for (phone, kind, layer) in cases {
            assert_eq!(kind.min_layer(), layer);
            let mut c = ctx(2);
            c.layer = layer;
            assert_eq!(kind_of(&d, &c, &req(phone)), kind);
            c.layer = layer - 1;
            if layer > 150 {
                assert_eq!(
                    kind_of(&d, &c, &req(phone)),
                    CodeKind::Sms,
                    "{phone} at {}",
                    c.layer
                );
                assert_eq!(d.codes_for(phone).last().unwrap().kind, CodeKind::Sms);
            }
        }
        let mut s = settings();
        s.allow_firebase = true;
        let mut c = ctx(2);
        c.layer = 182;
        assert_eq!(
            kind_of(&d, &c, &req_with("9998808123", s.clone())),
            CodeKind::Sms
        );
        c.layer = 183;
        assert_eq!(
            kind_of(&d, &c, &req_with("9998808123", s)),
            CodeKind::FirebaseSms
        );

        let mut s = settings();
        s.logout_tokens = Some(vec![logout_token_for("9996621234")]);
        c.layer = 227;
        assert_eq!(
            kind_of(&d, &c, &req_with("9996621234", s.clone())),
            CodeKind::Sms
        );
        c.layer = 228;
        assert_eq!(
            kind_of(&d, &c, &req_with("9996621234", s)),
            CodeKind::Success
        );

        // The oldest accepted layer still gets the old constructors.
        c.layer = 150;
        assert_eq!(kind_of(&d, &c, &req("9996621234")), CodeKind::App);
        let mut s = settings();
        s.allow_missed_call = true;
        assert_eq!(
            kind_of(&d, &c, &req_with("9996621234", s)),
            CodeKind::MissedCall
        );
        for kind in CodeKind::ALL {
            assert!(kind.for_layer(150).min_layer() <= 150);
            assert_eq!(kind.for_layer(NEWEST_LAYER), kind);
        }
    }

    #[test]
    fn layer_table_matches_the_crate() {
        use types::auth as a;
        let ids = [
            ("auth.sentCode", a::SentCode::CONSTRUCTOR_ID),
            ("auth.sentCodeTypeApp", a::SentCodeTypeApp::CONSTRUCTOR_ID),
            ("auth.sentCodeTypeSms", a::SentCodeTypeSms::CONSTRUCTOR_ID),
            ("auth.sentCodeTypeCall", a::SentCodeTypeCall::CONSTRUCTOR_ID),
            (
                "auth.sentCodeTypeFlashCall",
                a::SentCodeTypeFlashCall::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeMissedCall",
                a::SentCodeTypeMissedCall::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeEmailCode",
                a::SentCodeTypeEmailCode::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeSetUpEmailRequired",
                a::SentCodeTypeSetUpEmailRequired::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeFragmentSms",
                a::SentCodeTypeFragmentSms::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeFirebaseSms",
                a::SentCodeTypeFirebaseSms::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeSmsWord",
                a::SentCodeTypeSmsWord::CONSTRUCTOR_ID,
            ),
            (
                "auth.sentCodeTypeSmsPhrase",
                a::SentCodeTypeSmsPhrase::CONSTRUCTOR_ID,
            ),
            ("auth.sentCodeSuccess", a::SentCodeSuccess::CONSTRUCTOR_ID),
            (
                "auth.sentCodePaymentRequired",
                a::SentCodePaymentRequired::CONSTRUCTOR_ID,
            ),
            ("auth.authorization", a::Authorization::CONSTRUCTOR_ID),
            ("user", types::User::CONSTRUCTOR_ID),
            ("auth.codeTypeSms", a::CodeTypeSms::CONSTRUCTOR_ID),
            ("auth.codeTypeCall", a::CodeTypeCall::CONSTRUCTOR_ID),
            (
                "auth.codeTypeFlashCall",
                a::CodeTypeFlashCall::CONSTRUCTOR_ID,
            ),
            (
                "auth.codeTypeMissedCall",
                a::CodeTypeMissedCall::CONSTRUCTOR_ID,
            ),
            (
                "auth.codeTypeFragmentSms",
                a::CodeTypeFragmentSms::CONSTRUCTOR_ID,
            ),
        ];
        assert_eq!(ids.len(), CONSTRUCTOR_LAYERS.len());
        for (name, id) in ids {
            let row = CONSTRUCTOR_LAYERS.iter().find(|c| c.name == name).unwrap();
            assert_eq!(row.id, id, "{name}");
            assert!(row.layer <= NEWEST_LAYER);
        }
        for kind in CodeKind::ALL {
            for name in kind.constructors() {
                assert!(CONSTRUCTOR_LAYERS.iter().any(|c| c.name == *name), "{name}");
            }
        }
    }

    #[test]
    fn codes_for_reads_back() {
        let d = desk();
        assert!(d.codes_for("9996631234").is_empty());
        assert!(d.codes_for("not a number").is_empty());
        let mut c = ctx(3);
        c.now = at(5);
        let (o, _) = d.send_code(&c, &req("+999 663 1234"));
        c.now = at(9);
        let (o2, _) = d.send_code(&c, &req("9996631234"));
        let kept = d.codes_for("+999-663-1234");
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].code, "33333");
        assert_eq!(kept[0].phone_code_hash, sent(&o).phone_code_hash);
        assert_eq!(kept[1].phone_code_hash, sent(&o2).phone_code_hash);
        assert_eq!((kept[0].sent_at, kept[1].sent_at), (at(5), at(9)));
        assert_eq!(kept[0].dc_id, 3);
        assert_eq!(kept[0].kind, CodeKind::App);
    }
}
