//! Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/: a few real
//! frames and messages made with the library itself (framed payloads of each transport, an
//! obfuscated2 stream, messages encrypted with the fuzz auth key, real handshake answers,
//! real auth.sentCode answers of the test DC's LoginDesk, the fuzz RSA key in each format).
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example seeds
//!
//! Output is not byte-for-byte reproducible (the library draws random nonces, padding and
//! codes); that does not matter for seeds. Existing files of the same name are replaced.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use grammers_tl_types::{enums, functions, types, Serializable};
use tgauth::protocol::cipher::{self, padding_len};
use tgauth::protocol::handshake::client::ClientHandshake;
use tgauth::protocol::handshake::dh::TELEGRAM_DH_PRIME;
use tgauth::protocol::handshake::rsa::{TELEGRAM_PRODUCTION_KEY, TELEGRAM_TEST_KEY};
use tgauth::protocol::message::{
    write_container, write_envelope, write_gzip_packed, write_plain, write_rpc_error,
    write_rpc_result,
};
use tgauth::protocol::transport::{obfuscated_client_header, FrameEncoder, TransportKind};
use tgauth::protocol::Side;
use tgauth::testdc::logic::{App, CallContext, LoginDesk, LoginRulesConfig, Outcome};
use tgauth_fuzz::{auth_key, rsa_key, rsa_public};

struct Corpus {
    root: PathBuf,
}

impl Corpus {
    fn put(&self, target: &str, name: &str, data: &[u8]) {
        let dir = self.root.join(target);
        fs::create_dir_all(&dir).expect("corpus directory");
        fs::write(dir.join(name), data).expect("write seed");
    }
}

fn u16_piece(out: &mut Vec<u8>, piece: &[u8]) {
    out.extend_from_slice(&(piece.len() as u16).to_le_bytes());
    out.extend_from_slice(piece);
}

const API_ID: i32 = 17349;
const API_HASH: &str = "344583e45741c457fe1862106095a5eb";
const MSG_ID: i64 = 0x6500_0000_0000_0001;
const CLIENT_MSG_ID: i64 = 0x6500_0000_0000_0000;

fn code_settings(flags: u8, tokens: Option<Vec<Vec<u8>>>) -> enums::CodeSettings {
    enums::CodeSettings::Settings(types::CodeSettings {
        allow_flashcall: flags & 1 != 0,
        current_number: false,
        allow_app_hash: false,
        allow_missed_call: flags & 2 != 0,
        allow_firebase: flags & 4 != 0,
        unknown_number: false,
        logout_tokens: tokens,
        token: None,
        app_sandbox: None,
    })
}

fn send_code_req(
    phone: &str,
    flags: u8,
    tokens: Option<Vec<Vec<u8>>>,
) -> functions::auth::SendCode {
    functions::auth::SendCode {
        phone_number: phone.to_owned(),
        api_id: API_ID,
        api_hash: API_HASH.to_owned(),
        settings: code_settings(flags, tokens),
    }
}

fn wrapped(query: functions::auth::SendCode) -> Vec<u8> {
    functions::InvokeWithLayer {
        layer: grammers_tl_types::LAYER,
        query: functions::InitConnection {
            api_id: API_ID,
            device_model: "fuzz".into(),
            system_version: "1".into(),
            app_version: "1".into(),
            system_lang_code: "en".into(),
            lang_pack: "".into(),
            lang_code: "en".into(),
            proxy: None,
            params: None,
            query,
        },
    }
    .to_bytes()
}

/// Real answers of the test DC's login rules, one per kind of answer.
fn sent_codes() -> Vec<(String, Vec<u8>)> {
    let desk = LoginDesk::new(LoginRulesConfig {
        dc_count: 3,
        apps: vec![App {
            id: API_ID,
            hash: API_HASH.into(),
            published: false,
        }],
        code_limit: 0,
    });
    let mut out = Vec::new();
    let cases: &[(&str, &str, u8, bool)] = &[
        ("app", "+999 66 2 1234", 0, false),
        ("sms", "9998801123", 0, false),
        ("call", "9998802123", 0, false),
        ("flash_call", "9998803123", 1, false),
        ("missed_call", "9998804123", 2, false),
        ("email_code", "9998805123", 0, false),
        ("set_up_email", "9998806123", 0, false),
        ("fragment_sms", "9998807123", 0, false),
        ("firebase_sms", "9998808123", 4, false),
        ("sms_word", "9998809123", 0, false),
        ("sms_phrase", "9998810123", 0, false),
        ("payment_required", "9998811123", 0, false),
        ("success", "9998800123", 0, true),
    ];
    for &(name, phone, flags, token) in cases {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let tokens = token.then(|| vec![tgauth::testdc::logic::logout_token_for(&digits)]);
        let ctx = CallContext {
            dc_id: 2,
            layer: grammers_tl_types::LAYER,
            auth_key_id: 1,
            session_id: 1,
            now: SystemTime::now(),
        };
        let (outcome, _) = desk.send_code(&ctx, &send_code_req(phone, flags, tokens));
        match outcome {
            Outcome::Sent(sent) => out.push((name.to_owned(), sent.to_bytes())),
            Outcome::Error { code, message } => panic!("{name}: {code} {message}"),
        }
    }
    out
}

