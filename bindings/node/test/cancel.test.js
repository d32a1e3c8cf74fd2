'use strict';
// Timeouts, AbortSignal and close(): a request settles exactly once, with the right class.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { tgauth, freshNumber, homeFirst, blackhole, someRsaKey } = require('./helpers');

const { Client, TestDC, TimeoutError, CancelledError, AbortError, TgauthError } = tgauth;

describe('a server that never answers', () => {
  let hole;
  let rsaKey;
  before(async () => {
    hole = await blackhole();
    rsaKey = someRsaKey();
  });
  after(() => hole.close());

  const params = { phoneNumber: '+9996621234', apiId: 12345, apiHash: '0123456789abcdef0123456789abcdef' };

  it('times out with TimeoutError', async () => {
    const client = new Client({ dcs: [{ id: 1, host: '127.0.0.1', port: hole.port }], rsaKeys: [rsaKey], timeout: 500 });
    try {
      const started = Date.now();
      await assert.rejects(client.sendCode(params), (e) => {
        assert.ok(e instanceof TimeoutError, String(e));
        assert.ok(e instanceof TgauthError);
        assert.equal(e.name, 'TimeoutError');
        return true;
      });
      const took = Date.now() - started;
      assert.ok(took >= 400 && took < 5000, `took ${took} ms`);
    } finally {
      client.close();
    }
  });

  it('is cancelled by an AbortSignal', async () => {
    const client = new Client({ dcs: [{ id: 1, host: '127.0.0.1', port: hole.port }], rsaKeys: [rsaKey], timeout: 60000 });
    try {
      const controller = new AbortController();
      const pending = client.sendCode(params, { signal: controller.signal });
      setTimeout(() => controller.abort(), 200);
      const started = Date.now();
      await assert.rejects(pending, (e) => {
        assert.ok(e instanceof AbortError, String(e));
        assert.ok(e instanceof CancelledError);
        assert.equal(e.name, 'AbortError');
        assert.equal(e.code, 'ABORT_ERR');
        assert.equal(e.cause, controller.signal.reason);
        return true;
      });
      assert.ok(Date.now() - started < 2000);
    } finally {
      client.close();
    }
  });

  it('rejects in-flight requests with CancelledError on close()', async () => {
    const client = new Client({ dcs: [{ id: 1, host: '127.0.0.1', port: hole.port }], rsaKeys: [rsaKey], timeout: 60000 });
    const pending = [1, 2, 3].map(() => client.sendCode(params));
    await new Promise((r) => setTimeout(r, 100));
    client.close();
    assert.equal(client.closed, true);
    for (const outcome of await Promise.allSettled(pending)) {
      assert.equal(outcome.status, 'rejected');
      assert.ok(outcome.reason instanceof CancelledError, String(outcome.reason));
      assert.ok(!(outcome.reason instanceof AbortError));
    }
    await assert.rejects(client.sendCode(params), CancelledError);
    client.close(); // idempotent
  });

  it('settles once when aborted after close()', async () => {
    const client = new Client({ dcs: [{ id: 1, host: '127.0.0.1', port: hole.port }], rsaKeys: [rsaKey], timeout: 60000 });
    const controller = new AbortController();
    const pending = client.sendCode(params, { signal: controller.signal });
    client.close();
    controller.abort();
    await assert.rejects(pending, TgauthError);
  });
});

describe('AbortSignal against the test DC', () => {
  let dc;
  let client;
  before(async () => {
    dc = await TestDC.start();
    client = new Client({ dcs: homeFirst(dc, 2), rsaKeys: [dc.rsaPublicKey] });
  });
  after(async () => {
    client?.close();
    await dc?.stop();
  });

  it('rejects at once, without asking the core, when the signal is already aborted', async () => {
    const phone = freshNumber(2);
    const reason = new Error('changed my mind');
    const started = Date.now();
    await assert.rejects(
      client.sendCode({ phoneNumber: phone, apiId: dc.apiId, apiHash: dc.apiHash }, { signal: AbortSignal.abort(reason) }),
      (e) => {
        assert.ok(e instanceof AbortError, String(e));
        assert.equal(e.cause, reason);
        return true;
      },
    );
    assert.ok(Date.now() - started < 100);
    // The client still works, and nothing was sent for the aborted request.
    const sent = await client.sendCode({ phoneNumber: freshNumber(2), apiId: dc.apiId, apiHash: dc.apiHash });
    assert.equal(sent.kind, 'code');
    assert.deepEqual(dc.codes(phone), []);
  });

  it('rejects with AbortError when aborted right after the call', async () => {
    const controller = new AbortController();
    const pending = client.sendCode({ phoneNumber: freshNumber(2), apiId: dc.apiId, apiHash: dc.apiHash }, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, AbortError);
  });

  it('resolves normally when the signal never fires', async () => {
    const controller = new AbortController();
    const sent = await client.sendCode({ phoneNumber: freshNumber(2), apiId: dc.apiId, apiHash: dc.apiHash }, { signal: controller.signal });
    assert.equal(sent.kind, 'code');
    controller.abort(); // after settling: no effect
  });
});
