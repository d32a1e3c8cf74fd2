// Logs in to Telegram from a phone number, all the way: the code, the cloud password, a
// sign-up; or by QR code. Prints who signed in.
//
//   npm install && node login.js [+PHONE] [--qr]
//
// With TG_API_ID and TG_API_HASH set (from my.telegram.org) it logs in to Telegram itself
// (TG_TEST_SERVERS=1: Telegram's test DCs), asks for the code and the cloud password on the
// terminal, and keeps the session in TG_SESSION (default login.session). Otherwise it starts a
// local test DC in this process and needs no typing: the test DC tells the code and knows the
// password of its 2FA accounts (PHONE defaults to +9996721234, an account with a cloud password
// on DC 2). --qr logs in by QR code: the URL to show is printed (against the test DC, the test
// DC approves it as PHONE's account).
const readline = require('readline');
const { Client, TestDC, RpcError, SessionPasswordNeededError } = require('tgauth');

/** Asks a question on the terminal; `hidden` does not echo the answer. */
function ask(question, { hidden = false } = {}) {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    if (hidden) {
      rl._writeToOutput = (s) => {
        if (s.startsWith(question)) rl.output.write(s);
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (hidden) process.stdout.write('\n');
      resolve(answer.trim());
    });
  });
}

(async () => {
  const qr = process.argv.includes('--qr');
  let phoneNumber = process.argv.slice(2).find((a) => a !== '--qr') || process.env.TG_PHONE;
  let dc = null;
  let client;
  let phoneCode;
  let password;

  if (process.env.TG_API_ID && process.env.TG_API_HASH) {
    client = new Client({
      apiId: Number(process.env.TG_API_ID),
      apiHash: process.env.TG_API_HASH,
      testServers: process.env.TG_TEST_SERVERS === '1',
      session: process.env.TG_SESSION || 'login.session',
      timeout: 15000,
    });
    if (!phoneNumber && !qr) phoneNumber = await ask('Phone number (international format): ');
    phoneCode = (sent) => ask(`The code Telegram sent (${sent.type.kind}${sent.type.length ? `, ${sent.type.length} digits` : ''}): `);
    password = (hint) => ask(`Cloud password${hint ? ` (hint: ${hint})` : ''}: `, { hidden: true });
  } else {
    dc = await TestDC.start();
    console.log(`Test DC listening on ${dc.dcs.map((d) => `${d.host}:${d.port}`).join(', ')}`);
    phoneNumber = phoneNumber || '+9996721234';
    client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey], apiId: dc.apiId, apiHash: dc.apiHash, timeout: 15000 });
    phoneCode = (sent) => {
      const code = dc.codes(phoneNumber).find((c) => c.phoneCodeHash === sent.phoneCodeHash).code;
      console.log(`The test DC sent ${code} (${sent.type.kind})`);
      return code;
    };
    password = (hint) => {
      console.log(`Cloud password asked (hint: ${hint}): the test DC's is '${dc.password}'`);
      return dc.password;
    };
  }

  try {
    let auth;
    if (qr) {
      try {
        auth = await client.qrLogin({
          onToken: (url, expires) => {
            console.log(`Scan this with a signed-in Telegram app (until ${expires.toLocaleTimeString()}):\n  ${url}`);
            if (dc) dc.acceptLoginToken(url, phoneNumber);
          },
        });
      } catch (err) {
        if (!(err instanceof SessionPasswordNeededError)) throw err;
        const info = await client.passwordInfo();
        auth = await client.checkPassword(await password(info.hint));
      }
    } else {
      auth = await client.start({ phoneNumber, phoneCode, password, firstName: 'New', lastName: 'User' });
    }
    const { user } = auth;
    const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
    console.log(`Signed in as ${name || '(no name)'}${user.username ? ` @${user.username}` : ''}` +
      ` (id ${user.id}${user.bot ? ', a bot' : ''}${user.phone ? `, +${user.phone}` : ''})`);
  } catch (err) {
    if (err instanceof RpcError) {
      console.error(`Telegram refused: ${err.code} ${err.errorMessage}` + (err.value !== null ? ` (${err.value})` : ''));
    } else {
      console.error(err);
    }
    process.exitCode = 1;
  } finally {
    client.close();
    if (dc) await dc.stop();
  }
})();