fn config() -> Vec<u8> {
    // The test DC's own answer, for three DCs on loopback.
    let dcs: Vec<tgauth::testdc::DcAddress> = (1..=3)
        .map(|id| tgauth::testdc::DcAddress {
            id,
            host: "127.0.0.1".into(),
            port: 10442 + id as u16,
        })
        .collect();
    tgauth::testdc::config_answer(&dcs, 2, 1_700_000_000).to_bytes()
}

fn server_bodies() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let sent = sent_codes();
    out.push((
        "rpc_result_sent_code".into(),
        rpc_result(CLIENT_MSG_ID, &sent[1].1),
    ));
    out.push((
        "rpc_result_gzip_config".into(),
        rpc_result(CLIENT_MSG_ID, &write_gzip_packed(&config())),
    ));
    let mut err = Vec::new();
    write_rpc_error(420, "FLOOD_WAIT_42", &mut err);
    out.push((
        "rpc_result_flood_wait".into(),
        rpc_result(CLIENT_MSG_ID, &err),
    ));
    let mut err = Vec::new();
    write_rpc_error(303, "PHONE_MIGRATE_2", &mut err);
    out.push(("rpc_result_migrate".into(), rpc_result(CLIENT_MSG_ID, &err)));
    let new_session = new_session();
    let ack = enums::MsgsAck::Ack(types::MsgsAck {
        msg_ids: vec![CLIENT_MSG_ID],
    })
    .to_bytes();
    let mut container = Vec::new();
    write_container(
        &[(MSG_ID - 8, 1, &new_session[..]), (MSG_ID - 4, 2, &ack[..])],
        &mut container,
    );
    out.push(("container_new_session_ack".into(), container));
    out.push(("bad_msg_16".into(), bad_msg(16)));
    out.push((
        "bad_server_salt".into(),
        enums::BadMsgNotification::BadServerSalt(types::BadServerSalt {
            bad_msg_id: CLIENT_MSG_ID,
            bad_msg_seqno: 1,
            error_code: 48,
            new_server_salt: 0x1122_3344_5566_7788,
        })
        .to_bytes(),
    ));
    out.push((
        "pong".into(),
        enums::Pong::Pong(types::Pong {
            msg_id: CLIENT_MSG_ID,
            ping_id: 7,
        })
        .to_bytes(),
    ));
    out.push(("future_salts".into(), future_salts()));
    out.push(("gzip_new_session".into(), write_gzip_packed(&new_session)));
    out
}

fn rpc_result(req: i64, result: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_rpc_result(req, result, &mut out);
    out
}

fn new_session() -> Vec<u8> {
    enums::NewSession::Created(types::NewSessionCreated {
        first_msg_id: CLIENT_MSG_ID,
        unique_id: 99,
        server_salt: 0x0102_0304_0506_0708,
    })
    .to_bytes()
}

fn bad_msg(code: i32) -> Vec<u8> {
    enums::BadMsgNotification::Notification(types::BadMsgNotification {
        bad_msg_id: CLIENT_MSG_ID,
        bad_msg_seqno: 1,
        error_code: code,
    })
    .to_bytes()
}

fn future_salts() -> Vec<u8> {
    enums::FutureSalts::Salts(types::FutureSalts {
        req_msg_id: CLIENT_MSG_ID,
        now: 1_700_000_000,
        salts: grammers_tl_types::RawVec(vec![types::FutureSalt {
            valid_since: 1_700_000_000,
            valid_until: 1_700_003_600,
            salt: 5,
        }]),
    })
    .to_bytes()
}

