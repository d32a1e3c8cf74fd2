//! auth.SentCode decoded into one flat description of every constructor of the layer.

use grammers_tl_types::enums;

use super::Authorization;

/// Which auth.SentCode constructor answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SentCodeKind {
    /// auth.sentCode: a code is on its way.
    Code,
    /// auth.sentCodeSuccess: a logout token logged the user straight in.
    Success,
    /// auth.sentCodePaymentRequired: the number needs a purchase first.
    PaymentRequired,
}

/// How a code is (or will next be) delivered: auth.SentCodeType / auth.CodeType.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeTypeKind {
    /// In another Telegram app.
    App,
    /// By SMS.
    Sms,
    /// By a voice call.
    Call,
    /// By a flash call (the calling number is the code).
    FlashCall,
    /// By a missed call (the end of the calling number is the code).
    MissedCall,
    /// By email.
    EmailCode,
    /// An email address must be set up first.
    SetUpEmailRequired,
    /// Through fragment.com.
    FragmentSms,
    /// By SMS after Firebase verification.
    FirebaseSms,
    /// By an SMS holding a word.
    SmsWord,
    /// By an SMS holding a phrase.
    SmsPhrase,
}

impl CodeTypeKind {
    /// The name the bindings use ("app", "sms", "flash_call", ...).
    pub fn name(self) -> &'static str {
        match self {
            CodeTypeKind::App => "app",
            CodeTypeKind::Sms => "sms",
            CodeTypeKind::Call => "call",
            CodeTypeKind::FlashCall => "flash_call",
            CodeTypeKind::MissedCall => "missed_call",
            CodeTypeKind::EmailCode => "email_code",
            CodeTypeKind::SetUpEmailRequired => "set_up_email_required",
            CodeTypeKind::FragmentSms => "fragment_sms",
            CodeTypeKind::FirebaseSms => "firebase_sms",
            CodeTypeKind::SmsWord => "sms_word",
            CodeTypeKind::SmsPhrase => "sms_phrase",
        }
    }
}

/// The answer to auth.sendCode. Fields that do not apply to the constructor are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SentCode {
    /// Which constructor (`None` only in `Default`).
    pub kind: Option<SentCodeKind>,
    /// Needed by sign-in (empty for Success).
    pub phone_code_hash: String,
    /// How the code was sent (Code only).
    pub code_type: Option<CodeTypeKind>,
    /// The code's length.
    pub length: Option<i32>,
    /// How the code will be sent if the user asks again.
    pub next_type: Option<CodeTypeKind>,
    /// Seconds before asking again is allowed.
    pub timeout: Option<i32>,
    /// FlashCall: the pattern of the calling number.
    pub pattern: Option<String>,
    /// MissedCall: the known start of the calling number.
    pub prefix: Option<String>,
    /// FragmentSms: where to read the code.
    pub url: Option<String>,
    /// EmailCode: the masked address.
    pub email_pattern: Option<String>,
    /// SmsWord / SmsPhrase: the start of the word or phrase.
    pub beginning: Option<String>,
    /// FirebaseSms (iOS): the receipt.
    pub receipt: Option<String>,
    /// FirebaseSms (Android): the SafetyNet nonce.
    pub firebase_nonce: Option<Vec<u8>>,
    /// FirebaseSms: the Play Integrity nonce.
    pub play_integrity_nonce: Option<Vec<u8>>,
    /// FirebaseSms: the Play Integrity project.
    pub play_integrity_project_id: Option<i64>,
    /// FirebaseSms: seconds to wait for the push.
    pub push_timeout: Option<i32>,
    /// EmailCode: seconds until an email reset is possible.
    pub reset_available_period: Option<i32>,
    /// EmailCode: when a pending reset happens.
    pub reset_pending_date: Option<i32>,
    /// EmailCode / SetUpEmailRequired.
    pub apple_signin_allowed: bool,
    /// EmailCode / SetUpEmailRequired.
    pub google_signin_allowed: bool,
    /// Success: the account does not exist yet.
    pub sign_up_required: bool,
    /// Success: the user logged in.
    pub user_id: Option<i64>,
    /// Success: a token for the next login.
    pub future_auth_token: Option<Vec<u8>>,
    /// PaymentRequired: the store product.
    pub store_product: Option<String>,
    /// PaymentRequired: support address.
    pub support_email_address: Option<String>,
    /// PaymentRequired: support subject.
    pub support_email_subject: Option<String>,
    /// PaymentRequired: currency.
    pub currency: Option<String>,
    /// PaymentRequired: amount in the currency's smallest unit.
    pub amount: Option<i64>,
    /// PaymentRequired: premium days bought.
    pub premium_days: Option<i32>,
    /// Success: the whole authorization (the user, the next future auth token).
    pub authorization: Option<Authorization>,
}

