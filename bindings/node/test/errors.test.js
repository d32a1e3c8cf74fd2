'use strict';
// The error classes: one per documented error of bindings/errors.json, the kinds of the core.
const { it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { tgauth, packageDir } = require('./helpers');
const { loadErrorTable } = require('../lib/table');
const { generateDts, dtsPath } = require('../scripts/sync');

const { errors, RpcError, TgauthError } = tgauth;

it('has a class per entry of errors.json', () => {
  const { table } = loadErrorTable();
  assert.ok(table.length >= 17);
  assert.deepEqual(Object.keys(errors).sort(), table.map((e) => e.class).sort());
  for (const entry of table) {
    const cls = errors[entry.class];
    assert.equal(cls.name, entry.class);
    assert.equal(cls.errorMessage, entry.name);
    assert.equal(cls.code, entry.code);
    assert.equal(cls.description, entry.description);
    const e = new cls('x', { code: entry.code, errorMessage: entry.name, value: null });
    assert.ok(e instanceof RpcError && e instanceof TgauthError && e instanceof Error);
    assert.equal(e.name, entry.class);
    assert.match(e.stack, new RegExp(`^${entry.class}: x`));
  }
});

it('covers the errors auth.sendCode is documented to give, and the ones tests rely on', () => {
  const names = new Set(loadErrorTable().table.map((e) => e.name));
  for (const name of ['PHONE_MIGRATE', 'NETWORK_MIGRATE', 'USER_MIGRATE', 'FLOOD_WAIT', 'AUTH_RESTART',
    'AUTH_KEY_DUPLICATED', 'INPUT_REQUEST_TOO_LONG', 'API_ID_PUBLISHED_FLOOD', 'PHONE_NUMBER_BANNED',
    'PHONE_NUMBER_FLOOD', 'PHONE_PASSWORD_FLOOD', 'PHONE_NUMBER_APP_SIGNUP_FORBIDDEN', 'SMS_CODE_CREATE_FAILED',
    'PHONE_PASSWORD_PROTECTED', 'UPDATE_APP_TO_LOGIN', 'API_ID_INVALID', 'PHONE_NUMBER_INVALID']) {
    assert.ok(names.has(name), name);
  }
});

it('ships errors.d.ts as generated from errors.json', () => {
  assert.equal(fs.readFileSync(dtsPath, 'utf8'), generateDts(loadErrorTable().table),
    'errors.d.ts is stale: run node scripts/sync.js');
});

it('ships a copy of errors.json identical to the repository\'s', () => {
  const copy = path.join(packageDir, 'errors.json');
  const original = path.join(packageDir, '..', 'errors.json');
  assert.ok(fs.existsSync(copy), 'npm install copies errors.json into the package');
  if (fs.existsSync(original)) assert.deepEqual(JSON.parse(fs.readFileSync(copy, 'utf8')), JSON.parse(fs.readFileSync(original, 'utf8')));
});

it('names the other kinds', () => {
  for (const name of ['TimeoutError', 'NetworkError', 'SecurityError', 'CancelledError', 'SessionError',
    'ProtocolError', 'InternalError', 'InvalidArgumentError', 'IoError', 'AbortError']) {
    const cls = tgauth[name];
    assert.equal(typeof cls, 'function', name);
    const e = new cls('boom');
    assert.ok(e instanceof TgauthError);
    assert.ok(!(e instanceof RpcError));
    assert.equal(e.name, name);
    assert.equal(typeof e.result, 'number');
  }
  assert.ok(new tgauth.AbortError() instanceof tgauth.CancelledError);
  assert.equal(typeof tgauth.version, 'string');
});