/// What a client sends inside encrypted messages.
fn client_bodies() -> Vec<(String, Vec<u8>)> {
    let send_code = wrapped(send_code_req("9996621234", 0, None));
    let ping = functions::Ping { ping_id: 7 }.to_bytes();
    let mut container = Vec::new();
    write_container(
        &[
            (CLIENT_MSG_ID - 8, 1, &send_code[..]),
            (CLIENT_MSG_ID - 4, 2, &ping[..]),
        ],
        &mut container,
    );
    let mut state_req = 0xda69_fb52u32.to_le_bytes().to_vec();
    vec![CLIENT_MSG_ID].serialize(&mut state_req);
    vec![
        ("send_code".into(), send_code.clone()),
        ("ping".into(), ping),
        ("container".into(), container),
        ("gzip_send_code".into(), write_gzip_packed(&send_code)),
        (
            "get_future_salts".into(),
            functions::GetFutureSalts { num: 3 }.to_bytes(),
        ),
        ("msgs_state_req".into(), state_req),
        (
            "destroy_session".into(),
            functions::DestroySession { session_id: 5 }.to_bytes(),
        ),
    ]
}

fn plaintext(msg_id: i64, body: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    write_envelope(0x0102_0304_0506_0708, 0x1111, msg_id, 1, body, &mut plain);
    plain
}

fn encrypted(sender: Side, plain: &[u8]) -> Vec<u8> {
    let padding = vec![0x42; padding_len(plain.len())];
    let mut out = Vec::new();
    cipher::encrypt_with_padding(&auth_key(), sender, plain, &padding, &mut out);
    out
}

/// A padded plaintext (for the target's plaintext mode): envelope plus 12..27 bytes.
fn padded(plain: &[u8]) -> Vec<u8> {
    let mut out = plain.to_vec();
    out.resize(plain.len() + padding_len(plain.len()), 0x42);
    out
}

fn res_pq(nonce: [u8; 16]) -> Vec<u8> {
    enums::ResPq::Pq(types::ResPq {
        nonce,
        server_nonce: [0x55; 16],
        pq: 0x17ED_4894_1A08_F981u64.to_be_bytes().to_vec(),
        server_public_key_fingerprints: vec![rsa_public().fingerprint()],
    })
    .to_bytes()
}

fn handshake_answers() -> Vec<(String, Vec<u8>)> {
    let nonce = [0x11; 16];
    let server_nonce = [0x55; 16];
    vec![
        ("res_pq".into(), res_pq(nonce)),
        (
            "server_dh_params_fail".into(),
            enums::ServerDhParams::Fail(types::ServerDhParamsFail {
                nonce,
                server_nonce,
                new_nonce_hash: [7; 16],
            })
            .to_bytes(),
        ),
        (
            "server_dh_params_ok".into(),
            enums::ServerDhParams::Ok(types::ServerDhParamsOk {
                nonce,
                server_nonce,
                encrypted_answer: vec![0x33; 592],
            })
            .to_bytes(),
        ),
        (
            "dh_gen_ok".into(),
            enums::SetClientDhParamsAnswer::DhGenOk(types::DhGenOk {
                nonce,
                server_nonce,
                new_nonce_hash1: [9; 16],
            })
            .to_bytes(),
        ),
        (
            "dh_gen_retry".into(),
            enums::SetClientDhParamsAnswer::DhGenRetry(types::DhGenRetry {
                nonce,
                server_nonce,
                new_nonce_hash2: [9; 16],
            })
            .to_bytes(),
        ),
        (
            "dh_gen_fail".into(),
            enums::SetClientDhParamsAnswer::DhGenFail(types::DhGenFail {
                nonce,
                server_nonce,
                new_nonce_hash3: [9; 16],
            })
            .to_bytes(),
        ),
    ]
}