fn next_type(t: enums::auth::CodeType) -> CodeTypeKind {
    match t {
        enums::auth::CodeType::Sms => CodeTypeKind::Sms,
        enums::auth::CodeType::Call => CodeTypeKind::Call,
        enums::auth::CodeType::FlashCall => CodeTypeKind::FlashCall,
        enums::auth::CodeType::MissedCall => CodeTypeKind::MissedCall,
        enums::auth::CodeType::FragmentSms => CodeTypeKind::FragmentSms,
    }
}

impl From<enums::auth::SentCode> for SentCode {
    fn from(sent: enums::auth::SentCode) -> Self {
        use enums::auth::SentCodeType as T;
        match sent {
            enums::auth::SentCode::Code(code) => {
                let mut out = SentCode {
                    kind: Some(SentCodeKind::Code),
                    phone_code_hash: code.phone_code_hash,
                    next_type: code.next_type.map(next_type),
                    timeout: code.timeout,
                    ..SentCode::default()
                };
                match code.r#type {
                    T::App(t) => {
                        (out.code_type, out.length) = (Some(CodeTypeKind::App), Some(t.length))
                    }
                    T::Sms(t) => {
                        (out.code_type, out.length) = (Some(CodeTypeKind::Sms), Some(t.length))
                    }
                    T::Call(t) => {
                        (out.code_type, out.length) = (Some(CodeTypeKind::Call), Some(t.length))
                    }
                    T::FlashCall(t) => {
                        out.code_type = Some(CodeTypeKind::FlashCall);
                        out.pattern = Some(t.pattern);
                    }
                    T::MissedCall(t) => {
                        out.code_type = Some(CodeTypeKind::MissedCall);
                        out.prefix = Some(t.prefix);
                        out.length = Some(t.length);
                    }
                    T::EmailCode(t) => {
                        out.code_type = Some(CodeTypeKind::EmailCode);
                        out.email_pattern = Some(t.email_pattern);
                        out.length = Some(t.length);
                        out.apple_signin_allowed = t.apple_signin_allowed;
                        out.google_signin_allowed = t.google_signin_allowed;
                        out.reset_available_period = t.reset_available_period;
                        out.reset_pending_date = t.reset_pending_date;
                    }
                    T::SetUpEmailRequired(t) => {
                        out.code_type = Some(CodeTypeKind::SetUpEmailRequired);
                        out.apple_signin_allowed = t.apple_signin_allowed;
                        out.google_signin_allowed = t.google_signin_allowed;
                    }
                    T::FragmentSms(t) => {
                        out.code_type = Some(CodeTypeKind::FragmentSms);
                        out.url = Some(t.url);
                        out.length = Some(t.length);
                    }
                    T::FirebaseSms(t) => {
                        out.code_type = Some(CodeTypeKind::FirebaseSms);
                        out.firebase_nonce = t.nonce;
                        out.play_integrity_project_id = t.play_integrity_project_id;
                        out.play_integrity_nonce = t.play_integrity_nonce;
                        out.receipt = t.receipt;
                        out.push_timeout = t.push_timeout;
                        out.length = Some(t.length);
                    }
                    T::SmsWord(t) => {
                        out.code_type = Some(CodeTypeKind::SmsWord);
                        out.beginning = t.beginning;
                    }
                    T::SmsPhrase(t) => {
                        out.code_type = Some(CodeTypeKind::SmsPhrase);
                        out.beginning = t.beginning;
                    }
                }
                out
            }
            enums::auth::SentCode::Success(success) => {
                let auth = Authorization::from(success.authorization);
                SentCode {
                    kind: Some(SentCodeKind::Success),
                    sign_up_required: auth.sign_up_required.is_some(),
                    user_id: auth.user.as_ref().map(|u| u.id),
                    future_auth_token: auth.future_auth_token.clone(),
                    authorization: Some(auth),
                    ..SentCode::default()
                }
            }
            enums::auth::SentCode::PaymentRequired(p) => SentCode {
                kind: Some(SentCodeKind::PaymentRequired),
                phone_code_hash: p.phone_code_hash,
                store_product: Some(p.store_product),
                support_email_address: Some(p.support_email_address),
                support_email_subject: Some(p.support_email_subject),
                currency: Some(p.currency),
                amount: Some(p.amount),
                premium_days: Some(p.premium_days),
                ..SentCode::default()
            },
        }
    }
}
