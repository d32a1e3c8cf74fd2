'use strict';
// Prebuilt addons carried by the npm tarball: prebuilds/<platform>-<arch>/tgauth.node and a
// prebuild.json saying what it was built for. `npm pack` makes the one for the packing machine
// (scripts/prebuild.js, the `prepack` script); `npm install` uses it when it fits (install.js),
// else builds from source.
//
// It fits when the platform, the CPU architecture and the C library family (glibc or musl)
// are the ones it was built on, this Node supports its Node-API version, it was built for this
// package version, and it loads (a glibc older than the one it was linked against fails there).

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { packageDir } = require('./locate');

const NAPI_VERSION = 8; // binding.gyp's NAPI_VERSION
const prebuildsDir = path.join(packageDir, 'prebuilds');
const builtAddon = path.join(packageDir, 'build', 'Release', 'tgauth.node');

function target() {
  return `${process.platform}-${process.arch}`;
}

/** 'glibc' or 'musl' on Linux, null elsewhere. */
function libc() {
  if (process.platform !== 'linux') return null;
  const header = process.report && process.report.getReport().header;
  return header && header.glibcVersionRuntime ? 'glibc' : 'musl';
}

function packageVersion() {
  return JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
}

/** What a prebuilt addon made here and now is for. */
function describe() {
  return { target: target(), libc: libc(), napi: NAPI_VERSION, version: packageVersion() };
}

/** Why the prebuilt addon for this machine does not fit, or null when it does. */
function mismatch(meta) {
  const here = describe();
  if (meta.target !== here.target) return `built for ${meta.target}, this is ${here.target}`;
  if (meta.libc !== here.libc) return `built against ${meta.libc}, this system has ${here.libc}`;
  if (!(Number(process.versions.napi) >= meta.napi)) {
    return `needs Node-API ${meta.napi}, this Node has ${process.versions.napi}`;
  }
  if (meta.version !== here.version) return `built for tgauth ${meta.version}, this package is ${here.version}`;
  return null;
}

/** Whether the addon at build/Release loads in a fresh Node (stderr says why not). */
function loads(quiet = false) {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(builtAddon)})`], {
    stdio: ['ignore', 'ignore', quiet ? 'pipe' : 2],
    encoding: 'utf8',
  });
  return { ok: r.status === 0, stderr: r.stderr || '' };
}

/**
 * Puts the prebuilt addon for this machine at build/Release/tgauth.node when there is one
 * that fits and loads. Returns null on success, else the reason it was not used.
 */
function usePrebuilt() {
  const dir = path.join(prebuildsDir, target());
  let meta;
  try {
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'prebuild.json'), 'utf8'));
  } catch {
    return `no prebuilt addon for ${target()}`;
  }
  const why = mismatch(meta);
  if (why) return `the prebuilt addon does not fit: ${why}`;
  fs.mkdirSync(path.dirname(builtAddon), { recursive: true });
  fs.copyFileSync(path.join(dir, 'tgauth.node'), builtAddon);
  const { ok, stderr } = loads(true);
  if (!ok) {
    fs.rmSync(builtAddon, { force: true });
    const first = stderr.split('\n').find((l) => /Error/.test(l)) || stderr.trim().split('\n')[0] || 'unknown error';
    return `the prebuilt addon does not load here: ${first.trim()}`;
  }
  return null;
}

module.exports = { prebuildsDir, builtAddon, target, describe, mismatch, loads, usePrebuilt };
