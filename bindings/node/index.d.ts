// Type declarations for tgauth: native Telegram login.

/// <reference types="node" />

/** A data center: its id, host and port. */
export interface DcAddress {
  id: number;
  host: string;
  port: number;
}

/** An MTProto transport (core.telegram.org/mtproto/mtproto-transports). */
export type Transport = 'abridged' | 'intermediate' | 'padded' | 'full';

export interface ClientOptions {
  /** The DCs to use, the first the home DC. Absent: Telegram's production DCs. */
  dcs?: readonly DcAddress[] | null;
  /** RSA public keys (PKCS#1 PEM) for the handshake. Absent: Telegram's own keys. */
  rsaKeys?: readonly string[] | null;
  /** A session file (auth keys, home DC), created with mode 0600. Absent: in memory. */
  session?: string | null;
  /** Deadline of one request, in milliseconds. */
  timeout?: number;
  /** FLOOD_WAIT of at most this many seconds is slept through and retried; 0: never. */
  floodSleepThreshold?: number;
  /** Telegram's test DCs instead of production (when `dcs` is absent). */
  testServers?: boolean;
  /** initConnection parameters. */
  deviceModel?: string;
  systemVersion?: string;
  appVersion?: string;
  systemLangCode?: string;
  langPack?: string;
  langCode?: string;
  /** The transport; default 'intermediate'. */
  transport?: Transport;
  /**
   * Wrap the transport in obfuscated2, which networks that block MTProto often let through.
   * Not with 'full': that combination throws a TypeError at once.
   */
  obfuscated?: boolean;
  /** Start from a Telethon or GramJS string session (its DC and auth key). */
  sessionString?: string | null;
  /** The app of every call that names none (with `apiHash`; both or neither). */
  apiId?: number | null;
  apiHash?: string | null;
}

/** codeSettings of auth.sendCode. Everything absent: the defaults. */
export interface CodeSettings {
  allowFlashcall?: boolean;
  currentNumber?: boolean;
  allowAppHash?: boolean;
  allowMissedCall?: boolean;
  allowFirebase?: boolean;
  unknownNumber?: boolean;
  logoutTokens?: readonly Uint8Array[];
  token?: string;
  appSandbox?: boolean;
}

export interface SendCodeParams {
  /** International format; '+', spaces, '-', '(' and ')' are ignored by Telegram. */
  phoneNumber: string;
  /** A positive 32-bit integer, from my.telegram.org. Absent (with `apiHash`): the client's app. */
  apiId?: number;
  apiHash?: string;
  settings?: CodeSettings | null;
}

export interface RequestOptions {
  /** Aborting cancels the request in the core; the promise rejects with AbortError. */
  signal?: AbortSignal | null;
}

/** How a code is (or will next be) delivered: auth.SentCodeType / auth.CodeType. */
export type CodeTypeKind =
  | 'app'
  | 'sms'
  | 'call'
  | 'flash_call'
  | 'missed_call'
  | 'email_code'
  | 'set_up_email_required'
  | 'fragment_sms'
  | 'firebase_sms'
  | 'sms_word'
  | 'sms_phrase';

/** The code that was sent. Fields other than `kind` are present when the type has them. */
export type SentCodeType =
  | { kind: 'app' | 'sms' | 'call'; length: number }
  | { kind: 'flash_call'; pattern: string }
  | { kind: 'missed_call'; prefix: string; length: number }
  | {
      kind: 'email_code';
      emailPattern: string;
      length: number;
      appleSigninAllowed: boolean;
      googleSigninAllowed: boolean;
      resetAvailablePeriod?: number;
      resetPendingDate?: number;
    }
  | { kind: 'set_up_email_required'; appleSigninAllowed: boolean; googleSigninAllowed: boolean }
  | { kind: 'fragment_sms'; url: string; length: number }
  | {
      kind: 'firebase_sms';
      length: number;
      firebaseNonce?: Buffer;
      playIntegrityNonce?: Buffer;
      playIntegrityProjectId?: bigint;
      receipt?: string;
      pushTimeout?: number;
    }
  | { kind: 'sms_word' | 'sms_phrase'; beginning?: string };

