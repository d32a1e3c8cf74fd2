// Node-API addon over the tgauth C ABI (include/tgauth.h): the client and its requests.
// The test DC's functions are in testdc.cc; the copies of callback values in results.h.
//
// Threading: JavaScript runs only on the main thread. The core calls a request's callback on
// one of its own threads; that callback copies what it borrows into the owned request and
// hands it to the client's thread-safe function as a `Message` (non-blocking, unbounded queue,
// so a library thread never waits for the main thread). The main thread then settles the
// request's deferred Promise with `[error, value]`; lib/client.js turns the error into its
// class. A QR login also sends a message for each new login URL, strictly before its final one,
// so the queue (first in, first out) delivers them while the request is still alive.
//
// One request type per kind of result (`ValueRequest<Copy>`), one C callback template per
// callback shape, and one `Start` that creates the promise and hands the request to a call:
// a new call is its argument parsing plus one line.
//
// Lifetime: `tg_client_free` waits for running callbacks to return. It is only ever called on
// the main thread, and callbacks never wait for the main thread, so it cannot deadlock. The
// thread-safe function is referenced (keeps the loop alive) only while requests are pending,
// and is released only after `tg_client_free` returned, so no callback can reach it once it is
// gone. At environment teardown the queue is emptied with a null env: each message is freed
// without touching JavaScript.

#include <napi.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.h"
#include "results.h"

namespace tgauth_node {
namespace {

struct ClientCore;

// What a library thread hands to the main thread.
struct Message {
  virtual ~Message() = default;
  // Main thread, JavaScript available.
  virtual void Deliver(Napi::Env env, ClientCore* core) = 0;
  // Before a delete without JavaScript (teardown): let go of JavaScript references unfreed.
  virtual void Abandon() {}
};

void DeliverOnMainThread(Napi::Env env, Napi::Function, ClientCore* core, Message* raw) {
  std::unique_ptr<Message> message(raw);
  if (env == nullptr) {  // teardown: free only
    message->Abandon();
    return;
  }
  Napi::HandleScope scope(env);
  message->Deliver(env, core);
}

using MessageTsfn = Napi::TypedThreadSafeFunction<ClientCore, Message, DeliverOnMainThread>;

// Library thread: queue, return. Never blocks on the main thread.
void Post(napi_threadsafe_function tsfn, Message* message) {
  if (napi_call_threadsafe_function(tsfn, message, napi_tsfn_nonblocking) != napi_ok) {
    // Only at environment teardown: nothing in JavaScript can receive it any more.
    message->Abandon();
    delete message;
  }
}

class NativeClient;

// What the wrapper object and the thread-safe function share. Owned by a shared_ptr held by
// the wrapper and by the thread-safe function's finalizer, whichever goes last.
struct ClientCore {
  tg_client* client = nullptr;
  MessageTsfn tsfn;
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

  // Main thread: a request was settled.
  void RequestDone(Napi::Env env);
};

// One call in flight: the core's user_data; its final callback posts it, once.
struct Request : Message {
  napi_threadsafe_function tsfn = nullptr;  // the client's; alive until tg_client_free returned
  napi_deferred deferred = nullptr;         // settled exactly once, on the main thread
  std::optional<ErrorCopy> error;

  // The result's JavaScript form (called only when there is no error).
  virtual Napi::Value Value(Napi::Env env) = 0;

  void Deliver(Napi::Env env, ClientCore* core) override {
    try {
      Napi::Array settlement = Napi::Array::New(env, 2);
      settlement.Set(0u, error ? Napi::Value(ErrorToJs(env, *error)) : env.Null());
      settlement.Set(1u, error ? env.Null() : Value(env));
      napi_resolve_deferred(env, deferred, settlement);
    } catch (const Napi::Error& e) {
      napi_reject_deferred(env, deferred, e.Value());
    }
    core->RequestDone(env);
  }
};

// A request whose success carries a `Copy` (results.h).
template <typename Copy>
struct ValueRequest : Request {
  std::optional<Copy> value;

  Napi::Value Value(Napi::Env env) override { return ToJs(env, *value); }

