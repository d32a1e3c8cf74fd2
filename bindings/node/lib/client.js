'use strict';
const native = require('./native');
const validate = require('./validate');
const { fromNative, classify, AbortError, CancelledError, TgauthError, SessionPasswordNeededError, SignUpRequiredError, errors } = require('./errors');

function abortError(what, signal) {
  return new AbortError(`${what} was aborted`, { cause: signal.reason });
}

/** How many times start() asks for the code, and for the password, before giving up. */
const ATTEMPTS = 3;

// Reads the session as a string session through the C ABI. Internal: for tests only (the
// public export is `exportSession(format)`, not part of the client options).
const kExportSessionString = Symbol('tgauth.exportSessionString');

// The addon settles its promise with [error, value] (it rejects only if that cannot be built).
function unwrap([error, value]) {
  if (error) throw fromNative(error);
  return value;
}

/** An authorization for a session that is signed in already: only the id is known. */
function knownUser(id, bot, futureAuthToken) {
  return {
    user: { id, accessHash: 0n, firstName: '', lastName: '', username: null, phone: null, bot },
    signUpRequired: false,
    termsOfService: null,
    termsOfServiceId: null,
    futureAuthToken: futureAuthToken ?? null,
    setupPasswordRequired: false,
    otherwiseReloginDays: null,
  };
}

/**
 * A tgauth client: one MTProto connection per DC, an optional session file or string.
 * With no `dcs`, Telegram's production DCs (or its test DCs with `testServers: true`).
 * `transport` ('abridged', 'intermediate', 'padded', 'full') and `obfuscated` pick the
 * wire format; `apiId` and `apiHash` are the app of every call that names none.
 */
class Client {
  #native;
  #closed = false;
  #hasApp = false;

  constructor(options = {}) {
    const config = validate.clientOptions(options);
    this.#hasApp = config.apiId !== undefined;
    try {
      this.#native = new native.NativeClient(config);
    } catch (e) {
      throw classify(e);
    }
  }

