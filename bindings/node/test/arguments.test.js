'use strict';
// Bad arguments are TypeError / RangeError, raised before anything reaches the core.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { tgauth, freshNumber } = require('./helpers');

const { Client, TestDC } = tgauth;

describe('sendCode arguments', () => {
  let dc;
  let client;
  let good;
  before(async () => {
    dc = await TestDC.start({ dcs: 1 });
    client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey] });
    good = { phoneNumber: '+99966112345', apiId: dc.apiId, apiHash: dc.apiHash };
  });
  after(async () => {
    client?.close();
    await dc?.stop();
  });

  const huge = 'x'.repeat(64 * 1024 + 1);
  const cases = [
    ['no parameters', undefined, TypeError],
    ['parameters not an object', 'phone', TypeError],
    ['phoneNumber missing', { phoneNumber: undefined }, TypeError],
    ['phoneNumber a number', { phoneNumber: 9996612345 }, TypeError],
    ['phoneNumber with NUL', { phoneNumber: '+99966\u000012345' }, TypeError],
    ['phoneNumber over 64 KiB', { phoneNumber: huge }, RangeError],
    ['phoneNumber over 64 KiB of UTF-8', { phoneNumber: '\u00e9'.repeat(40000) }, RangeError],
    ['phoneNumber over 64 bytes', { phoneNumber: `+${'1'.repeat(64)}` }, RangeError],
    ['apiId a string', { apiId: '12345' }, TypeError],
    ['apiId 0', { apiId: 0 }, RangeError],
    ['apiId negative', { apiId: -5 }, RangeError],
    ['apiId fractional', { apiId: 1.5 }, RangeError],
    ['apiId over int32', { apiId: 2 ** 31 }, RangeError],
    ['apiId NaN', { apiId: NaN }, RangeError],
    ['apiId a bigint', { apiId: 12345n }, TypeError],
    ['apiHash missing', { apiHash: undefined }, TypeError],
    ['apiHash with NUL', { apiHash: 'abc\0' }, TypeError],
    ['apiHash over 64 KiB', { apiHash: huge }, RangeError],
    ['apiHash over 256 bytes', { apiHash: 'a'.repeat(257) }, RangeError],
    ['unknown parameter', { phone: '+1' }, TypeError],
    ['settings not an object', { settings: 'sms' }, TypeError],
    ['settings flag not a boolean', { settings: { allowFlashcall: 1 } }, TypeError],
    ['settings unknown key', { settings: { allowSms: true } }, TypeError],
    ['settings.token with NUL', { settings: { token: 'a\0b' } }, TypeError],
    ['settings.logoutTokens not bytes', { settings: { logoutTokens: ['abc'] } }, TypeError],
    ['settings.logoutTokens over 64 tokens', { settings: { logoutTokens: Array(65).fill(Buffer.from('t')) } }, RangeError],
    ['settings.logoutTokens[] over 1 KiB', { settings: { logoutTokens: [Buffer.alloc(1025)] } }, RangeError],
    ['settings.token without appSandbox', { settings: { token: 'push' } }, TypeError],
    ['settings.appSandbox without token', { settings: { appSandbox: false } }, TypeError],
  ];
  for (const [what, change, cls] of cases) {
    it(`rejects ${what} with ${cls.name}`, async () => {
      const params = change === undefined || typeof change !== 'object' ? change : { ...good, ...change };
      await assert.rejects(client.sendCode(params), (e) => {
        assert.equal(e.constructor, cls, `${e.name}: ${e.message}`);
        return true;
      });
    });
  }

  it('rejects a bad options argument', async () => {
    await assert.rejects(client.sendCode(good, { signal: 'abort' }), TypeError);
    await assert.rejects(client.sendCode(good, { sginal: null }), TypeError);
    await assert.rejects(client.sendCode(good, 5), TypeError);
  });

  it('sent nothing for any of them, and still works', async () => {
    assert.deepEqual(dc.codes('+99966112345'), []);
    const sent = await client.sendCode({ ...good, settings: { allowAppHash: true, logoutTokens: [Buffer.from('x')], token: 'push', appSandbox: false } });
    assert.equal(sent.kind, 'code');
    assert.equal(dc.codes('+99966112345').length, 1);
    assert.equal(typeof freshNumber(1), 'string');
  });
});

describe('Client options', () => {
  const cases = [
    ['not an object', 5, TypeError],
    ['unknown option', { timeoutMs: 5 }, TypeError],
    ['dcs not an array', { dcs: { id: 1 } }, TypeError],
    ['dc id 0', { dcs: [{ id: 0, host: '127.0.0.1', port: 1 }] }, RangeError],
    ['dc port 0', { dcs: [{ id: 1, host: '127.0.0.1', port: 0 }] }, RangeError],
    ['dc port 65536', { dcs: [{ id: 1, host: '127.0.0.1', port: 65536 }] }, RangeError],
    ['dc host not a string', { dcs: [{ id: 1, host: 127, port: 1 }] }, TypeError],
    ['dc host with NUL', { dcs: [{ id: 1, host: 'a\0', port: 1 }] }, TypeError],
    ['rsaKeys not strings', { rsaKeys: [Buffer.from('x')] }, TypeError],
    ['session not a string', { session: 5 }, TypeError],
    ['session with NUL', { session: '/tmp/a\0b' }, TypeError],
    ['timeout not a number', { timeout: '10s' }, TypeError],
    ['timeout 0', { timeout: 0 }, RangeError],
    ['timeout negative', { timeout: -1 }, RangeError],
    ['timeout over 2^32 ms', { timeout: 2 ** 32 }, RangeError],
    ['floodSleepThreshold negative', { floodSleepThreshold: -1 }, RangeError],
    ['floodSleepThreshold fractional', { floodSleepThreshold: 0.5 }, RangeError],
    ['testServers not a boolean', { testServers: 'yes' }, TypeError],
    ['deviceModel over 64 KiB', { deviceModel: 'x'.repeat(70000) }, RangeError],
    ['langCode not a string', { langCode: 1 }, TypeError],
  ];
  for (const [what, options, cls] of cases) {
    it(`rejects ${what} with ${cls.name}`, () => {
      assert.throws(() => new Client(options), (e) => {
        assert.equal(e.constructor, cls, `${e.name}: ${e.message}`);
        return true;
      });
    });
  }

  it('accepts every documented option', () => {
    const client = new Client({
      dcs: [{ id: 1, host: '127.0.0.1', port: 1 }],
      rsaKeys: [],
      session: null,
      timeout: 1500.5,
      floodSleepThreshold: 0,
      testServers: false,
      deviceModel: 'node test',
      systemVersion: process.version,
      appVersion: '0.1.0',
      systemLangCode: 'en',
      langPack: '',
      langCode: 'en',
      transport: 'padded',
      obfuscated: true,
      sessionString: null,
      apiId: 1,
      apiHash: 'x',
    });
    client.close();
    new Client().close(); // production Telegram, nothing contacted
    new Client({ testServers: true }).close();
  });
});

describe('TestDC.start options', () => {
  for (const [what, options, cls] of [
    ['unknown option', { codelimit: 0 }, TypeError],
    ['codeLimit negative', { codeLimit: -1 }, RangeError],
    ['port over 65535', { port: 70000 }, RangeError],
    ['apps not an array', { apps: { id: 1, hash: 'x' } }, TypeError],
  ]) {
    it(`rejects ${what} with ${cls.name}`, async () => {
      await assert.rejects(TestDC.start(options), cls);
    });
  }
});