  // Library thread: keep the value or the error, hand the request over.
  template <typename CValue>
  void Complete(const CValue* result, const tg_error* failure) {
    try {
      if (result != nullptr && failure == nullptr) {
        value.emplace(*result);
      } else {
        error.emplace(ErrorCopy::From(failure));
      }
    } catch (...) {
      value.reset();
      error.emplace(ErrorCopy::OutOfMemory());
    }
    Post(tsfn, this);
  }
};

// The C callbacks, one template per callback shape.
template <typename Copy, typename CValue>
void OnValue(void* user_data, const CValue* result, const tg_error* error) {
  static_cast<ValueRequest<Copy>*>(user_data)->Complete(result, error);
}

void OnDone(void* user_data, const tg_error* error) {
  static const DoneCopy done{};
  static_cast<ValueRequest<DoneCopy>*>(user_data)->Complete(error ? nullptr : &done, error);
}

// A QR login: an authorization, and each new login URL before it.
struct QrRequest : ValueRequest<AuthorizationCopy> {
  Napi::FunctionReference on_token;  // main thread only
  void Abandon() override { on_token.SuppressDestruct(); }
};

// A new login URL for a QR request still in flight (its final message comes after this one).
struct LoginTokenMessage : Message {
  QrRequest* request;
  std::string url;
  int64_t expires_unix;

  LoginTokenMessage(QrRequest* r, const char* u, int64_t e)
      : request(r), url(u ? u : ""), expires_unix(e) {}

