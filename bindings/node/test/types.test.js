'use strict';
// index.d.ts type-checks, and describes what the package exports (when TypeScript is installed).
const { it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { spawnSync } = require('child_process');
const { packageDir } = require('./helpers');

let tsc = null;
try {
  tsc = require.resolve('typescript/bin/tsc', { paths: [packageDir] });
} catch {
  // devDependencies not installed
}

it('index.d.ts compiles against a usage sample', { skip: tsc ? false : 'typescript is not installed' }, () => {
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
