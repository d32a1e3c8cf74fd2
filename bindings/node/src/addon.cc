// Node-API addon over the tgauth C ABI (include/tgauth.h).
//
// Threading: JavaScript runs only on the main thread. The core calls a request's callback on
// one of its own threads; that callback copies what it borrows into an owned `Request` and
// hands it to the client's thread-safe function (non-blocking, unbounded queue, so a library
// thread never waits for the main thread). The main thread then settles the request's
// deferred Promise with `[error, sentCode]`; index.js turns the error into its class.
//
// Lifetime: `tg_client_free` waits for running callbacks to return. It is only ever called on
// the main thread, and callbacks never wait for the main thread, so it cannot deadlock. The
// thread-safe function is referenced (keeps the loop alive) only while requests are pending,
// and is released only after `tg_client_free` returned, so no callback can reach it once it is
// gone. At environment teardown the queue is emptied with a null env: each Request is freed.

#include <napi.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "tgauth.h"
}

namespace {

// Longest string accepted from JavaScript, in bytes (index.js checks the same limit first).
constexpr size_t kMaxStringBytes = 64 * 1024;

using Bytes = std::vector<uint8_t>;

std::optional<std::string> CopyOptional(const char* s) {
  if (s == nullptr) return std::nullopt;
  return std::string(s);
}

Bytes CopyBytes(const tg_bytes& b) {
  if (b.data == nullptr || b.len == 0) return {};
  return Bytes(b.data, b.data + b.len);
}

// An owned copy of what the core's callback borrows.
struct ErrorCopy {
  tg_result result;
  int32_t code;
  std::string name;
  int64_t value;
  std::string message;
};

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

struct ClientCore;

// One tg_send_code in flight: the core's user_data.
struct Request {
  napi_threadsafe_function tsfn;  // the client's; alive until tg_client_free has returned
  napi_deferred deferred;         // settled exactly once, on the main thread
  std::optional<ErrorCopy> error;
  std::optional<SentCodeCopy> sent;
};

void DeliverOnMainThread(Napi::Env env, Napi::Function, ClientCore* core, Request* request);

using RequestTsfn = Napi::TypedThreadSafeFunction<ClientCore, Request, DeliverOnMainThread>;

class NativeClient;

// What the wrapper object and the thread-safe function share. Owned by a shared_ptr held by
// the wrapper and by the thread-safe function's finalizer, whichever goes last.
struct ClientCore {
  tg_client* client = nullptr;
  RequestTsfn tsfn;
  bool tsfn_released = false;  // released by Shutdown, or finalized at teardown
  size_t pending = 0;          // main thread only
  NativeClient* owner = nullptr;

