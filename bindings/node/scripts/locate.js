'use strict';
// Where the pieces of a build come from. Shared by install.js (which may build the Rust
// library first) and binding.gyp (which asks `node scripts/locate.js <what>`).
//
//   TGAUTH_LIB_DIR      a directory holding a prebuilt libtgauth.a (no cargo build then)
//   TGAUTH_SOURCE_DIR   the tgauth repository, when the package is not inside it
//
// Otherwise the repository is ../../ of this package (installed from the repo, npm links it
// there), or the one recorded in vendor/source.json when the package was copied out of it.

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const packageDir = path.resolve(__dirname, '..');
const vendorDir = path.join(packageDir, 'vendor');
const recordedSource = path.join(vendorDir, 'source.json');

function isTgauthRepo(dir) {
  try {
    const manifest = fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8');
    return /^\s*name\s*=\s*"tgauth"\s*$/m.test(manifest);
  } catch {
    return false;
  }
}

/** The tgauth repository to build from, or null. */
function repoRoot() {
  const candidates = [];
  if (process.env.TGAUTH_SOURCE_DIR) candidates.push(process.env.TGAUTH_SOURCE_DIR);
  candidates.push(path.resolve(packageDir, '..', '..'));
  try {
    candidates.push(JSON.parse(fs.readFileSync(recordedSource, 'utf8')).root);
  } catch {
    // not recorded: the package was not copied out of a repository
  }
  for (const dir of candidates) {
    if (dir && isTgauthRepo(dir)) return path.resolve(dir);
  }
  return null;
}

/** cargo's target directory for the repository (honours CARGO_TARGET_DIR and config). */
function cargoTargetDir(root) {
  try {
    const out = execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps', '--offline'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(out).target_directory;
  } catch {
    return path.join(root, 'target');
  }
}

/** The directory that holds (or will hold, after cargo build) libtgauth.a. */
function libDir() {
  if (process.env.TGAUTH_LIB_DIR) return path.resolve(process.env.TGAUTH_LIB_DIR);
  const root = repoRoot();
  if (!root) return null;
  return path.join(cargoTargetDir(root), 'release');
}

/** The directory holding tgauth.h for the compiler: the repository's, else the vendored copy. */
function includeDir() {
  if (process.env.TGAUTH_INCLUDE_DIR) return path.resolve(process.env.TGAUTH_INCLUDE_DIR);
  const root = repoRoot();
  if (root && fs.existsSync(path.join(root, 'include', 'tgauth.h'))) return path.join(root, 'include');
  return vendorDir;
}

// node-addon-api is a build-time dependency. npm installs it beside the package, except when
// the package is a folder linked from outside the installing project (`npm install
// ./bindings/node` from elsewhere): npm installs no dependencies of such a link, so install.js
// then fetches it from the registry into vendor/build-deps.
const buildDepsDir = path.join(vendorDir, 'build-deps');

/** node-addon-api's directory, or null when it is not installed. */
function nodeAddonApiDir() {
  for (const base of [packageDir, buildDepsDir]) {
    try {
      return path.dirname(require.resolve('node-addon-api/package.json', { paths: [base] }));
    } catch {
      // not there
    }
  }
  return null;
}

module.exports = {
  packageDir, vendorDir, recordedSource, buildDepsDir, isTgauthRepo, repoRoot, libDir, includeDir, nodeAddonApiDir,
};

if (require.main === module) {
  const what = process.argv[2];
  let answer;
  if (what === 'lib-dir') answer = libDir();
  else if (what === 'static-lib') answer = libDir() && path.join(libDir(), 'libtgauth.a');
  else if (what === 'include-dir') answer = includeDir();
  else if (what === 'repo-root') answer = repoRoot();
  else if (what === 'node-addon-api-dir') answer = nodeAddonApiDir();
  else {
    process.stderr.write('usage: node scripts/locate.js lib-dir|static-lib|include-dir|repo-root|node-addon-api-dir\n');
    process.exit(2);
  }
  if (!answer) {
    process.stderr.write(`tgauth: cannot locate ${what}: set TGAUTH_LIB_DIR or TGAUTH_SOURCE_DIR\n`);
    process.exit(1);
  }
  process.stdout.write(answer);
}
