//! The test DC's request decoding: the server side of the auth-key handshake
//! (`ServerHandshake`, with the fuzz crate's fixed 2048-bit RSA key) and `auth.sendCode`
//! (`functions::auth::SendCode::deserialize`, then `LoginDesk::send_code`).
//!
//! Input: `[selector, ...]`. Selector bits 0-1:
//!
//! - 0: raw: up to 6 length-prefixed (u16) bodies fed to one `ServerHandshake` in turn.
//! - 1: guided: the harness plays a client that knows the nonces and the server key, so the
//!   fuzzer's bytes reach the checks behind them: its p_q_inner_data is RSA-encrypted to
//!   the server key (RSA_PAD or the legacy scheme) or sent as a raw block, its
//!   client_DH_inner_data is AES-wrapped under the right temporary key, and a valid g_b
//!   (from a fuzzed exponent) lets the handshake finish, checked against the harness's own
//!   view of the key.
//! - 2, 3: `auth.sendCode`: the rest is the request's TL (the call alone, or wrapped in
//!   invokeWithLayer(initConnection(...)) as the client sends it), answered up to 3 times
//!   by one `LoginDesk` (code limits, AUTH_RESTART) with a fuzzed `CallContext`. The
//!   wrappers are unwrapped as the test DC does (`tgauth_fuzz::unwrap_query`: the test
//!   DC's `on_query` is private).
#![no_main]

use std::time::{Duration, SystemTime};

use grammers_tl_types::{enums, functions, types, Deserializable, Identifiable, Serializable};
use libfuzzer_sys::fuzz_target;
use tgauth::protocol::cipher::AuthKey;
use tgauth::protocol::handshake::dh::{self, TELEGRAM_DH_PRIME};
use tgauth::protocol::handshake::server::{ServerHandshake, ServerStep};
use tgauth::protocol::message::constructor_of;
use tgauth::testdc::logic::{
    normalize_phone, App, CallContext, LoginDesk, LoginRulesConfig, Outcome, CONSTRUCTOR_LAYERS,
    NEWEST_LAYER,
};
use tgauth_fuzz::{encrypt_with_hash, rsa_key, rsa_public, tmp_aes, unwrap_query, Input};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    match input.u8() & 3 {
        0 => raw_handshake(&mut input),
        1 => guided_handshake(&mut input),
        _ => send_code(&mut input),
    }
});

fn raw_handshake(input: &mut Input<'_>) {
    let mut hs = ServerHandshake::new(rsa_key());
    let accept = input.u8();
    for i in 0..6 {
        if input.is_empty() {
            break;
        }
        let body = input.piece();
        let _ = ServerHandshake::is_handshake_start(body);
        let _ = hs.handle(body, |_| accept >> i & 1 == 0);
    }
}

/// Big-endian bytes of a u64 without leading zeros, as TL carries p and q.
fn be_trimmed(n: u64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(7);
    bytes[first..].to_vec()
}

fn be_u64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// p_q_inner_data (any variant) with its nonces and pq set to the right ones.
fn fix_inner(inner: &mut enums::PQInnerData, nonce: [u8; 16], server_nonce: [u8; 16], pq: &[u8]) {
    macro_rules! fix {
        ($d:expr) => {{
            $d.nonce = nonce;
            $d.server_nonce = server_nonce;
            $d.pq = pq.to_vec();
            $d.new_nonce
        }};
    }
    let _ = match inner {
        enums::PQInnerData::Data(d) => fix!(d),
        enums::PQInnerData::Dc(d) => fix!(d),
        enums::PQInnerData::Temp(d) => fix!(d),
        enums::PQInnerData::TempDc(d) => fix!(d),
    };
}

fn new_nonce_of(inner: &enums::PQInnerData) -> [u8; 32] {
    match inner {
        enums::PQInnerData::Data(d) => d.new_nonce,
        enums::PQInnerData::Dc(d) => d.new_nonce,
        enums::PQInnerData::Temp(d) => d.new_nonce,
        enums::PQInnerData::TempDc(d) => d.new_nonce,
    }
}