  // Main thread. Frees the client (cancelling what is in flight: those callbacks queue
  // CANCELLED results, delivered afterwards) and then lets the thread-safe function go.
  void Shutdown() {
    if (client != nullptr) {
      tg_client* c = client;
      client = nullptr;
      tg_client_free(c);
    }
    if (!tsfn_released) {
      tsfn_released = true;
      tsfn.Release();
    }
  }
};

// Library thread: copy, queue, return. Never blocks on the main thread.
extern "C" void OnSendCodeDone(void* user_data, const tg_sent_code* sent_code,
                               const tg_error* error) {
  auto* request = static_cast<Request*>(user_data);
  try {
    if (sent_code != nullptr) {
      request->sent.emplace(*sent_code);
    } else if (error != nullptr) {
      request->error.emplace(ErrorCopy{error->result, error->code,
                                       error->name ? error->name : "", error->value,
                                       error->message ? error->message : ""});
    } else {
      request->error.emplace(ErrorCopy{TG_RESULT_INTERNAL, 0, "", -1,
                                       "tgauth called back with neither result nor error"});
    }
  } catch (...) {
    request->sent.reset();
    request->error.emplace(ErrorCopy{TG_RESULT_INTERNAL, 0, "", -1, "out of memory"});
  }
  // ClientCore belongs to the main thread; the handle copied into the request is all we need.
  if (napi_call_threadsafe_function(request->tsfn, request, napi_tsfn_nonblocking) != napi_ok) {
    // Only at environment teardown: nothing in JavaScript can receive it any more.
    delete request;
  }
}

Napi::Value StringOrNull(Napi::Env env, const std::optional<std::string>& s) {
  if (!s) return env.Null();
  return Napi::String::New(env, *s);
}

Napi::Value BufferOrNull(Napi::Env env, const Bytes& b) {
  if (b.empty()) return env.Null();
  return Napi::Buffer<uint8_t>::Copy(env, b.data(), b.size());
}

Napi::Value CodeTypeOrNull(Napi::Env env, tg_code_type t) {
  if (t == TG_CODE_TYPE_NONE) return env.Null();
  return Napi::String::New(env, tg_code_type_str(t));
}

Napi::Value IntOrNull(Napi::Env env, int32_t v) {
  if (v < 0) return env.Null();
  return Napi::Number::New(env, v);
}

void SetIfPresent(Napi::Object& o, const char* key, const std::optional<std::string>& s) {
  if (s) o.Set(key, Napi::String::New(o.Env(), *s));
}

Napi::Object SentCodeToJs(Napi::Env env, const SentCodeCopy& s) {
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

// A plain description of a failure; index.js picks the class.
Napi::Object ErrorToJs(Napi::Env env, tg_result result, int32_t code, const std::string& name,
                       int64_t value, const std::string& message) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("result", Napi::Number::New(env, static_cast<double>(result)));
  out.Set("resultName", Napi::String::New(env, tg_result_str(result)));
  out.Set("code", Napi::Number::New(env, code));
  out.Set("name", Napi::String::New(env, name));
  out.Set("value", value < 0 ? env.Null() : Napi::Value(Napi::Number::New(env, static_cast<double>(value))));
  out.Set("message", Napi::String::New(env, message));
  return out;
}

class NativeClient : public Napi::ObjectWrap<NativeClient> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeClient",
                       {InstanceMethod<&NativeClient::SendCode>("sendCode"),
                        InstanceMethod<&NativeClient::Cancel>("cancel"),
                        InstanceMethod<&NativeClient::ExportSessionString>("exportSessionString"),
                        InstanceMethod<&NativeClient::Close>("close")});
  }

  NativeClient(const Napi::CallbackInfo& info);
  ~NativeClient() override {
    // Garbage collected without close() (never while requests are pending: see Ref in
    // SendCode), or environment teardown.
    core_->owner = nullptr;
    core_->Shutdown();
  }

  // Main thread: a request's settlement was delivered.
  void RequestDone(Napi::Env env) {
    if (--core_->pending == 0) {
      if (!core_->tsfn_released) core_->tsfn.Unref(env);
      Unref();
    }
  }

 private:
  Napi::Value SendCode(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value ExportSessionString(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info) {
    core_->Shutdown();
    return info.Env().Undefined();
  }

  std::shared_ptr<ClientCore> core_;
};

void DeliverOnMainThread(Napi::Env env, Napi::Function, ClientCore* core, Request* raw) {
  std::unique_ptr<Request> request(raw);
  if (env == nullptr) return;  // teardown: free only
  {
    Napi::HandleScope scope(env);
    try {
      Napi::Array settlement = Napi::Array::New(env, 2);
      if (request->sent) {
        settlement.Set(0u, env.Null());
        settlement.Set(1u, SentCodeToJs(env, *request->sent));
      } else {
        const ErrorCopy& e = *request->error;
        settlement.Set(0u, ErrorToJs(env, e.result, e.code, e.name, e.value, e.message));
        settlement.Set(1u, env.Null());
      }
      napi_resolve_deferred(env, request->deferred, settlement);
    } catch (const Napi::Error& e) {
      napi_reject_deferred(env, request->deferred, e.Value());
    }
  }
  if (core->owner != nullptr) {
    core->owner->RequestDone(env);
  } else if (--core->pending == 0 && !core->tsfn_released) {
    core->tsfn.Unref(env);
  }
}

// Reads a string argument: a JS string without NUL, at most kMaxStringBytes of UTF-8.
std::string ArgString(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsString()) throw Napi::TypeError::New(env, std::string(what) + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.size() > kMaxStringBytes)
    throw Napi::RangeError::New(env, std::string(what) + " is longer than 64 KiB");
  if (s.find('\0') != std::string::npos)
    throw Napi::TypeError::New(env, std::string(what) + " must not contain NUL characters");
  return s;
}

std::optional<std::string> ArgOptionalString(Napi::Env env, const Napi::Value& v,
                                             const char* what) {
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return ArgString(env, v, what);
}

uint32_t ArgUint32(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d)))
    throw Napi::RangeError::New(env, std::string(what) + " must be an integer in 0..2^32-1");
  return static_cast<uint32_t>(d);
}

