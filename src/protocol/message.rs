//! MTProto message bookkeeping shared by both sides: msg_id and seq_no generation, the
//! plaintext envelope of encrypted messages, unencrypted messages, msg_container,
//! gzip_packed, rpc_result and the checks the security guidelines ask for.
//!
//! See <https://core.telegram.org/mtproto/description> and
//! <https://core.telegram.org/mtproto/service_messages>.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use grammers_tl_types::{Deserializable, Serializable};

use super::Side;

/// `msg_container#73f1f8dc messages:vector<message>`.
pub const MSG_CONTAINER: u32 = 0x73f1_f8dc;
/// `gzip_packed#3072cfa1 packed_data:bytes`.
pub const GZIP_PACKED: u32 = 0x3072_cfa1;
/// `rpc_result#f35c6d01 req_msg_id:long result:Object`.
pub const RPC_RESULT: u32 = 0xf35c_6d01;
/// `rpc_error#2144ca19 error_code:int error_message:string`.
pub const RPC_ERROR: u32 = 0x2144_ca19;

/// Most messages a container may hold (security guidelines).
pub const MAX_CONTAINER_MESSAGES: usize = 1024;
/// Most ids an msgs_ack / msg_resend_req / msgs_state_req may list.
pub const MAX_ID_LIST: usize = 8192;
/// How far a peer's msg_id may be in the future / past, once clocks agree.
pub const MAX_FUTURE_SECS: i64 = 30;
/// See [`MAX_FUTURE_SECS`].
pub const MAX_PAST_SECS: i64 = 300;

/// A message failed a structural or freshness check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageError {
    /// A length field disagrees with the bytes present, or padding is out of range.
    BadLength(&'static str),
    /// The message is for another session.
    WrongSession,
    /// msg_id parity or divisibility is wrong for the sender.
    BadMsgIdParity,
    /// msg_id was already seen, or is older than every id kept.
    ReplayedMsgId,
    /// msg_id is too far in the future or the past.
    MsgIdOutOfWindow,
    /// A container is nested, too large, or its ids are out of order.
    BadContainer(&'static str),
    /// gzip data is corrupt or expands beyond the limit.
    BadGzip,
    /// TL data could not be decoded.
    Decode(String),
}

impl std::fmt::Display for MessageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MessageError::BadLength(what) => write!(f, "bad length: {what}"),
            MessageError::WrongSession => f.write_str("message for another session"),
            MessageError::BadMsgIdParity => f.write_str("msg_id has the wrong parity"),
            MessageError::ReplayedMsgId => f.write_str("msg_id replayed or too old"),
            MessageError::MsgIdOutOfWindow => f.write_str("msg_id outside the time window"),
            MessageError::BadContainer(what) => write!(f, "bad container: {what}"),
            MessageError::BadGzip => f.write_str("bad gzip_packed data"),
            MessageError::Decode(what) => write!(f, "cannot decode: {what}"),
        }
    }
}

impl std::error::Error for MessageError {}

impl From<grammers_tl_types::deserialize::Error> for MessageError {
    fn from(e: grammers_tl_types::deserialize::Error) -> Self {
        MessageError::Decode(e.to_string())
    }
}

/// Seconds since the Unix epoch, as a float, from the local clock.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The time a msg_id encodes (its upper 32 bits), in seconds.
pub fn msg_id_time(msg_id: i64) -> i64 {
    msg_id >> 32
}

/// What a server-side msg_id is for: answers are 1 mod 4, other messages 3 mod 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgIdKind {
    /// A client message (0 mod 4).
    Client,
    /// A server answer to a client request (1 mod 4).
    ServerResponse,
    /// Any other server message (3 mod 4).
    ServerOther,
}

/// Generates strictly increasing msg_ids close to `unix time * 2^32`, corrected by the
/// offset learned from the peer's clock.
#[derive(Debug, Default)]
pub struct MsgIdClock {
    offset_secs: i64,
    last: i64,
}

impl MsgIdClock {
    /// A clock with no correction yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Corrects our clock with the peer's (security guidelines item 10; bad_msg 16/17).
    pub fn sync_to(&mut self, peer_time_secs: i64) {
        self.offset_secs = peer_time_secs - unix_now() as i64;
    }

    /// Corrects our clock from a msg_id the peer sent.
    pub fn sync_to_msg_id(&mut self, peer_msg_id: i64) {
        self.sync_to(msg_id_time(peer_msg_id));
        // Never go back: ids must keep increasing.
    }