fn guided_handshake(input: &mut Input<'_>) {
    let flags = input.u8();
    let mut hs = ServerHandshake::new(rsa_key());
    let public = rsa_public();

    // 1. req_pq_multi (or the legacy req_pq, same fields).
    let nonce = input.array::<16>();
    let req_pq = if flags & 1 == 0 {
        functions::ReqPqMulti { nonce }.to_bytes()
    } else {
        functions::ReqPq { nonce }.to_bytes()
    };
    assert!(ServerHandshake::is_handshake_start(&req_pq));
    let Ok(ServerStep::Reply(reply)) = hs.handle(&req_pq, |_| true) else {
        panic!("the server refused a well-formed req_pq_multi");
    };
    let enums::ResPq::Pq(res) = enums::ResPq::from_bytes(&reply).expect("resPQ decodes");
    assert_eq!(res.nonce, nonce);
    assert_eq!(
        res.server_public_key_fingerprints,
        vec![public.fingerprint()]
    );
    let server_nonce = res.server_nonce;
    let pq = be_u64(&res.pq);
    let (p, q) = dh::factorize_pq(pq).expect("the server's pq factors");

    // 2. req_DH_params with a fuzzed p_q_inner_data.
    let raw_inner = input.piece();
    let mut new_nonce = [0u8; 32];
    let inner = match enums::PQInnerData::from_bytes(raw_inner) {
        Ok(mut parsed) => {
            if flags & 2 == 0 {
                fix_inner(&mut parsed, nonce, server_nonce, &res.pq);
            }
            new_nonce = new_nonce_of(&parsed);
            parsed.to_bytes()
        }
        Err(_) => raw_inner.to_vec(),
    };
    let encrypted_data = match input.u8() % 4 {
        0 | 1 => match public.encrypt_rsa_pad(&inner) {
            Ok(block) => block.to_vec(),
            Err(_) => inner.clone(),
        },
        2 => match public.encrypt_legacy(&inner) {
            Ok(block) => block.to_vec(),
            Err(_) => inner.clone(),
        },
        _ => input.piece().to_vec(),
    };
    let tweak = input.u8();
    let req = functions::ReqDhParams {
        nonce: if tweak & 1 != 0 { [1; 16] } else { nonce },
        server_nonce: if tweak & 2 != 0 {
            [2; 16]
        } else {
            server_nonce
        },
        p: if tweak & 4 != 0 {
            be_trimmed(q)
        } else {
            be_trimmed(p)
        },
        q: if tweak & 8 != 0 {
            vec![0; 9]
        } else {
            be_trimmed(q)
        },
        public_key_fingerprint: if tweak & 16 != 0 {
            i64::from(tweak)
        } else {
            public.fingerprint()
        },
        encrypted_data: if tweak & 32 != 0 {
            // Leading zero bytes stripped, as some clients send the block.
            let start = encrypted_data.iter().position(|&b| b != 0).unwrap_or(0);
            encrypted_data[start..].to_vec()
        } else {
            encrypted_data
        },
    };
    let Ok(ServerStep::Reply(reply)) = hs.handle(&req.to_bytes(), |_| true) else {
        return feed_rest(hs, input);
    };
    // The server's answer must be what a client accepts.
    let enums::ServerDhParams::Ok(ok) =
        enums::ServerDhParams::from_bytes(&reply).expect("server_DH_params decodes")
    else {
        panic!("server_DH_params_fail after a good request");
    };
    assert_eq!((ok.nonce, ok.server_nonce), (nonce, server_nonce));
    let (key, iv) = tmp_aes(&server_nonce, &new_nonce);
    let mut answer = ok.encrypted_answer.clone();
    assert_eq!(answer.len() % 16, 0);
    grammers_crypto::aes::ige_decrypt(&mut answer, &key, &iv);
    let enums::ServerDhInnerData::Data(dh_inner) =
        enums::ServerDhInnerData::from_bytes(&answer[20..]).expect("server_DH_inner_data");
    dh::check_server_dh_params(dh_inner.g, &dh_inner.dh_prime, &dh_inner.g_a)
        .expect("the server's DH parameters pass the client's checks");

    // 3. set_client_DH_params, again after a dh_gen_retry.
    for round in 0..3 {
        let mode = input.u8();
        let exponent = input.array::<32>();
        let g_b = match mode % 4 {
            0 | 1 => dh::modpow_2048(&[dh_inner.g as u8], &exponent, &TELEGRAM_DH_PRIME).to_vec(),
            2 => input.piece().to_vec(),
            // Edge values: 1, p - 1, 2^1984.
            _ => match exponent[0] % 3 {
                0 => vec![1],
                1 => {
                    let mut v = TELEGRAM_DH_PRIME.to_vec();
                    v[255] -= 1;
                    v
                }
                _ => {
                    let mut v = vec![0u8; 256];
                    v[8] = 1;
                    v
                }
            },
        };
        let client_inner = if mode & 0x10 != 0 {
            input.piece().to_vec()
        } else {
            enums::ClientDhInnerData::Data(types::ClientDhInnerData {
                nonce,
                server_nonce,
                retry_id: i64::from(input.u32()),
                g_b: g_b.clone(),
            })
            .to_bytes()
        };
        let encrypted_data = if mode & 0x20 != 0 {
            input.piece().to_vec()
        } else {
            encrypt_with_hash(&client_inner, &key, &iv, usize::from(mode >> 6) * 16)
        };
        let body = functions::SetClientDhParams {
            nonce,
            server_nonce,
            encrypted_data,
        }
        .to_bytes();
        let accept = mode & 0x08 == 0 || round == 2;
        match hs.handle(&body, |_: &AuthKey| accept) {
            Ok(ServerStep::Done(reply, server_key)) => {
                assert!(accept);
                let Ok(enums::SetClientDhParamsAnswer::DhGenOk(gen)) =
                    enums::SetClientDhParamsAnswer::from_bytes(&reply)
                else {
                    panic!("Done without dh_gen_ok");
                };
                let auth_key = &server_key.outcome.auth_key;
                assert_eq!(gen.new_nonce_hash1, auth_key.new_nonce_hash(&new_nonce, 1));
                if mode % 4 < 2 && mode & 0x30 == 0 {
                    // We know b: both ends must hold the same key.
                    let ours = dh::modpow_2048(&dh_inner.g_a, &exponent, &TELEGRAM_DH_PRIME);
                    assert_eq!(auth_key.bytes(), &ours, "client and server keys differ");
                }
                break;
            }
            Ok(ServerStep::Reply(reply)) => {
                assert!(!accept, "a reply other than dh_gen_ok for an accepted key");
                assert!(matches!(
                    enums::SetClientDhParamsAnswer::from_bytes(&reply),
                    Ok(enums::SetClientDhParamsAnswer::DhGenRetry(_))
                ));
            }
            Err(_) => break,
        }
    }
    feed_rest(hs, input);
}