/** auth.sentCode: a code was sent. */
export interface SentCodeCode {
  kind: 'code';
  type: SentCodeType;
  phoneCodeHash: string;
  /** How the code will be sent if the user asks again (auth.resendCode); null: no other way. */
  nextType: CodeTypeKind | null;
  /** Seconds before the next type may be requested; null when absent. */
  timeout: number | null;
}

/** auth.sentCodeSuccess: logged in already (a logout token was accepted). */
export interface SentCodeSuccess {
  kind: 'success';
  type: null;
  phoneCodeHash: string;
  nextType: null;
  timeout: null;
  /** auth.authorizationSignUpRequired. */
  signUpRequired: boolean;
  /** The authorized user's id; null when unknown. */
  userId: bigint | null;
  futureAuthToken: Buffer | null;
}

/** auth.sentCodePaymentRequired: Telegram asks for a payment before sending the code. */
export interface SentCodePaymentRequired {
  kind: 'paymentRequired';
  type: null;
  phoneCodeHash: string;
  nextType: null;
  timeout: null;
  storeProduct: string | null;
  supportEmailAddress: string | null;
  supportEmailSubject: string | null;
  currency: string | null;
  amount: bigint;
  premiumDays: number;
}

export type SentCode = SentCodeCode | SentCodeSuccess | SentCodePaymentRequired;

/** A Telegram user, as a login step names it. 64-bit ids are bigints. */
export interface User {
  id: bigint;
  /** 0n when the server sent none. */
  accessHash: bigint;
  /** '' when absent. */
  firstName: string;
  lastName: string;
  /** Without the '@'; null when none. */
  username: string | null;
  /** Digits only; null when hidden (and for bots). */
  phone: string | null;
  bot: boolean;
}

/** The outcome of a login step (auth.Authorization). */
export interface Authorization {
  /** Who is now signed in (null only when `signUpRequired`). */
  user: User | null;
  /** The number has no account yet (signIn rejects with SignUpRequiredError instead). */
  signUpRequired: boolean;
  /** The terms of service to show when `signUpRequired`; null otherwise. */
  termsOfService: string | null;
  termsOfServiceId: string | null;
  /** A token that logs this number back in without a code; null when absent. */
  futureAuthToken: Buffer | null;
  /** Telegram asks the account to set a cloud password. */
  setupPasswordRequired: boolean;
  /** Days after which Telegram asks this device to log in again; null when absent. */
  otherwiseReloginDays: number | null;
}

/** An authorization that names its user. */
export type SignedInAuthorization = Authorization & { user: User };

/** What Telegram says of the account's cloud password (account.getPassword). */
export interface PasswordInfo {
  hasPassword: boolean;
  /** The hint the user set; null when none. */
  hint: string | null;
  /** Whether a recovery email is set. */
  hasRecovery: boolean;
}

/** The number and the hash sendCode gave. */
export interface CodeRef {
  phoneNumber: string;
  phoneCodeHash: string;
}

export interface SignInParams extends CodeRef {
  /** The code the user received. */
  phoneCode: string;
}

export interface SignUpParams extends CodeRef {
  /** 1..64 characters (Telegram refuses others with errors.FirstnameInvalid). */
  firstName: string;
  lastName?: string | null;
}

/** An app: both or neither (neither: the client's). */
export interface AppParams {
  apiId?: number;
  apiHash?: string;
}

export interface SignInBotParams extends AppParams {
  /** The token from @BotFather ("123:abc..."). */
  botToken: string;
}

export interface ResendCodeParams extends CodeRef {
  /** Why the code is asked again (auth.resendCode's reason); absent: none. */
  reason?: string | null;
}

export interface QrLoginParams extends AppParams {
  /** Each tg://login URL to show as a QR code, with when Telegram stops accepting it. */
  onToken: (url: string, expires: Date) => void;
  /** How long to wait for an app to accept a token; default 30 times the client's timeout. */
  timeoutMs?: number;
}

export interface StartParams extends AppParams {
  /** The number, or an (async) function returning it. */
  phoneNumber: string | (() => string | Promise<string>);
  /** Asked for the code that was sent; asked again after a wrong one (3 times in all). */
  phoneCode: (sentCode: SentCodeCode) => string | Promise<string>;
  /** Asked for the cloud password, given its hint; asked again after a wrong one (3 times in all). */
  password?: ((hint: string | null) => string | Promise<string>) | null;
  /** The names to sign a number with no account up with; absent: SignUpRequiredError. */
  firstName?: string | null;
  lastName?: string | null;
  /** sendCode's code settings. */
  settings?: CodeSettings | null;
}

