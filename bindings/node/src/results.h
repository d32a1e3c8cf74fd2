// Owned copies of the values the core's callbacks borrow, each with its JavaScript form.
// Every copy is made on a library thread (no JavaScript there) and turned into JavaScript on
// the main thread.
#pragma once

#include "common.h"

namespace tgauth_node {

// tg_sent_code (tg_send_code, tg_resend_code).
struct SentCodeCopy {
  tg_sent_code_kind kind;
  std::string phone_code_hash;
  tg_code_type type;
  int32_t length;
  tg_code_type next_type;
  int32_t timeout;
  std::optional<std::string> pattern, prefix, url, email_pattern, beginning, receipt;
  Bytes firebase_nonce, play_integrity_nonce;
  int64_t play_integrity_project_id;
  int32_t push_timeout, reset_available_period, reset_pending_date;
  bool apple_signin_allowed, google_signin_allowed;
  bool sign_up_required;
  int64_t user_id;
  Bytes future_auth_token;
  std::optional<std::string> store_product, support_email_address, support_email_subject,
      currency;
  int64_t amount;
  int32_t premium_days;

  explicit SentCodeCopy(const tg_sent_code& s)
      : kind(s.kind),
        phone_code_hash(s.phone_code_hash ? s.phone_code_hash : ""),
        type(s.type),
        length(s.length),
        next_type(s.next_type),
        timeout(s.timeout),
        pattern(CopyOptional(s.pattern)),
        prefix(CopyOptional(s.prefix)),
        url(CopyOptional(s.url)),
        email_pattern(CopyOptional(s.email_pattern)),
        beginning(CopyOptional(s.beginning)),
        receipt(CopyOptional(s.receipt)),
        firebase_nonce(CopyBytes(s.firebase_nonce)),
        play_integrity_nonce(CopyBytes(s.play_integrity_nonce)),
        play_integrity_project_id(s.play_integrity_project_id),
        push_timeout(s.push_timeout),
        reset_available_period(s.reset_available_period),
        reset_pending_date(s.reset_pending_date),
        apple_signin_allowed(s.apple_signin_allowed),
        google_signin_allowed(s.google_signin_allowed),
        sign_up_required(s.sign_up_required),
        user_id(s.user_id),
        future_auth_token(CopyBytes(s.future_auth_token)),
        store_product(CopyOptional(s.store_product)),
        support_email_address(CopyOptional(s.support_email_address)),
        support_email_subject(CopyOptional(s.support_email_subject)),
        currency(CopyOptional(s.currency)),
        amount(s.amount),
        premium_days(s.premium_days) {}
};

inline Napi::Value CodeTypeOrNull(Napi::Env env, tg_code_type t) {
  if (t == TG_CODE_TYPE_NONE) return env.Null();
  return Napi::String::New(env, tg_code_type_str(t));
}

inline void SetIfPresent(Napi::Object& o, const char* key, const std::optional<std::string>& s) {
  if (s) o.Set(key, Napi::String::New(o.Env(), *s));
}

inline Napi::Object SentCodeToJs(Napi::Env env, const SentCodeCopy& s) {
  Napi::Object out = Napi::Object::New(env);
  switch (s.kind) {
    case TG_SENT_CODE_KIND_SUCCESS:
      out.Set("kind", "success");
      break;
    case TG_SENT_CODE_KIND_PAYMENT_REQUIRED:
      out.Set("kind", "paymentRequired");
      break;
    default:
      out.Set("kind", "code");
      break;
  }
  if (s.kind == TG_SENT_CODE_KIND_CODE) {
    Napi::Object type = Napi::Object::New(env);
    type.Set("kind", Napi::String::New(env, tg_code_type_str(s.type)));
    if (s.length >= 0) type.Set("length", Napi::Number::New(env, s.length));
    SetIfPresent(type, "pattern", s.pattern);
    SetIfPresent(type, "prefix", s.prefix);
    SetIfPresent(type, "url", s.url);
    SetIfPresent(type, "emailPattern", s.email_pattern);
    SetIfPresent(type, "beginning", s.beginning);
    SetIfPresent(type, "receipt", s.receipt);
    if (s.type == TG_CODE_TYPE_EMAIL_CODE || s.type == TG_CODE_TYPE_SET_UP_EMAIL_REQUIRED) {
      type.Set("appleSigninAllowed", Napi::Boolean::New(env, s.apple_signin_allowed));
      type.Set("googleSigninAllowed", Napi::Boolean::New(env, s.google_signin_allowed));
    }
    if (s.reset_available_period >= 0)
      type.Set("resetAvailablePeriod", Napi::Number::New(env, s.reset_available_period));
    if (s.reset_pending_date >= 0)
      type.Set("resetPendingDate", Napi::Number::New(env, s.reset_pending_date));
    if (!s.firebase_nonce.empty()) type.Set("firebaseNonce", BufferOrNull(env, s.firebase_nonce));
    if (!s.play_integrity_nonce.empty())
      type.Set("playIntegrityNonce", BufferOrNull(env, s.play_integrity_nonce));
    if (s.type == TG_CODE_TYPE_FIREBASE_SMS && s.play_integrity_project_id != 0)
      type.Set("playIntegrityProjectId", Napi::BigInt::New(env, s.play_integrity_project_id));
    if (s.push_timeout >= 0) type.Set("pushTimeout", Napi::Number::New(env, s.push_timeout));
    out.Set("type", type);
  } else {
    out.Set("type", env.Null());
  }
  out.Set("phoneCodeHash", Napi::String::New(env, s.phone_code_hash));
  out.Set("nextType", CodeTypeOrNull(env, s.next_type));
  out.Set("timeout", IntOrNull(env, s.timeout));
  if (s.kind == TG_SENT_CODE_KIND_SUCCESS) {
    out.Set("signUpRequired", Napi::Boolean::New(env, s.sign_up_required));
    out.Set("userId", s.user_id != 0 ? Napi::Value(Napi::BigInt::New(env, s.user_id))
                                     : env.Null());
    out.Set("futureAuthToken", BufferOrNull(env, s.future_auth_token));
  } else if (s.kind == TG_SENT_CODE_KIND_PAYMENT_REQUIRED) {
    out.Set("storeProduct", StringOrNull(env, s.store_product));
    out.Set("supportEmailAddress", StringOrNull(env, s.support_email_address));
    out.Set("supportEmailSubject", StringOrNull(env, s.support_email_subject));
    out.Set("currency", StringOrNull(env, s.currency));
    out.Set("amount", Napi::BigInt::New(env, s.amount));
    out.Set("premiumDays", Napi::Number::New(env, s.premium_days));
  }
  return out;
}

inline Napi::Value ToJs(Napi::Env env, const SentCodeCopy& s) { return SentCodeToJs(env, s); }

// tg_user. 64-bit ids are bigints, as everywhere in the package.
struct UserCopy {
  int64_t id;
  int64_t access_hash;
  std::string first_name, last_name;
  std::optional<std::string> username, phone;
  bool bot;

