'use strict';
// Client options: the transport and obfuscated2, a session string, the app given once.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { tgauth, freshNumber, homeFirst } = require('./helpers');
const { kExportSessionString } = require('../lib/client');

const { Client, TestDC, RpcError, InvalidArgumentError } = tgauth;

const COMBINATIONS = [
  ['abridged', false],
  ['abridged', true],
  ['intermediate', false],
  ['intermediate', true],
  ['padded', false],
  ['padded', true],
  ['full', false],
];

function checkCodeSent(dc, sent, phone, wantDc) {
  assert.equal(sent.kind, 'code');
  assert.equal(sent.type.kind, 'app');
  assert.equal(sent.type.length, 5);
  const codes = dc.codes(phone);
  assert.equal(codes.length, 1);
  assert.equal(codes[0].phoneCodeHash, sent.phoneCodeHash);
  assert.equal(codes[0].dc, wantDc);
}

describe('client options against the test DC', () => {
  let dc;
  before(async () => {
    dc = await TestDC.start({ codeLimit: 0 });
  });
  after(async () => {
    await dc?.stop();
  });

  for (const [transport, obfuscated] of COMBINATIONS) {
    it(`sends a code over ${transport}${obfuscated ? ' + obfuscated2' : ''}`, async () => {
      const client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey], transport, obfuscated });
      try {
        const connections = dc.stats().connections;
        const phone = freshNumber(2);
        const sent = await client.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash });
        checkCodeSent(dc, sent, phone, 2); // home DC 1: migrated to DC 2 on the way
        assert.ok(dc.stats().connections > connections);
      } finally {
        client.close();
      }
    });
  }

  it('a client from a session string reuses its key', async () => {
    const first = new Client({ dcs: homeFirst(dc, 3), rsaKeys: [dc.rsaPublicKey] });
    let sessionString;
    try {
      assert.equal(first[kExportSessionString](), null);
      await first.sendCode({ phoneNumber: freshNumber(3), apiId: dc.apiId, apiHash: dc.apiHash });
      sessionString = first[kExportSessionString]();
    } finally {
      first.close();
    }
    assert.match(sessionString, /^1/);
    const keys = dc.stats().authKeysCreated;
    // No DCs: the string names the DC and holds its key. Obfuscated, as behind a filter.
    const client = new Client({
      rsaKeys: [dc.rsaPublicKey],
      sessionString,
      transport: 'abridged',
      obfuscated: true,
      apiId: dc.apiId,
      apiHash: dc.apiHash,
    });
    try {
      for (let i = 0; i < 2; i++) {
        const phone = freshNumber(3);
        checkCodeSent(dc, await client.sendCode({ phoneNumber: phone }), phone, 3);
      }
      assert.equal(client[kExportSessionString](), sessionString);
    } finally {
      client.close();
    }
    assert.equal(dc.stats().authKeysCreated, keys);
  });

  it('the app given once serves every call', async () => {
    const client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey], apiId: dc.apiId, apiHash: dc.apiHash });
    try {
      const phones = [freshNumber(1), freshNumber(2), freshNumber(3)];
      const sent = await Promise.all(phones.map((phoneNumber) => client.sendCode({ phoneNumber, settings: { allowAppHash: true } })));
      sent.forEach((s, i) => checkCodeSent(dc, s, phones[i], i + 1));
    } finally {
      client.close();
    }
  });

  it("the client's app is what the server sees; a call's own app wins", async () => {
    const client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey], apiId: dc.apiId, apiHash: '0'.repeat(32) });
    try {
      const phone = freshNumber(1);
      await assert.rejects(client.sendCode({ phoneNumber: phone }), (e) => {
        assert.ok(e instanceof RpcError);
        assert.equal(e.code, 400);
        assert.equal(e.errorMessage, 'API_ID_INVALID');
        return true;
      });
      assert.deepEqual(dc.codes(phone), []);
      checkCodeSent(dc, await client.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash }), phone, 1);
    } finally {
      client.close();
    }
  });

  it('sendCode without an app: refused when the client has none', async () => {
    const client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey] });
    try {
      const phone = freshNumber(1);
      await assert.rejects(client.sendCode({ phoneNumber: phone }), {
        name: 'TypeError',
        message: 'no app: give apiId and apiHash, to the Client or to the call',
      });
      await assert.rejects(client.sendCode({ phoneNumber: phone, apiId: dc.apiId }), { name: 'TypeError', message: /together/ });
      await assert.rejects(client.sendCode({ phoneNumber: phone, apiHash: dc.apiHash }), { name: 'TypeError', message: /together/ });
      assert.deepEqual(dc.codes(phone), []);
    } finally {
      client.close();
    }
  });
});

describe('client option checks', () => {
  const cases = [
    ['the full transport obfuscated', { transport: 'full', obfuscated: true }, TypeError, /full transport cannot be obfuscated/],
    ['an unknown transport', { transport: 'tcp' }, RangeError, /'abridged', 'intermediate', 'padded', 'full'/],
    ['a transport not a string', { transport: 1 }, TypeError, /transport must be a string/],
    ['obfuscated not a boolean', { obfuscated: 'yes' }, TypeError, /obfuscated must be a boolean/],
    ['sessionString not a string', { sessionString: 5 }, TypeError, /sessionString must be a string/],
    ['a malformed sessionString', { sessionString: '1not-base64!' }, InvalidArgumentError, /not a Telethon or GramJS string session/],
    ['a sessionString of another version', { sessionString: '2AAAA' }, InvalidArgumentError, /string session/],
    ['apiId without apiHash', { apiId: 5 }, TypeError, /together/],
    ['apiHash without apiId', { apiHash: 'abc' }, TypeError, /together/],
    ['apiId 0', { apiId: 0, apiHash: 'abc' }, RangeError, /apiId/],
    ['apiId a string', { apiId: '5', apiHash: 'abc' }, TypeError, /apiId/],
    ['apiHash empty', { apiId: 5, apiHash: '' }, RangeError, /apiHash must not be empty/],
    ['apiHash over 256 bytes', { apiId: 5, apiHash: 'a'.repeat(257) }, RangeError, /apiHash/],
  ];
  for (const [what, options, cls, message] of cases) {
    it(`rejects ${what} with ${cls.name}`, () => {
      assert.throws(() => new Client(options), (e) => {
        assert.equal(e.constructor, cls, `${e.name}: ${e.message}`);
        assert.match(e.message, message);
        return true;
      });
    });
  }

  it('accepts every other transport and obfuscation', () => {
    for (const [transport, obfuscated] of COMBINATIONS) new Client({ transport, obfuscated }).close();
    new Client({ transport: null, obfuscated: null, sessionString: null, apiId: null, apiHash: null }).close();
  });
});
