// Sends a Telegram login code, the way GramJS's examples do it.
//
//   npm install && node send_code.js [+phone]
//
// With TG_API_ID and TG_API_HASH set (from my.telegram.org) it asks Telegram itself, for the
// number given (or TG_PHONE). Otherwise it starts a local test DC in this process and asks it.
const { Client, TestDC, RpcError } = require('tgauth');

(async () => {
  let dc = null;
  let client;
  let apiId;
  let apiHash;
  let phoneNumber = process.argv[2] || process.env.TG_PHONE;

  if (process.env.TG_API_ID && process.env.TG_API_HASH) {
    apiId = Number(process.env.TG_API_ID);
    apiHash = process.env.TG_API_HASH;
    if (!phoneNumber) {
      console.error('usage: node send_code.js +PHONE (or set TG_PHONE)');
      process.exit(2);
    }
    client = new Client({ session: 'send_code.session', timeout: 15000 });
  } else {
    dc = await TestDC.start();
    apiId = dc.apiId;
    apiHash = dc.apiHash;
    phoneNumber = phoneNumber || '+9996621234'; // a number of the test DC's DC 2
    client = new Client({ dcs: dc.dcs, rsaKeys: [dc.rsaPublicKey], timeout: 15000 });
    console.log(`Test DC listening on ${dc.dcs.map((d) => `${d.host}:${d.port}`).join(', ')}`);
  }

  try {
    const sent = await client.sendCode({ phoneNumber, apiId, apiHash, settings: {} });
    if (sent.kind === 'code') {
      console.log(`Code sent to ${phoneNumber} by ${sent.type.kind}` +
        (sent.type.length ? ` (${sent.type.length} digits)` : ''));
      console.log(`phone_code_hash: ${sent.phoneCodeHash}`);
      if (sent.nextType) console.log(`Next: ${sent.nextType} after ${sent.timeout} s`);
    } else {
      console.log(`Telegram answered ${sent.kind}`);
    }
    if (dc) {
      const codes = dc.codes(phoneNumber);
      console.log(`The test DC's code: ${codes[codes.length - 1].code}`);
    }
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