  explicit UserCopy(const tg_user& u)
      : id(u.id),
        access_hash(u.access_hash),
        first_name(u.first_name ? u.first_name : ""),
        last_name(u.last_name ? u.last_name : ""),
        username(CopyOptional(u.username)),
        phone(CopyOptional(u.phone)),
        bot(u.bot) {}
};

inline Napi::Object ToJs(Napi::Env env, const UserCopy& u) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", Napi::BigInt::New(env, u.id));
  out.Set("accessHash", Napi::BigInt::New(env, u.access_hash));
  out.Set("firstName", Napi::String::New(env, u.first_name));
  out.Set("lastName", Napi::String::New(env, u.last_name));
  out.Set("username", StringOrNull(env, u.username));
  out.Set("phone", StringOrNull(env, u.phone));
  out.Set("bot", Napi::Boolean::New(env, u.bot));
  return out;
}

// tg_authorization (tg_sign_in, tg_sign_up, tg_check_password, tg_sign_in_bot, tg_qr_login).
struct AuthorizationCopy {
  std::optional<UserCopy> user;
  bool sign_up_required;
  std::optional<std::string> terms_of_service, terms_of_service_id;
  Bytes future_auth_token;
  bool setup_password_required;
  int32_t otherwise_relogin_days;

  explicit AuthorizationCopy(const tg_authorization& a)
      : sign_up_required(a.sign_up_required),
        terms_of_service(CopyOptional(a.terms_of_service)),
        terms_of_service_id(CopyOptional(a.terms_of_service_id)),
        future_auth_token(CopyBytes(a.future_auth_token)),
        setup_password_required(a.setup_password_required),
        otherwise_relogin_days(a.otherwise_relogin_days) {
    if (a.user != nullptr) user.emplace(*a.user);
  }
};

inline Napi::Object ToJs(Napi::Env env, const AuthorizationCopy& a) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("user", a.user ? Napi::Value(ToJs(env, *a.user)) : env.Null());
  out.Set("signUpRequired", Napi::Boolean::New(env, a.sign_up_required));
  // The terms' text to show (and their id), present only when a sign-up is required.
  out.Set("termsOfService", a.sign_up_required
                                ? Napi::Value(Napi::String::New(env, a.terms_of_service.value_or("")))
                                : env.Null());
  out.Set("termsOfServiceId", StringOrNull(env, a.terms_of_service_id));
  out.Set("futureAuthToken", BufferOrNull(env, a.future_auth_token));
  out.Set("setupPasswordRequired", Napi::Boolean::New(env, a.setup_password_required));
  out.Set("otherwiseReloginDays", IntOrNull(env, a.otherwise_relogin_days));
  return out;
}

// tg_cloud_password (tg_password_info).
struct PasswordInfoCopy {
  bool has_password;
  std::optional<std::string> hint;
  bool has_recovery;
  explicit PasswordInfoCopy(const tg_cloud_password& p)
      : has_password(p.has_password), hint(CopyOptional(p.hint)), has_recovery(p.has_recovery) {}
};

inline Napi::Object ToJs(Napi::Env env, const PasswordInfoCopy& p) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("hasPassword", Napi::Boolean::New(env, p.has_password));
  out.Set("hint", StringOrNull(env, p.hint));
  out.Set("hasRecovery", Napi::Boolean::New(env, p.has_recovery));
  return out;
}

// tg_log_out's future auth token: a Buffer, or null when Telegram gave none.
struct LogOutCopy {
  Bytes future_auth_token;
  explicit LogOutCopy(const tg_bytes& b) : future_auth_token(CopyBytes(b)) {}
};

inline Napi::Value ToJs(Napi::Env env, const LogOutCopy& l) {
  return BufferOrNull(env, l.future_auth_token);
}

// tg_done_callback's success: nothing to carry (undefined in JavaScript).
struct DoneCopy {};

inline Napi::Value ToJs(Napi::Env env, const DoneCopy&) { return env.Undefined(); }

}  // namespace tgauth_node
