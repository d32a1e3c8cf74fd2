#!/usr/bin/env bash
# `make test-packages`, Node half: the npm tarball a user installs without a compiler.
#   1. npm pack in bindings/node: the tarball must carry prebuilds/<platform>-<arch>/tgauth.node,
#      built from the current library (TGAUTH_LIB_DIR, else cargo builds it);
#   2. a fresh project installs the tarball with only node, npm and sh on PATH (no cc, c++,
#      make, python or cargo), then requires it and sends a code to the in-process test DC;
#   3. the same tarball with TGAUTH_BUILD_FROM_SOURCE=1 and still no toolchain must fail,
#      which shows step 2 used the prebuilt addon and the fallback is a source build; and a
#      prebuilt addon that does not fit (another libc) is passed over for a source build.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
pkg="$root/bindings/node"
version="$(python3 "$here/version.py")"
target="$(node -p 'process.platform + "-" + process.arch')"

fail() {
    echo "test-npm: FAIL: $*" >&2
    exit 1
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- 1. npm pack --------------------------------------------------------------------------------
# The package's own dev dependencies (node-addon-api) build the addon.
[ -d "$pkg/node_modules/node-addon-api" ] || (cd "$pkg" && npm install --no-audit --no-fund --ignore-scripts >/dev/null)
(cd "$pkg" && npm pack --pack-destination "$work" >"$work/pack.log" 2>&1) || { cat "$work/pack.log" >&2; fail "npm pack"; }
tarball="$work/tgauth-$version.tgz"
[ -f "$tarball" ] || { ls "$work" >&2; fail "npm pack made no tgauth-$version.tgz"; }
tar -tzf "$tarball" >"$work/contents.txt"
for f in "prebuilds/$target/tgauth.node" "prebuilds/$target/prebuild.json" package.json index.js lib/native.js scripts/install.js; do
    grep -qx "package/$f" "$work/contents.txt" || fail "the tarball lacks $f"
done
[ ! -e "$pkg/prebuilds" ] || fail "postpack left bindings/node/prebuilds behind"
echo "test-npm: packed $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB) with prebuilds/$target"

# --- 2. install with no compiler ------------------------------------------------------------------
bin="$work/bin"
mkdir -p "$bin"
ln -s "$(command -v node)" "$bin/node"
ln -s "$(readlink -f "$(command -v npm)")" "$bin/npm"
ln -s "$(command -v sh)" "$bin/sh"
no_compiler() {
    env -u TGAUTH_LIB_DIR -u TGAUTH_SOURCE_DIR -u TGAUTH_INCLUDE_DIR -u npm_config_build_from_source \
        PATH="$bin" "$@"
}
for tool in cc gcc c++ g++ clang make python3 cargo; do
    if no_compiler sh -c "command -v $tool" >/dev/null 2>&1; then fail "$tool is still on the restricted PATH"; fi
done

app="$work/app"
mkdir -p "$app"
printf '{ "name": "app", "version": "1.0.0", "private": true }\n' >"$app/package.json"
(cd "$app" && no_compiler npm install --no-audit --no-fund --prefer-offline --foreground-scripts "$tarball" >"$work/install.log" 2>&1) || {
    cat "$work/install.log" >&2
    fail "npm install of the tarball without a compiler"
}
grep -q "using the prebuilt addon for $target" "$work/install.log" || { cat "$work/install.log" >&2; fail "the install did not say it used the prebuilt addon"; }

cat >"$app/smoke.js" <<'EOF'
const assert = require('assert');
const path = require('path');
const tgauth = require('tgauth');
const pkg = require('tgauth/package.json');

(async () => {
  const want = process.argv[2];
  assert.strictEqual(pkg.version, want, 'package.json version');
  assert.strictEqual(tgauth.version, want, 'tg_version() of the prebuilt addon');
  const dir = path.dirname(require.resolve('tgauth'));
  assert.ok(dir.startsWith(path.join(__dirname, 'node_modules')), `tgauth loaded from ${dir}`);
  const dc = await tgauth.TestDC.start();
  const client = new tgauth.Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey], timeout: 15000 });
  try {
    const sent = await client.sendCode({ phoneNumber: '+9996621234', apiId: dc.apiId, apiHash: dc.apiHash });
    assert.ok(sent.phoneCodeHash, 'phoneCodeHash');
    assert.ok(dc.codes('+9996621234').length > 0, 'the test DC sent no code');
    console.log(`smoke: tgauth ${tgauth.version} (prebuilt): phoneCodeHash=${sent.phoneCodeHash}`);
  } finally {
    client.close();
    await dc.stop();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
EOF
(cd "$app" && no_compiler node smoke.js "$version") || fail "the installed tarball's smoke test"

# --- 3. the source fallback needs a toolchain ---------------------------------------------------------
app2="$work/app2"
mkdir -p "$app2"
cp "$app/package.json" "$app2/package.json"
if (cd "$app2" && TGAUTH_BUILD_FROM_SOURCE=1 no_compiler npm install --no-audit --no-fund --prefer-offline --foreground-scripts "$tarball" >"$work/install2.log" 2>&1); then
    fail "a source build without a toolchain succeeded: step 2 proves nothing"
fi
grep -q "building the addon from source (asked for: TGAUTH_BUILD_FROM_SOURCE=1" "$work/install2.log" || {
    cat "$work/install2.log" >&2
    fail "TGAUTH_BUILD_FROM_SOURCE=1 did not build from source"
}
echo "test-npm: TGAUTH_BUILD_FROM_SOURCE=1 without a toolchain fails, as it should"
meta="$app/node_modules/tgauth/prebuilds/$target/prebuild.json"
node -e 'const fs = require("fs"); const m = JSON.parse(fs.readFileSync(process.argv[1])); m.libc = "other-libc"; fs.writeFileSync(process.argv[1], JSON.stringify(m))' "$meta"
if (cd "$app" && no_compiler npm rebuild tgauth --foreground-scripts >"$work/rebuild.log" 2>&1); then
    fail "npm rebuild with a prebuilt addon for another libc and no toolchain succeeded"
fi
grep -q "building the addon from source (the prebuilt addon does not fit: built against other-libc" "$work/rebuild.log" || {
    cat "$work/rebuild.log" >&2
    fail "a prebuilt addon for another libc was not passed over"
}
echo "test-npm: a prebuilt addon for another libc is passed over for a source build"
echo "test-npm: ok"
