// Compiled (never run) by types.test.js: what a TypeScript user writes.
import {
  Client, ClientOptions, TestDC, RpcError, TimeoutError, AbortError, errors, SentCode, Transport, Authorization,
  SignedInAuthorization, PasswordInfo, SessionPasswordNeededError, SignUpRequiredError, SessionFormat, SignedInAs, User,
} from 'tgauth';

async function main(): Promise<void> {
  const dc = await TestDC.start({ dcs: 3, codeLimit: 0, apps: [{ id: 1, hash: 'x' }] });
  const client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey], timeout: 10_000, floodSleepThreshold: 0 });
  const controller = new AbortController();
  try {
    const sent: SentCode = await client.sendCode(
      { phoneNumber: '+9996621234', apiId: dc.apiId, apiHash: dc.apiHash, settings: { allowAppHash: true } },
      { signal: controller.signal },
    );
    if (sent.kind === 'code') {
      const length: number | undefined = 'length' in sent.type ? sent.type.length : undefined;
      const next: string | null = sent.nextType;
      const timeout: number | null = sent.timeout;
      console.log(sent.type.kind, length, sent.phoneCodeHash, next, timeout);
    } else if (sent.kind === 'success') {
      const id: bigint | null = sent.userId;
      console.log(id);
    } else {
      const amount: bigint = sent.amount;
      console.log(amount, sent.currency);
    }
    const transport: Transport = 'abridged';
    const options: ClientOptions = { dcs: dc.dcs, transport, obfuscated: true, sessionString: null, apiId: dc.apiId, apiHash: dc.apiHash };
    const withApp = new Client(options);
    await withApp.sendCode({ phoneNumber: '+9996621234' });
    withApp.close();
    const keys: number = dc.stats().authKeysCreated;
    console.log(keys);
    const codes = dc.codes('+9996621234');
    console.log(codes[0].code, codes[0].dc, dc.fingerprint + 1n);
    await login(client, dc, controller.signal);
  } catch (e) {
    if (e instanceof errors.PhoneMigrate) {
      const dcId: number | null = e.value;
      console.log(dcId, errors.PhoneMigrate.errorMessage);
    } else if (e instanceof RpcError) {
      console.log(e.code, e.errorMessage, e.value);
    } else if (e instanceof TimeoutError || e instanceof AbortError) {
      console.log(e.result);
    }
  } finally {
    client.close();
    await dc.stop();
  }
}

async function login(client: Client, dc: TestDC, signal: AbortSignal): Promise<void> {
  const phoneNumber = '+9996711234';
  const sent = await client.sendCode({ phoneNumber, apiId: dc.apiId, apiHash: dc.apiHash });
  let auth: SignedInAuthorization;
  try {
    auth = await client.signIn({ phoneNumber, phoneCodeHash: sent.phoneCodeHash, phoneCode: dc.codes(phoneNumber)[0].code }, { signal });
  } catch (e) {
    if (e instanceof SessionPasswordNeededError) {
      const info: PasswordInfo = await client.passwordInfo();
      const hint: string | null = info.hint;
      console.log(hint, e.code, errors.SessionPasswordNeeded.errorMessage);
      auth = await client.checkPassword(dc.password);
    } else if (e instanceof SignUpRequiredError) {
      const terms: string = e.termsOfService;
      console.log(terms);
      auth = await client.signUp({ phoneNumber, phoneCodeHash: sent.phoneCodeHash, firstName: 'Ada', lastName: null });
    } else if (e instanceof errors.PhoneCodeInvalid) {
      return;
    } else {
      throw e;
    }
  }
  const user: User = auth.user;
  const id: bigint = user.id;
  const phone: string | null = user.phone;
  const relogin: number | null = auth.otherwiseReloginDays;
  console.log(id, phone, user.username, user.bot, relogin, auth.futureAuthToken?.length);

  const again = await client.resendCode({ phoneNumber, phoneCodeHash: sent.phoneCodeHash, reason: null });
  const nothing: void = await client.cancelCode({ phoneNumber, phoneCodeHash: again.phoneCodeHash });
  console.log(nothing);
  const bot: Authorization = await client.signInBot({ botToken: dc.botToken });
  console.log(bot.user?.bot);
  const token: Buffer | null = await client.logOut({ signal });
  console.log(token);
  const started = await client.start({
    phoneNumber: async () => phoneNumber,
    phoneCode: async (code) => dc.codes(phoneNumber).find((c) => c.phoneCodeHash === code.phoneCodeHash)?.code ?? '',
    password: async (hint) => (hint === null ? dc.password : dc.password),
    firstName: 'Ada',
  });
  console.log(started.user.firstName);
  const qr = await client.qrLogin({
    onToken: (url: string, expires: Date) => dc.acceptLoginToken(url, phoneNumber),
    timeoutMs: 60_000,
  }, { signal });
  console.log(qr.user.id);
  await client.acceptLoginToken('tg://login?token=abc');
  const format: SessionFormat = 'gramjs';
  const session: string = await client.exportSession(format);
  const who: SignedInAs | null = await client.signedIn();
  console.log(session, who?.id, who?.bot);
}

void main();