    /// The current offset to the peer's clock.
    pub fn offset_secs(&self) -> i64 {
        self.offset_secs
    }

    /// Our estimate of the peer's current time in seconds.
    pub fn now_secs(&self) -> i64 {
        unix_now() as i64 + self.offset_secs
    }

    /// The next msg_id of the given kind.
    pub fn next(&mut self, kind: MsgIdKind) -> i64 {
        let now = unix_now() + self.offset_secs as f64;
        let secs = now.trunc() as i64;
        let frac = ((now.fract() * 4_294_967_296.0) as i64) & 0xffff_fffc;
        let mut id = (secs << 32) | frac;
        if id <= self.last {
            id = (self.last & !3) + 4;
        }
        id = (id & !3)
            | match kind {
                MsgIdKind::Client => 0,
                MsgIdKind::ServerResponse => 1,
                MsgIdKind::ServerOther => 3,
            };
        self.last = id;
        id
    }
}

/// seq_no generation: content-related messages get odd numbers and advance the counter.
#[derive(Debug, Default, Clone)]
pub struct SeqNo {
    content_sent: i32,
}

impl SeqNo {
    /// The seq_no for the next message.
    pub fn next(&mut self, content_related: bool) -> i32 {
        if content_related {
            let seq = self.content_sent * 2 + 1;
            self.content_sent += 1;
            seq
        } else {
            self.content_sent * 2
        }
    }
}

/// Whether a message with this constructor needs an acknowledgement (is content-related).
pub fn is_content_related(constructor: u32) -> bool {
    // msgs_ack, msg_container, ping-free service messages are not content-related.
    !matches!(
        constructor,
        0x62d6_b459 // msgs_ack
            | MSG_CONTAINER
            | 0x7abe_77ec // ping
            | 0x347773c5 // pong
            | 0xf3427b8c // ping_delay_disconnect
            | 0x0949d9dc // future_salt
            | 0xae500895 // future_salts
            | 0xda69_fb52 // msgs_state_req
            | 0x04de_b57d // msgs_state_info
            | 0x8cc0_d131 // msgs_all_info
            | 0xa7ef_f811 // bad_msg_notification
            | 0xedab_447b // bad_server_salt
    )
}

/// Reads the constructor id at the start of a TL body.
pub fn constructor_of(body: &[u8]) -> Option<u32> {
    body.get(..4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
}

/// The decrypted inner part of an encrypted message.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    /// server_salt.
    pub salt: i64,
    /// session_id.
    pub session_id: i64,
    /// msg_id.
    pub msg_id: i64,
    /// seq_no.
    pub seq_no: i32,
    /// message_data.
    pub body: &'a [u8],
}

/// Appends the plaintext of an encrypted message (before padding) to `out`.
pub fn write_envelope(
    salt: i64,
    session_id: i64,
    msg_id: i64,
    seq_no: i32,
    body: &[u8],
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(&salt.to_le_bytes());
    out.extend_from_slice(&session_id.to_le_bytes());
    out.extend_from_slice(&msg_id.to_le_bytes());
    out.extend_from_slice(&seq_no.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
}

/// Parses a decrypted plaintext, checking its lengths (security guidelines item 15):
/// message_data_length fits, is divisible by 4, and the padding is 12..=1024 bytes.
pub fn read_envelope(plain: &[u8]) -> Result<Envelope<'_>, MessageError> {
    if plain.len() < 32 {
        return Err(MessageError::BadLength("plaintext shorter than its header"));
    }
    let le64 = |at: usize| i64::from_le_bytes(plain[at..at + 8].try_into().expect("8"));
    let len = u32::from_le_bytes(plain[28..32].try_into().expect("4")) as usize;
    if !len.is_multiple_of(4) {
        return Err(MessageError::BadLength(
            "message_data_length not divisible by 4",
        ));
    }
    let available = plain.len() - 32;
    if len > available {
        return Err(MessageError::BadLength("message_data_length past the end"));
    }
    let padding = available - len;
    if !(12..=1024).contains(&padding) {
        return Err(MessageError::BadLength("padding outside 12..1024 bytes"));
    }
    Ok(Envelope {
        salt: le64(0),
        session_id: le64(8),
        msg_id: le64(16),
        seq_no: i32::from_le_bytes(plain[24..28].try_into().expect("4")),
        body: &plain[32..32 + len],
    })
}

