'use strict';
// Arguments are checked here, before anything reaches the core: a wrong type is a TypeError,
// a value out of range a RangeError.

const MAX_STRING_BYTES = 64 * 1024;
// Tighter limits tg_send_code enforces on some fields (checked here too, for a clear RangeError).
const LIMITS = Object.freeze({
  phoneNumber: 64,
  apiHash: 256,
  token: 4096,
  logoutTokens: 64,
  logoutToken: 1024,
  phoneCodeHash: 256,
  phoneCode: 256,
  name: 256,
  password: 4096,
  botToken: 4096,
  reason: 256,
  loginToken: 4096,
});
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v).slice(0, 40)}`;
}

function string(value, what, maxBytes = MAX_STRING_BYTES) {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, not ${describe(value)}`);
  if (value.includes('\0')) throw new TypeError(`${what} must not contain NUL characters`);
  if (value.length > maxBytes || Buffer.byteLength(value, 'utf8') > maxBytes) {
    throw new RangeError(`${what} is longer than ${maxBytes % 1024 ? `${maxBytes} bytes` : `${maxBytes / 1024} KiB`}`);
  }
  return value;
}

function optionalString(value, what, maxBytes = MAX_STRING_BYTES) {
  return value === undefined || value === null ? undefined : string(value, what, maxBytes);
}

function integer(value, what, min, max) {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, not ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer in ${min}..${max}, not ${value}`);
  }
  return value;
}

function boolean(value, what) {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new TypeError(`${what} must be a boolean, not ${describe(value)}`);
  return value;
}

function object(value, what) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${what} must be an object, not ${describe(value)}`);
  }
  return value;
}

/** Rejects keys that are not in `known`: a misspelt option must not pass unnoticed. */
function knownKeys(value, what, known) {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new TypeError(`${what}: unknown option '${key}' (known: ${known.join(', ')})`);
  }
}

function array(value, what) {
  if (!Array.isArray(value)) throw new TypeError(`${what} must be an array, not ${describe(value)}`);
  return value;
}

const CLIENT_OPTIONS = ['dcs', 'rsaKeys', 'session', 'timeout', 'floodSleepThreshold', 'testServers', 'deviceModel',
  'systemVersion', 'appVersion', 'systemLangCode', 'langPack', 'langCode', 'transport', 'obfuscated', 'sessionString',
  'apiId', 'apiHash'];

// tg_transport values (never renumbered) by the names `transport` takes.
const TRANSPORTS = Object.freeze({ abridged: 0, intermediate: 1, padded: 2, full: 3 });

/** `transport` and `obfuscated` as tg_config_set_transport takes them; refuses what cannot work. */
function transportOptions(transport, obfuscated) {
  const name = transport ?? 'intermediate';
  if (typeof name !== 'string') throw new TypeError(`transport must be a string, not ${describe(name)}`);
  if (!Object.hasOwn(TRANSPORTS, name)) {
    throw new RangeError(`transport must be one of ${Object.keys(TRANSPORTS).map((t) => `'${t}'`).join(', ')}, not '${name.slice(0, 40)}'`);
  }
  const wrapped = boolean(obfuscated ?? undefined, 'obfuscated') ?? false;
  if (wrapped && name === 'full') {
    throw new TypeError("the full transport cannot be obfuscated: obfuscated2 carries only 'abridged', 'intermediate' and 'padded'");
  }
  return { transport: TRANSPORTS[name], obfuscated: wrapped };
}

/** An app ({ apiId, apiHash }): both or neither. `where` names whose it is, for messages. */
function app(apiId, apiHash, where) {
  const id = apiId ?? undefined;
  const hash = apiHash ?? undefined;
  if (id === undefined && hash === undefined) return null;
  if (id === undefined || hash === undefined) {
    throw new TypeError(`give apiId and apiHash together${where === 'call' ? " (or neither, to use the Client's)" : ' (or neither)'}`);
  }
  const out = { apiId: integer(id, 'apiId', 1, INT32_MAX), apiHash: string(hash, 'apiHash', LIMITS.apiHash) };
  if (out.apiHash === '') throw new RangeError('apiHash must not be empty');
  return out;
}