/// Whatever input is left goes to the finished (or failed) state machine.
fn feed_rest(mut hs: ServerHandshake, input: &mut Input<'_>) {
    for _ in 0..3 {
        if input.is_empty() {
            break;
        }
        let body = input.piece();
        let _ = hs.handle(body, |_| true);
    }
}

/// The apps the desk knows: one normal, one published.
fn desk(input: &mut Input<'_>) -> LoginDesk {
    let b = input.u8();
    LoginDesk::new(LoginRulesConfig {
        dc_count: i32::from(b & 7) - 1,
        apps: vec![
            App {
                id: 17349,
                hash: "344583e45741c457fe1862106095a5eb".to_owned(),
                published: false,
            },
            App {
                id: 4,
                hash: "014b35b6184100b085b0d0572f9b5103".to_owned(),
                published: true,
            },
        ],
        code_limit: u32::from(b >> 3 & 3),
    })
}

fn send_code(input: &mut Input<'_>) {
    let desk = desk(input);
    let dc_id = i32::from(input.u8() % 8);
    // The test DC accepts layers 150..=newest from invokeWithLayer.
    let layer = 150 + i32::from(input.u8()) % (NEWEST_LAYER - 149);
    let auth_key_id = i64::from(input.u32());
    let session_id = i64::from(input.u32());
    let start =
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + u64::from(input.u16()));
    let steps = [input.u16(), input.u16()];
    let wrapped = input.u8() & 1 == 1;
    let tl = input.rest();

    // Functions deserialize bare, after their constructor id.
    let (req, layer) = if wrapped {
        let Some(unwrapped) = unwrap_query(tl) else {
            return;
        };
        let layer = match unwrapped.layer {
            // The test DC answers CONNECTION_LAYER_INVALID outside 150..=newest.
            Some(l) if !(150..=NEWEST_LAYER).contains(&l) => return,
            Some(l) => l,
            None => layer,
        };
        (unwrapped.query, layer)
    } else {
        (tl, layer)
    };
    if constructor_of(req) != Some(functions::auth::SendCode::CONSTRUCTOR_ID) {
        return;
    }
    let Ok(req) = functions::auth::SendCode::from_bytes(&req[4..]) else {
        return;
    };
    let mut now = start;
    for step in 0..3 {
        let ctx = CallContext {
            dc_id,
            layer,
            auth_key_id,
            session_id,
            now,
        };
        let (outcome, effects) = desk.send_code(&ctx, &req);
        check_outcome(&ctx, &req, &outcome);
        if effects.forget_auth_key {
            assert!(
                matches!(&outcome, Outcome::Error { code: 406, message } if message == "AUTH_KEY_DUPLICATED")
            );
        }
        if let Some(&s) = steps.get(step) {
            now += Duration::from_secs(u64::from(s));
        }
    }
    let _ = desk.codes_for(&req.phone_number);
    let _ = desk.home_dc_for(&req.phone_number);
}

