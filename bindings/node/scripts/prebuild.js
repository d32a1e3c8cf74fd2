'use strict';
// `npm pack` (the `prepack` script): builds the addon for this machine from the current
// library, like `npm install` in the repository does (cargo builds libtgauth.a unless
// TGAUTH_LIB_DIR names a built one), and puts it in prebuilds/<platform>-<arch>/ with
// prebuild.json, so the tarball installs here without a compiler. `postpack` removes it again
// (node scripts/prebuild.js --clean), so a later `npm install` in the repository never picks up
// a stale addon.

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { sync } = require('./sync');
const prebuilt = require('./prebuilt');

function clean() {
  fs.rmSync(prebuilt.prebuildsDir, { recursive: true, force: true });
}

function main() {
  if (process.argv[2] === '--clean') {
    clean();
    return;
  }
  sync();
  const { buildFromSource } = require('./install');
  buildFromSource();
  const meta = prebuilt.describe();
  const dir = path.join(prebuilt.prebuildsDir, meta.target);
  clean();
  fs.mkdirSync(dir, { recursive: true });
  const addon = path.join(dir, 'tgauth.node');
  fs.copyFileSync(prebuilt.builtAddon, addon);
  // The release library keeps debug line tables; users of the tarball need none.
  const strip = spawnSync('strip', ['--strip-debug', addon], { stdio: ['ignore', 'ignore', 2] });
  if (strip.error || strip.status !== 0) process.stderr.write('tgauth: warning: could not strip the prebuilt addon\n');
  fs.writeFileSync(path.join(dir, 'prebuild.json'), JSON.stringify(meta, null, 2) + '\n');
  process.stderr.write(`tgauth: prebuilt addon for ${meta.target} (${meta.libc || 'no libc tag'}, Node-API ${meta.napi}) in ${path.relative(process.cwd(), dir)}\n`);
}

main();