/// Appends an unencrypted message (auth_key_id 0), as used by the handshake.
pub fn write_plain(msg_id: i64, body: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&0i64.to_le_bytes());
    out.extend_from_slice(&msg_id.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
}

/// Parses an unencrypted message, returning its msg_id and body.
pub fn read_plain(frame: &[u8]) -> Result<(i64, &[u8]), MessageError> {
    if frame.len() < 20 {
        return Err(MessageError::BadLength("unencrypted message too short"));
    }
    if frame[..8] != [0; 8] {
        return Err(MessageError::BadLength(
            "auth_key_id of an unencrypted message not 0",
        ));
    }
    let msg_id = i64::from_le_bytes(frame[8..16].try_into().expect("8"));
    let len = u32::from_le_bytes(frame[16..20].try_into().expect("4")) as usize;
    // Padded intermediate may add up to 15 bytes after the message.
    if len > frame.len() - 20 || frame.len() - 20 - len > 15 {
        return Err(MessageError::BadLength(
            "unencrypted message length disagrees",
        ));
    }
    Ok((msg_id, &frame[20..20 + len]))
}

/// One message inside a msg_container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inner<'a> {
    /// msg_id.
    pub msg_id: i64,
    /// seq_no.
    pub seq_no: i32,
    /// body.
    pub body: &'a [u8],
}

/// Parses a msg_container body (starting with its constructor), checking that it is not
/// nested, holds at most 1024 messages, each well-formed, with ids below the container's.
pub fn read_container(container_msg_id: i64, body: &[u8]) -> Result<Vec<Inner<'_>>, MessageError> {
    if constructor_of(body) != Some(MSG_CONTAINER) || body.len() < 8 {
        return Err(MessageError::BadContainer("not a container"));
    }
    let count = u32::from_le_bytes(body[4..8].try_into().expect("4")) as usize;
    if count > MAX_CONTAINER_MESSAGES {
        return Err(MessageError::BadContainer("more than 1024 messages"));
    }
    let mut items = Vec::with_capacity(count);
    let mut at = 8;
    for _ in 0..count {
        if body.len() < at + 16 {
            return Err(MessageError::BadContainer("truncated message header"));
        }
        let msg_id = i64::from_le_bytes(body[at..at + 8].try_into().expect("8"));
        let seq_no = i32::from_le_bytes(body[at + 8..at + 12].try_into().expect("4"));
        let len = u32::from_le_bytes(body[at + 12..at + 16].try_into().expect("4")) as usize;
        at += 16;
        if !len.is_multiple_of(4) || body.len() < at + len || len < 4 {
            return Err(MessageError::BadContainer("inner length"));
        }
        let inner = &body[at..at + len];
        if constructor_of(inner) == Some(MSG_CONTAINER) {
            return Err(MessageError::BadContainer("nested container"));
        }
        if msg_id >= container_msg_id {
            return Err(MessageError::BadContainer(
                "inner msg_id not below the container's",
            ));
        }
        items.push(Inner {
            msg_id,
            seq_no,
            body: inner,
        });
        at += len;
    }
    if at != body.len() {
        return Err(MessageError::BadContainer("trailing bytes"));
    }
    Ok(items)
}

/// Appends a msg_container holding `items` (msg_id, seq_no, body).
pub fn write_container(items: &[(i64, i32, &[u8])], out: &mut Vec<u8>) {
    out.extend_from_slice(&MSG_CONTAINER.to_le_bytes());
    out.extend_from_slice(&(items.len() as u32).to_le_bytes());
    for (msg_id, seq_no, body) in items {
        out.extend_from_slice(&msg_id.to_le_bytes());
        out.extend_from_slice(&seq_no.to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(body);
    }
}

/// Unpacks a gzip_packed body (starting with its constructor), refusing to expand past
/// `max_len` bytes (a zip bomb must not exhaust memory).
pub fn read_gzip_packed(body: &[u8], max_len: usize) -> Result<Vec<u8>, MessageError> {
    if constructor_of(body) != Some(GZIP_PACKED) {
        return Err(MessageError::BadGzip);
    }
    let packed = Vec::<u8>::from_bytes(&body[4..]).map_err(|_| MessageError::BadGzip)?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&packed[..])
        .take(max_len as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| MessageError::BadGzip)?;
    if out.len() > max_len {
        return Err(MessageError::BadGzip);
    }
    Ok(out)
}

