'use strict';
// auth.sendCode against the in-process test DC (TESTDC.md).
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { tgauth, freshNumber, homeFirst } = require('./helpers');

const { Client, TestDC, RpcError, TgauthError, errors } = tgauth;

describe('sendCode against the test DC', () => {
  let dc;
  let client; // home DC 1
  before(async () => {
    dc = await TestDC.start();
    client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey], timeout: 10000, floodSleepThreshold: 0 });
  });
  after(async () => {
    client?.close();
    await dc?.stop();
  });

  it('describes itself', () => {
    assert.equal(dc.dcs.length, 3);
    assert.deepEqual(dc.dcs.map((d) => d.id), [1, 2, 3]);
    for (const d of dc.dcs) {
      assert.equal(d.host, '127.0.0.1');
      assert.ok(Number.isInteger(d.port) && d.port > 0);
    }
    assert.match(dc.rsaPublicKey, /^-----BEGIN RSA PUBLIC KEY-----\n[\s\S]+\n-----END RSA PUBLIC KEY-----\n$/);
    assert.equal(typeof dc.fingerprint, 'bigint');
    assert.ok(Number.isInteger(dc.apiId) && dc.apiId > 0);
    assert.match(dc.apiHash, /^[0-9a-f]{32}$/);
  });

  it('sends a code on the DC the number belongs to', async () => {
    const home2 = new Client({ dcs: homeFirst(dc, 2), rsaKeys: [dc.rsaPublicKey] });
    try {
      const phone = freshNumber(2);
      const sent = await home2.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash, settings: {} });
      assert.equal(sent.kind, 'code');
      assert.deepEqual(sent.type, { kind: 'app', length: 5 });
      assert.equal(sent.nextType, 'sms');
      assert.equal(sent.timeout, 60);
      assert.equal(typeof sent.phoneCodeHash, 'string');
      assert.ok(sent.phoneCodeHash.length > 0);
      const codes = dc.codes(phone);
      assert.equal(codes.length, 1);
      assert.equal(codes[0].code, '22222');
      assert.equal(codes[0].dc, 2);
      assert.equal(codes[0].phoneCodeHash, sent.phoneCodeHash);
    } finally {
      home2.close();
    }
  });

  it('follows PHONE_MIGRATE to the number\'s DC', async () => {
    const phone = freshNumber(2);
    const sent = await client.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash });
    assert.equal(sent.kind, 'code');
    assert.equal(sent.type.kind, 'app');
    const codes = dc.codes(phone);
    assert.equal(codes.length, 1);
    assert.equal(codes[0].dc, 2);
    assert.equal(codes[0].code, '22222');
  });

  it('follows NETWORK_MIGRATE to the last DC', async () => {
    const phone = '+99977101234';
    const sent = await client.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash });
    assert.equal(sent.kind, 'code');
    assert.deepEqual(dc.codes(phone).map((c) => c.dc), [3]);
  });

  // TESTDC.md: the reserved numbers and what every DC answers for them.
  const reserved = [
    ['+99977011234', 400, 'PHONE_NUMBER_BANNED', 'PhoneNumberBanned', null],
    ['+99977021234', 400, 'PHONE_NUMBER_FLOOD', 'PhoneNumberFlood', null],
    ['+99977031234', 406, 'PHONE_PASSWORD_FLOOD', 'PhonePasswordFlood', null],
    ['+99977041234', 400, 'PHONE_NUMBER_APP_SIGNUP_FORBIDDEN', 'PhoneNumberAppSignupForbidden', null],
    ['+99977051234', 400, 'SMS_CODE_CREATE_FAILED', 'SmsCodeCreateFailed', null],
    ['+99977061234', 400, 'PHONE_PASSWORD_PROTECTED', 'PhonePasswordProtected', null],
    ['+99977071234', 420, 'FLOOD_WAIT', 'FloodWait', 2],
    ['+99977081234', 406, 'UPDATE_APP_TO_LOGIN', 'UpdateAppToLogin', null],
    ['+99977111234', 406, 'AUTH_KEY_DUPLICATED', 'AuthKeyDuplicated', null],
  ];
  for (const [phone, code, name, className, value] of reserved) {
    it(`rejects ${phone} with ${code} ${name}`, async () => {
      const cls = errors[className];
      assert.equal(typeof cls, 'function', `errors.${className} exists`);
      const err = await client.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash }).then(
        () => assert.fail('resolved'),
        (e) => e,
      );
      assert.ok(err instanceof cls, `${err.name}: ${err.message} is a ${className}`);
      assert.ok(err instanceof RpcError);
      assert.ok(err instanceof TgauthError);
      assert.ok(err instanceof Error);
      assert.equal(err.name, className);
      assert.equal(err.code, code);
      assert.equal(err.errorMessage, name);
      assert.equal(err.value, value);
      assert.equal(cls.errorMessage, name);
      assert.ok(err.message.includes(name));
      assert.deepEqual(dc.codes(phone), []);
    });
  }

  it('rejects a malformed number with 406 PHONE_NUMBER_INVALID', async () => {
    for (const phone of ['+123', '+99966x1234', '+1234567890123456']) {
      await assert.rejects(client.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash }), (e) => {
        assert.ok(e instanceof errors.PhoneNumberInvalid, `${phone}: ${e}`);
        assert.equal(e.code, 406);
        assert.equal(e.errorMessage, 'PHONE_NUMBER_INVALID');
        return true;
      });
    }
  });

  it('rejects an unknown app with 400 API_ID_INVALID', async () => {
    const phone = freshNumber(1);
    await assert.rejects(client.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: '0'.repeat(32) }), (e) => {
      assert.ok(e instanceof errors.ApiIdInvalid, String(e));
      assert.equal(e.code, 400);
      assert.equal(e.errorMessage, 'API_ID_INVALID');
      return true;
    });
    await assert.rejects(client.sendCode({ phoneNumber: phone, apiId: dc.apiId + 1, apiHash: dc.apiHash }), errors.ApiIdInvalid);
  });

  it('rejects a query over 32 KiB with 400 INPUT_REQUEST_TOO_LONG', async () => {
    const logoutTokens = Array.from({ length: 40 }, () => Buffer.alloc(1024, 7)); // 40 KiB
    await assert.rejects(
      client.sendCode({ phoneNumber: freshNumber(1), apiId: dc.apiId, apiHash: dc.apiHash, settings: { logoutTokens } }),
      (e) => {
        assert.ok(e instanceof errors.InputRequestTooLong, String(e));
        assert.equal(e.code, 400);
        return true;
      },
    );
  });

  it('gives AUTH_RESTART once per session, then sends the code', async () => {
    const phone = '+99977091234';
    const fresh = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey] });
    try {
      let sent;
      try {
        sent = await fresh.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash });
      } catch (e) {
        // Whether the core retries AUTH_RESTART itself is its choice; if not, it is classified.
        assert.ok(e instanceof errors.AuthRestart, String(e));
        assert.equal(e.code, 500);
        sent = await fresh.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash });
      }
      assert.equal(sent.kind, 'code');
    } finally {
      fresh.close();
    }
  });

  it('rejects FLOOD_WAIT at once with floodSleepThreshold 0', async () => {
    const started = Date.now();
    await assert.rejects(client.sendCode({ phoneNumber: '+99977071234', apiId: dc.apiId, apiHash: dc.apiHash }), (e) => {
      assert.ok(e instanceof errors.FloodWait);
      assert.equal(e.code, 420);
      assert.equal(e.value, 2);
      return true;
    });
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  });

  it('gives FLOOD_WAIT past the code limit', async () => {
    const phone = freshNumber(1);
    for (let i = 0; i < 5; i++) await client.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash });
    await assert.rejects(client.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash }), (e) => {
      assert.ok(e instanceof errors.FloodWait, String(e));
      assert.ok(e.value > 0 && e.value <= 3600, `value ${e.value}`);
      return true;
    });
    assert.equal(dc.codes(phone).length, 5);
  });
});