/// The answer is one the client can read: it round-trips through the TL decoder and
/// `SentCode::from`, and every constructor in it exists at the caller's layer.
fn check_outcome(ctx: &CallContext, req: &functions::auth::SendCode, outcome: &Outcome) {
    match outcome {
        Outcome::Sent(sent) => {
            assert!(normalize_phone(&req.phone_number).is_some());
            let bytes = sent.to_bytes();
            let decoded = enums::auth::SentCode::from_bytes(&bytes).expect("answer decodes");
            assert_eq!(&decoded, sent);
            let flat = tgauth::client::SentCode::from(decoded);
            assert!(flat.kind.is_some());
            let mut ids = vec![&bytes[..4]];
            let type_bytes;
            let next_bytes;
            if let enums::auth::SentCode::Code(code) = sent {
                type_bytes = code.r#type.to_bytes();
                ids.push(&type_bytes[..4]);
                if let Some(next) = &code.next_type {
                    next_bytes = next.to_bytes();
                    ids.push(&next_bytes[..4]);
                }
            }
            for id in ids {
                let id = u32::from_le_bytes(id.try_into().expect("4 bytes"));
                if let Some(c) = CONSTRUCTOR_LAYERS.iter().find(|c| c.id == id) {
                    assert!(
                        c.layer <= ctx.layer,
                        "{} (layer {}) sent to a layer {} client",
                        c.name,
                        c.layer,
                        ctx.layer
                    );
                }
            }
        }
        Outcome::Error { code, message } => {
            assert!(
                matches!(code, 303 | 400 | 406 | 420 | 500),
                "rpc error code {code}"
            );
            assert!(!message.is_empty());
            let err = tgauth::client::Error::rpc(*code, message);
            assert_eq!(err.code, *code);
        }
    }
}
