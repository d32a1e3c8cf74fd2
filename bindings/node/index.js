'use strict';
// tgauth: native Telegram login. See index.d.ts for the API.
const native = require('./lib/native');
const { Client } = require('./lib/client');
const { TestDC } = require('./lib/testdc');
const errors = require('./lib/errors');

module.exports = {
  Client,
  TestDC,
  TgauthError: errors.TgauthError,
  RpcError: errors.RpcError,
  InvalidArgumentError: errors.InvalidArgumentError,
  NetworkError: errors.NetworkError,
  TimeoutError: errors.TimeoutError,
  CancelledError: errors.CancelledError,
  AbortError: errors.AbortError,
  SecurityError: errors.SecurityError,
  SessionError: errors.SessionError,
  InternalError: errors.InternalError,
  ProtocolError: errors.ProtocolError,
  IoError: errors.IoError,
  SessionPasswordNeededError: errors.SessionPasswordNeededError,
  SignUpRequiredError: errors.SignUpRequiredError,
  errors: errors.errors,
  /** The version of the native library. */
  version: native.version,
};
