// Helpers shared by the addon's parts: reading arguments, reporting tg_result failures, and
// owned copies of what the core's callbacks borrow.
#pragma once

#include <napi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include "tgauth.h"
}

namespace tgauth_node {

// Longest string accepted from JavaScript, in bytes (lib/validate.js checks the same limit
// first).
constexpr size_t kMaxStringBytes = 64 * 1024;

using Bytes = std::vector<uint8_t>;

inline std::optional<std::string> CopyOptional(const char* s) {
  if (s == nullptr) return std::nullopt;
  return std::string(s);
}

inline Bytes CopyBytes(const tg_bytes& b) {
  if (b.data == nullptr || b.len == 0) return {};
  return Bytes(b.data, b.data + b.len);
}

inline Napi::Value StringOrNull(Napi::Env env, const std::optional<std::string>& s) {
  if (!s) return env.Null();
  return Napi::String::New(env, *s);
}

inline Napi::Value BufferOrNull(Napi::Env env, const Bytes& b) {
  if (b.empty()) return env.Null();
  return Napi::Buffer<uint8_t>::Copy(env, b.data(), b.size());
}

inline Napi::Value IntOrNull(Napi::Env env, int32_t v) {
  if (v < 0) return env.Null();
  return Napi::Number::New(env, v);
}

// Reads a string argument: a JS string without NUL, at most kMaxStringBytes of UTF-8.
inline std::string ArgString(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsString()) throw Napi::TypeError::New(env, std::string(what) + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.size() > kMaxStringBytes)
    throw Napi::RangeError::New(env, std::string(what) + " is longer than 64 KiB");
  if (s.find('\0') != std::string::npos)
    throw Napi::TypeError::New(env, std::string(what) + " must not contain NUL characters");
  return s;
}

inline std::optional<std::string> ArgOptionalString(Napi::Env env, const Napi::Value& v,
                                                    const char* what) {
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return ArgString(env, v, what);
}

inline uint32_t ArgUint32(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d)))
    throw Napi::RangeError::New(env, std::string(what) + " must be an integer in 0..2^32-1");
  return static_cast<uint32_t>(d);
}

// Throws an error lib/errors.js classifies by `result`, with a message of our own.
[[noreturn]] inline void Fail(Napi::Env env, tg_result r, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("result", Napi::Number::New(env, static_cast<double>(r)));
  e.Set("resultName", Napi::String::New(env, tg_result_str(r)));
  throw e;
}

inline void Check(Napi::Env env, tg_result r, const char* what) {
  if (r == TG_RESULT_OK) return;
  Fail(env, r, std::string(what) + ": " + tg_result_str(r));
}

// A string tgauth returned, freed (and wiped) with tg_string_free.
struct OwnedString {
  char* s = nullptr;
  OwnedString() = default;
  OwnedString(const OwnedString&) = delete;
  OwnedString& operator=(const OwnedString&) = delete;
  ~OwnedString() { tg_string_free(s); }
};

// An owned copy of a tg_error.
struct ErrorCopy {
  tg_result result;
  int32_t code;
  std::string name;
  int64_t value;
  std::string message;

  static ErrorCopy From(const tg_error* error) {
    if (error == nullptr)
      return ErrorCopy{TG_RESULT_INTERNAL, 0, "", -1,
                       "tgauth called back with neither result nor error"};
    return ErrorCopy{error->result, error->code, error->name ? error->name : "", error->value,
                     error->message ? error->message : ""};
  }
  static ErrorCopy OutOfMemory() { return ErrorCopy{TG_RESULT_INTERNAL, 0, "", -1, "out of memory"}; }
};

// A plain description of a failure; lib/errors.js picks the class.
inline Napi::Object ErrorToJs(Napi::Env env, const ErrorCopy& e) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("result", Napi::Number::New(env, static_cast<double>(e.result)));
  out.Set("resultName", Napi::String::New(env, tg_result_str(e.result)));
  out.Set("code", Napi::Number::New(env, e.code));
  out.Set("name", Napi::String::New(env, e.name));
  out.Set("value", e.value < 0 ? env.Null()
                               : Napi::Value(Napi::Number::New(env, static_cast<double>(e.value))));
  out.Set("message", Napi::String::New(env, e.message));
  return out;
}

// Defined in testdc.cc: the test DC functions, on `exports`.
void InitTestdc(Napi::Env env, Napi::Object exports);

}  // namespace tgauth_node
