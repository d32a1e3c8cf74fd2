'use strict';
// The compiled addon (src/addon.cc), built by `npm install`.
const path = require('path');

const built = path.join(__dirname, '..', 'build', 'Release', 'tgauth.node');
try {
  module.exports = require(built);
} catch (e) {
  e.message = `tgauth: cannot load the native addon ${built} (run npm install in the package): ${e.message}`;
  throw e;
}
