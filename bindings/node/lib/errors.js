'use strict';
// Error classes. Every failure of the core is a TgauthError; an RPC error is an RpcError, and
// one documented in bindings/errors.json is an instance of its own subclass (errors.PhoneMigrate,
// ...), made here from that table, the same table the Python package uses.

const { loadErrorTable } = require('./table');

// tg_result values (include/tgauth.h; never renumbered).
const Result = Object.freeze({
  OK: 0,
  INVALID_ARGUMENT: 1,
  RPC: 2,
  NETWORK: 3,
  TIMEOUT: 4,
  CANCELLED: 5,
  SECURITY: 6,
  SESSION: 7,
  INTERNAL: 8,
  NOT_FOUND: 9,
  PROTOCOL: 10,
  IO: 11,
});

function named(cls, name) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  return cls;
}

/** Base of every error tgauth reports. `result` is the core's tg_result value. */
class TgauthError extends Error {
  constructor(message, { result, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.result = result ?? Result.INTERNAL;
  }
}
named(TgauthError, 'TgauthError');

/** The server answered with an RPC error: `code` (303), `errorMessage` ('PHONE_MIGRATE'),
 * `value` (the number taken out of the name, 2; null when there is none). */
class RpcError extends TgauthError {
  constructor(message, { code = 0, errorMessage = '', value = null, result = Result.RPC, cause } = {}) {
    super(message, { result, cause });
    this.code = code;
    this.errorMessage = errorMessage;
    this.value = value;
  }
}
named(RpcError, 'RpcError');

function kind(name, result, base = TgauthError) {
  const cls = { [name]: class extends base {
    constructor(message, options = {}) {
      super(message, { result, ...options });
    }
  } }[name];
  return named(cls, name);
}

const InvalidArgumentError = kind('InvalidArgumentError', Result.INVALID_ARGUMENT);
const NetworkError = kind('NetworkError', Result.NETWORK);
const TimeoutError = kind('TimeoutError', Result.TIMEOUT);
const CancelledError = kind('CancelledError', Result.CANCELLED);
const SecurityError = kind('SecurityError', Result.SECURITY);
const SessionError = kind('SessionError', Result.SESSION);
const InternalError = kind('InternalError', Result.INTERNAL);
const ProtocolError = kind('ProtocolError', Result.PROTOCOL);
const IoError = kind('IoError', Result.IO);

/** The request's AbortSignal fired: the request was cancelled in the core. Like the
 * AbortError of fetch: name 'AbortError', code 'ABORT_ERR', the signal's reason as cause. */
class AbortError extends CancelledError {
  constructor(message = 'The operation was aborted', options = {}) {
    super(message, options);
    this.code = 'ABORT_ERR';
  }
}
named(AbortError, 'AbortError');

const byResult = new Map([
  [Result.INVALID_ARGUMENT, InvalidArgumentError],
  [Result.NETWORK, NetworkError],
  [Result.TIMEOUT, TimeoutError],
  [Result.CANCELLED, CancelledError],
  [Result.SECURITY, SecurityError],
  [Result.SESSION, SessionError],
  [Result.INTERNAL, InternalError],
  [Result.PROTOCOL, ProtocolError],
  [Result.IO, IoError],
]);

// errors.<Class> for each documented RPC error.
const rpcErrors = {};
const rpcByName = new Map();
for (const entry of loadErrorTable().table) {
  const cls = named({ [entry.class]: class extends RpcError {} }[entry.class], entry.class);
  for (const [key, value] of [['errorMessage', entry.name], ['code', entry.code], ['description', entry.description]]) {
    Object.defineProperty(cls, key, { value, enumerable: true });
  }
  rpcErrors[entry.class] = cls;
  rpcByName.set(entry.name, cls);
}
Object.freeze(rpcErrors);

/** 401 SESSION_PASSWORD_NEEDED: the account has a cloud password; finish with checkPassword.
 * The same class as errors.SessionPasswordNeeded (the table's), under the name users look for. */
const SessionPasswordNeededError = rpcErrors.SessionPasswordNeeded;

/**
 * Not an RPC error: Telegram answered auth.signIn with auth.authorizationSignUpRequired. The
 * number has no account yet; sign it up with signUp (the same phoneNumber and phoneCodeHash,
 * and the names the user chose), which accepts `termsOfService`.
 */
class SignUpRequiredError extends TgauthError {
  constructor(message = 'the phone number has no account yet: sign up first', { termsOfService = '', termsOfServiceId = null, phoneNumber = null, phoneCodeHash = null, cause } = {}) {
    super(message, { result: Result.RPC, cause });
    /** The text of the terms of service to show ('' when Telegram sent none). */
    this.termsOfService = termsOfService;
    this.termsOfServiceId = termsOfServiceId;
    /** What to pass to signUp. */
    this.phoneNumber = phoneNumber;
    this.phoneCodeHash = phoneCodeHash;
  }
}
named(SignUpRequiredError, 'SignUpRequiredError');

/** The error for a failure the addon describes as { result, code, name, value, message }. */
function fromNative(raw) {
  if (raw.result === Result.RPC) {
    const cls = rpcByName.get(raw.name) || RpcError;
    const full = raw.value === null ? raw.name : `${raw.name}_${raw.value}`;
    const detail = raw.message || (cls.description ?? '');
    const message = detail && detail !== full ? `${full} (${raw.code}): ${detail}` : `${full} (${raw.code})`;
    return new cls(message, { code: raw.code, errorMessage: raw.name, value: raw.value });
  }
  const cls = byResult.get(raw.result) || InternalError;
  return new cls(raw.message || raw.resultName || 'tgauth failed', { result: raw.result });
}

/** An exception the addon threw for a failed synchronous call (its `result` set), classified. */
function classify(e) {
  if (e === null || typeof e !== 'object' || typeof e.result !== 'number' || e instanceof TgauthError) return e;
  return fromNative({ result: e.result, resultName: e.resultName, code: 0, name: '', value: null, message: e.message });
}

module.exports = {
  Result,
  classify,
  TgauthError,
  RpcError,
  InvalidArgumentError,
  NetworkError,
  TimeoutError,
  CancelledError,
  AbortError,
  SecurityError,
  SessionError,
  InternalError,
  ProtocolError,
  IoError,
  SessionPasswordNeededError,
  SignUpRequiredError,
  errors: rpcErrors,
  fromNative,
};
