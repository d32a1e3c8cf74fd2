//! The client side of the auth-key handshake (`ClientHandshake`) fed arbitrary server
//! answers after `start`: it must return errors, never panic.
//!
//! Input: `[selector, ...]`. Selector bit 0:
//!
//! - 0: raw: up to 5 length-prefixed (u16) answers. With selector bit 1 set, the client's
//!   nonce is written over bytes 4..20 of each answer and the first answer's bytes 20..36
//!   (resPQ's server_nonce) over the later ones' 20..36, where every handshake answer keeps
//!   them, so the fuzzer gets past the nonce checks.
//! - 1: guided: the harness is a server holding the private key of a key the client
//!   trusts, so it can read new_nonce and wrap the fuzzer's server_DH_inner_data (nonces
//!   patched in) and dh_gen answers correctly. Honest choices finish the handshake, and then the client's
//!   key, salt and retry ids are checked against the harness's.
#![no_main]

use grammers_tl_types::{enums, functions, types, Deserializable, Identifiable, Serializable};
use libfuzzer_sys::fuzz_target;
use tgauth::protocol::cipher::AuthKey;
use tgauth::protocol::handshake::client::{ClientHandshake, ClientStep};
use tgauth::protocol::handshake::dh::{self, TELEGRAM_DH_PRIME};
use tgauth::protocol::handshake::rsa::builtin_keys;
use tgauth::protocol::message::constructor_of;
use tgauth_fuzz::{encrypt_with_hash, patched, rsa_key, rsa_public, tmp_aes, Input};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let selector = input.u8();
    if selector & 1 == 0 {
        raw(&mut input, selector & 2 != 0);
    } else {
        guided(&mut input);
    }
});

fn trusted() -> Vec<tgauth::protocol::handshake::rsa::RsaPublicKey> {
    let mut keys = builtin_keys();
    keys.push(rsa_public());
    keys
}

fn start() -> (ClientHandshake, [u8; 16]) {
    let (hs, body) = ClientHandshake::start(trusted(), -2);
    // Functions deserialize bare: the constructor id comes first on the wire.
    assert_eq!(
        constructor_of(&body),
        Some(functions::ReqPqMulti::CONSTRUCTOR_ID)
    );
    let functions::ReqPqMulti { nonce } =
        functions::ReqPqMulti::from_bytes(&body[4..]).expect("req_pq_multi decodes");
    (hs, nonce)
}

fn raw(input: &mut Input<'_>, patch: bool) {
    let (mut hs, nonce) = start();
    let mut server_nonce: Option<Vec<u8>> = None;
    for _ in 0..5 {
        if input.is_empty() {
            break;
        }
        let mut answer = input.piece().to_vec();
        if patch {
            answer = patched(&answer, 4, &nonce);
            match &server_nonce {
                None => server_nonce = answer.get(20..36).map(<[u8]>::to_vec),
                Some(sn) => answer = patched(&answer, 20, sn),
            }
        }
        let _ = hs.handle(&answer);
    }
}

/// A known 64-bit pq (the samples page's): 0x17ED48941A08F981 = 0x494C553B * 0x53911073.
const SAMPLE_PQ: u64 = 0x17ED_4894_1A08_F981;