void Check(Napi::Env env, tg_result r, const char* what) {
  if (r == TG_RESULT_OK) return;
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + tg_result_str(r));
  e.Set("result", Napi::Number::New(env, static_cast<double>(r)));
  e.Set("resultName", Napi::String::New(env, tg_result_str(r)));
  throw e;
}

// Throws an error index.js classifies by `result`, with a message of our own.
[[noreturn]] void Fail(Napi::Env env, tg_result r, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("result", Napi::Number::New(env, static_cast<double>(r)));
  e.Set("resultName", Napi::String::New(env, tg_result_str(r)));
  throw e;
}

// A string tgauth returned, freed with tg_string_free.
struct OwnedString {
  char* s = nullptr;
  ~OwnedString() { tg_string_free(s); }
};

struct ConfigGuard {
  tg_config* config = nullptr;
  ~ConfigGuard() { tg_config_free(config); }
};

// new NativeClient({ dcs: [{id, host, port}], rsaKeys: [pem], session, timeoutMs,
//                   floodSleepThreshold, testServers, deviceModel, systemVersion, appVersion,
//                   systemLangCode, langPack, langCode, transport (a tg_transport value),
//                   obfuscated, sessionString, apiId, apiHash })  -- already validated by
//                   lib/validate.js; the core checks again.
NativeClient::NativeClient(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<NativeClient>(info), core_(std::make_shared<ClientCore>()) {
  Napi::Env env = info.Env();
  core_->owner = this;
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  Napi::Object o = info[0].As<Napi::Object>();

  ConfigGuard cfg;
  Check(env, tg_config_new(&cfg.config), "tg_config_new");

  Napi::Value dcs = o.Get("dcs");
  if (dcs.IsArray()) {
    Napi::Array arr = dcs.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) {
      Napi::Value item = arr.Get(i);
      if (!item.IsObject()) throw Napi::TypeError::New(env, "dcs[] must be objects");
      Napi::Object dc = item.As<Napi::Object>();
      uint32_t id = ArgUint32(env, dc.Get("id"), "dcs[].id");
      std::string host = ArgString(env, dc.Get("host"), "dcs[].host");
      uint32_t port = ArgUint32(env, dc.Get("port"), "dcs[].port");
      if (id == 0 || id > INT32_MAX) throw Napi::RangeError::New(env, "dcs[].id out of range");
      if (port == 0 || port > 65535) throw Napi::RangeError::New(env, "dcs[].port out of range");
      Check(env,
            tg_config_add_dc(cfg.config, static_cast<int32_t>(id), host.c_str(),
                             static_cast<uint16_t>(port)),
            "tg_config_add_dc");
    }
  }
  Napi::Value keys = o.Get("rsaKeys");
  if (keys.IsArray()) {
    Napi::Array arr = keys.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) {
      std::string pem = ArgString(env, arr.Get(i), "rsaKeys[]");
      Check(env, tg_config_add_rsa_key(cfg.config, pem.c_str()), "tg_config_add_rsa_key");
    }
  }
  if (o.Get("testServers").ToBoolean().Value())
    Check(env, tg_config_use_test_servers(cfg.config), "tg_config_use_test_servers");
  if (auto session = ArgOptionalString(env, o.Get("session"), "session"))
    Check(env, tg_config_set_session_path(cfg.config, session->c_str()),
          "tg_config_set_session_path");
  Napi::Value timeout = o.Get("timeoutMs");
  if (!timeout.IsUndefined() && !timeout.IsNull())
    Check(env, tg_config_set_timeout_ms(cfg.config, ArgUint32(env, timeout, "timeout")),
          "tg_config_set_timeout_ms");
  Napi::Value flood = o.Get("floodSleepThreshold");
  if (!flood.IsUndefined() && !flood.IsNull())
    Check(env,
          tg_config_set_flood_sleep_threshold(cfg.config,
                                              ArgUint32(env, flood, "floodSleepThreshold")),
          "tg_config_set_flood_sleep_threshold");

  auto device = ArgOptionalString(env, o.Get("deviceModel"), "deviceModel");
  auto system = ArgOptionalString(env, o.Get("systemVersion"), "systemVersion");
  auto app = ArgOptionalString(env, o.Get("appVersion"), "appVersion");
  if (device || system || app)
    Check(env,
          tg_config_set_device(cfg.config, device ? device->c_str() : nullptr,
                               system ? system->c_str() : nullptr,
                               app ? app->c_str() : nullptr),
          "tg_config_set_device");
  auto sys_lang = ArgOptionalString(env, o.Get("systemLangCode"), "systemLangCode");
  auto lang_pack = ArgOptionalString(env, o.Get("langPack"), "langPack");
  auto lang = ArgOptionalString(env, o.Get("langCode"), "langCode");
  if (sys_lang || lang_pack || lang)
    Check(env,
          tg_config_set_lang(cfg.config, sys_lang ? sys_lang->c_str() : nullptr,
                             lang_pack ? lang_pack->c_str() : nullptr,
                             lang ? lang->c_str() : nullptr),
          "tg_config_set_lang");

  Napi::Value transport = o.Get("transport");
  if (!transport.IsUndefined() && !transport.IsNull())
    Check(env,
          tg_config_set_transport(cfg.config, ArgUint32(env, transport, "transport"),
                                  o.Get("obfuscated").ToBoolean().Value()),
          "tg_config_set_transport");
  if (auto session_string = ArgOptionalString(env, o.Get("sessionString"), "sessionString")) {
    tg_result r = tg_config_set_session_string(cfg.config, session_string->c_str());
    if (r == TG_RESULT_INVALID_ARGUMENT)
      Fail(env, r, "sessionString is not a Telethon or GramJS string session");
    Check(env, r, "tg_config_set_session_string");
  }
  Napi::Value api_id = o.Get("apiId");
  if (!api_id.IsUndefined() && !api_id.IsNull()) {
    uint32_t id = ArgUint32(env, api_id, "apiId");
    if (id == 0 || id > INT32_MAX) throw Napi::RangeError::New(env, "apiId out of range");
    std::string hash = ArgString(env, o.Get("apiHash"), "apiHash");
    Check(env, tg_config_set_app(cfg.config, static_cast<int32_t>(id), hash.c_str()),
          "tg_config_set_app");
  }

  Check(env, tg_client_new(cfg.config, &core_->client), "tg_client_new");

  // The finalizer runs on the main thread when the function is gone: after Release, or at
  // environment teardown (then tg_client_free here cancels what is still in flight; those
  // callbacks find the function closing and free their requests).
  auto* keep = new std::shared_ptr<ClientCore>(core_);
  try {
    core_->tsfn = RequestTsfn::New(
        env, "tgauth.sendCode", 0, 1, core_.get(),
        [](Napi::Env, std::shared_ptr<ClientCore>* keep, ClientCore*) {
          ClientCore& core = **keep;
          core.tsfn_released = true;
          if (core.client != nullptr) {
            tg_client* c = core.client;
            core.client = nullptr;
            tg_client_free(c);
          }
          delete keep;
        },
        keep);
  } catch (...) {
    delete keep;
    tg_client_free(core_->client);
    core_->client = nullptr;
    core_->tsfn_released = true;
    throw;
  }
  core_->tsfn.Unref(env);  // only pending requests keep the process alive
}

