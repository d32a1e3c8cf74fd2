//! Encrypted (and unencrypted) MTProto messages, after the transport: `cipher::decrypt` with
//! the fixed auth key, then `read_envelope` and what both sides do with a body
//! (`read_container`, `read_gzip_packed`, `read_rpc_result`, the service messages).
//!
//! Built by `cargo fuzz`, the library has `cfg(fuzzing)` set, and `decrypt` then skips the
//! msg_key comparison (src/protocol/cipher.rs), so arbitrary ciphertext reaches the parsers.
//!
//! Input: `[selector, frame...]`. Selector bit 0: who sent it (0 = the server, which the
//! client decrypts; 1 = a client, which the test DC decrypts). Bits 1-2:
//!
//! - 0: `frame` is the whole encrypted frame, with its auth_key_id replaced by the fixed
//!   key's (so the fuzzer need not find it);
//! - 1: `frame` as is (wrong key ids, bad lengths);
//! - 2: `frame` is the *plaintext* (salt, session, msg_id, seq_no, length, body, padding),
//!   zero-padded to 16 bytes and encrypted with the real cipher, so the fuzzer controls
//!   what `decrypt` returns;
//! - 3: `frame` is an unencrypted message (`read_plain`) holding a handshake answer.
#![no_main]

use grammers_tl_types::{enums, Deserializable};
use libfuzzer_sys::fuzz_target;
use tgauth::client::SentCode;
use tgauth::protocol::cipher::{self, CipherError};
use tgauth::protocol::message::{
    self, constructor_of, read_container, read_envelope, read_gzip_packed, read_plain,
    read_rpc_result, write_container, write_envelope, write_plain, MsgIdClock, MsgIdKind,
    RecentMsgIds, GZIP_PACKED, MSG_CONTAINER, RPC_ERROR, RPC_RESULT,
};
use tgauth::protocol::Side;
use tgauth_fuzz::{auth_key, unwrap_query};

/// A small gzip limit, so inflating is cheap and the limit is reachable.
const GZIP_MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, frame)) = data.split_first() else {
        return;
    };
    let sender = if selector & 1 == 0 {
        Side::Server
    } else {
        Side::Client
    };
    let key = auth_key();
    let mut frame = frame.to_vec();
    match (selector >> 1) & 3 {
        0 => {
            if frame.len() >= 8 {
                frame[..8].copy_from_slice(&key.id().to_le_bytes());
            }
        }
        1 => {}
        2 => {
            let mut plain = frame;
            plain.resize(plain.len().div_ceil(16).max(1) * 16, 0);
            frame = Vec::new();
            cipher::encrypt_with_padding(&key, sender, &plain, &[], &mut frame);
        }
        _ => return unencrypted(&frame),
    }
    let original_len = frame.len();
    match cipher::decrypt(&key, sender, &mut frame) {
        Ok(plain) => {
            assert!(original_len >= 40 && (original_len - 24) % 16 == 0);
            assert_eq!(plain.len(), original_len - 24);
            envelope(sender, plain);
        }
        Err(CipherError::BadLength) => {
            assert!(original_len < 40 || (original_len - 24) % 16 != 0)
        }
        Err(CipherError::WrongAuthKey) => assert_ne!(frame[..8], key.id().to_le_bytes()),
        Err(CipherError::MsgKeyMismatch) => panic!("cfg(fuzzing) must skip the msg_key check"),
    }
});

fn envelope(sender: Side, plain: &[u8]) {
    let Ok(env) = read_envelope(plain) else {
        return;
    };
    // The lengths were checked: body inside, 4-aligned, 12..=1024 bytes of padding.
    assert_eq!(env.body.len() % 4, 0);
    let padding = plain.len() - 32 - env.body.len();
    assert!((12..=1024).contains(&padding), "padding {padding}");
    let mut again = Vec::new();
    write_envelope(
        env.salt,
        env.session_id,
        env.msg_id,
        env.seq_no,
        env.body,
        &mut again,
    );
    assert_eq!(
        &again[..],
        &plain[..again.len()],
        "envelope does not round-trip"
    );

    // msg_id bookkeeping, as both sides run it on every message.
    let mut recent = RecentMsgIds::new(4);
    let first = recent.check(sender, env.msg_id, None);
    if first.is_ok() {
        assert!(
            recent.check(sender, env.msg_id, None).is_err(),
            "replay accepted"
        );
    }
    let _ = RecentMsgIds::new(8).check(sender, env.msg_id, Some(message::unix_now() as i64));

    match sender {
        Side::Server => client_reads(env.msg_id, env.seq_no, env.body, 0),
        Side::Client => server_reads(env.msg_id, env.body, 0),
    }
}