/** Client options as the addon takes them. */
function clientOptions(options) {
  const o = object(options ?? {}, 'Client options');
  knownKeys(o, 'Client options', CLIENT_OPTIONS);
  const out = {};
  if (o.dcs !== undefined && o.dcs !== null) {
    out.dcs = array(o.dcs, 'dcs').map((dc, i) => {
      object(dc, `dcs[${i}]`);
      return {
        id: integer(dc.id, `dcs[${i}].id`, 1, INT32_MAX),
        host: string(dc.host, `dcs[${i}].host`),
        port: integer(dc.port, `dcs[${i}].port`, 1, 65535),
      };
    });
  }
  if (o.rsaKeys !== undefined && o.rsaKeys !== null) {
    out.rsaKeys = array(o.rsaKeys, 'rsaKeys').map((k, i) => string(k, `rsaKeys[${i}]`));
  }
  out.session = optionalString(o.session, 'session');
  if (o.timeout !== undefined && o.timeout !== null) {
    if (typeof o.timeout !== 'number') throw new TypeError(`timeout must be a number of milliseconds, not ${describe(o.timeout)}`);
    if (!(o.timeout > 0 && o.timeout <= UINT32_MAX)) throw new RangeError(`timeout must be in (0, ${UINT32_MAX}] ms, not ${o.timeout}`);
    out.timeoutMs = Math.ceil(o.timeout);
  }
  if (o.floodSleepThreshold !== undefined && o.floodSleepThreshold !== null) {
    out.floodSleepThreshold = integer(o.floodSleepThreshold, 'floodSleepThreshold', 0, UINT32_MAX);
  }
  out.testServers = boolean(o.testServers, 'testServers') ?? false;
  for (const key of ['deviceModel', 'systemVersion', 'appVersion', 'systemLangCode', 'langPack', 'langCode']) {
    out[key] = optionalString(o[key], key);
  }
  Object.assign(out, transportOptions(o.transport, o.obfuscated));
  out.sessionString = optionalString(o.sessionString, 'sessionString');
  const clientApp = app(o.apiId, o.apiHash, 'client');
  if (clientApp) Object.assign(out, clientApp);
  return out;
}

const SEND_CODE_PARAMS = ['phoneNumber', 'apiId', 'apiHash', 'settings'];
const CODE_SETTINGS = ['allowFlashcall', 'currentNumber', 'allowAppHash', 'allowMissedCall', 'allowFirebase',
  'unknownNumber', 'logoutTokens', 'token', 'appSandbox'];

function codeSettings(settings) {
  if (settings === undefined || settings === null) return null;
  const s = object(settings, 'settings');
  knownKeys(s, 'settings', CODE_SETTINGS);
  const out = {};
  for (const key of CODE_SETTINGS.slice(0, 6)) out[key] = boolean(s[key], `settings.${key}`) ?? false;
  if (s.logoutTokens !== undefined && s.logoutTokens !== null) {
    array(s.logoutTokens, 'settings.logoutTokens');
    if (s.logoutTokens.length > LIMITS.logoutTokens) {
      throw new RangeError(`settings.logoutTokens holds more than ${LIMITS.logoutTokens} tokens`);
    }
    out.logoutTokens = s.logoutTokens.map((t, i) => {
      if (!(t instanceof Uint8Array)) throw new TypeError(`settings.logoutTokens[${i}] must be a Buffer or Uint8Array`);
      if (t.byteLength > LIMITS.logoutToken) throw new RangeError(`settings.logoutTokens[${i}] is longer than ${LIMITS.logoutToken} bytes`);
      return t;
    });
  }
  out.token = optionalString(s.token, 'settings.token', LIMITS.token);
  out.appSandbox = boolean(s.appSandbox, 'settings.appSandbox');
  // Telegram takes the push token and app_sandbox together (codeSettings flags.8).
  if ((out.token === undefined) !== (out.appSandbox === undefined)) {
    throw new TypeError('settings.token and settings.appSandbox go together: give both or neither');
  }
  return out;
}

/**
 * sendCode's first argument, checked. Without apiId and apiHash the client's app is used
 * (`hasApp`: the client has one); the result then carries apiId 0 and apiHash null, which
 * tg_send_code reads as "the configuration's app".
 */
function sendCodeParams(params, hasApp = false) {
  const p = object(params, 'sendCode parameters');
  knownKeys(p, 'sendCode parameters', SEND_CODE_PARAMS);
  const phoneNumber = string(p.phoneNumber, 'phoneNumber', LIMITS.phoneNumber);
  const callApp = app(p.apiId, p.apiHash, 'call');
  if (!callApp && !hasApp) throw new TypeError('no app: give apiId and apiHash, to the Client or to the call');
  return {
    phoneNumber,
    apiId: callApp ? callApp.apiId : 0,
    apiHash: callApp ? callApp.apiHash : null,
    settings: codeSettings(p.settings),
  };
}