// sendCode(phone, apiId, apiHash|null, settings|null) -> [Promise<[error, sentCode]>, requestId]
// apiId 0 with apiHash null: the client's app.
Napi::Value NativeClient::SendCode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (core_->client == nullptr) throw Napi::Error::New(env, "the client is closed");
  std::string phone = ArgString(env, info[0], "phoneNumber");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "apiId must be a number");
  double api_id = info[1].As<Napi::Number>().DoubleValue();
  std::optional<std::string> api_hash = ArgOptionalString(env, info[2], "apiHash");
  bool configs_app = api_id == 0 && !api_hash;
  if (!configs_app && (!(api_id >= 1 && api_id <= INT32_MAX) ||
                       api_id != static_cast<double>(static_cast<int32_t>(api_id))))
    throw Napi::RangeError::New(env, "apiId must be a positive 32-bit integer");
  if (!configs_app && !api_hash) throw Napi::TypeError::New(env, "apiHash must be a string");

  tg_code_settings settings;
  std::memset(&settings, 0, sizeof settings);
  bool have_settings = false;
  std::vector<Bytes> token_bytes;
  std::vector<tg_bytes> tokens;
  std::optional<std::string> token;
  if (info[3].IsObject()) {
    have_settings = true;
    Napi::Object s = info[3].As<Napi::Object>();
    settings.allow_flashcall = s.Get("allowFlashcall").ToBoolean();
    settings.current_number = s.Get("currentNumber").ToBoolean();
    settings.allow_app_hash = s.Get("allowAppHash").ToBoolean();
    settings.allow_missed_call = s.Get("allowMissedCall").ToBoolean();
    settings.allow_firebase = s.Get("allowFirebase").ToBoolean();
    settings.unknown_number = s.Get("unknownNumber").ToBoolean();
    Napi::Value lt = s.Get("logoutTokens");
    if (lt.IsArray()) {
      Napi::Array arr = lt.As<Napi::Array>();
      for (uint32_t i = 0; i < arr.Length(); i++) {
        Napi::Value t = arr.Get(i);
        if (!t.IsTypedArray() || t.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
          throw Napi::TypeError::New(env, "settings.logoutTokens[] must be Uint8Arrays");
        Napi::Uint8Array u = t.As<Napi::Uint8Array>();
        if (u.ByteLength() > kMaxStringBytes)
          throw Napi::RangeError::New(env, "settings.logoutTokens[] is longer than 64 KiB");
        token_bytes.emplace_back(u.Data(), u.Data() + u.ByteLength());
      }
      for (const Bytes& b : token_bytes) tokens.push_back(tg_bytes{b.data(), b.size()});
      settings.logout_tokens = tokens.empty() ? nullptr : tokens.data();
      settings.logout_tokens_len = tokens.size();
    }
    token = ArgOptionalString(env, s.Get("token"), "settings.token");
    settings.token = token ? token->c_str() : nullptr;
    Napi::Value sandbox = s.Get("appSandbox");
    if (sandbox.IsBoolean()) settings.app_sandbox = sandbox.As<Napi::Boolean>().Value() ? 2 : 1;
  }

  napi_deferred deferred = nullptr;
  napi_value promise = nullptr;
  if (napi_create_promise(env, &deferred, &promise) != napi_ok)
    throw Napi::Error::New(env, "cannot create a promise");
  auto* request = new Request{core_->tsfn, deferred, std::nullopt, std::nullopt};
  uint64_t request_id = 0;
  tg_result r = tg_send_code(core_->client, phone.c_str(), static_cast<int32_t>(api_id),
                             api_hash ? api_hash->c_str() : nullptr,
                             have_settings ? &settings : nullptr,
                             OnSendCodeDone, request, &request_id);
  if (r != TG_RESULT_OK) {
    // No callback will come: settle here, synchronously, with the core's verdict.
    Napi::Array settlement = Napi::Array::New(env, 2);
    settlement.Set(0u, ErrorToJs(env, r, 0, "", -1, std::string("tg_send_code: ") + tg_result_str(r)));
    settlement.Set(1u, env.Null());
    napi_resolve_deferred(env, request->deferred, settlement);
    delete request;
  } else if (core_->pending++ == 0) {
    core_->tsfn.Ref(env);
    Ref();  // keep this wrapper (and so the client) alive while requests are pending
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Value(env, promise));
  out.Set(1u, Napi::BigInt::New(env, request_id));
  return out;
}

