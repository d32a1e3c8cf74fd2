'use strict';
// Shared by the tests: the package under test, number makers and a server that never answers.
const net = require('net');
const path = require('path');
const crypto = require('crypto');

const packageDir = path.resolve(__dirname, '..');
const tgauth = require(packageDir);

/** +99966XYYYY: a number the test DC homes on DC `dcId` (login code: dcId repeated 5 times). */
function dcNumber(dcId, n) {
  return `+99966${dcId}${String(n).padStart(4, '0')}`;
}

let serial = 0;
/** A fresh number of DC `dcId`, so tests never share one (codes are kept per number). */
function freshNumber(dcId) {
  serial += 1;
  return dcNumber(dcId, (process.pid * 37 + serial * 101) % 10000);
}

/** The test DC's DCs, with DC `homeId` first (the first is the client's home DC). */
function homeFirst(dc, homeId) {
  const home = dc.dcs.find((d) => d.id === homeId);
  return [home, ...dc.dcs.filter((d) => d.id !== homeId)];
}

/** A TCP server that accepts connections and never answers. */
async function blackhole() {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    connections: () => sockets.size,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Some RSA public key, PKCS#1 PEM (for clients that never get as far as using it). */
function someRsaKey() {
  return crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  }).publicKey;
}

module.exports = { tgauth, packageDir, dcNumber, freshNumber, homeFirst, blackhole, someRsaKey };
