'use strict';
// examples/node/login.js runs the whole login against its in-process test DC and says who
// signed in (the example's `require('tgauth')` is pointed at this package).
const { it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { spawnSync } = require('child_process');
const { packageDir } = require('./helpers');

const example = path.resolve(packageDir, '..', '..', 'examples', 'node', 'login.js');

function run(...args) {
  const env = { ...process.env };
  delete env.TG_API_ID;
  delete env.TG_API_HASH;
  const preload = `
    const Module = require('module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      return resolve.call(this, request === 'tgauth' ? ${JSON.stringify(packageDir)} : request, ...rest);
    };
    process.argv.splice(1, 0, ${JSON.stringify(example)});
    require(${JSON.stringify(example)});
  `;
  return spawnSync(process.execPath, ['-e', preload, '--', ...args], { env, encoding: 'utf8', timeout: 60000 });
}

it('logs in with the code and the cloud password', () => {
  const r = run();
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Cloud password asked \(hint: the usual one\)/);
  assert.match(r.stdout, /Signed in as Test \(id 9996721234, \+9996721234\)/);
});

it('signs a new number up', () => {
  const r = run('+9996811234');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Signed in as New User \(id 9996811234/);
});

it('logs in by QR code', () => {
  const r = run('--qr');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /tg:\/\/login\?token=/);
  assert.match(r.stdout, /Signed in as Test \(id 9996721234/);
});
