'use strict';
// Every function of the C header is bound by the addon, or skipped here on purpose, with the
// reason: a new tg_* call cannot go unnoticed by the Node package.
const { it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { includeDir } = require('../scripts/locate');
const { packageDir } = require('./helpers');

// Functions of the header the addon does not call, and why.
const SKIPPED = new Map([
  ['tg_set_log_callback', 'logging is not exposed to JavaScript yet'],
]);

function headerFunctions() {
  const header = fs.readFileSync(path.join(includeDir(), 'tgauth.h'), 'utf8');
  // Declarations only: a return type, the name, "(" (typedefs of callbacks are "(*name)").
  const names = new Set();
  for (const m of header.matchAll(/^[A-Za-z_][\w\s*]*?\b(tg_\w+)\(/gm)) names.add(m[1]);
  return [...names].sort();
}

function addonSource() {
  const dir = path.join(packageDir, 'src');
  return fs.readdirSync(dir).filter((f) => /\.(cc|h)$/.test(f)).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
}

it('reads the functions of the header', () => {
  const names = headerFunctions();
  for (const known of ['tg_send_code', 'tg_sign_in', 'tg_qr_login', 'tg_client_free', 'tg_testdc_start']) {
    assert.ok(names.includes(known), `${known} among ${names.join(', ')}`);
  }
});

it('binds every tg_* function of include/tgauth.h, or skips it on purpose', () => {
  const source = addonSource();
  const unbound = headerFunctions().filter((name) => !SKIPPED.has(name) && !new RegExp(`\\b${name}\\(`).test(source));
  assert.deepEqual(unbound, [], `not bound by src/ and not in SKIPPED: ${unbound.join(', ')}`);
});

it('skips only functions the header still has, and binds none it skips', () => {
  const names = headerFunctions();
  const source = addonSource();
  for (const name of SKIPPED.keys()) {
    assert.ok(names.includes(name), `${name} is skipped but not in the header any more`);
    assert.ok(!new RegExp(`\\b${name}\\(`).test(source), `${name} is skipped but bound`);
  }
});
