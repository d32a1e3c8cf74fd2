'use strict';
const native = require('./native');
const validate = require('./validate');
const { fromNative, classify, AbortError, CancelledError } = require('./errors');

function abortError(signal) {
  return new AbortError('sendCode was aborted', { cause: signal.reason });
}

// Reads the session as a string session through the C ABI. Internal: for tests only (the
// public export is `exportSession(format)`, not part of the client options).
const kExportSessionString = Symbol('tgauth.exportSessionString');

// The addon settles its promise with [error, sentCode] (it rejects only if that cannot be built).
function unwrap([error, sentCode]) {
  if (error) throw fromNative(error);
  return sentCode;
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
   * auth.sendCode. Resolves with the sent code as a plain object; rejects with a TgauthError
   * (RpcError and its subclasses, TimeoutError, ...), an AbortError when `signal` fires first,
   * or a CancelledError when the client is closed first.
   */
  sendCode(params, options) {
    let request;
    let signal;
    try {
      request = validate.sendCodeParams(params, this.#hasApp);
      ({ signal } = validate.requestOptions(options));
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#closed) return Promise.reject(new CancelledError('the client is closed'));
    if (signal && signal.aborted) return Promise.reject(abortError(signal));

    const [settled, requestId] = this.#native.sendCode(request.phoneNumber, request.apiId, request.apiHash, request.settings);
    if (!signal) return settled.then(unwrap);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        // The core then calls back with CANCELLED (or the answer already on its way): ignored.
        this.#native.cancel(requestId);
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      settled.then(unwrap).then(
        (sentCode) => {
          signal.removeEventListener('abort', onAbort);
          resolve(sentCode);
        },
        (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
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