  void Deliver(Napi::Env env, ClientCore*) override {
    if (request->on_token.IsEmpty()) return;
    try {
      request->on_token.Call({Napi::String::New(env, url),
                              Napi::Number::New(env, static_cast<double>(expires_unix))});
    } catch (const Napi::Error&) {
      // lib/client.js wraps onToken and handles its exceptions; nothing else can throw here.
    }
  }
};

void OnLoginToken(void* user_data, const char* url, int64_t expires_unix) {
  auto* request = static_cast<QrRequest*>(user_data);
  LoginTokenMessage* message = nullptr;
  try {
    message = new LoginTokenMessage(request, url, expires_unix);
  } catch (...) {
    return;  // out of memory: this URL is lost, the next one (or the result) still comes
  }
  Post(request->tsfn, message);
}

// An app argument pair: apiId 0 with apiHash null/undefined means the configuration's app.
struct AppArg {
  int32_t api_id = 0;
  std::optional<std::string> api_hash;
  const char* hash() const { return api_hash ? api_hash->c_str() : nullptr; }
};

AppArg ArgApp(Napi::Env env, const Napi::Value& id_value, const Napi::Value& hash_value) {
  if (!id_value.IsNumber()) throw Napi::TypeError::New(env, "apiId must be a number");
  double api_id = id_value.As<Napi::Number>().DoubleValue();
  AppArg app;
  app.api_hash = ArgOptionalString(env, hash_value, "apiHash");
  bool configs_app = api_id == 0 && !app.api_hash;
  if (!configs_app && (!(api_id >= 1 && api_id <= INT32_MAX) ||
                       api_id != static_cast<double>(static_cast<int32_t>(api_id))))
    throw Napi::RangeError::New(env, "apiId must be a positive 32-bit integer");
  if (!configs_app && !app.api_hash) throw Napi::TypeError::New(env, "apiHash must be a string");
  app.api_id = static_cast<int32_t>(api_id);
  return app;
}

const char* OptionalCStr(const std::optional<std::string>& s) {
  return s ? s->c_str() : nullptr;
}

class NativeClient : public Napi::ObjectWrap<NativeClient> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "NativeClient",
        {InstanceMethod<&NativeClient::SendCode>("sendCode"),
         InstanceMethod<&NativeClient::SignIn>("signIn"),
         InstanceMethod<&NativeClient::SignUp>("signUp"),
         InstanceMethod<&NativeClient::CheckPassword>("checkPassword"),
         InstanceMethod<&NativeClient::PasswordInfo>("passwordInfo"),
         InstanceMethod<&NativeClient::SignInBot>("signInBot"),
         InstanceMethod<&NativeClient::ResendCode>("resendCode"),
         InstanceMethod<&NativeClient::CancelCode>("cancelCode"),
         InstanceMethod<&NativeClient::LogOut>("logOut"),
         InstanceMethod<&NativeClient::QrLogin>("qrLogin"),
         InstanceMethod<&NativeClient::AcceptLoginToken>("acceptLoginToken"),
         InstanceMethod<&NativeClient::ExportSession>("exportSession"),
         InstanceMethod<&NativeClient::SignedIn>("signedIn"),
         InstanceMethod<&NativeClient::Cancel>("cancel"),
         InstanceMethod<&NativeClient::ExportSessionString>("exportSessionString"),
         InstanceMethod<&NativeClient::Close>("close")});
  }

  NativeClient(const Napi::CallbackInfo& info);
  ~NativeClient() override {
    // Garbage collected without close() (never while requests are pending: see Ref in
    // Start), or environment teardown.
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
  // The open client, or a thrown "the client is closed".
  tg_client* Open(Napi::Env env) {
    if (core_->client == nullptr) throw Napi::Error::New(env, "the client is closed");
    return core_->client;
  }

  // Starts one call: `call(user_data, &request_id)` is the tg_* call with `request` as its
  // user_data. Returns [Promise<[error, value]>, requestId]; a refusal settles at once.
  template <typename Call>
  Napi::Value Start(Napi::Env env, const char* what, std::unique_ptr<Request> request,
                    Call&& call) {
    napi_deferred deferred = nullptr;
    napi_value promise = nullptr;
    if (napi_create_promise(env, &deferred, &promise) != napi_ok)
      throw Napi::Error::New(env, "cannot create a promise");
    request->tsfn = core_->tsfn;
    request->deferred = deferred;
    uint64_t request_id = 0;
    tg_result r = call(static_cast<void*>(request.get()), &request_id);
    if (r != TG_RESULT_OK) {
      // No callback will come: settle here, with the core's verdict.
      Napi::Array settlement = Napi::Array::New(env, 2);
      settlement.Set(0u, ErrorToJs(env, ErrorCopy{r, 0, "", -1,
                                                   std::string(what) + ": " + tg_result_str(r)}));
      settlement.Set(1u, env.Null());
      napi_resolve_deferred(env, deferred, settlement);
    } else {
      request.release();  // the core's now; its callback posts it back
      if (core_->pending++ == 0) {
        core_->tsfn.Ref(env);
        Ref();  // keep this wrapper (and so the client) alive while requests are pending
      }
    }
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::Value(env, promise));
    out.Set(1u, Napi::BigInt::New(env, request_id));
    return out;
  }

  template <typename Copy, typename Call>
  Napi::Value Start(Napi::Env env, const char* what, Call&& call) {
    return Start(env, what, std::make_unique<ValueRequest<Copy>>(), std::forward<Call>(call));
  }

  Napi::Value SendCode(const Napi::CallbackInfo& info);
  Napi::Value SignIn(const Napi::CallbackInfo& info);
  Napi::Value SignUp(const Napi::CallbackInfo& info);
  Napi::Value CheckPassword(const Napi::CallbackInfo& info);
  Napi::Value PasswordInfo(const Napi::CallbackInfo& info);
  Napi::Value SignInBot(const Napi::CallbackInfo& info);
  Napi::Value ResendCode(const Napi::CallbackInfo& info);
  Napi::Value CancelCode(const Napi::CallbackInfo& info);
  Napi::Value LogOut(const Napi::CallbackInfo& info);
  Napi::Value QrLogin(const Napi::CallbackInfo& info);
  Napi::Value AcceptLoginToken(const Napi::CallbackInfo& info);
  Napi::Value ExportSession(const Napi::CallbackInfo& info);
  Napi::Value SignedIn(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value ExportSessionString(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info) {
    core_->Shutdown();
    return info.Env().Undefined();
  }

  std::shared_ptr<ClientCore> core_;
};

void ClientCore::RequestDone(Napi::Env env) {
  if (owner != nullptr) {
    owner->RequestDone(env);
  } else if (--pending == 0 && !tsfn_released) {
    tsfn.Unref(env);
  }
}

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
    core_->tsfn = MessageTsfn::New(
        env, "tgauth.request", 0, 1, core_.get(),
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
  tg_client* client = Open(env);
  std::string phone = ArgString(env, info[0], "phoneNumber");
  AppArg app = ArgApp(env, info[1], info[2]);

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

  return Start<SentCodeCopy>(env, "tg_send_code", [&](void* user_data, uint64_t* id) {
    return tg_send_code(client, phone.c_str(), app.api_id, app.hash(),
                        have_settings ? &settings : nullptr, OnValue<SentCodeCopy, tg_sent_code>,
                        user_data, id);
  });
}