// cancel(requestId): asks the core to cancel; the request then settles with CANCELLED (or
// with its result, if that was already on its way).
Napi::Value NativeClient::Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBigInt()) throw Napi::TypeError::New(env, "request id must be a bigint");
  bool lossless = false;
  uint64_t id = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  if (core_->client == nullptr || !lossless) return Napi::Boolean::New(env, false);
  return Napi::Boolean::New(env, tg_cancel(core_->client, id) == TG_RESULT_OK);
}

// exportSessionString() -> string | null (null: no key yet)
Napi::Value NativeClient::ExportSessionString(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (core_->client == nullptr) throw Napi::Error::New(env, "the client is closed");
  OwnedString out;
  tg_result r = tg_client_export_session_string(core_->client, &out.s);
  if (r == TG_RESULT_NOT_FOUND) return env.Null();
  Check(env, r, "tg_client_export_session_string");
  return Napi::String::New(env, out.s ? out.s : "");
}

// ---- Test DC ----

// Test DCs still running when the environment goes away are stopped then; a test DC is never
// stopped by garbage collection (its ports stay in use by whoever read dc.dcs).
struct AddonData {
  std::set<tg_testdc*> testdcs;
  ~AddonData() {
    for (tg_testdc* dc : testdcs) tg_testdc_stop(dc);
  }
};

