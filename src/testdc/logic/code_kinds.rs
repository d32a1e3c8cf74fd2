//! The kinds of auth.sendCode answers: the rule that picks one, the layer each needs, and
//! how each is made.

use grammers_tl_types::{enums, types};

use super::{
    fill_random, is_valid_logout_token, random_digits, random_index, CALLER_PREFIX, NEWEST_LAYER,
};

/// The kind of a successful answer: one per `auth.SentCodeType` constructor (inside
/// `auth.sentCode`), plus `auth.sentCodeSuccess` and `auth.sentCodePaymentRequired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodeKind {
    App,
    Sms,
    Call,
    FlashCall,
    MissedCall,
    EmailCode,
    SetUpEmailRequired,
    FragmentSms,
    FirebaseSms,
    SmsWord,
    SmsPhrase,
    /// `auth.sentCodeSuccess` (a valid logout token was given).
    Success,
    /// `auth.sentCodePaymentRequired`.
    PaymentRequired,
}

/// One constructor, in the encoding `grammers-tl-types` (layer 230) writes, and the first layer
/// whose schema has that constructor with that id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConstructorLayer {
    pub name: &'static str,
    pub id: u32,
    pub layer: i32,
}

/// The layer in which each constructor an answer may use first appeared *with the id we
/// write* (a constructor whose id changed, e.g. `user`, counts from its newest id: an older
/// client could not read it).
///
/// Source: the git history of the published schemas: gotd/td `_schema/telegram.tl` (every
/// layer bump, "LAYER N" line of the commit adding the constructor and of its parent),
/// cross-checked with LonamiWebs/Telethon `telethon_generator/data/api.tl` and
/// Lonami/grammers `tl/api.tl`. "A→B" below: absent at layer A, present at layer B.
/// Where layers between A and B were never published, B (the conservative value) is used.
pub const CONSTRUCTOR_LAYERS: &[ConstructorLayer] = &[
    // Present in the oldest schemas of all three histories (≤ 103/104): older than layer 150.
    cl("auth.sentCode", 0x5e002502, 104),
    cl("auth.sentCodeTypeApp", 0x3dbb5986, 103),
    cl("auth.sentCodeTypeSms", 0xc000bba2, 103),
    cl("auth.sentCodeTypeCall", 0x5353e5a7, 103),
    cl("auth.sentCodeTypeFlashCall", 0xab03c6d9, 103),
    cl("auth.codeTypeSms", 0x72a3158c, 103),
    cl("auth.codeTypeCall", 0x741cd3e3, 103),
    cl("auth.codeTypeFlashCall", 0x226ccefb, 103),
    // 134→135 (gotd; grammers also at 135).
    cl("auth.sentCodeTypeMissedCall", 0x82006484, 135),
    cl("auth.codeTypeMissedCall", 0xd61ad6ee, 135),
    // 144→145 (gotd).
    cl("auth.sentCodeTypeSetUpEmailRequired", 0xa5491dea, 145),
    // 149→150 (gotd; Telethon also first at 150).
    cl("auth.sentCodeTypeFragmentSms", 0xd9565c39, 150),
    cl("auth.codeTypeFragmentSms", 0x06ed998c, 150),
    // 151→152 (gotd and Telethon).
    cl("auth.sentCodeSuccess", 0x2390fe44, 152),
    cl("auth.authorization", 0x2ea2c0d4, 152),
    // 155→158 (gotd and Telethon; 156 and 157 not in either history): conservative 158.
    cl("auth.sentCodeTypeEmailCode", 0xf450f59b, 158),
    // 178→179 (gotd; Telethon and grammers also first at 179).
    cl("auth.sentCodeTypeSmsWord", 0xa416ac81, 179),
    cl("auth.sentCodeTypeSmsPhrase", 0xb37794af, 179),
    // 181→183 (gotd and Telethon; 182 not in either history): conservative 183. An older
    // firebaseSms (other id) exists from 152 on; we cannot write it.
    cl("auth.sentCodeTypeFirebaseSms", 0x009fd736, 183),
    // 224→225 (gotd). An older sentCodePaymentRequired (other id) exists from 201 on.
    cl("auth.sentCodePaymentRequired", 0xf8827ebf, 225),
    // 227→228 (gotd); the id of `user` changes often, this is the one of layers 228-230.
    cl("user", 0xb1b8cc83, 228),
];