/** A string session format of another library. */
export type SessionFormat = 'telethon' | 'gramjs' | 'pyrogram' | 'mtcute';

/** Who a session is signed in as. */
export interface SignedInAs {
  id: bigint;
  bot: boolean;
}

/** A tgauth client. Production Telegram unless `dcs` (or `testServers`) says otherwise. */
export class Client {
  constructor(options?: ClientOptions);
  /**
   * auth.sendCode. Follows *_MIGRATE errors, sleeps through FLOOD_WAIT up to
   * `floodSleepThreshold`, and otherwise rejects with a TgauthError.
   * @throws TypeError / RangeError (as a rejection) for bad arguments, before the core is asked.
   */
  sendCode(params: SendCodeParams, options?: RequestOptions): Promise<SentCode>;
  /**
   * auth.signIn. Rejects with SessionPasswordNeededError (then checkPassword),
   * SignUpRequiredError (then signUp), errors.PhoneCodeInvalid (try again),
   * errors.PhoneCodeExpired (send a new code), ...
   */
  signIn(params: SignInParams, options?: RequestOptions): Promise<SignedInAuthorization>;
  /** auth.signUp after SignUpRequiredError. */
  signUp(params: SignUpParams, options?: RequestOptions): Promise<SignedInAuthorization>;
  /** The 2FA step; a wrong password rejects with errors.PasswordHashInvalid. */
  checkPassword(password: string, options?: RequestOptions): Promise<SignedInAuthorization>;
  /** account.getPassword: whether there is a cloud password, and its hint. */
  passwordInfo(options?: RequestOptions): Promise<PasswordInfo>;
  /** auth.importBotAuthorization; the user has `bot` set. */
  signInBot(params: SignInBotParams, options?: RequestOptions): Promise<SignedInAuthorization>;
  /** auth.resendCode, by the previous answer's nextType. */
  resendCode(params: ResendCodeParams, options?: RequestOptions): Promise<SentCode>;
  /** auth.cancelCode: the hash is dead afterwards. */
  cancelCode(params: CodeRef, options?: RequestOptions): Promise<void>;
  /** auth.logOut: the future auth token (null when none); the next sendCode sends it. */
  logOut(options?: RequestOptions): Promise<Buffer | null>;
  /**
   * The whole login in GramJS's shape: code (asked again after a wrong one), cloud password,
   * sign-up with `firstName` when the number has no account.
   */
  start(params: StartParams, options?: RequestOptions): Promise<SignedInAuthorization>;
  /**
   * QR login: `onToken` gets each URL to show; resolves once an app accepted one. Rejects with
   * SessionPasswordNeededError (then checkPassword), TimeoutError, AbortError.
   */
  qrLogin(params: QrLoginParams, options?: RequestOptions): Promise<SignedInAuthorization>;
  /** auth.acceptLoginToken: approves another device's QR login (the tg://login URL or token). */
  acceptLoginToken(url: string, options?: RequestOptions): Promise<void>;
  /** The session as a string session of another library; SessionError before there is a key. */
  exportSession(format: SessionFormat, options?: RequestOptions): Promise<string>;
  /** Who the session is signed in as; null when nobody is. */
  signedIn(options?: RequestOptions): Promise<SignedInAs | null>;
  /** True once close() was called. */
  readonly closed: boolean;
  /** Cancels every request in flight (they reject with CancelledError) and frees the client. */
  close(): void;
  [Symbol.dispose](): void;
}

export interface TestDCApp {
  id: number;
  hash: string;
}

export interface TestDCOptions {
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** First port (P, P+1, ...); 0 (default): free ports. */
  port?: number;
  /** How many DCs; default 3. */
  dcs?: number;
  /** RSA private key (PEM); default: a fresh RSA-2048 key. */
  keyPem?: string;
  /** Registered apps; default one, made up. */
  apps?: readonly TestDCApp[];
  /** Apps registered as published (400 API_ID_PUBLISHED_FLOOD). */
  publishedApps?: readonly TestDCApp[];
  /** Codes per number per hour before FLOOD_WAIT; 0: no limit. Default 5. */
  codeLimit?: number;
  /** Faults on purpose, e.g. "drop=0.05,delay=0.1" (TESTDC.md). */
  faults?: string;
}