  /**
   * Runs one call of the addon: `start()` returns [Promise<[error, value]>, requestId]. The
   * promise settles exactly once: with the value, the classified error, an AbortError when
   * `signal` fires first (the request is then cancelled in the core), or a CancelledError when
   * the client is closed first.
   */
  #request(what, options, start) {
    let signal;
    try {
      ({ signal } = validate.requestOptions(options, what));
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#closed) return Promise.reject(new CancelledError('the client is closed'));
    if (signal && signal.aborted) return Promise.reject(abortError(what, signal));
    let settled;
    let requestId;
    try {
      [settled, requestId] = start();
    } catch (e) {
      return Promise.reject(classify(e));
    }
    if (!signal) return settled.then(unwrap);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        // The core then calls back with CANCELLED (or the answer already on its way): ignored.
        this.#native.cancel(requestId);
        reject(abortError(what, signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      settled.then(unwrap).then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /** Checks a call's parameters (a bad one rejects with TypeError / RangeError), then runs it. */
  #call(what, check, options, start) {
    let args;
    try {
      args = check();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#request(what, options, () => start(args));
  }

  /** A synchronous call of the addon as a promise, its errors classified. */
  #sync(what, options, run) {
    try {
      const { signal } = validate.requestOptions(options, what);
      if (this.#closed) throw new CancelledError('the client is closed');
      if (signal && signal.aborted) throw abortError(what, signal);
      return Promise.resolve(run());
    } catch (e) {
      return Promise.reject(classify(e));
    }
  }

  /**
   * auth.sendCode. Resolves with the sent code as a plain object; rejects with a TgauthError
   * (RpcError and its subclasses, TimeoutError, ...), an AbortError when `signal` fires first,
   * or a CancelledError when the client is closed first.
   */
  sendCode(params, options) {
    return this.#call('sendCode', () => validate.sendCodeParams(params, this.#hasApp), options,
      (p) => this.#native.sendCode(p.phoneNumber, p.apiId, p.apiHash, p.settings));
  }

  /**
   * auth.signIn with the code the user received. Resolves with the authorization; rejects with
   * SessionPasswordNeededError (then checkPassword), SignUpRequiredError (then signUp),
   * errors.PhoneCodeInvalid (try again), errors.PhoneCodeExpired (send a new code), ...
   */
  async signIn(params, options) {
    const p = validate.signInParams(params);
    const auth = await this.#request('signIn', options, () => this.#native.signIn(p.phoneNumber, p.phoneCodeHash, p.phoneCode));
    if (auth.signUpRequired) {
      throw new SignUpRequiredError(undefined, {
        termsOfService: auth.termsOfService ?? '',
        termsOfServiceId: auth.termsOfServiceId,
        phoneNumber: p.phoneNumber,
        phoneCodeHash: p.phoneCodeHash,
      });
    }
    return auth;
  }

  /** auth.signUp after SignUpRequiredError: the same number and hash, and the user's names. */
  signUp(params, options) {
    return this.#call('signUp', () => validate.signUpParams(params), options,
      (p) => this.#native.signUp(p.phoneNumber, p.phoneCodeHash, p.firstName, p.lastName));
  }

  /**
   * The 2FA step (SRP, then auth.checkPassword) after SessionPasswordNeededError. A wrong
   * password rejects with errors.PasswordHashInvalid (try again).
   */
  checkPassword(password, options) {
    return this.#call('checkPassword', () => validate.password(password), options, (pw) => this.#native.checkPassword(pw));
  }

  /** account.getPassword: { hasPassword, hint, hasRecovery } (the hint to show before asking). */
  passwordInfo(options) {
    return this.#request('passwordInfo', options, () => this.#native.passwordInfo());
  }

  /** auth.importBotAuthorization with a token from @BotFather; the user has `bot` set. */
  signInBot(params, options) {
    return this.#call('signInBot', () => validate.signInBotParams(params, this.#hasApp), options,
      (p) => this.#native.signInBot(p.botToken, p.apiId, p.apiHash));
  }

  /** auth.resendCode: the code again, by the previous answer's nextType. Resolves with the sent code. */
  resendCode(params, options) {
    return this.#call('resendCode', () => validate.resendCodeParams(params), options,
      (p) => this.#native.resendCode(p.phoneNumber, p.phoneCodeHash, p.reason));
  }

  /** auth.cancelCode: the code is not wanted any more; its hash is dead afterwards. */
  cancelCode(params, options) {
    return this.#call('cancelCode', () => validate.cancelCodeParams(params), options,
      (p) => this.#native.cancelCode(p.phoneNumber, p.phoneCodeHash));
  }

  /**
   * auth.logOut. Resolves with the future auth token (a Buffer; null when Telegram gave none):
   * the session keeps it, and the next sendCode for the same number signs in without a code.
   */
  logOut(options) {
    return this.#request('logOut', options, () => this.#native.logOut());
  }

  /**
   * QR login: `onToken(url, expires)` gets each tg://login URL to show as a QR code (a new one
   * each time a token expires unanswered; `expires` a Date), and the promise resolves with the
   * authorization once a signed-in app accepted one. Rejects with SessionPasswordNeededError
   * (then checkPassword), TimeoutError after `timeoutMs` (default: 30 times the client's
   * timeout), AbortError, or what onToken threw (the login is then cancelled).
   */
  qrLogin(params, options) {
    let p;
    try {
      p = validate.qrLoginParams(params, this.#hasApp);
    } catch (e) {
      return Promise.reject(e);
    }
    let thrown = null;
    let requestId = null;
    let settled = false;
    const onToken = (url, expiresUnix) => {
      // A URL still queued when the login was aborted or ended is not shown.
      if (thrown || settled) return;
      try {
        p.onToken(url, new Date(expiresUnix * 1000));
      } catch (e) {
        thrown = { error: e };
        if (requestId !== null) this.#native.cancel(requestId);
      }
    };
    const running = this.#request('qrLogin', options, () => {
      const started = this.#native.qrLogin(p.apiId, p.apiHash, p.timeoutMs, onToken);
      [, requestId] = started;
      return started;
    });
    return running.then(
      (auth) => {
        settled = true;
        if (thrown) throw thrown.error;
        return auth;
      },
      (error) => {
        settled = true;
        throw thrown ? thrown.error : error;
      },
    );
  }

  /** auth.acceptLoginToken: approves another device's QR login from this signed-in client. */
  acceptLoginToken(url, options) {
    return this.#call('acceptLoginToken', () => validate.loginToken(url), options, (t) => this.#native.acceptLoginToken(t));
  }

  /**
   * The session as another library's string session: 'telethon', 'gramjs', 'pyrogram'
   * (needs a signed-in session and a known app: InvalidArgumentError otherwise) or 'mtcute'. Rejects with SessionError before
   * the session has a key.
   */
  exportSession(format, options) {
    let code;
    try {
      code = validate.sessionFormat(format);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#sync('exportSession', options, () => this.#native.exportSession(code));
  }

  /** Who the session is signed in as: { id (bigint), bot }, or null when nobody is. */
  signedIn(options) {
    return this.#sync('signedIn', options, () => this.#native.signedIn());
  }

  /**
   * The whole login from a phone number, in GramJS's shape: sends the code, asks
   * `phoneCode(sentCode)` for it (again after a wrong one, up to 3 times in all), asks
   * `password(hint)` when the account has a cloud password (again after a wrong one, up to 3
   * times), and signs the number up with `firstName` / `lastName` when it has no account.
   * `phoneNumber` may be a string or an (async) function returning one. Resolves with the
   * authorization; when the session is signed in already, with `{ user: { id, bot, ... } }`
   * of what it knows. A number that a future auth token brings back without a code resolves
   * the same way.
   */
  async start(params, options) {
    const p = validate.object(params, 'start parameters');
    validate.knownKeys(p, 'start parameters', ['phoneNumber', 'apiId', 'apiHash', 'phoneCode', 'password', 'firstName', 'lastName', 'settings']);
    if (typeof p.phoneCode !== 'function') throw new TypeError('phoneCode must be an (async) function returning the code');
    if (p.password !== undefined && p.password !== null && typeof p.password !== 'function') {
      throw new TypeError('password must be an (async) function of the hint returning the password');
    }
    if (p.firstName !== undefined && p.firstName !== null) validate.string(p.firstName, 'firstName');
    validate.optionalString(p.lastName, 'lastName');
    const request = validate.requestOptions(options, 'start');

    const already = await this.signedIn(request);
    if (already) return knownUser(already.id, already.bot, null);

    const phoneNumber = typeof p.phoneNumber === 'function' ? await p.phoneNumber() : p.phoneNumber;
    const sent = await this.sendCode({ phoneNumber, apiId: p.apiId, apiHash: p.apiHash, settings: p.settings }, request);
    if (sent.kind === 'success') {
      if (sent.signUpRequired) throw new SignUpRequiredError(undefined, { phoneNumber });
      // A future auth token logged straight in: Telegram names only the user's id here.
      return knownUser(sent.userId ?? 0n, false, sent.futureAuthToken);
    }
    if (sent.kind === 'paymentRequired') {
      throw new TgauthError(`Telegram sends the code to ${phoneNumber} only after a purchase (${sent.storeProduct})`);
    }
    for (let attempt = 1; ; attempt++) {
      const code = String(await p.phoneCode(sent));
      try {
        return await this.signIn({ phoneNumber, phoneCodeHash: sent.phoneCodeHash, phoneCode: code }, request);
      } catch (e) {
        if ((e instanceof errors.PhoneCodeInvalid || e instanceof errors.PhoneCodeEmpty) && attempt < ATTEMPTS) continue;
        if (e instanceof SignUpRequiredError && typeof p.firstName === 'string') {
          return this.signUp({ phoneNumber, phoneCodeHash: sent.phoneCodeHash, firstName: p.firstName, lastName: p.lastName ?? null }, request);
        }
        if (e instanceof SessionPasswordNeededError && p.password) return this.#passwordStep(p.password, request);
        throw e;
      }
    }
  }

  async #passwordStep(ask, options) {
    const info = await this.passwordInfo(options);
    for (let attempt = 1; ; attempt++) {
      const given = await ask(info.hint);
      if (typeof given !== 'string') throw new TypeError(`password() must return a string, not ${typeof given}`);
      try {
        return await this.checkPassword(given, options);
      } catch (e) {
        if (e instanceof errors.PasswordHashInvalid && attempt < ATTEMPTS) continue;
        throw e;
      }
    }
  }

  /** The session as a string session, or null before it has a key (internal). */
  [kExportSessionString]() {
    if (this.#closed) throw new CancelledError('the client is closed');
    try {
      return this.#native.exportSessionString();
    } catch (e) {
      throw classify(e);
    }
  }

  /** True once close() was called. */
  get closed() {
    return this.#closed;
  }

  /**
   * Cancels every request in flight (each rejects with CancelledError) and frees the client.
   * Idempotent. Afterwards nothing of this client keeps the process alive.
   */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Client.prototype[Symbol.dispose] = function dispose() {
    this.close();
  };
}

module.exports = { Client, kExportSessionString };
