'use strict';
const { it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { tgauth, freshNumber } = require('./helpers');

const { Client, TestDC } = tgauth;

it('two clients use one session file in turn', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tgauth-node-'));
  const session = path.join(dir, 'login.session');
  const dc = await TestDC.start();
  try {
    for (let round = 0; round < 2; round++) {
      const client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey], session });
      try {
        const phone = freshNumber(2);
        const sent = await client.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash });
        assert.equal(sent.kind, 'code');
        assert.equal(dc.codes(phone)[0].code, '22222');
      } finally {
        client.close();
      }
      assert.ok(fs.existsSync(session), 'the session file exists');
      if (process.platform !== 'win32') assert.equal(fs.statSync(session).mode & 0o777, 0o600);
    }
  } finally {
    await dc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
