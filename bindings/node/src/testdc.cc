// The test DC (tg_testdc_*): start, stop, its codes, its counters, and QR approval as an
// account of it.

#include <set>

#include "common.h"

namespace tgauth_node {
namespace {


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

// testdcAcceptLoginToken(handle, tokenOrUrl, phone): approves a QR login as that number's
// account; throws (INVALID_ARGUMENT) for an unknown, expired or accepted token.
Napi::Value TestdcAcceptLoginToken(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tg_testdc* dc = TestdcArg(env, info[0]);
  std::string token = ArgString(env, info[1], "token or URL");
  std::string phone = ArgString(env, info[2], "phone number");
  tg_result r = tg_testdc_accept_login_token(dc, token.c_str(), phone.c_str());
  if (r == TG_RESULT_INVALID_ARGUMENT)
    Fail(env, r,
         "the test DC refused the login token: not a login token, unknown, expired or already "
         "accepted, or the number has no account");
  Check(env, r, "tg_testdc_accept_login_token");
  return env.Undefined();
}

}  // namespace

void InitTestdc(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<AddonData>(new AddonData());
  exports.Set("testdcStart", Napi::Function::New<TestdcStart>(env, "testdcStart"));
  exports.Set("testdcStop", Napi::Function::New<TestdcStop>(env, "testdcStop"));
  exports.Set("testdcCodes", Napi::Function::New<TestdcCodes>(env, "testdcCodes"));
  exports.Set("testdcStats", Napi::Function::New<TestdcStats>(env, "testdcStats"));
  exports.Set("testdcAcceptLoginToken",
              Napi::Function::New<TestdcAcceptLoginToken>(env, "testdcAcceptLoginToken"));
}

}  // namespace tgauth_node