/** The test DC's counters (tg_testdc_stats_json's, in camelCase). */
export interface TestDCStats {
  [counter: string]: number;
  authKeysCreated: number;
  connections: number;
  sendCodeCalls: number;
  faultsInjected: number;
  dhPairsReadyMade: number;
}

/** A code the test DC sent. */
export interface TestDCCode {
  dc: number;
  code: string;
  phoneCodeHash: string;
  phoneNumber: string;
}

/** A local Telegram data center running in this process. */
export class TestDC {
  private constructor();
  static start(options?: TestDCOptions): Promise<TestDC>;
  /** Its DCs, the first the home one: `new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey] })`. */
  readonly dcs: readonly Readonly<DcAddress>[];
  /** PKCS#1 PEM. */
  readonly rsaPublicKey: string;
  /** The key's fingerprint, a signed 64-bit integer. */
  readonly fingerprint: bigint;
  /** A registered app. */
  readonly apiId: number;
  readonly apiHash: string;
  /** The cloud password (2FA) of the 99967X... accounts. */
  readonly password: string;
  /** A bot token it accepts (signInBot). */
  readonly botToken: string;
  /** The codes sent so far to a number. */
  codes(phoneNumber: string): TestDCCode[];
  /**
   * Approves a QR login as the account of `phoneNumber` (the URL onToken got, or the bare
   * token). Throws InvalidArgumentError for an unknown, expired or accepted token.
   */
  acceptLoginToken(url: string, phoneNumber: string): void;
  /** Its counters (auth keys created, connections, ...). */
  stats(): TestDCStats;
  /** Stops every DC. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Base of every error tgauth reports; `result` is the core's tg_result value. */
export class TgauthError extends Error {
  constructor(message?: string, options?: { result?: number; cause?: unknown });
  readonly result: number;
}

/** The server answered with an RPC error. Documented ones are subclasses under `errors`. */
export class RpcError extends TgauthError {
  constructor(
    message?: string,
    options?: { code?: number; errorMessage?: string; value?: number | null; cause?: unknown },
  );
  /** 303, 400, 420, ... */
  readonly code: number;
  /** The error's name without its number: 'PHONE_MIGRATE', 'FLOOD_WAIT'. */
  readonly errorMessage: string;
  /** The number taken out of the name (a DC id, seconds); null when there is none. */
  readonly value: number | null;
}

/** The core refused an argument. */
export class InvalidArgumentError extends TgauthError {}
/** Connecting, reading or writing failed. */
export class NetworkError extends TgauthError {}
/** The request's deadline (`timeout`) passed. */
export class TimeoutError extends TgauthError {}
/** The request was cancelled: the client was closed. */
export class CancelledError extends TgauthError {}
/** The request's AbortSignal fired. */
export class AbortError extends CancelledError {
  readonly code: 'ABORT_ERR';
}
/** The peer failed a protocol security check. */
export class SecurityError extends TgauthError {}
/** The session file is unusable, locked or corrupt. */
export class SessionError extends TgauthError {}
/** A bug in tgauth. */
export class InternalError extends TgauthError {}
/** The server sent something tgauth cannot understand. */
export class ProtocolError extends TgauthError {}
/** A local file or socket could not be opened. */
export class IoError extends TgauthError {}

/**
 * 401 SESSION_PASSWORD_NEEDED: the account has a cloud password; finish with checkPassword.
 * The same class as errors.SessionPasswordNeeded.
 */
export { SessionPasswordNeeded as SessionPasswordNeededError } from './errors';

/** Not an RPC error: the number has no account yet (signIn's answer); sign it up with signUp. */
export class SignUpRequiredError extends TgauthError {
  constructor(
    message?: string,
    options?: {
      termsOfService?: string;
      termsOfServiceId?: string | null;
      phoneNumber?: string | null;
      phoneCodeHash?: string | null;
      cause?: unknown;
    },
  );
  /** The terms of service to show ('' when Telegram sent none). */
  readonly termsOfService: string;
  readonly termsOfServiceId: string | null;
  /** What to pass to signUp. */
  readonly phoneNumber: string | null;
  readonly phoneCodeHash: string | null;
}

/** One class per documented RPC error (bindings/errors.json). */
export * as errors from './errors';

/** The version of the native library. */
export const version: string;
