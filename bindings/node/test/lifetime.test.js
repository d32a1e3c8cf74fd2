'use strict';
// Nothing keeps the process alive after close(); teardown with requests in flight is clean.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('child_process');
const { packageDir, blackhole, someRsaKey } = require('./helpers');

function runScript(source, env = {}, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', source], {
      env: { ...process.env, TGAUTH_PACKAGE: packageDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const started = Date.now();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the script did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, took: Date.now() - started });
    });
  });
}

describe('process lifetime', () => {
  let hole;
  let rsaKey;
  before(async () => {
    hole = await blackhole();
    rsaKey = someRsaKey();
  });
  after(() => hole.close());

  const preamble = `
    const { Client, CancelledError } = require(process.env.TGAUTH_PACKAGE);
    const client = new Client({ dcs: [{ id: 1, host: '127.0.0.1', port: Number(process.env.PORT) }],
                                rsaKeys: [process.env.RSA_KEY], timeout: 600000 });
    const params = { phoneNumber: '+9996621234', apiId: 12345, apiHash: '0123456789abcdef0123456789abcdef' };
  `;

  it('exits by itself after close() with a request in flight', async () => {
    const r = await runScript(`${preamble}
      client.sendCode(params).then(
        () => console.log('resolved'),
        (e) => console.log(e instanceof CancelledError ? 'cancelled' : 'other ' + e));
      setTimeout(() => client.close(), 300);
    `, { PORT: String(hole.port), RSA_KEY: rsaKey });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'cancelled');
    assert.ok(r.took < 5000, `took ${r.took} ms`);
  });

  it('stays alive while a request is pending, and exits once it settles', async () => {
    const r = await runScript(`${preamble}
      const controller = new AbortController();
      client.sendCode(params, { signal: controller.signal }).catch((e) => console.log(e.name));
      // No timer keeps the loop alive: only the pending request does.
      setTimeout(() => controller.abort(), 500).unref();
      process.on('exit', () => console.log('exit'));
    `, { PORT: String(hole.port), RSA_KEY: rsaKey });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['AbortError', 'exit']);
    assert.ok(r.took >= 400, `took ${r.took} ms`);
  });

  it('exits cleanly with process.exit() while requests are in flight', async () => {
    const r = await runScript(`${preamble}
      for (let i = 0; i < 20; i++) client.sendCode(params).catch(() => {});
      setTimeout(() => process.exit(0), 300);
    `, { PORT: String(hole.port), RSA_KEY: rsaKey });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.signal, null);
  });

  it('survives a worker thread terminated with requests in flight', async () => {
    const r = await runScript(`
      const { Worker } = require('worker_threads');
      const worker = new Worker(\`${preamble.replace(/`/g, '\\`')}
        for (let i = 0; i < 20; i++) client.sendCode(params).catch(() => {});
        require('worker_threads').parentPort.postMessage('started');
      \`, { eval: true, env: process.env });
      worker.on('message', () => setTimeout(() => worker.terminate().then(() => console.log('terminated')), 200));
      worker.on('error', (e) => { console.error(e); process.exit(1); });
    `, { PORT: String(hole.port), RSA_KEY: rsaKey });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'terminated');
  });

  it('exits by itself with a test DC and a closed client', async () => {
    const r = await runScript(`
      const { Client, TestDC } = require(process.env.TGAUTH_PACKAGE);
      (async () => {
        const dc = await TestDC.start();
        const client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey] });
        const sent = await client.sendCode({ phoneNumber: '+9996621234', apiId: dc.apiId, apiHash: dc.apiHash });
        console.log(sent.type.kind);
        // Cancelled by close(), unless its answer beat close() to it: settled either way.
        client.sendCode({ phoneNumber: '+9996621235', apiId: dc.apiId, apiHash: dc.apiHash }).then(
          () => console.log('settled'), (e) => console.log(e.name === 'CancelledError' ? 'settled' : e.name));
        client.close();
        await dc.stop();
      })();
    `);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['app', 'settled']);
  });
});

it('runs examples/node/send_code.js against a test DC', async () => {
  const fs = require('fs');
  const os = require('os');
  const path = require('path');
  // The example requires 'tgauth' as an installed package: resolve it to this one.
  const modules = fs.mkdtempSync(path.join(os.tmpdir(), 'tgauth-example-'));
  fs.symlinkSync(packageDir, path.join(modules, 'tgauth'), 'dir');
  const example = path.resolve(packageDir, '..', '..', 'examples', 'node', 'send_code.js');
  try {
    const env = { ...process.env, NODE_PATH: modules };
    delete env.TG_API_ID;
    delete env.TG_API_HASH;
    const r = await new Promise((resolve) => {
      const child = spawn(process.execPath, [example], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /Code sent to \+9996621234 by app \(5 digits\)/);
    assert.match(r.out, /The test DC's code: 22222/);
  } finally {
    fs.rmSync(modules, { recursive: true, force: true });
  }
});
