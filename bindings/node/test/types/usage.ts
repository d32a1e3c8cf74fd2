// Compiled (never run) by types.test.js: what a TypeScript user writes.
import { Client, ClientOptions, TestDC, RpcError, TimeoutError, AbortError, errors, SentCode, Transport } from 'tgauth';

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

void main();
