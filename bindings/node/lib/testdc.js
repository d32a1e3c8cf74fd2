'use strict';
const native = require('./native');
const validate = require('./validate');
const { classify } = require('./errors');

const TESTDC_OPTIONS = ['host', 'port', 'dcs', 'keyPem', 'apps', 'publishedApps', 'codeLimit', 'faults'];
const constructing = Symbol('TestDC.start');

function apps(list, what) {
  return validate.array(list, what).map((app, i) => {
    validate.object(app, `${what}[${i}]`);
    return { id: validate.integer(app.id, `${what}[${i}].id`, 1, validate.INT32_MAX), hash: validate.string(app.hash, `${what}[${i}].hash`) };
  });
}

/** TestDC.start options as tg_testdc_start's JSON. */
function optionsJson(options) {
  const o = validate.object(options ?? {}, 'TestDC options');
  validate.knownKeys(o, 'TestDC options', TESTDC_OPTIONS);
  const out = {};
  if (o.host !== undefined) out.host = validate.string(o.host, 'host');
  if (o.port !== undefined) out.port = validate.integer(o.port, 'port', 0, 65535);
  if (o.dcs !== undefined) out.dcs = validate.integer(o.dcs, 'dcs', 1, 1000);
  if (o.keyPem !== undefined) out.key_pem = validate.string(o.keyPem, 'keyPem');
  if (o.apps !== undefined) out.apps = apps(o.apps, 'apps');
  if (o.publishedApps !== undefined) out.published_apps = apps(o.publishedApps, 'publishedApps');
  if (o.codeLimit !== undefined) out.code_limit = validate.integer(o.codeLimit, 'codeLimit', 0, 2 ** 31 - 1);
  if (o.faults !== undefined) out.faults = validate.string(o.faults, 'faults');
  return Object.keys(out).length ? JSON.stringify(out) : null;
}

/**
 * A local Telegram data center running in this process (TESTDC.md). Start with
 * `await TestDC.start()`, stop with `await dc.stop()`.
 */
class TestDC {
  #handle;
  #stopping = null;

  static async start(options = {}) {
    const json = optionsJson(options);
    let handle;
    let info;
    try {
      [handle, info] = await native.testdcStart(json);
    } catch (e) {
      throw classify(e);
    }
    return new TestDC(constructing, handle, info);
  }

  constructor(token, handle, info) {
    if (token !== constructing) throw new TypeError('use TestDC.start()');
    this.#handle = handle;
    const parsed = JSON.parse(info);
    // The fingerprint is a 64-bit integer: read its digits, not JSON's rounded number.
    const fingerprint = /"fingerprint"\s*:\s*(-?\d+)/.exec(info);
    /** The DCs, first the home one: pass as `new Client({ dcs: dc.dcs })`. */
    this.dcs = Object.freeze(parsed.dcs.map((dc) => Object.freeze({ id: dc.id, host: dc.host, port: dc.port })));
    /** The RSA public key, PKCS#1 PEM. */
    this.rsaPublicKey = parsed.rsa_public_key;
    /** Its fingerprint, as Telegram computes it (a signed 64-bit integer). */
    this.fingerprint = fingerprint ? BigInt(fingerprint[1]) : BigInt(parsed.fingerprint);
    /** A registered app. */
    this.apiId = parsed.api_id;
    this.apiHash = parsed.api_hash;
    /** The cloud password (2FA) of the 99967X... accounts. */
    this.password = parsed.password;
    /** A bot token the test DC accepts (signInBot). */
    this.botToken = parsed.bot_token;
    Object.freeze(this);
  }

  /** The codes sent so far to a phone number: [{ dc, code, phoneCodeHash, phoneNumber }]. */
  codes(phoneNumber) {
    validate.string(phoneNumber, 'phoneNumber');
    if (this.#stopping) throw new Error('the test DC is stopped');
    let json;
    try {
      json = native.testdcCodes(this.#handle, phoneNumber);
    } catch (e) {
      throw classify(e);
    }
    return JSON.parse(json).map((c) => ({
      dc: c.dc,
      code: c.code,
      phoneCodeHash: c.phone_code_hash,
      phoneNumber: c.phone_number,
    }));
  }

  /**
   * Approves a QR login as the account of `phoneNumber`, as a signed-in device of that account
   * would (auth.acceptLoginToken): the client waiting in qrLogin is told at once. `url` is the
   * tg://login URL onToken got, or the bare token. Throws InvalidArgumentError for a token that
   * is unknown, expired or already accepted, or a number with no account.
   */
  acceptLoginToken(url, phoneNumber) {
    validate.string(url, 'url');
    validate.string(phoneNumber, 'phoneNumber');
    if (this.#stopping) throw new Error('the test DC is stopped');
    try {
      native.testdcAcceptLoginToken(this.#handle, url, phoneNumber);
    } catch (e) {
      throw classify(e);
    }
  }

  /**
   * Counters: { authKeysCreated, connections, sendCodeCalls, faultsInjected, dhPairsReadyMade }
   * (tg_testdc_stats_json's, in camelCase).
   */
  stats() {
    if (this.#stopping) throw new Error('the test DC is stopped');
    let json;
    try {
      json = native.testdcStats(this.#handle);
    } catch (e) {
      throw classify(e);
    }
    const out = {};
    for (const [key, value] of Object.entries(JSON.parse(json))) {
      out[key.replace(/_([a-z])/g, (_, c) => c.toUpperCase())] = value;
    }
    return out;
  }

  /** Stops every DC and closes their ports. Idempotent. */
  stop() {
    if (!this.#stopping) this.#stopping = native.testdcStop(this.#handle);
    return this.#stopping;
  }
}

if (typeof Symbol.asyncDispose === 'symbol') {
  TestDC.prototype[Symbol.asyncDispose] = function asyncDispose() {
    return this.stop();
  };
}

module.exports = { TestDC };