// signIn(phone, phoneCodeHash, phoneCode) -> [Promise<[error, authorization]>, requestId]
Napi::Value NativeClient::SignIn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_client* client = Open(env);
  std::string phone = ArgString(env, info[0], "phoneNumber");
  std::string hash = ArgString(env, info[1], "phoneCodeHash");
  std::string code = ArgString(env, info[2], "phoneCode");
  return Start<AuthorizationCopy>(env, "tg_sign_in", [&](void* user_data, uint64_t* id) {
    return tg_sign_in(client, phone.c_str(), hash.c_str(), code.c_str(),
                      OnValue<AuthorizationCopy, tg_authorization>, user_data, id);
  });
}

// signUp(phone, phoneCodeHash, firstName, lastName|null) -> [Promise<[error, authorization]>, id]
Napi::Value NativeClient::SignUp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_client* client = Open(env);
  std::string phone = ArgString(env, info[0], "phoneNumber");
  std::string hash = ArgString(env, info[1], "phoneCodeHash");
  std::string first = ArgString(env, info[2], "firstName");
  std::optional<std::string> last = ArgOptionalString(env, info[3], "lastName");
  return Start<AuthorizationCopy>(env, "tg_sign_up", [&](void* user_data, uint64_t* id) {
    return tg_sign_up(client, phone.c_str(), hash.c_str(), first.c_str(), OptionalCStr(last),
                      OnValue<AuthorizationCopy, tg_authorization>, user_data, id);
  });
}

// checkPassword(password) -> [Promise<[error, authorization]>, requestId]
Napi::Value NativeClient::CheckPassword(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_client* client = Open(env);
  std::string password = ArgString(env, info[0], "password");
  Napi::Value out =
      Start<AuthorizationCopy>(env, "tg_check_password", [&](void* user_data, uint64_t* id) {
        return tg_check_password(client, password.c_str(),
                                 OnValue<AuthorizationCopy, tg_authorization>, user_data, id);
      });
  // The core copied it into memory it wipes; wipe ours too.
  volatile char* p = password.data();
  for (size_t i = 0; i < password.size(); i++) p[i] = 0;
  return out;
}

// passwordInfo() -> [Promise<[error, { hasPassword, hint, hasRecovery }]>, requestId]
Napi::Value NativeClient::PasswordInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_client* client = Open(env);
  return Start<PasswordInfoCopy>(env, "tg_password_info", [&](void* user_data, uint64_t* id) {
    return tg_password_info(client, OnValue<PasswordInfoCopy, tg_cloud_password>, user_data, id);
  });
}

// signInBot(botToken, apiId, apiHash|null) -> [Promise<[error, authorization]>, requestId]
Napi::Value NativeClient::SignInBot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_client* client = Open(env);
  std::string token = ArgString(env, info[0], "botToken");
  AppArg app = ArgApp(env, info[1], info[2]);
  return Start<AuthorizationCopy>(env, "tg_sign_in_bot", [&](void* user_data, uint64_t* id) {
    return tg_sign_in_bot(client, token.c_str(), app.api_id, app.hash(),
                          OnValue<AuthorizationCopy, tg_authorization>, user_data, id);
  });
}

// resendCode(phone, phoneCodeHash, reason|null) -> [Promise<[error, sentCode]>, requestId]
Napi::Value NativeClient::ResendCode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_client* client = Open(env);
  std::string phone = ArgString(env, info[0], "phoneNumber");
  std::string hash = ArgString(env, info[1], "phoneCodeHash");
  std::optional<std::string> reason = ArgOptionalString(env, info[2], "reason");
  return Start<SentCodeCopy>(env, "tg_resend_code", [&](void* user_data, uint64_t* id) {
    return tg_resend_code(client, phone.c_str(), hash.c_str(), OptionalCStr(reason),
                          OnValue<SentCodeCopy, tg_sent_code>, user_data, id);
  });
}

