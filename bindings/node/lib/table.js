'use strict';
// The table of documented RPC errors, bindings/errors.json, shared with the Python package.
// Inside the tgauth repository the package reads the repository's file (so it is never stale);
// installed elsewhere it reads the copy that `npm install` / `prepare` put beside package.json.

const fs = require('fs');
const path = require('path');
const { packageDir, isTgauthRepo } = require('../scripts/locate');

function candidates() {
  const list = [];
  if (isTgauthRepo(path.resolve(packageDir, '..', '..'))) list.push(path.resolve(packageDir, '..', 'errors.json'));
  list.push(path.join(packageDir, 'errors.json'));
  return list;
}

function validate(table, source) {
  if (!Array.isArray(table)) throw new Error(`${source}: expected a JSON array`);
  const seen = new Set();
  for (const [i, e] of table.entries()) {
    const where = `${source}[${i}]`;
    if (e === null || typeof e !== 'object') throw new Error(`${where}: expected an object`);
    if (typeof e.name !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(e.name)) throw new Error(`${where}.name: expected an RPC error name`);
    if (!Number.isInteger(e.code)) throw new Error(`${where}.code: expected an integer`);
    if (typeof e.class !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(e.class)) throw new Error(`${where}.class: expected a class name`);
    if (typeof e.description !== 'string') throw new Error(`${where}.description: expected a string`);
    if (seen.has(e.name) || seen.has(`class ${e.class}`)) throw new Error(`${where}: duplicate ${e.name} / ${e.class}`);
    seen.add(e.name);
    seen.add(`class ${e.class}`);
  }
  return table;
}

/** { table, source }: the first readable errors.json. */
function loadErrorTable() {
  const tried = [];
  for (const file of candidates()) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      tried.push(file);
      continue;
    }
    return { table: validate(JSON.parse(text), file), source: file };
  }
  throw new Error(`tgauth: errors.json not found (looked at ${tried.join(', ')}); reinstall the package`);
}

module.exports = { loadErrorTable };