/// Wraps a TL body into gzip_packed.
pub fn write_gzip_packed(body: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(body).expect("writing to a Vec cannot fail");
    let packed = enc.finish().expect("writing to a Vec cannot fail");
    let mut out = GZIP_PACKED.to_le_bytes().to_vec();
    packed.serialize(&mut out);
    out
}

/// Splits an rpc_result body into req_msg_id and the result.
pub fn read_rpc_result(body: &[u8]) -> Result<(i64, &[u8]), MessageError> {
    if constructor_of(body) != Some(RPC_RESULT) || body.len() < 16 {
        return Err(MessageError::BadLength("not an rpc_result"));
    }
    let req = i64::from_le_bytes(body[4..12].try_into().expect("8"));
    Ok((req, &body[12..]))
}

/// Appends an rpc_result body.
pub fn write_rpc_result(req_msg_id: i64, result: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&RPC_RESULT.to_le_bytes());
    out.extend_from_slice(&req_msg_id.to_le_bytes());
    out.extend_from_slice(result);
}

/// Appends an rpc_error body (boxed, with its constructor).
pub fn write_rpc_error(code: i32, message: &str, out: &mut Vec<u8>) {
    grammers_tl_types::enums::RpcError::Error(grammers_tl_types::types::RpcError {
        error_code: code,
        error_message: message.to_owned(),
    })
    .serialize(out);
}

/// Remembers the last msg_ids a peer sent, to refuse replays (security guidelines 17).
///
/// Arrival order decides which id is forgotten; a sorted set answers "seen?" and "lower
/// than every kept id?" in O(log n), as this runs for every message.
#[derive(Debug)]
pub struct RecentMsgIds {
    order: VecDeque<i64>,
    sorted: std::collections::BTreeSet<i64>,
    capacity: usize,
}

impl RecentMsgIds {
    /// Keeps the last `capacity` ids.
    pub fn new(capacity: usize) -> Self {
        Self {
            order: VecDeque::new(),
            sorted: std::collections::BTreeSet::new(),
            capacity: capacity.max(1),
        }
    }

    /// Checks a msg_id sent by `sender` and records it.
    ///
    /// `now_secs` is our estimate of the sender's clock; `None` skips the time window
    /// (before the clocks are known to agree).
    pub fn check(
        &mut self,
        sender: Side,
        msg_id: i64,
        now_secs: Option<i64>,
    ) -> Result<(), MessageError> {
        let parity_ok = match sender {
            Side::Client => msg_id % 4 == 0,
            Side::Server => msg_id % 2 == 1,
        };
        if !parity_ok {
            return Err(MessageError::BadMsgIdParity);
        }
        if let Some(now) = now_secs {
            let t = msg_id_time(msg_id);
            if t > now + MAX_FUTURE_SECS || t < now - MAX_PAST_SECS {
                return Err(MessageError::MsgIdOutOfWindow);
            }
        }
        if self.sorted.contains(&msg_id) {
            return Err(MessageError::ReplayedMsgId);
        }
        if self.order.len() == self.capacity {
            if self.sorted.first().is_some_and(|&lowest| msg_id < lowest) {
                return Err(MessageError::ReplayedMsgId);
            }
            if let Some(oldest) = self.order.pop_front() {
                self.sorted.remove(&oldest);
            }
        }
        self.order.push_back(msg_id);
        self.sorted.insert(msg_id);
        Ok(())
    }
}