const fn cl(name: &'static str, id: u32, layer: i32) -> ConstructorLayer {
    ConstructorLayer { name, id, layer }
}

/// The layer of a constructor named in [`CONSTRUCTOR_LAYERS`] (the newest layer if absent,
/// which a test guards against).
pub(super) fn layer_of(name: &str) -> i32 {
    CONSTRUCTOR_LAYERS
        .iter()
        .find(|c| c.name == name)
        .map_or(NEWEST_LAYER, |c| c.layer)
}

impl CodeKind {
    /// Every kind, in a fixed order.
    pub const ALL: [CodeKind; 13] = [
        CodeKind::App,
        CodeKind::Sms,
        CodeKind::Call,
        CodeKind::FlashCall,
        CodeKind::MissedCall,
        CodeKind::EmailCode,
        CodeKind::SetUpEmailRequired,
        CodeKind::FragmentSms,
        CodeKind::FirebaseSms,
        CodeKind::SmsWord,
        CodeKind::SmsPhrase,
        CodeKind::Success,
        CodeKind::PaymentRequired,
    ];

    /// The constructors an answer of this kind is written with (next types aside).
    pub fn constructors(self) -> &'static [&'static str] {
        match self {
            CodeKind::App => &["auth.sentCode", "auth.sentCodeTypeApp"],
            CodeKind::Sms => &["auth.sentCode", "auth.sentCodeTypeSms"],
            CodeKind::Call => &["auth.sentCode", "auth.sentCodeTypeCall"],
            CodeKind::FlashCall => &["auth.sentCode", "auth.sentCodeTypeFlashCall"],
            CodeKind::MissedCall => &["auth.sentCode", "auth.sentCodeTypeMissedCall"],
            CodeKind::EmailCode => &["auth.sentCode", "auth.sentCodeTypeEmailCode"],
            CodeKind::SetUpEmailRequired => {
                &["auth.sentCode", "auth.sentCodeTypeSetUpEmailRequired"]
            }
            CodeKind::FragmentSms => &["auth.sentCode", "auth.sentCodeTypeFragmentSms"],
            CodeKind::FirebaseSms => &["auth.sentCode", "auth.sentCodeTypeFirebaseSms"],
            CodeKind::SmsWord => &["auth.sentCode", "auth.sentCodeTypeSmsWord"],
            CodeKind::SmsPhrase => &["auth.sentCode", "auth.sentCodeTypeSmsPhrase"],
            CodeKind::Success => &["auth.sentCodeSuccess", "auth.authorization", "user"],
            CodeKind::PaymentRequired => &["auth.sentCodePaymentRequired"],
        }
    }

    /// The oldest client layer that can read an answer of this kind.
    pub fn min_layer(self) -> i32 {
        self.constructors()
            .iter()
            .map(|n| layer_of(n))
            .max()
            .unwrap_or(NEWEST_LAYER)
    }

    /// This kind if a client of `layer` can read it, else [`CodeKind::Sms`] (which every
    /// accepted layer has).
    pub fn for_layer(self, layer: i32) -> CodeKind {
        if self.min_layer() <= layer {
            self
        } else {
            CodeKind::Sms
        }
    }
}