/// What the client does with a server message (`Link::on_message` in src/client).
fn client_reads(msg_id: i64, seq_no: i32, body: &[u8], depth: u32) {
    let Some(id) = constructor_of(body) else {
        return;
    };
    match id {
        RPC_RESULT => {
            let Ok((_req_msg_id, result)) = read_rpc_result(body) else {
                return;
            };
            let result = if constructor_of(result) == Some(GZIP_PACKED) {
                match read_gzip_packed(result, GZIP_MAX) {
                    Ok(unpacked) => {
                        assert!(unpacked.len() <= GZIP_MAX);
                        unpacked
                    }
                    Err(_) => return,
                }
            } else {
                result.to_vec()
            };
            rpc_answer(&result);
        }
        MSG_CONTAINER => {
            if depth > 0 {
                return;
            }
            container(msg_id, body, |inner| {
                client_reads(inner.msg_id, inner.seq_no, inner.body, depth + 1)
            });
        }
        GZIP_PACKED => {
            if let Ok(unpacked) = read_gzip_packed(body, GZIP_MAX) {
                assert!(unpacked.len() <= GZIP_MAX);
                if depth < 4 {
                    client_reads(msg_id, seq_no, &unpacked, depth + 1);
                }
            }
        }
        _ => {
            if let Ok(enums::BadMsgNotification::Notification(n)) =
                enums::BadMsgNotification::from_bytes(body)
            {
                if matches!(n.error_code, 16 | 17) {
                    // The client takes the server's time from this message's msg_id, then
                    // keeps numbering its own messages.
                    let mut clock = MsgIdClock::new();
                    clock.sync_to_msg_id(msg_id);
                    let a = clock.next(MsgIdKind::Client);
                    let b = clock.next(MsgIdKind::Client);
                    assert!(b > a, "msg_ids went backwards: {a} then {b}");
                    assert_eq!(a % 4, 0);
                }
            }
            let _ = enums::BadMsgNotification::from_bytes(body);
            let _ = enums::NewSession::from_bytes(body);
            let _ = enums::MsgsAck::from_bytes(body);
            let _ = enums::Pong::from_bytes(body);
            let _ = enums::FutureSalts::from_bytes(body);
            let _ = message::decode::<enums::MsgDetailedInfo>(body);
        }
    }
}

/// The result of an rpc_result: an rpc_error, or the answers the client asks for.
fn rpc_answer(result: &[u8]) {
    if constructor_of(result) == Some(RPC_ERROR) {
        if let Ok(enums::RpcError::Error(e)) = enums::RpcError::from_bytes(result) {
            let err = tgauth::client::Error::rpc(e.error_code, &e.error_message);
            let _ = err.to_string();
        }
        return;
    }
    if let Ok(sent) = enums::auth::SentCode::from_bytes(result) {
        let _ = SentCode::from(sent);
    }
    let _ = enums::Config::from_bytes(result);
    let _ = enums::DestroySessionRes::from_bytes(result);
    let _ = enums::RpcDropAnswer::from_bytes(result);
}

/// What the test DC does with a client message (the dispatch in src/testdc/server.rs).
/// Functions deserialize bare, after their constructor id.
fn server_reads(msg_id: i64, body: &[u8], depth: u32) {
    use grammers_tl_types::{functions, Identifiable};
    let Some(id) = constructor_of(body) else {
        return;
    };
    let fields = &body[4..];
    match id {
        MSG_CONTAINER => {
            if depth == 0 {
                container(msg_id, body, |inner| {
                    server_reads(inner.msg_id, inner.body, 1)
                });
            }
        }
        GZIP_PACKED => {
            if let Ok(unpacked) = read_gzip_packed(body, GZIP_MAX) {
                if depth < 4 {
                    server_reads(msg_id, &unpacked, depth + 1);
                }
            }
        }
        0x62d6_b459 => {
            let _ = enums::MsgsAck::from_bytes(body);
        }
        functions::Ping::CONSTRUCTOR_ID | functions::PingDelayDisconnect::CONSTRUCTOR_ID => {
            let _ = i64::from_bytes(fields);
        }
        functions::GetFutureSalts::CONSTRUCTOR_ID => {
            let _ = functions::GetFutureSalts::from_bytes(fields);
        }
        functions::DestroySession::CONSTRUCTOR_ID => {
            let _ = functions::DestroySession::from_bytes(fields);
        }
        0xda69_fb52 => {
            // msgs_state_req
            if let Ok(ids) = Vec::<i64>::from_bytes(fields) {
                let _ = ids.len() > message::MAX_ID_LIST;
            }
        }
        functions::RpcDropAnswer::CONSTRUCTOR_ID => {
            let _ = functions::RpcDropAnswer::from_bytes(fields);
        }
        _ => {
            // An API call, under its invoke* wrappers.
            let Some(unwrapped) = unwrap_query(body) else {
                return;
            };
            if constructor_of(unwrapped.query) == Some(functions::auth::SendCode::CONSTRUCTOR_ID) {
                let _ = functions::auth::SendCode::from_bytes(&unwrapped.query[4..]);
            }
        }
    }
}

/// `read_container` and its invariants: inner ids below the container's, 4-aligned bodies,
/// no nesting, and the parsed items write back to exactly the same bytes.
fn container(msg_id: i64, body: &[u8], mut each: impl FnMut(&message::Inner<'_>)) {
    let Ok(items) = read_container(msg_id, body) else {
        return;
    };
    assert!(items.len() <= message::MAX_CONTAINER_MESSAGES);
    let mut again = Vec::new();
    let triples: Vec<(i64, i32, &[u8])> =
        items.iter().map(|i| (i.msg_id, i.seq_no, i.body)).collect();
    write_container(&triples, &mut again);
    assert_eq!(again, body, "container does not round-trip");
    for inner in &items {
        assert!(inner.msg_id < msg_id);
        assert_eq!(inner.body.len() % 4, 0);
        assert_ne!(constructor_of(inner.body), Some(MSG_CONTAINER));
        each(inner);
    }
}

/// An unencrypted message (the handshake's), as both sides read it.
fn unencrypted(frame: &[u8]) {
    let Ok((msg_id, body)) = read_plain(frame) else {
        return;
    };
    let mut again = Vec::new();
    write_plain(msg_id, body, &mut again);
    assert_eq!(&again[..], &frame[..again.len()]);
    let _ = enums::ResPq::from_bytes(body);
    let _ = enums::ServerDhParams::from_bytes(body);
    let _ = enums::SetClientDhParamsAnswer::from_bytes(body);
}