// cancelCode(phone, phoneCodeHash) -> [Promise<[error, undefined]>, requestId]
Napi::Value NativeClient::CancelCode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_client* client = Open(env);
  std::string phone = ArgString(env, info[0], "phoneNumber");
  std::string hash = ArgString(env, info[1], "phoneCodeHash");
  return Start<DoneCopy>(env, "tg_cancel_code", [&](void* user_data, uint64_t* id) {
    return tg_cancel_code(client, phone.c_str(), hash.c_str(), OnDone, user_data, id);
  });
}

// logOut() -> [Promise<[error, Buffer|null]>, requestId]
Napi::Value NativeClient::LogOut(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_client* client = Open(env);
  return Start<LogOutCopy>(env, "tg_log_out", [&](void* user_data, uint64_t* id) {
    return tg_log_out(client, OnValue<LogOutCopy, tg_bytes>, user_data, id);
  });
}

// qrLogin(apiId, apiHash|null, waitMs, onToken(url, expiresUnix))
//   -> [Promise<[error, authorization]>, requestId]
Napi::Value NativeClient::QrLogin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_client* client = Open(env);
  AppArg app = ArgApp(env, info[0], info[1]);
  uint32_t wait_ms = ArgUint32(env, info[2], "timeoutMs");
  if (!info[3].IsFunction()) throw Napi::TypeError::New(env, "onToken must be a function");
  auto request = std::make_unique<QrRequest>();
  request->on_token = Napi::Persistent(info[3].As<Napi::Function>());
  return Start(env, "tg_qr_login", std::move(request), [&](void* user_data, uint64_t* id) {
    return tg_qr_login(client, app.api_id, app.hash(), wait_ms, OnLoginToken,
                       OnValue<AuthorizationCopy, tg_authorization>, user_data, id);
  });
}

// acceptLoginToken(tokenOrUrl) -> [Promise<[error, undefined]>, requestId]
Napi::Value NativeClient::AcceptLoginToken(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_client* client = Open(env);
  std::string token = ArgString(env, info[0], "token or URL");
  return Start<DoneCopy>(env, "tg_accept_login_token", [&](void* user_data, uint64_t* id) {
    return tg_accept_login_token(client, token.c_str(), OnDone, user_data, id);
  });
}

// exportSession(format: a tg_session_format) -> string; throws SESSION before there is a key.
Napi::Value NativeClient::ExportSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_client* client = Open(env);
  uint32_t format = ArgUint32(env, info[0], "format");
  OwnedString out;
  tg_result r = tg_client_export_session(client, format, &out.s);
  if (r == TG_RESULT_SESSION) Fail(env, r, "the session has no auth key yet: log in first");
  Check(env, r, "tg_client_export_session");
  return Napi::String::New(env, out.s ? out.s : "");
}

// signedIn() -> { id: bigint, bot: boolean } | null
Napi::Value NativeClient::SignedIn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_client* client = Open(env);
  int64_t id = 0;
  bool bot = false;
  tg_result r = tg_client_signed_in(client, &id, &bot);
  if (r == TG_RESULT_SESSION) return env.Null();
  Check(env, r, "tg_client_signed_in");
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", Napi::BigInt::New(env, id));
  out.Set("bot", Napi::Boolean::New(env, bot));
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
  tg_client* client = Open(env);
  OwnedString out;
  tg_result r = tg_client_export_session_string(client, &out.s);
  if (r == TG_RESULT_NOT_FOUND) return env.Null();
  Check(env, r, "tg_client_export_session_string");
  return Napi::String::New(env, out.s ? out.s : "");
}

Napi::Value ResultName(const Napi::CallbackInfo& info) {
  uint32_t r = ArgUint32(info.Env(), info[0], "result");
  return Napi::String::New(info.Env(), tg_result_str(r));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeClient", NativeClient::Define(env));
  InitTestdc(env, exports);
  exports.Set("resultName", Napi::Function::New<ResultName>(env, "resultName"));
  exports.Set("version", Napi::String::New(env, tg_version()));
  return exports;
}

}  // namespace
}  // namespace tgauth_node

static Napi::Object InitTgauth(Napi::Env env, Napi::Object exports) {
  return tgauth_node::Init(env, exports);
}

NODE_API_MODULE(tgauth, InitTgauth)