/// The kind of answer a number gets, before the layer fallback (the rule of
/// `docs/testdc.md`):
///
/// 1. `settings.logout_tokens` holds the number's valid logout token → [`CodeKind::Success`].
/// 2. Digits `99988` + `TT` + anything: `TT` chooses — 01 sms, 02 call, 03 flashCall (only
///    with `allow_flashcall`), 04 missedCall (only with `allow_missed_call`), 05 emailCode,
///    06 setUpEmailRequired, 07 fragmentSms, 08 firebaseSms (only with `allow_firebase`),
///    09 smsWord, 10 smsPhrase, 11 paymentRequired. 03, 04 and 08 without their flag give sms
///    (Telegram never uses a method the client did not allow). Any other `TT`: step 3.
/// 3. Otherwise: missedCall with `allow_missed_call`, else flashCall with `allow_flashcall`,
///    else app.
pub fn select_kind(phone_digits: &str, settings: &types::CodeSettings) -> CodeKind {
    let has_token = settings
        .logout_tokens
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|t| is_valid_logout_token(t, phone_digits));
    if has_token {
        return CodeKind::Success;
    }
    if let Some(rest) = phone_digits.strip_prefix("99988") {
        let chosen = match rest.get(..2) {
            Some("01") => Some(CodeKind::Sms),
            Some("02") => Some(CodeKind::Call),
            Some("03") if settings.allow_flashcall => Some(CodeKind::FlashCall),
            Some("04") if settings.allow_missed_call => Some(CodeKind::MissedCall),
            Some("05") => Some(CodeKind::EmailCode),
            Some("06") => Some(CodeKind::SetUpEmailRequired),
            Some("07") => Some(CodeKind::FragmentSms),
            Some("08") if settings.allow_firebase => Some(CodeKind::FirebaseSms),
            Some("09") => Some(CodeKind::SmsWord),
            Some("10") => Some(CodeKind::SmsPhrase),
            Some("11") => Some(CodeKind::PaymentRequired),
            Some("03" | "04" | "08") => Some(CodeKind::Sms),
            _ => None,
        };
        if let Some(kind) = chosen {
            return kind;
        }
    }
    if settings.allow_missed_call {
        CodeKind::MissedCall
    } else if settings.allow_flashcall {
        CodeKind::FlashCall
    } else {
        CodeKind::App
    }
}

const WORDS_A: &[&str] = &["anchor", "amber", "atlas", "arrow", "autumn", "acorn"];
const WORDS: &[&str] = &["orchard", "river", "lantern", "meadow", "harbor", "pepper"];

/// What one answer carries besides its kind.
pub(super) struct Made {
    pub code: String,
    pub answer: enums::auth::SentCode,
}

