'use strict';
// `npm install` for this package: bring the shared files in (sync.js), then
//   - from a tarball made by `npm pack`: use its prebuilt addon when it fits this machine
//     (prebuilt.js says when), so no compiler and no Rust toolchain are needed;
//   - otherwise (no fitting prebuilt addon, inside the repository, TGAUTH_LIB_DIR set, or
//     TGAUTH_BUILD_FROM_SOURCE=1): build libtgauth.a with cargo unless TGAUTH_LIB_DIR names a
//     prebuilt one, then compile and link the addon with node-gyp against the installed Node
//     headers (nothing is downloaded), and load it once.

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { packageDir, buildDepsDir, repoRoot, libDir, includeDir, nodeAddonApiDir } = require('./locate');
const { sync } = require('./sync');
const prebuilt = require('./prebuilt');

function fail(message) {
  process.stderr.write(`tgauth: ${message}\n`);
  process.exit(1);
}

function run(command, args, options = {}) {
  process.stderr.write(`tgauth: ${[command, ...args].join(' ')}\n`);
  const r = spawnSync(command, args, { stdio: ['ignore', 2, 2], ...options });
  if (r.error) fail(`${command}: ${r.error.message}`);
  if (r.status !== 0) fail(`${command} exited with ${r.status ?? r.signal}`);
}

function buildLibrary() {
  if (process.env.TGAUTH_LIB_DIR) return;
  const root = repoRoot();
  if (!root) {
    fail('cannot find the tgauth repository to build libtgauth from: ' +
      'set TGAUTH_LIB_DIR to a directory holding libtgauth.a, or TGAUTH_SOURCE_DIR to the repository');
  }
  run('cargo', ['build', '--release', '--lib'], { cwd: root });
}

/** npm itself: the one running this script, else the one beside node. */
function npmCommand() {
  if (process.env.npm_execpath && /\.[cm]?js$/.test(process.env.npm_execpath)) return [process.execPath, process.env.npm_execpath];
  return [process.platform === 'win32' ? 'npm.cmd' : 'npm'];
}

/** Makes sure node-addon-api can be found (see locate.js for when npm leaves it out). */
function ensureNodeAddonApi() {
  if (nodeAddonApiDir()) return;
  const range = require('../package.json').dependencies['node-addon-api'];
  fs.mkdirSync(buildDepsDir, { recursive: true });
  const [command, ...pre] = npmCommand();
  run(command, [...pre, 'install', '--prefix', buildDepsDir, '--no-save', '--no-package-lock', '--ignore-scripts',
    '--no-audit', '--no-fund', `node-addon-api@${range}`]);
  if (!nodeAddonApiDir()) fail('node-addon-api could not be installed');
}

/** The node-gyp that npm runs scripts with (npm bundles one), else one on require's path. */
function nodeGypScript() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) {
    candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return fail('node-gyp not found (it comes with npm)');
  }
}

/** --nodedir pointing at the running Node's own headers, so node-gyp downloads nothing. */
function nodeDirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return [`--nodedir=${prefix}`];
  process.stderr.write(`tgauth: warning: no Node headers under ${prefix}; node-gyp may try to download them\n`);
  return [];
}

/** Compiles the addon into build/Release/tgauth.node (the library too, unless TGAUTH_LIB_DIR). */
function buildFromSource() {
  ensureNodeAddonApi();
  buildLibrary();
  const lib = libDir();
  if (!lib || !fs.existsSync(path.join(lib, 'libtgauth.a'))) fail(`libtgauth.a not found in ${lib}`);
  if (!fs.existsSync(path.join(includeDir(), 'tgauth.h'))) fail(`tgauth.h not found in ${includeDir()}`);
  run(process.execPath, [nodeGypScript(), 'rebuild', '--release', ...nodeDirArgs()], {
    cwd: packageDir,
    env: { ...process.env, TGAUTH_LIB_DIR: lib },
  });
  // Fails here, not at the user's first require, if a symbol is missing.
  if (!prebuilt.loads().ok) fail('the addon was built but does not load');
}

/** Why this install builds from source even if a prebuilt addon is there, or null. */
function sourceBuildWanted() {
  if (process.env.TGAUTH_BUILD_FROM_SOURCE === '1' || process.env.npm_config_build_from_source === 'true') {
    return 'asked for: TGAUTH_BUILD_FROM_SOURCE=1 or --build-from-source';
  }
  if (process.env.TGAUTH_LIB_DIR) return 'TGAUTH_LIB_DIR is set';
  const root = repoRoot();
  if (root && fs.realpathSync(packageDir) === fs.realpathSync(path.join(root, 'bindings', 'node'))) {
    return 'installing inside the repository';
  }
  return null;
}

function main() {
  sync();
  const forced = sourceBuildWanted();
  const why = forced || prebuilt.usePrebuilt();
  if (why === null) {
    process.stderr.write(`tgauth: using the prebuilt addon for ${prebuilt.target()}\n`);
    return;
  }
  process.stderr.write(`tgauth: building the addon from source (${why})\n`);
  buildFromSource();
}

module.exports = { buildFromSource };

if (require.main === module) main();
