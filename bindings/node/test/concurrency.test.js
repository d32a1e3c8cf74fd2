'use strict';
const { it } = require('node:test');
const assert = require('node:assert/strict');
const { tgauth, dcNumber, homeFirst } = require('./helpers');

const { Client, TestDC } = tgauth;

it('500 concurrent sendCode on one client all succeed', { timeout: 120000 }, async () => {
  const dc = await TestDC.start({ codeLimit: 0 });
  const client = new Client({ dcs: homeFirst(dc, 2), rsaKeys: [dc.rsaPublicKey], timeout: 60000 });
  try {
    const phones = Array.from({ length: 500 }, (_, i) => dcNumber(2, i));
    const sent = await Promise.all(phones.map((phoneNumber) => client.sendCode({ phoneNumber, apiId: dc.apiId, apiHash: dc.apiHash })));
    for (const s of sent) {
      assert.equal(s.kind, 'code');
      assert.equal(s.type.kind, 'app');
    }
    assert.equal(new Set(sent.map((s) => s.phoneCodeHash)).size, 500);
    assert.equal(dc.codes(phones[499])[0].phoneCodeHash, sent[499].phoneCodeHash);
  } finally {
    client.close();
    await dc.stop();
  }
});