/// The answer of a kind, and the code it sends. `fixed` is the digits of a `99966X` number's
/// code (X five times), used wherever the code is five digits.
pub(super) fn make_answer(
    kind: CodeKind,
    digits: &str,
    fixed: Option<String>,
    settings: &types::CodeSettings,
    layer: i32,
    phone_code_hash: &str,
) -> Made {
    use enums::auth::{CodeType, SentCodeType as T};
    use types::auth as a;

    let five = || fixed.clone().unwrap_or_else(|| random_digits(5));
    let sms_then = |t: CodeType| (Some(t), Some(60));
    let (code, ty, (next_type, timeout)) = match kind {
        CodeKind::App => (
            five(),
            T::App(a::SentCodeTypeApp { length: 5 }),
            sms_then(CodeType::Sms),
        ),
        CodeKind::Sms => (
            five(),
            T::Sms(a::SentCodeTypeSms { length: 5 }),
            sms_then(CodeType::Call),
        ),
        CodeKind::Call => (
            five(),
            T::Call(a::SentCodeTypeCall { length: 5 }),
            (None, None),
        ),
        CodeKind::FlashCall => {
            // The code is the calling number; the pattern hides its last five digits.
            let code = format!("{CALLER_PREFIX}{}", five());
            let pattern = format!("+{CALLER_PREFIX}*****");
            let next = if settings.allow_missed_call {
                CodeType::MissedCall
            } else {
                CodeType::Sms
            };
            (
                code,
                T::FlashCall(a::SentCodeTypeFlashCall { pattern }),
                sms_then(next),
            )
        }
        CodeKind::MissedCall => {
            // The call comes from +99944XXXXX; the code is its last five digits.
            let ty = T::MissedCall(a::SentCodeTypeMissedCall {
                prefix: format!("+{CALLER_PREFIX}"),
                length: 5,
            });
            let next = if settings.allow_flashcall {
                CodeType::FlashCall
            } else {
                CodeType::Sms
            };
            (five(), ty, sms_then(next))
        }
        CodeKind::EmailCode => {
            let ty = T::EmailCode(a::SentCodeTypeEmailCode {
                apple_signin_allowed: true,
                google_signin_allowed: true,
                email_pattern: "t***@example.com".to_owned(),
                length: 6,
                reset_available_period: Some(7 * 24 * 3600),
                reset_pending_date: None,
            });
            (random_digits(6), ty, (None, None))
        }
        CodeKind::SetUpEmailRequired => {
            // No code goes out until the email is set up; the one kept is for that email.
            let ty = T::SetUpEmailRequired(a::SentCodeTypeSetUpEmailRequired {
                apple_signin_allowed: true,
                google_signin_allowed: true,
            });
            (random_digits(6), ty, (None, None))
        }
        CodeKind::FragmentSms => {
            let ty = T::FragmentSms(a::SentCodeTypeFragmentSms {
                url: format!("https://fragment.com/number/{digits}/code"),
                length: 5,
            });
            (five(), ty, sms_then(CodeType::FragmentSms))
        }
        CodeKind::FirebaseSms => {
            // iOS clients pass their push token: a receipt and a push timeout. Others
            // (Android): a nonce for SafetyNet / Play Integrity.
            let ios = settings.token.is_some();
            let mut nonce = vec![0u8; 32];
            fill_random(&mut nonce);
            let ty = T::FirebaseSms(a::SentCodeTypeFirebaseSms {
                nonce: (!ios).then_some(nonce),
                play_integrity_project_id: None,
                play_integrity_nonce: None,
                receipt: ios.then(|| format!("tgauth-receipt-{digits}")),
                push_timeout: ios.then_some(30),
                length: 5,
            });
            (five(), ty, sms_then(CodeType::Sms))
        }
        CodeKind::SmsWord => {
            let ty = T::SmsWord(a::SentCodeTypeSmsWord {
                beginning: Some("a".to_owned()),
            });
            let word = WORDS_A[random_index(WORDS_A.len())].to_owned();
            (word, ty, sms_then(CodeType::Sms))
        }
        CodeKind::SmsPhrase => {
            let ty = T::SmsPhrase(a::SentCodeTypeSmsPhrase {
                beginning: Some("apple".to_owned()),
            });
            let phrase = format!(
                "apple {} {}",
                WORDS[random_index(WORDS.len())],
                WORDS[random_index(WORDS.len())]
            );
            (phrase, ty, sms_then(CodeType::Sms))
        }
        CodeKind::PaymentRequired => {
            // The code goes out once the payment is made; the one kept is that code.
            let answer = a::SentCodePaymentRequired {
                store_product: "org.telegram.telegramPremium.oneMonth".to_owned(),
                phone_code_hash: phone_code_hash.to_owned(),
                support_email_address: "login-support@example.com".to_owned(),
                support_email_subject: format!("tgauth test DC: payment for +{digits}"),
                premium_days: 30,
                currency: "USD".to_owned(),
                amount: 499,
            };
            return Made {
                code: five(),
                answer: answer.into(),
            };
        }
        CodeKind::Success => unreachable!("auth.sentCodeSuccess carries no code"),
    };
    let next_type = next_type.filter(|t| layer_of(code_type_name(t)) <= layer);
    let answer = a::SentCode {
        r#type: ty,
        phone_code_hash: phone_code_hash.to_owned(),
        timeout: next_type.as_ref().and(timeout),
        next_type,
    };
    Made {
        code,
        answer: answer.into(),
    }
}

fn code_type_name(t: &enums::auth::CodeType) -> &'static str {
    use enums::auth::CodeType;
    match t {
        CodeType::Sms => "auth.codeTypeSms",
        CodeType::Call => "auth.codeTypeCall",
        CodeType::FlashCall => "auth.codeTypeFlashCall",
        CodeType::MissedCall => "auth.codeTypeMissedCall",
        CodeType::FragmentSms => "auth.codeTypeFragmentSms",
    }
}