tg_testdc* TestdcArg(Napi::Env env, const Napi::Value& v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(env, "not a test DC handle");
  auto* dc = v.As<Napi::External<tg_testdc>>().Data();
  AddonData* data = env.GetInstanceData<AddonData>();
  if (dc == nullptr || data->testdcs.count(dc) == 0)
    throw Napi::Error::New(env, "the test DC is stopped");
  return dc;
}

class TestdcStartWorker : public Napi::AsyncWorker {
 public:
  TestdcStartWorker(Napi::Env env, std::optional<std::string> options)
      : Napi::AsyncWorker(env, "tgauth.TestDC.start"),
        options_(std::move(options)),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    result_ = tg_testdc_start(options_ ? options_->c_str() : nullptr, &dc_);
    if (result_ == TG_RESULT_OK) info_ = tg_testdc_info_json(dc_);
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (result_ != TG_RESULT_OK) {
      Napi::Error e = Napi::Error::New(env, std::string("tg_testdc_start: ") + tg_result_str(result_));
      e.Set("result", Napi::Number::New(env, static_cast<double>(result_)));
      e.Set("resultName", Napi::String::New(env, tg_result_str(result_)));
      deferred_.Reject(e.Value());
      return;
    }
    env.GetInstanceData<AddonData>()->testdcs.insert(dc_);
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::External<tg_testdc>::New(env, dc_));
    out.Set(1u, Napi::String::New(env, info_ ? info_ : ""));
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::optional<std::string> options_;
  Napi::Promise::Deferred deferred_;
  tg_result result_ = TG_RESULT_INTERNAL;
  tg_testdc* dc_ = nullptr;
  const char* info_ = nullptr;
};

class TestdcStopWorker : public Napi::AsyncWorker {
 public:
  TestdcStopWorker(Napi::Env env, tg_testdc* dc)
      : Napi::AsyncWorker(env, "tgauth.TestDC.stop"),
        dc_(dc),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { tg_testdc_stop(dc_); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  tg_testdc* dc_;
  Napi::Promise::Deferred deferred_;
};

// testdcStart(optionsJson|null) -> Promise<[handle, infoJson]>
Napi::Value TestdcStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::optional<std::string> options = ArgOptionalString(env, info[0], "TestDC options");
  auto* worker = new TestdcStartWorker(env, std::move(options));
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

// testdcStop(handle) -> Promise<void>
Napi::Value TestdcStop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_testdc* dc = TestdcArg(env, info[0]);
  env.GetInstanceData<AddonData>()->testdcs.erase(dc);
  auto* worker = new TestdcStopWorker(env, dc);
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

// testdcCodes(handle, phone) -> JSON string
Napi::Value TestdcCodes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_testdc* dc = TestdcArg(env, info[0]);
  std::string phone = ArgString(env, info[1], "phone number");
  char* json = nullptr;
  Check(env, tg_testdc_codes_json(dc, phone.c_str(), &json), "tg_testdc_codes_json");
  Napi::String out = Napi::String::New(env, json ? json : "[]");
  tg_string_free(json);
  return out;
}

// testdcStats(handle) -> JSON string
Napi::Value TestdcStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_testdc* dc = TestdcArg(env, info[0]);
  OwnedString json;
  Check(env, tg_testdc_stats_json(dc, &json.s), "tg_testdc_stats_json");
  return Napi::String::New(env, json.s ? json.s : "{}");
}

Napi::Value ResultName(const Napi::CallbackInfo& info) {
  uint32_t r = ArgUint32(info.Env(), info[0], "result");
  return Napi::String::New(info.Env(), tg_result_str(static_cast<tg_result>(r)));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<AddonData>(new AddonData());
  exports.Set("NativeClient", NativeClient::Define(env));
  exports.Set("testdcStart", Napi::Function::New<TestdcStart>(env, "testdcStart"));
  exports.Set("testdcStop", Napi::Function::New<TestdcStop>(env, "testdcStop"));
  exports.Set("testdcCodes", Napi::Function::New<TestdcCodes>(env, "testdcCodes"));
  exports.Set("testdcStats", Napi::Function::New<TestdcStats>(env, "testdcStats"));
  exports.Set("resultName", Napi::Function::New<ResultName>(env, "resultName"));
  exports.Set("version", Napi::String::New(env, tg_version()));
  return exports;
}

}  // namespace

NODE_API_MODULE(tgauth, Init)