/** The app of a call: its own, or (apiId 0, apiHash null) the client's when it has one. */
function callApp(p, hasApp) {
  const given = app(p.apiId, p.apiHash, 'call');
  if (!given && !hasApp) throw new TypeError('no app: give apiId and apiHash, to the Client or to the call');
  return given ?? { apiId: 0, apiHash: null };
}

/** A call's parameters object: known keys only, and each named string checked. */
function params(value, what, keys) {
  const p = object(value, `${what} parameters`);
  knownKeys(p, `${what} parameters`, keys);
  return p;
}

function nonEmpty(value, what, maxBytes) {
  string(value, what, maxBytes);
  if (value === '') throw new RangeError(`${what} must not be empty`);
  return value;
}

/** The number and the hash sendCode gave, as every later step names them. */
function codeRef(p) {
  return {
    phoneNumber: nonEmpty(p.phoneNumber, 'phoneNumber', LIMITS.phoneNumber),
    phoneCodeHash: nonEmpty(p.phoneCodeHash, 'phoneCodeHash', LIMITS.phoneCodeHash),
  };
}

function signInParams(value) {
  const p = params(value, 'signIn', ['phoneNumber', 'phoneCodeHash', 'phoneCode']);
  return { ...codeRef(p), phoneCode: string(p.phoneCode, 'phoneCode', LIMITS.phoneCode) };
}

function signUpParams(value) {
  const p = params(value, 'signUp', ['phoneNumber', 'phoneCodeHash', 'firstName', 'lastName']);
  return {
    ...codeRef(p),
    firstName: string(p.firstName, 'firstName', LIMITS.name),
    lastName: optionalString(p.lastName, 'lastName', LIMITS.name) ?? null,
  };
}

function signInBotParams(value, hasApp) {
  const p = params(value, 'signInBot', ['botToken', 'apiId', 'apiHash']);
  return { botToken: nonEmpty(p.botToken, 'botToken', LIMITS.botToken), ...callApp(p, hasApp) };
}

function resendCodeParams(value) {
  const p = params(value, 'resendCode', ['phoneNumber', 'phoneCodeHash', 'reason']);
  return { ...codeRef(p), reason: optionalString(p.reason, 'reason', LIMITS.reason) ?? null };
}

function cancelCodeParams(value) {
  return codeRef(params(value, 'cancelCode', ['phoneNumber', 'phoneCodeHash']));
}

function password(value) {
  return string(value, 'password', LIMITS.password);
}

function loginToken(value) {
  return nonEmpty(value, 'the login URL or token', LIMITS.loginToken);
}

function qrLoginParams(value, hasApp) {
  const p = params(value ?? {}, 'qrLogin', ['apiId', 'apiHash', 'onToken', 'timeoutMs']);
  if (typeof p.onToken !== 'function') throw new TypeError(`onToken must be a function (url, expires) => void, not ${describe(p.onToken)}`);
  let timeoutMs = 0;
  if (p.timeoutMs !== undefined && p.timeoutMs !== null) timeoutMs = integer(p.timeoutMs, 'timeoutMs', 1, UINT32_MAX);
  return { ...callApp(p, hasApp), onToken: p.onToken, timeoutMs };
}

// tg_session_format values (never renumbered) by the names exportSession takes.
const SESSION_FORMATS = Object.freeze({ telethon: 0, gramjs: 1, pyrogram: 2, mtcute: 3 });

function sessionFormat(format) {
  if (typeof format !== 'string') throw new TypeError(`format must be a string, not ${describe(format)}`);
  if (!Object.hasOwn(SESSION_FORMATS, format)) {
    throw new RangeError(`format must be one of ${Object.keys(SESSION_FORMATS).map((f) => `'${f}'`).join(', ')}, not '${format.slice(0, 40)}'`);
  }
  return SESSION_FORMATS[format];
}

/** A call's second argument: { signal }. */
function requestOptions(options, what = 'request') {
  if (options === undefined || options === null) return { signal: null };
  const o = object(options, `${what} options`);
  knownKeys(o, `${what} options`, ['signal']);
  const signal = o.signal ?? null;
  if (signal !== null && !(typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw new TypeError('signal must be an AbortSignal');
  }
  return { signal };
}

module.exports = {
  string,
  optionalString,
  integer,
  boolean,
  object,
  array,
  knownKeys,
  clientOptions,
  sendCodeParams,
  signInParams,
  signUpParams,
  signInBotParams,
  resendCodeParams,
  cancelCodeParams,
  password,
  loginToken,
  qrLoginParams,
  sessionFormat,
  requestOptions,
  MAX_STRING_BYTES,
  INT32_MAX,
  TRANSPORTS,
  SESSION_FORMATS,
};
