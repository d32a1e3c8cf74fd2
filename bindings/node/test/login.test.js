'use strict';
// The whole login against the in-process test DC (TESTDC.md "Accounts and the rest of the
// login"): sign-in, wrong codes, 2FA, sign-up, bots, resend/cancel, log-out and back, QR,
// exportSession, start().
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('child_process');
const { tgauth, packageDir, homeFirst } = require('./helpers');

const {
  Client, TestDC, RpcError, errors, SessionPasswordNeededError, SignUpRequiredError, AbortError,
  CancelledError, SessionError, InvalidArgumentError,
} = tgauth;

let serial = 0;
/** A fresh number `+<prefix><dc>NNNN` (99966: plain, 99967: 2FA, 99968: no account yet). */
function number(prefix, dcId) {
  serial += 1;
  return `+${prefix}${dcId}${String((process.pid * 53 + serial * 97) % 10000).padStart(4, '0')}`;
}
const digits = (phone) => phone.replace(/\D/g, '');
const codeOf = (dcId) => String(dcId).repeat(5);

describe('login', () => {
  let dc;
  const clients = [];
  before(async () => {
    dc = await TestDC.start({ dcs: 3, codeLimit: 0 });
  });
  after(async () => {
    for (const c of clients) c.close();
    await dc.stop();
  });

  /** A client whose home is DC `homeId` (1 by default), with the test DC's app. */
  function client(homeId = 1) {
    const c = new Client({ dcs: homeFirst(dc, homeId), rsaKeys: [dc.rsaPublicKey], apiId: dc.apiId, apiHash: dc.apiHash, timeout: 10000 });
    clients.push(c);
    return c;
  }

  /** A client signed in as a fresh 99966X number, and that number. */
  async function signedInClient(dcId = 1) {
    const c = client(dcId);
    const phone = number('99966', dcId);
    const sent = await c.sendCode({ phoneNumber: phone });
    const auth = await c.signIn({ phoneNumber: phone, phoneCodeHash: sent.phoneCodeHash, phoneCode: codeOf(dcId) });
    return { client: c, phone, auth };
  }

  function assertUser(auth, phone) {
    assert.equal(typeof auth.user.id, 'bigint');
    assert.equal(auth.user.id, BigInt(digits(phone)));
    assert.equal(typeof auth.user.accessHash, 'bigint');
    assert.equal(auth.user.phone, digits(phone));
    assert.equal(auth.user.firstName, 'Test');
    assert.equal(auth.user.bot, false);
    assert.equal(auth.signUpRequired, false);
    assert.equal(auth.termsOfService, null);
  }

  it('signs in after a migration, and knows who signed in', async () => {
    const c = client(1);
    const phone = number('99966', 2);
    assert.equal(await c.signedIn(), null);
    const sent = await c.sendCode({ phoneNumber: phone });
    assert.equal(sent.kind, 'code');
    const auth = await c.signIn({ phoneNumber: phone, phoneCodeHash: sent.phoneCodeHash, phoneCode: '22222' });
    assertUser(auth, phone);
    assert.ok(auth.futureAuthToken === null || Buffer.isBuffer(auth.futureAuthToken));
    assert.ok(auth.otherwiseReloginDays === null || Number.isInteger(auth.otherwiseReloginDays));
    assert.deepEqual(await c.signedIn(), { id: BigInt(digits(phone)), bot: false });
  });

  it('rejects a wrong code with PhoneCodeInvalid, then takes the right one', async () => {
    const c = client(1);
    const phone = number('99966', 1);
    const sent = await c.sendCode({ phoneNumber: phone });
    await assert.rejects(c.signIn({ phoneNumber: phone, phoneCodeHash: sent.phoneCodeHash, phoneCode: '12345' }), (e) => {
      assert.ok(e instanceof errors.PhoneCodeInvalid, String(e));
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, 400);
      assert.equal(e.errorMessage, 'PHONE_CODE_INVALID');
      return true;
    });
    assertUser(await c.signIn({ phoneNumber: phone, phoneCodeHash: sent.phoneCodeHash, phoneCode: '11111' }), phone);
  });

  it('asks for the cloud password: a wrong one, then the right one', async () => {
    const c = client(1);
    const phone = number('99967', 1);
    const sent = await c.sendCode({ phoneNumber: phone });
    await assert.rejects(c.signIn({ phoneNumber: phone, phoneCodeHash: sent.phoneCodeHash, phoneCode: '11111' }), (e) => {
      assert.ok(e instanceof SessionPasswordNeededError, String(e));
      assert.ok(e instanceof errors.SessionPasswordNeeded);
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, 401);
      assert.equal(e.errorMessage, 'SESSION_PASSWORD_NEEDED');
      return true;
    });
    assert.deepEqual(await c.passwordInfo(), { hasPassword: true, hint: 'the usual one', hasRecovery: false });
    await assert.rejects(c.checkPassword('not it'), errors.PasswordHashInvalid);
    assert.equal(await c.signedIn(), null);
    const auth = await c.checkPassword(dc.password);
    assert.equal(auth.user.id, BigInt(digits(phone)));
    assert.deepEqual(await c.signedIn(), { id: BigInt(digits(phone)), bot: false });
  });

  it('signs a new number up after SignUpRequiredError', async () => {
    const c = client(1);
    const phone = number('99968', 3);
    const sent = await c.sendCode({ phoneNumber: phone });
    assert.equal(sent.type.kind, 'sms');
    const refused = await c.signIn({ phoneNumber: phone, phoneCodeHash: sent.phoneCodeHash, phoneCode: '33333' }).then(
      () => assert.fail('signed in without an account'),
      (e) => e,
    );
    assert.ok(refused instanceof SignUpRequiredError, String(refused));
    assert.ok(!(refused instanceof RpcError));
    assert.equal(typeof refused.termsOfService, 'string');
    assert.ok(refused.termsOfService.length > 0, 'the terms of service are shown');
    assert.equal(refused.phoneNumber, phone);
    assert.equal(refused.phoneCodeHash, sent.phoneCodeHash);
    await assert.rejects(c.signUp({ phoneNumber: phone, phoneCodeHash: sent.phoneCodeHash, firstName: '' }), errors.FirstnameInvalid);
    const auth = await c.signUp({ phoneNumber: phone, phoneCodeHash: sent.phoneCodeHash, firstName: 'Ada', lastName: 'Lovelace' });
    assert.equal(auth.user.id, BigInt(digits(phone)));
    assert.equal(auth.user.firstName, 'Ada');
    assert.equal(auth.user.lastName, 'Lovelace');
  });

  it('signs a bot in, and refuses a wrong token', async () => {
    const c = client(1);
    await assert.rejects(c.signInBot({ botToken: '1:not-the-token' }), errors.AccessTokenInvalid);
    const auth = await c.signInBot({ botToken: dc.botToken, apiId: dc.apiId, apiHash: dc.apiHash });
    assert.equal(auth.user.bot, true);
    assert.equal(auth.user.id, BigInt(dc.botToken.split(':')[0]));
    assert.deepEqual(await c.signedIn(), { id: auth.user.id, bot: true });
  });

  it('resends the code by its next type, and cancels it', async () => {
    const c = client(2);
    const phone = number('99966', 2);
    const sent = await c.sendCode({ phoneNumber: phone });
    assert.equal(sent.type.kind, 'app');
    assert.equal(sent.nextType, 'sms');
    const again = await c.resendCode({ phoneNumber: phone, phoneCodeHash: sent.phoneCodeHash });
    assert.equal(again.kind, 'code');
    assert.equal(again.type.kind, 'sms');
    assert.equal(again.phoneCodeHash, sent.phoneCodeHash);
    assert.equal(await c.cancelCode({ phoneNumber: phone, phoneCodeHash: sent.phoneCodeHash }), undefined);
    await assert.rejects(c.signIn({ phoneNumber: phone, phoneCodeHash: sent.phoneCodeHash, phoneCode: '22222' }), errors.PhoneCodeExpired);
  });

  it('logs out with a future auth token, and comes back without a code', async () => {
    const { client: c, phone, auth } = await signedInClient(1);
    const token = await c.logOut();
    assert.ok(Buffer.isBuffer(token) && token.length > 0, 'a future auth token');
    assert.equal(await c.signedIn(), null);
    const before = dc.codes(phone).length;
    const back = await c.sendCode({ phoneNumber: phone });
    assert.equal(back.kind, 'success');
    assert.equal(back.userId, auth.user.id);
    assert.equal(dc.codes(phone).length, before, 'no code was sent');
    assert.deepEqual(await c.signedIn(), { id: auth.user.id, bot: false });
  });

  it('logs in by QR code, approved by another signed-in client', async () => {
    const { client: approver, phone } = await signedInClient(1);
    const c = client(1);
    const urls = [];
    const approvals = [];
    const auth = await c.qrLogin({
      onToken: (url, expires) => {
        urls.push(url);
        assert.ok(expires instanceof Date && expires > new Date(Date.now() - 1000));
        approvals.push(approver.acceptLoginToken(url));
      },
    });
    assert.match(urls[0], /^tg:\/\/login\?token=[A-Za-z0-9_-]+/);
    assert.equal(auth.user.id, BigInt(digits(phone)));
    assert.deepEqual(await Promise.all(approvals), approvals.map(() => undefined));
    assert.deepEqual(await c.signedIn(), { id: BigInt(digits(phone)), bot: false });
    // A token that is not one is refused by the server.
    await assert.rejects(approver.acceptLoginToken('tg://login?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), errors.AuthTokenInvalid);
  });

  it('logs in by QR code accepted through the test DC, on another DC', async () => {
    const phone = number('99966', 3);
    const c = client(1);
    let tokens = 0;
    const auth = await c.qrLogin({
      apiId: dc.apiId,
      apiHash: dc.apiHash,
      onToken: (url) => {
        tokens += 1;
        dc.acceptLoginToken(url, phone);
      },
    });
    assert.ok(tokens >= 1);
    assert.equal(auth.user.id, BigInt(digits(phone)));
    assert.throws(() => dc.acceptLoginToken('tg://login?token=AAAA', phone), InvalidArgumentError);
  });

  it('QR login of a 2FA account asks for the password', async () => {
    const phone = number('99967', 1);
    const c = client(1);
    await assert.rejects(c.qrLogin({ onToken: (url) => dc.acceptLoginToken(url, phone) }), SessionPasswordNeededError);
    const auth = await c.checkPassword(dc.password);
    assert.equal(auth.user.id, BigInt(digits(phone)));
  });

  it('an AbortSignal cancels a pending qrLogin', async () => {
    const c = client(1);
    const controller = new AbortController();
    let tokens = 0;
    await assert.rejects(
      c.qrLogin({ onToken: () => { tokens += 1; controller.abort(new Error('the user closed the dialog')); } }, { signal: controller.signal }),
      (e) => {
        assert.ok(e instanceof AbortError, String(e));
        assert.equal(e.cause.message, 'the user closed the dialog');
        return true;
      },
    );
    assert.equal(tokens, 1);
    // The client still works afterwards.
    const phone = number('99966', 1);
    assert.equal((await c.sendCode({ phoneNumber: phone })).kind, 'code');
  });

  it('an exception in onToken ends the QR login with it', async () => {
    const c = client(1);
    await assert.rejects(c.qrLogin({ onToken: () => { throw new Error('no screen'); } }), /no screen/);
  });

  it('exports the session for Telethon, GramJS, Pyrogram and mtcute', async () => {
    const fresh = client(1);
    await assert.rejects(fresh.exportSession('telethon'), SessionError);
    const { client: c } = await signedInClient(1);
    const telethon = await c.exportSession('telethon');
    assert.match(telethon, /^1[A-Za-z0-9+/=_-]{300,}$/);
    const gramjs = await c.exportSession('gramjs');
    assert.match(gramjs, /^1[A-Za-z0-9+/=_-]{300,}$/);
    assert.notEqual(gramjs, telethon);
    // Pyrogram's string carries the user and the app; mtcute's the user: both differ.
    const pyrogram = await c.exportSession('pyrogram');
    assert.match(pyrogram, /^[A-Za-z0-9_-]{300,}$/);
    const mtcute = await c.exportSession('mtcute');
    assert.match(mtcute, /^[A-Za-z0-9_-]{300,}$/);
    assert.notEqual(pyrogram, mtcute);
    // Before anyone signed in, Pyrogram's cannot be written.
    await assert.rejects(fresh.exportSession('pyrogram'));
    await assert.rejects(c.exportSession('other'), RangeError);
    // Another client starts from the exported session: the same DC and key.
    const copy = new Client({ dcs: homeFirst(dc, 1), rsaKeys: [dc.rsaPublicKey], sessionString: telethon });
    clients.push(copy);
    assert.equal(await copy.exportSession('telethon'), telethon);
  });

  it('start() asks again after a wrong code', async () => {
    const c = client(1);
    const phone = number('99966', 2);
    const asked = [];
    const auth = await c.start({
      phoneNumber: async () => phone,
      phoneCode: async (sent) => {
        asked.push(sent.phoneCodeHash);
        return asked.length === 1 ? '00000' : '22222';
      },
      password: async () => assert.fail('no password is needed'),
    });
    assert.equal(asked.length, 2);
    assertUser(auth, phone);
    // Signed in already: start() asks nothing.
    const again = await c.start({ phoneNumber: phone, phoneCode: () => assert.fail('asked for a code') });
    assert.equal(again.user.id, BigInt(digits(phone)));
  });

  it('start() gives up after three wrong codes', async () => {
    const c = client(1);
    let asked = 0;
    await assert.rejects(c.start({ phoneNumber: number('99966', 1), phoneCode: () => { asked += 1; return '99999'; } }), errors.PhoneCodeInvalid);
    assert.equal(asked, 3);
  });

  it('start() asks for the password (again after a wrong one) and signs up with the names', async () => {
    const c = client(1);
    const phone = number('99967', 2);
    const hints = [];
    const auth = await c.start({
      phoneNumber: phone,
      phoneCode: () => '22222',
      password: async (hint) => {
        hints.push(hint);
        return hints.length === 1 ? 'wrong' : dc.password;
      },
    });
    assert.deepEqual(hints, ['the usual one', 'the usual one']);
    assert.equal(auth.user.id, BigInt(digits(phone)));

    const other = client(1);
    const newcomer = number('99968', 1);
    await assert.rejects(other.start({ phoneNumber: newcomer, phoneCode: () => '11111' }), SignUpRequiredError);
    const signedUp = await client(1).start({ phoneNumber: newcomer, phoneCode: () => '11111', firstName: 'Grace', lastName: 'Hopper' });
    assert.equal(signedUp.user.firstName, 'Grace');
  });

  it('checks arguments before the core, and refuses calls on a closed client', async () => {
    const c = client(1);
    await assert.rejects(c.signIn({ phoneNumber: '+99966100', phoneCodeHash: 'x' }), TypeError);
    await assert.rejects(c.signIn({ phoneNumber: '+99966100', phoneCodeHash: 'x', phoneCode: '1', extra: 1 }), /unknown option 'extra'/);
    await assert.rejects(c.signUp({ phoneNumber: '+99966100', phoneCodeHash: 'x', firstName: 'x'.repeat(300) }), RangeError);
    await assert.rejects(c.checkPassword(42), TypeError);
    await assert.rejects(c.qrLogin({}), /onToken must be a function/);
    await assert.rejects(c.acceptLoginToken(''), RangeError);
    await assert.rejects(c.signInBot({ botToken: '1:x', apiId: 1 }), /apiId and apiHash together/);
    const noApp = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey] });
    clients.push(noApp);
    await assert.rejects(noApp.signInBot({ botToken: '1:x' }), /no app/);
    await assert.rejects(noApp.qrLogin({ onToken() {} }), /no app/);
    c.close();
    for (const call of [() => c.logOut(), () => c.passwordInfo(), () => c.signedIn(), () => c.exportSession('telethon'), () => c.checkPassword('x')]) {
      await assert.rejects(call(), CancelledError);
    }
  });

  it('close() cancels a pending qrLogin, and nothing keeps the process alive', async () => {
    const script = `
      const { Client, TestDC, CancelledError } = require(process.env.TGAUTH_PACKAGE);
      (async () => {
        const dc = await TestDC.start({ dcs: 1 });
        const client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey], apiId: dc.apiId, apiHash: dc.apiHash });
        const pending = client.qrLogin({ onToken: () => setTimeout(() => client.close(), 50) }).then(
          () => 'resolved', (e) => (e instanceof CancelledError ? 'cancelled' : 'other ' + e));
        console.log(await pending);
        await dc.stop();
      })();
    `;
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, TGAUTH_PACKAGE: packageDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    const [code, signal] = await new Promise((resolve) => child.on('exit', (...a) => resolve(a)));
    clearTimeout(timer);
    assert.equal(signal, null, `killed: it did not exit by itself\n${out}\n${err}`);
    assert.equal(code, 0, err);
    assert.equal(out.trim(), 'cancelled');
  });
});