describe('test DC options', () => {
  it('registers published apps: 400 API_ID_PUBLISHED_FLOOD', async () => {
    const dc = await TestDC.start({ dcs: 1, publishedApps: [{ id: 4242, hash: 'b'.repeat(32) }] });
    const client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey] });
    try {
      assert.equal(dc.dcs.length, 1);
      await assert.rejects(client.sendCode({ phoneNumber: '+99966112345', apiId: 4242, apiHash: 'b'.repeat(32) }), (e) => {
        assert.ok(e instanceof errors.ApiIdPublishedFlood, String(e));
        assert.equal(e.code, 400);
        return true;
      });
      // With one DC every other number is homed on DC 1.
      const sent = await client.sendCode({ phoneNumber: '+15551234567', apiId: dc.apiId, apiHash: dc.apiHash });
      assert.equal(sent.kind, 'code');
    } finally {
      client.close();
      await dc.stop();
    }
  });

  it('stops idempotently and refuses codes() afterwards', async () => {
    const dc = await TestDC.start({ dcs: 1, apps: [{ id: 777, hash: 'c'.repeat(32) }] });
    assert.equal(dc.apiId, 777);
    assert.equal(dc.apiHash, 'c'.repeat(32));
    await Promise.all([dc.stop(), dc.stop()]);
    await dc.stop();
    assert.throws(() => dc.codes('+99966112345'), /stopped/);
  });
});