/// Parses a boxed TL value, mapping the decoder's error.
pub fn decode<T: Deserializable>(body: &[u8]) -> Result<T, MessageError> {
    Ok(T::from_bytes(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_msg_ids_increase_and_are_divisible_by_4() {
        let mut clock = MsgIdClock::new();
        let mut last = 0;
        for _ in 0..10_000 {
            let id = clock.next(MsgIdKind::Client);
            assert_eq!(id % 4, 0);
            assert!(id > last);
            last = id;
        }
        let r = clock.next(MsgIdKind::ServerResponse);
        assert_eq!(r % 4, 1);
        assert_eq!(clock.next(MsgIdKind::ServerOther) % 4, 3);
        assert!((msg_id_time(r) - unix_now() as i64).abs() <= 1);
    }

    #[test]
    fn clock_sync_shifts_ids() {
        let mut clock = MsgIdClock::new();
        clock.sync_to(unix_now() as i64 + 1000);
        let t = msg_id_time(clock.next(MsgIdKind::Client));
        assert!((t - unix_now() as i64 - 1000).abs() <= 1);
    }

    #[test]
    fn seq_no_odd_for_content() {
        let mut s = SeqNo::default();
        assert_eq!(s.next(false), 0);
        assert_eq!(s.next(true), 1);
        assert_eq!(s.next(true), 3);
        assert_eq!(s.next(false), 4);
    }

    #[test]
    fn envelope_round_trip_and_checks() {
        let mut plain = Vec::new();
        write_envelope(1, 2, 3, 5, &[9; 8], &mut plain);
        plain.extend_from_slice(&[0; 24]);
        let env = read_envelope(&plain).unwrap();
        assert_eq!(
            (env.salt, env.session_id, env.msg_id, env.seq_no),
            (1, 2, 3, 5)
        );
        assert_eq!(env.body, &[9; 8]);
        // Padding too short.
        let mut short = plain[..plain.len() - 16].to_vec();
        short.truncate(32 + 8 + 8);
        assert!(read_envelope(&short).is_err());
        // Length past the end.
        let mut bad = plain.clone();
        bad[28..32].copy_from_slice(&1000u32.to_le_bytes());
        assert!(read_envelope(&bad).is_err());
        // Not divisible by 4.
        bad[28..32].copy_from_slice(&6u32.to_le_bytes());
        assert!(read_envelope(&bad).is_err());
    }

    #[test]
    fn container_round_trip_and_rules() {
        let mut body = Vec::new();
        write_container(&[(4, 1, &[1, 2, 3, 4]), (8, 3, &[5, 6, 7, 8])], &mut body);
        let items = read_container(12, &body).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].body, &[5, 6, 7, 8]);
        // Container id not above the inner ids.
        assert!(read_container(8, &body).is_err());
        // Nested.
        let mut nested = Vec::new();
        write_container(&[(4, 1, &body)], &mut nested);
        assert!(read_container(100, &nested).is_err());
        // Too many.
        let mut huge = MSG_CONTAINER.to_le_bytes().to_vec();
        huge.extend_from_slice(&1025u32.to_le_bytes());
        assert!(read_container(100, &huge).is_err());
        // Truncated.
        assert!(read_container(12, &body[..body.len() - 2]).is_err());
    }

    #[test]
    fn gzip_round_trip_and_bomb() {
        let body = vec![7u8; 10_000];
        let packed = write_gzip_packed(&body);
        assert_eq!(read_gzip_packed(&packed, 10_000).unwrap(), body);
        assert_eq!(read_gzip_packed(&packed, 9_999), Err(MessageError::BadGzip));
        assert!(read_gzip_packed(&packed[..20], 10_000).is_err());
    }

    #[test]
    fn rpc_error_is_boxed() {
        let mut out = Vec::new();
        write_rpc_error(303, "PHONE_MIGRATE_2", &mut out);
        let parsed: grammers_tl_types::enums::RpcError = decode(&out).unwrap();
        let grammers_tl_types::enums::RpcError::Error(e) = parsed;
        assert_eq!(e.error_code, 303);
        assert_eq!(e.error_message, "PHONE_MIGRATE_2");
    }

    #[test]
    fn recent_ids_refuse_replays_parity_and_window() {
        let mut recent = RecentMsgIds::new(4);
        let now = unix_now() as i64;
        let id = |t: i64, n: i64| (t << 32) | n;
        assert!(recent.check(Side::Server, id(now, 1), Some(now)).is_ok());
        assert_eq!(
            recent.check(Side::Server, id(now, 1), Some(now)),
            Err(MessageError::ReplayedMsgId)
        );
        assert_eq!(
            recent.check(Side::Server, id(now, 4), Some(now)),
            Err(MessageError::BadMsgIdParity)
        );
        assert_eq!(
            recent.check(Side::Server, id(now + 31, 5), Some(now)),
            Err(MessageError::MsgIdOutOfWindow)
        );
        assert_eq!(
            recent.check(Side::Server, id(now - 301, 5), Some(now)),
            Err(MessageError::MsgIdOutOfWindow)
        );
        for n in [5, 9, 13, 17] {
            recent.check(Side::Server, id(now, n), Some(now)).unwrap();
        }
        // Full (5, 9, 13, 17 kept; 1 forgotten), and 3 is lower than every kept id.
        assert_eq!(
            recent.check(Side::Server, id(now, 3), Some(now)),
            Err(MessageError::ReplayedMsgId)
        );
        assert!(recent.check(Side::Client, id(now, 16), Some(now)).is_ok());
    }
}