fn transport(c: &Corpus) {
    let target = "transport_decode";
    let mut req_pq = Vec::new();
    write_plain(
        CLIENT_MSG_ID,
        &functions::ReqPqMulti { nonce: [0x11; 16] }.to_bytes(),
        &mut req_pq,
    );
    let mut res = Vec::new();
    write_plain(MSG_ID, &res_pq([0x11; 16]), &mut res);
    let msg = encrypted(Side::Server, &plaintext(MSG_ID, &new_session()));
    for kind in TransportKind::ALL {
        let index = TransportKind::ALL.iter().position(|x| *x == kind).unwrap() as u8;
        let name = kind.name();
        // Sans-IO: frames of this kind (a message, a transport error), chunked 1..5 bytes.
        let mut enc = FrameEncoder::new(kind);
        let mut frames = Vec::new();
        enc.encode(&res, &mut frames);
        enc.encode(&msg, &mut frames);
        enc.encode_transport_error(-404, &mut frames);
        let mut seed = vec![index, 3];
        seed.extend_from_slice(&frames);
        c.put(target, &format!("sans_io_{name}"), &seed);
        // The server accepting a plain client: tag, then frames.
        let mut enc = FrameEncoder::new(kind);
        let mut stream = kind.tag().to_vec();
        enc.encode(&req_pq, &mut stream);
        let mut seed = vec![index | 2 << 3 | 4, 2];
        seed.extend_from_slice(&stream);
        c.put(target, &format!("accept_{name}"), &seed);
        // The client reading the server: frames then -404.
        let mut enc = FrameEncoder::new(kind);
        let mut stream = Vec::new();
        enc.encode(&res, &mut stream);
        enc.encode_transport_error(-404, &mut stream);
        let mut seed = vec![index | 3 << 3, 6];
        seed.extend_from_slice(&stream);
        c.put(target, &format!("client_{name}"), &seed);
        // Obfuscated2: header, then encrypted frames.
        if let Ok((header, mut obfuscation)) = obfuscated_client_header(kind, 2) {
            let mut enc = FrameEncoder::new(kind);
            let mut frames = Vec::new();
            enc.encode(&req_pq, &mut frames);
            obfuscation.apply_encrypt(&mut frames);
            let mut seed = vec![index | 2 << 3, 4];
            seed.extend_from_slice(&header);
            seed.extend_from_slice(&frames);
            c.put(target, &format!("accept_obfuscated_{name}"), &seed);
        }
    }
    // Forbidden starts.
    c.put(target, "accept_http", b"\x10\x07GET / HTTP/1.1\r\n\r\n");
}

fn encrypted_message(c: &Corpus) {
    let target = "encrypted_message";
    for (name, body) in server_bodies() {
        let plain = plaintext(MSG_ID, &body);
        let mut seed = vec![0u8];
        seed.extend_from_slice(&encrypted(Side::Server, &plain));
        c.put(target, &format!("from_server_{name}"), &seed);
        let mut seed = vec![4u8];
        seed.extend_from_slice(&padded(&plain));
        c.put(target, &format!("plain_from_server_{name}"), &seed);
    }
    for (name, body) in client_bodies() {
        let plain = plaintext(CLIENT_MSG_ID, &body);
        let mut seed = vec![1u8];
        seed.extend_from_slice(&encrypted(Side::Client, &plain));
        c.put(target, &format!("from_client_{name}"), &seed);
        let mut seed = vec![5u8];
        seed.extend_from_slice(&padded(&plain));
        c.put(target, &format!("plain_from_client_{name}"), &seed);
    }
    for (name, body) in handshake_answers() {
        let mut seed = vec![6u8];
        write_plain(MSG_ID, &body, &mut seed);
        c.put(target, &format!("unencrypted_{name}"), &seed);
    }
}

fn server_answers(c: &Corpus) {
    let target = "server_answers";
    for (name, body) in sent_codes() {
        c.put(target, &format!("sent_code_{name}"), &body);
    }
    c.put(target, "config", &config());
    for (name, body) in server_bodies() {
        if !name.starts_with("rpc_result") && !name.starts_with("container") {
            c.put(target, &name, &body);
        }
    }
    let mut err = Vec::new();
    write_rpc_error(420, "FLOOD_WAIT_42", &mut err);
    c.put(target, "rpc_error", &err);
    c.put(
        target,
        "msgs_ack",
        &enums::MsgsAck::Ack(types::MsgsAck {
            msg_ids: vec![4, 8],
        })
        .to_bytes(),
    );
    for (name, body) in handshake_answers() {
        c.put(target, &name, &body);
    }
}