fn guided(input: &mut Input<'_>) {
    let (mut hs, nonce) = start();
    let flags = input.u8();
    let server_nonce = input.array::<16>();

    // resPQ.
    let pq = match flags & 3 {
        0 | 1 => SAMPLE_PQ.to_be_bytes().to_vec(),
        2 => input.take(8).to_vec(),
        _ => input.piece().to_vec(),
    };
    let mut fingerprints = vec![rsa_public().fingerprint()];
    if flags & 4 != 0 {
        fingerprints.insert(0, i64::from(input.u32()));
    }
    let res_pq = enums::ResPq::Pq(types::ResPq {
        nonce: if flags & 8 != 0 { [0; 16] } else { nonce },
        server_nonce,
        pq: pq.clone(),
        server_public_key_fingerprints: fingerprints,
    })
    .to_bytes();
    let Ok(ClientStep::Send(req)) = hs.handle(&res_pq) else {
        return rest(hs, input);
    };
    // The client answered: pq factored into p < q, the request names our key.
    assert_eq!(
        constructor_of(&req),
        Some(functions::ReqDhParams::CONSTRUCTOR_ID)
    );
    let req = functions::ReqDhParams::from_bytes(&req[4..]).expect("req_DH_params decodes");
    assert_eq!((req.nonce, req.server_nonce), (nonce, server_nonce));
    assert_eq!(req.public_key_fingerprint, rsa_public().fingerprint());
    let (p, q) = (be(&req.p), be(&req.q));
    assert!(
        p < q && u128::from(p) * u128::from(q) == u128::from(be(&pq)),
        "bad p, q"
    );
    let block: [u8; 256] = req
        .encrypted_data
        .as_slice()
        .try_into()
        .expect("a 256-byte block");
    let data = rsa_key().decrypt_rsa_pad(&block).expect("RSA_PAD decrypts");
    let enums::PQInnerData::Dc(inner) =
        enums::PQInnerData::from_bytes(&data).expect("p_q_inner_data_dc decodes")
    else {
        panic!("the client sends p_q_inner_data_dc");
    };
    assert_eq!(
        (inner.nonce, inner.server_nonce, inner.dc),
        (nonce, server_nonce, -2)
    );
    let new_nonce = inner.new_nonce;
    let (key, iv) = tmp_aes(&server_nonce, &new_nonce);

    // server_DH_params: ok (honest or fuzzed inner data) or fail.
    let mode = input.u8();
    let a = input.array::<32>();
    let g = 3u8;
    let g_a = dh::modpow_2048(&[g], &a, &TELEGRAM_DH_PRIME);
    let server_time = input.u32() as i32;
    let answer = match mode % 8 {
        // server_DH_params_fail, with the right hash or not.
        0 => {
            let mut hash = [0u8; 16];
            if mode & 8 != 0 {
                use sha1::Digest;
                hash.copy_from_slice(&sha1::Sha1::digest(new_nonce)[4..20]);
            }
            enums::ServerDhParams::Fail(types::ServerDhParamsFail {
                nonce,
                server_nonce,
                new_nonce_hash: hash,
            })
            .to_bytes()
        }
        // Raw encrypted_answer.
        1 => ok_params(nonce, server_nonce, input.piece().to_vec()),
        // Fuzzed server_DH_inner_data, well wrapped.
        2 => {
            // The nonces patched in where server_DH_inner_data keeps them.
            let inner = patched(&patched(input.piece(), 4, &nonce), 20, &server_nonce);
            let extra = usize::from(mode >> 4) * 16;
            ok_params(
                nonce,
                server_nonce,
                encrypt_with_hash(&inner, &key, &iv, extra),
            )
        }
        // Honest, with a fuzzed prime, g or g_a.
        3 => {
            let which = input.u8();
            let mut dh_prime = TELEGRAM_DH_PRIME.to_vec();
            let mut g_a = g_a.to_vec();
            let mut g = i32::from(g);
            match which % 3 {
                0 => dh_prime = input.piece().to_vec(),
                1 => g_a = input.piece().to_vec(),
                _ => g = input.u32() as i32,
            }
            let inner = server_dh_inner(nonce, server_nonce, g, dh_prime, g_a, server_time);
            ok_params(nonce, server_nonce, encrypt_with_hash(&inner, &key, &iv, 0))
        }
        // Honest.
        _ => {
            let inner = server_dh_inner(
                nonce,
                server_nonce,
                i32::from(g),
                TELEGRAM_DH_PRIME.to_vec(),
                g_a.to_vec(),
                server_time,
            );
            ok_params(nonce, server_nonce, encrypt_with_hash(&inner, &key, &iv, 0))
        }
    };
    let Ok(ClientStep::Send(set_params)) = hs.handle(&answer) else {
        return rest(hs, input);
    };
    let honest_dh = mode % 8 >= 4;

    // set_client_DH_params, answered with dh_gen_ok / retry / fail, possibly several times.
    let mut body = set_params;
    let mut previous_key: Option<AuthKey> = None;
    for _ in 0..7 {
        assert_eq!(
            constructor_of(&body),
            Some(functions::SetClientDhParams::CONSTRUCTOR_ID)
        );
        let set = functions::SetClientDhParams::from_bytes(&body[4..]).expect("decodes");
        assert_eq!((set.nonce, set.server_nonce), (nonce, server_nonce));
        let mut client_inner = set.encrypted_data.clone();
        assert_eq!(client_inner.len() % 16, 0);
        grammers_crypto::aes::ige_decrypt(&mut client_inner, &key, &iv);
        let enums::ClientDhInnerData::Data(client_inner) =
            enums::ClientDhInnerData::from_bytes(&client_inner[20..]).expect("decodes");
        let expected_retry_id = previous_key
            .as_ref()
            .map_or(0, |k| i64::from_le_bytes(k.aux_hash()));
        assert_eq!(client_inner.retry_id, expected_retry_id);
        // Both ends' view of the key (only meaningful with the honest g_a and prime).
        let auth_key =
            AuthKey::from_bytes(dh::modpow_2048(&client_inner.g_b, &a, &TELEGRAM_DH_PRIME));
        let choice = input.u8();
        let right_hash = choice & 4 == 0;
        let hash = |n: u8| {
            if right_hash {
                auth_key.new_nonce_hash(&new_nonce, n)
            } else {
                [choice; 16]
            }
        };
        let answer = match choice % 4 {
            0 | 1 => enums::SetClientDhParamsAnswer::DhGenOk(types::DhGenOk {
                nonce,
                server_nonce,
                new_nonce_hash1: hash(1),
            }),
            2 => enums::SetClientDhParamsAnswer::DhGenRetry(types::DhGenRetry {
                nonce,
                server_nonce,
                new_nonce_hash2: hash(2),
            }),
            _ => enums::SetClientDhParamsAnswer::DhGenFail(types::DhGenFail {
                nonce,
                server_nonce,
                new_nonce_hash3: hash(3),
            }),
        }
        .to_bytes();
        match hs.handle(&answer) {
            Ok(ClientStep::Done(outcome)) => {
                assert!(choice % 4 < 2, "Done on a retry or fail");
                if honest_dh {
                    assert!(right_hash, "dh_gen_ok accepted with a wrong hash");
                    assert_eq!(outcome.auth_key.bytes(), auth_key.bytes(), "keys differ");
                }
                let mut salt = [0u8; 8];
                for i in 0..8 {
                    salt[i] = new_nonce[i] ^ server_nonce[i];
                }
                assert_eq!(outcome.first_salt, i64::from_le_bytes(salt));
                break;
            }
            Ok(ClientStep::Send(next)) => {
                assert_eq!(choice % 4, 2, "a new request after {choice}");
                previous_key = Some(auth_key);
                body = next;
            }
            Err(_) => break,
        }
    }
    rest(hs, input);
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

fn ok_params(nonce: [u8; 16], server_nonce: [u8; 16], encrypted_answer: Vec<u8>) -> Vec<u8> {
    enums::ServerDhParams::Ok(types::ServerDhParamsOk {
        nonce,
        server_nonce,
        encrypted_answer,
    })
    .to_bytes()
}

fn server_dh_inner(
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    g: i32,
    dh_prime: Vec<u8>,
    g_a: Vec<u8>,
    server_time: i32,
) -> Vec<u8> {
    enums::ServerDhInnerData::Data(types::ServerDhInnerData {
        nonce,
        server_nonce,
        g,
        dh_prime,
        g_a,
        server_time,
    })
    .to_bytes()
}

/// Whatever input is left goes to the finished (or failed) state machine.
fn rest(mut hs: ClientHandshake, input: &mut Input<'_>) {
    for _ in 0..2 {
        if input.is_empty() {
            break;
        }
        let _ = hs.handle(input.piece());
    }
}