fn server_requests(c: &Corpus) {
    let target = "server_requests";
    // Raw: req_pq_multi, then a req_DH_params a client made (for another server nonce).
    let (mut client, req_pq) = ClientHandshake::start(vec![rsa_public()], -2);
    let nonce: [u8; 16] = req_pq[4..20].try_into().unwrap();
    let mut seed = vec![0u8, 0];
    u16_piece(&mut seed, &req_pq);
    if let Ok(tgauth::protocol::handshake::client::ClientStep::Send(req_dh)) =
        client.handle(&res_pq(nonce))
    {
        u16_piece(&mut seed, &req_dh);
    }
    u16_piece(&mut seed, &functions::ReqPq { nonce }.to_bytes());
    c.put(target, "raw_handshake", &seed);

    // Guided: [1, flags, nonce, piece(p_q_inner_data), encryption, tweak, rounds...].
    let inner_dc = enums::PQInnerData::Dc(types::PQInnerDataDc {
        pq: vec![0; 8],
        p: vec![0; 4],
        q: vec![0; 4],
        nonce: [0; 16],
        server_nonce: [0; 16],
        new_nonce: [0x77; 32],
        dc: -2,
    })
    .to_bytes();
    let inner_temp = enums::PQInnerData::TempDc(types::PQInnerDataTempDc {
        pq: vec![0; 8],
        p: vec![0; 4],
        q: vec![0; 4],
        nonce: [0; 16],
        server_nonce: [0; 16],
        new_nonce: [0x78; 32],
        dc: 2,
        expires_in: 86400,
    })
    .to_bytes();
    let guided = |inner: &[u8], encryption: u8, rounds: &[u8]| {
        let mut seed = vec![1u8, 0];
        seed.extend_from_slice(&[0x11; 16]);
        u16_piece(&mut seed, inner);
        seed.push(encryption);
        seed.push(0); // tweak: none
        for &mode in rounds {
            seed.push(mode);
            seed.extend_from_slice(&[0x29; 32]); // b
            if mode & 0x10 == 0 {
                seed.extend_from_slice(&0u32.to_le_bytes()); // retry_id
            }
        }
        seed
    };
    c.put(target, "guided_rsa_pad_ok", &guided(&inner_dc, 0, &[0]));
    c.put(target, "guided_legacy_ok", &guided(&inner_dc, 2, &[0]));
    c.put(
        target,
        "guided_temp_retry_ok",
        &guided(&inner_temp, 0, &[0x08, 0]),
    );
    c.put(target, "guided_bad_g_b", &guided(&inner_dc, 0, &[3]));

    // auth.sendCode: [2, desk, dc, layer, auth_key_id, session_id, start, steps, wrapped, TL].
    let cases: &[(&str, &str, u8)] = &[
        ("dc2", "+999 66 2 1234", 0),
        ("migrate", "9996631234", 0),
        ("sms", "9998801123", 0),
        ("flash_call", "9998803123", 1),
        ("missed_call", "9998804123", 2),
        ("firebase", "9998808123", 4),
        ("payment", "9998811123", 0),
        ("banned", "9997701123", 0),
        ("restart", "9997709123", 0),
        ("network", "9997710123", 0),
        ("duplicated", "9997711123", 0),
        ("invalid", "12ab", 0),
    ];
    for (i, &(name, phone, flags)) in cases.iter().enumerate() {
        let mut seed = vec![2u8, 4 | 1 << 3, 2, 80];
        seed.extend_from_slice(&1u32.to_le_bytes());
        seed.extend_from_slice(&2u32.to_le_bytes());
        seed.extend_from_slice(&0u16.to_le_bytes());
        seed.extend_from_slice(&10u16.to_le_bytes());
        seed.extend_from_slice(&4000u16.to_le_bytes());
        let wrap = i % 2 == 1;
        seed.push(u8::from(wrap));
        let req = send_code_req(phone, flags, None);
        seed.extend_from_slice(&if wrap { wrapped(req) } else { req.to_bytes() });
        c.put(target, &format!("send_code_{name}"), &seed);
    }
    let digits = "9998800123";
    let req = send_code_req(
        digits,
        0,
        Some(vec![tgauth::testdc::logic::logout_token_for(digits)]),
    );
    let mut seed = vec![2u8, 4, 2, 80, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    seed.extend_from_slice(&req.to_bytes());
    c.put(target, "send_code_success", &seed);
}

fn handshake_client(c: &Corpus) {
    let target = "handshake_client";
    // Raw with nonce patching: resPQ naming the fuzz key, then the three later answers.
    let mut seed = vec![2u8];
    for (_, body) in handshake_answers() {
        u16_piece(&mut seed, &body);
    }
    c.put(target, "raw_patched", &seed);

    // Guided: [1, flags, server_nonce, mode, a, server_time, (which, ...), choices...].
    let guided = |flags: u8, mode: u8, extra: &[u8], choices: &[u8]| {
        let mut seed = vec![1u8, flags];
        seed.extend_from_slice(&[0x55; 16]);
        seed.push(mode);
        seed.extend_from_slice(&[0x3c; 32]); // a
        seed.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        seed.extend_from_slice(extra);
        seed.extend_from_slice(choices);
        seed
    };
    c.put(target, "guided_ok", &guided(0, 4, &[], &[0]));
    c.put(target, "guided_retry_ok", &guided(0, 4, &[], &[2, 0]));
    c.put(target, "guided_gen_fail", &guided(0, 4, &[], &[3]));
    c.put(target, "guided_wrong_hash", &guided(0, 4, &[], &[4]));
    c.put(target, "guided_params_fail", &guided(0, 8, &[], &[]));
    let mut fuzzed_g = vec![2u8];
    fuzzed_g.extend_from_slice(&2u32.to_le_bytes());
    c.put(target, "guided_g2", &guided(0, 3, &fuzzed_g, &[0]));
    let mut other_prime = vec![0u8];
    let mut prime = TELEGRAM_DH_PRIME.to_vec();
    prime[255] ^= 2;
    u16_piece(&mut other_prime, &prime);
    c.put(
        target,
        "guided_other_prime",
        &guided(0, 3, &other_prime, &[0]),
    );
    // Fuzzed server_DH_inner_data (mode 2): an honest one, with zero nonces the harness
    // patches.
    let inner = enums::ServerDhInnerData::Data(types::ServerDhInnerData {
        nonce: [0; 16],
        server_nonce: [0; 16],
        g: 3,
        dh_prime: TELEGRAM_DH_PRIME.to_vec(),
        g_a: {
            let mut v = vec![0x40u8; 256];
            v[0] = 0x20;
            v
        },
        server_time: 1_700_000_000,
    })
    .to_bytes();
    let mut piece = Vec::new();
    u16_piece(&mut piece, &inner);
    c.put(target, "guided_inner", &guided(0, 2, &piece, &[0]));
    let mut pq = Vec::new();
    pq.extend_from_slice(&0x17ED_4894_1A08_F981u64.to_be_bytes());
    let mut seed = vec![1u8, 2];
    seed.extend_from_slice(&[0x55; 16]);
    seed.extend_from_slice(&pq);
    c.put(target, "guided_pq", &seed);
}

fn der_pem(c: &Corpus) {
    let target = "der_pem";
    let key = rsa_key();
    let pkcs1 = key.to_pkcs1_der();
    let public = rsa_public().to_pkcs1_der();
    // rsaEncryption AlgorithmIdentifier: SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }.
    let alg: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut pkcs8_body = vec![0x02, 0x01, 0x00];
    pkcs8_body.extend_from_slice(alg);
    tlv(&mut pkcs8_body, 0x04, &pkcs1);
    let mut pkcs8 = Vec::new();
    tlv(&mut pkcs8, 0x30, &pkcs8_body);
    let mut bits = vec![0u8];
    bits.extend_from_slice(&public);
    let mut spki_body = alg.to_vec();
    tlv(&mut spki_body, 0x03, &bits);
    let mut spki = Vec::new();
    tlv(&mut spki, 0x30, &spki_body);

    let with = |sel: u8, data: &[u8]| {
        let mut out = vec![sel];
        out.extend_from_slice(data);
        out
    };
    c.put(
        target,
        "public_pem_production",
        &with(0, TELEGRAM_PRODUCTION_KEY.as_bytes()),
    );
    c.put(
        target,
        "public_pem_test",
        &with(0, TELEGRAM_TEST_KEY.as_bytes()),
    );
    c.put(target, "public_pkcs1_der", &with(1, &public));
    c.put(target, "public_spki_der", &with(2, &spki));
    c.put(
        target,
        "private_pem",
        &with(3, key.to_pkcs1_pem().as_bytes()),
    );
    c.put(target, "private_pkcs8_der", &with(4, &pkcs8));
    c.put(target, "private_pkcs1_der", &with(5, &pkcs1));
}

/// DER tag-length-value.
fn tlv(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    out.push(tag);
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(body);
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let c = Corpus { root };
    transport(&c);
    encrypted_message(&c);
    server_answers(&c);
    server_requests(&c);
    handshake_client(&c);
    der_pem(&c);
    println!("seeds written to {}", c.root.display());
}
