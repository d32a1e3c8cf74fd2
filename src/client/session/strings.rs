//! Other libraries' string sessions, read and written byte for byte as they do.
//!
//! The layouts, as each library's own source defines them:
//!
//! - **Telethon** (`telethon/sessions/string.py`): `"1"` then urlsafe base64 (with `=`
//!   padding) of `struct.pack(">B4sH256s")` (dc id, IPv4 address, port, auth key), or
//!   `">B16sH256s"` when the address is IPv6: 263 or 275 bytes.
//! - **GramJS** (`gramjs/sessions/StringSession.ts`): `"1"` then standard base64 (padded) of
//!   dc id (1 byte), the address *as text* with its length first (u16 big endian), the port
//!   (u16 big endian) and the auth key. GramJS also reads Telethon's two layouts.
//! - **Pyrogram / Kurigram** (`pyrogram/storage/storage.py`): urlsafe base64 *without*
//!   padding of `struct.pack(">BI?256sQ?")`: dc id, api_id, test mode, auth key, user id, is
//!   bot (271 bytes, 362 characters). Older releases wrote `">B?256sI?"` (no api_id, 32-bit
//!   user id: 263 bytes, 351 characters) and `">B?256sQ?"` (267 bytes, 356 characters); the
//!   current release still reads both, telling them apart by the string's length. The string
//!   holds no address: Pyrogram takes it from its own table of Telegram's DCs, production or
//!   test by the flag.
//! - **mtcute** (`packages/core/src/highlevel/utils/string-session.ts`, version 3, the only
//!   one the current release writes and reads): urlsafe base64 without padding of: version
//!   byte 3; flags (int32 little endian: 1 = the signed-in user follows, 2 = test mode (older
//!   writers), 4 = a separate media DC follows); the main DC as TL `bytes`; the media DC as
//!   TL `bytes` when flag 4; when flag 1 the user id (int64 little endian) and the bot flag
//!   (TL `Bool`); the auth key as TL `bytes`. A DC (`utils/dcs.ts`, serializeBasicDcOption)
//!   is: version byte (2; 1 is still read), dc id byte, flags byte (1 = IPv6, 2 = media only,
//!   4 = test mode, version 2 only), the address as TL `string`, the port as int32 little
//!   endian.
//!
//! Reading detects the format: Telethon and GramJS strings start with `"1"` (no Pyrogram or
//! mtcute string can: their first byte is a small number); Pyrogram's are one of three fixed
//! lengths that no mtcute string can have (an mtcute string with the shortest address is
//! longer); mtcute's start with its version byte.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};
use zeroize::{Zeroize, Zeroizing};

use super::SignedIn;
use crate::client::error::{Error, ErrorKind};

/// The string-session formats tgauth reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionFormat {
    /// Telethon's `StringSession`.
    Telethon,
    /// GramJS's `StringSession`.
    GramJs,
    /// Pyrogram's (and Kurigram's) session string.
    Pyrogram,
    /// mtcute's string session (version 3).
    Mtcute,
}

/// A session in one of the string formats: a DC, its address (when the format has one) and
/// its auth key, with what the format says about the user, the app and test mode.
#[derive(Clone, PartialEq, Eq)]
pub struct StringSession {
    /// The format it was read in (for a session made to be written: any).
    pub format: SessionFormat,
    /// The DC the key belongs to (the home DC).
    pub dc_id: i32,
    /// Its address; `None` for Pyrogram, whose strings hold none.
    pub addr: Option<SocketAddr>,
    /// The auth key (wiped when the value is dropped).
    pub auth_key: [u8; 256],
    /// Who is signed in (Pyrogram, mtcute).
    pub user: Option<SignedIn>,
    /// The api_id the key was used with (Pyrogram's current form).
    pub api_id: Option<i32>,
    /// Whether the DC is one of Telegram's test DCs (Pyrogram, mtcute).
    pub test_mode: bool,
}

impl Drop for StringSession {
    fn drop(&mut self) {
        self.auth_key.zeroize();
    }
}

impl std::fmt::Debug for StringSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StringSession")
            .field("format", &self.format)
            .field("dc_id", &self.dc_id)
            .field("addr", &self.addr)
            .field("auth_key", &"<secret>")
            .field("user", &self.user)
            .field("api_id", &self.api_id)
            .field("test_mode", &self.test_mode)
            .finish()
    }
}

fn bad(why: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("string session: {why}"))
}

/// Base64 that takes the padding or leaves it, as Python's and JavaScript's decoders do.
const fn lenient(alphabet: &alphabet::Alphabet) -> GeneralPurpose {
    GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}
const URL_SAFE: GeneralPurpose = lenient(&alphabet::URL_SAFE);
const STANDARD: GeneralPurpose = lenient(&alphabet::STANDARD);
const URL_SAFE_PADDED: GeneralPurpose = base64::engine::general_purpose::URL_SAFE;
const STANDARD_PADDED: GeneralPurpose = base64::engine::general_purpose::STANDARD;
const URL_SAFE_NO_PAD: GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Pyrogram's current layout, `>BI?256sQ?`.
const PYROGRAM_LEN: usize = 271;
/// Pyrogram's oldest layout, `>B?256sI?`.
const PYROGRAM_OLD_LEN: usize = 263;
/// Pyrogram's layout with 64-bit user ids and no api_id, `>B?256sQ?`.
const PYROGRAM_OLD64_LEN: usize = 267;
/// The version of mtcute's string sessions that the current mtcute writes and reads.
const MTCUTE_VERSION: u8 = 3;
/// TL `boolTrue` and `boolFalse`.
const BOOL_TRUE: u32 = 0x9972_75b5;
const BOOL_FALSE: u32 = 0xbc79_9737;

fn key_from(bytes: &[u8]) -> Result<[u8; 256], Error> {
    bytes
        .try_into()
        .map_err(|_| bad(format!("the auth key has {} bytes, not 256", bytes.len())))
}

fn dc_byte(dc_id: i32) -> Result<u8, Error> {
    u8::try_from(dc_id).ok().filter(|d| *d != 0).ok_or_else(|| {
        bad(format!(
            "DC {dc_id} does not fit the format's one-byte DC id"
        ))
    })
}

fn flag(byte: u8) -> Result<bool, Error> {
    match byte {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(bad(format!("a flag byte is {other}, not 0 or 1"))),
    }
}

impl StringSession {
    /// Reads a string session of any supported format, detecting which.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        if s.is_empty() {
            return Err(bad("empty"));
        }
        if let Some(body) = s.strip_prefix('1') {
            return Self::parse_telethon_or_gramjs(body);
        }
        let bytes = Zeroizing::new(
            URL_SAFE
                .decode(s)
                .map_err(|_| bad("not a known format (not base64)"))?,
        );
        match bytes.len() {
            PYROGRAM_LEN | PYROGRAM_OLD_LEN | PYROGRAM_OLD64_LEN => Self::parse_pyrogram(&bytes),
            _ if bytes.first() == Some(&MTCUTE_VERSION) => Self::parse_mtcute(&bytes),
            _ if matches!(bytes.first(), Some(1 | 2)) => Err(bad(format!(
                "an mtcute string session of version {} (or an unknown format): only version \
                 {MTCUTE_VERSION}, the one mtcute writes and reads today, is supported",
                bytes[0]
            ))),
            n => Err(bad(format!(
                "not a Telethon, GramJS, Pyrogram or mtcute string session ({n} bytes)"
            ))),
        }
    }

    fn parse_telethon_or_gramjs(body: &str) -> Result<Self, Error> {
        let bytes = Zeroizing::new(
            URL_SAFE
                .decode(body)
                .or_else(|_| STANDARD.decode(body))
                .map_err(|_| bad("not base64 after the version \"1\""))?,
        );
        let session = |format, ip: IpAddr, port: u16, key: &[u8]| -> Result<Self, Error> {
            Ok(Self {
                format,
                dc_id: bytes[0] as i32,
                addr: Some(SocketAddr::new(ip, port)),
                auth_key: key_from(key)?,
                user: None,
                api_id: None,
                test_mode: false,
            })
        };
        // GramJS: the address is text, its length first; the length must match the total.
        if bytes.len() > 1 + 2 + 2 + 256 {
            let len = u16::from_be_bytes([bytes[1], bytes[2]]) as usize;
            if bytes.len() == 1 + 2 + len + 2 + 256 {
                if let Some(ip) = std::str::from_utf8(&bytes[3..3 + len])
                    .ok()
                    .and_then(|t| t.parse::<IpAddr>().ok())
                {
                    let port = u16::from_be_bytes([bytes[3 + len], bytes[4 + len]]);
                    return session(SessionFormat::GramJs, ip, port, &bytes[5 + len..]);
                }
            }
        }
        let (ip, at): (IpAddr, usize) = match bytes.len() {
            263 => (
                Ipv4Addr::from(<[u8; 4]>::try_from(&bytes[1..5]).expect("4 bytes")).into(),
                5,
            ),
            275 => (
                Ipv6Addr::from(<[u8; 16]>::try_from(&bytes[1..17]).expect("16 bytes")).into(),
                17,
            ),
            n => {
                return Err(bad(format!(
                    "{n} bytes: neither Telethon's layout (263 or 275 bytes) nor GramJS's"
                )))
            }
        };
        let port = u16::from_be_bytes([bytes[at], bytes[at + 1]]);
        session(SessionFormat::Telethon, ip, port, &bytes[at + 2..])
    }

    fn parse_pyrogram(b: &[u8]) -> Result<Self, Error> {
        let (dc, api_id, test, key, user_id, bot) = match b.len() {
            PYROGRAM_LEN => (
                b[0],
                u32::from_be_bytes(b[1..5].try_into().expect("4 bytes")),
                b[5],
                &b[6..262],
                u64::from_be_bytes(b[262..270].try_into().expect("8 bytes")),
                b[270],
            ),
            PYROGRAM_OLD_LEN => (
                b[0],
                0,
                b[1],
                &b[2..258],
                u32::from_be_bytes(b[258..262].try_into().expect("4 bytes")) as u64,
                b[262],
            ),
            _ => (
                b[0],
                0,
                b[1],
                &b[2..258],
                u64::from_be_bytes(b[258..266].try_into().expect("8 bytes")),
                b[266],
            ),
        };
        if dc == 0 {
            return Err(bad("a Pyrogram session of DC 0"));
        }
        let api_id = match api_id {
            0 => None,
            id => Some(i32::try_from(id).map_err(|_| bad(format!("api_id {id} out of range")))?),
        };
        let bot = flag(bot)?;
        let user = match user_id {
            0 => None,
            id => Some(SignedIn {
                id: i64::try_from(id).map_err(|_| bad(format!("user id {id} out of range")))?,
                bot,
            }),
        };
        Ok(Self {
            format: SessionFormat::Pyrogram,
            dc_id: dc as i32,
            addr: None,
            auth_key: key_from(key)?,
            user,
            api_id,
            test_mode: flag(test)?,
        })
    }

    fn parse_mtcute(b: &[u8]) -> Result<Self, Error> {
        let mut r = TlReader { buf: b, at: 1 };
        let flags = r.int()?;
        let main = r.bytes()?;
        let (dc_id, addr, dc_test) = parse_mtcute_dc(main)?;
        let mut test_mode = dc_test || flags & 2 != 0;
        if flags & 4 != 0 {
            // The media DC: checked as mtcute does, then not needed.
            let (_, _, media_test) = parse_mtcute_dc(r.bytes()?)?;
            if flags & 2 == 0 && media_test != dc_test {
                return Err(bad("mtcute: the main and media DCs disagree on test mode"));
            }
            test_mode |= media_test;
        }
        let user = if flags & 1 != 0 {
            let id = r.long()?;
            let bot = match r.int()? as u32 {
                BOOL_TRUE => true,
                BOOL_FALSE => false,
                other => return Err(bad(format!("mtcute: {other:#x} is not a TL Bool"))),
            };
            Some(SignedIn { id, bot })
        } else {
            None
        };
        let key = key_from(r.bytes()?)?;
        if r.at != b.len() {
            return Err(bad("mtcute: bytes left after the auth key"));
        }
        Ok(Self {
            format: SessionFormat::Mtcute,
            dc_id,
            addr: Some(addr),
            auth_key: key,
            user,
            api_id: None,
            test_mode,
        })
    }

    /// Writes the session in `format`. Telethon, GramJS and mtcute need the address;
    /// Pyrogram needs the signed-in user and the api_id (its string holds both):
    /// InvalidArgument when what the format needs is missing.
    pub fn render(&self, format: SessionFormat) -> Result<String, Error> {
        let dc = dc_byte(self.dc_id)?;
        let addr = || {
            self.addr
                .ok_or_else(|| bad(format!("{format:?} needs the DC's address")))
        };
        let mut out = Zeroizing::new(Vec::with_capacity(320));
        let text = match format {
            SessionFormat::Telethon => {
                let addr = addr()?;
                out.push(dc);
                match addr.ip() {
                    IpAddr::V4(ip) => out.extend_from_slice(&ip.octets()),
                    IpAddr::V6(ip) => out.extend_from_slice(&ip.octets()),
                }
                out.extend_from_slice(&addr.port().to_be_bytes());
                out.extend_from_slice(&self.auth_key);
                format!("1{}", URL_SAFE_PADDED.encode(&*out))
            }
            SessionFormat::GramJs => {
                let addr = addr()?;
                let ip = addr.ip().to_string();
                out.push(dc);
                out.extend_from_slice(&(ip.len() as u16).to_be_bytes());
                out.extend_from_slice(ip.as_bytes());
                out.extend_from_slice(&addr.port().to_be_bytes());
                out.extend_from_slice(&self.auth_key);
                format!("1{}", STANDARD_PADDED.encode(&*out))
            }
            SessionFormat::Pyrogram => {
                let user = self.user.ok_or_else(|| {
                    bad(
                        "Pyrogram's session string holds the signed-in user: sign in first \
                         (or call get_me on a signed-in session)",
                    )
                })?;
                let api_id = self.api_id.ok_or_else(|| {
                    bad(
                        "Pyrogram's session string holds the api_id: give the app in the \
                         config (or make a call that names it) first",
                    )
                })?;
                out.push(dc);
                out.extend_from_slice(&(api_id as u32).to_be_bytes());
                out.push(self.test_mode as u8);
                out.extend_from_slice(&self.auth_key);
                out.extend_from_slice(&(user.id as u64).to_be_bytes());
                out.push(user.bot as u8);
                URL_SAFE_NO_PAD.encode(&*out)
            }
            SessionFormat::Mtcute => {
                let addr = addr()?;
                out.push(MTCUTE_VERSION);
                let flags: i32 = if self.user.is_some() { 1 } else { 0 };
                out.extend_from_slice(&flags.to_le_bytes());
                let mut option = vec![
                    2,
                    dc,
                    u8::from(addr.is_ipv6()) | if self.test_mode { 4 } else { 0 },
                ];
                tl_bytes(&mut option, addr.ip().to_string().as_bytes());
                option.extend_from_slice(&(addr.port() as i32).to_le_bytes());
                tl_bytes(&mut out, &option);
                if let Some(user) = self.user {
                    out.extend_from_slice(&user.id.to_le_bytes());
                    let b = if user.bot { BOOL_TRUE } else { BOOL_FALSE };
                    out.extend_from_slice(&b.to_le_bytes());
                }
                tl_bytes(&mut out, &self.auth_key);
                URL_SAFE_NO_PAD.encode(&*out)
            }
        };
        Ok(text)
    }
}

/// mtcute's basic DC option: (id, address, test mode).
fn parse_mtcute_dc(b: &[u8]) -> Result<(i32, SocketAddr, bool), Error> {
    if b.len() < 3 {
        return Err(bad("mtcute: a DC entry is truncated"));
    }
    let (version, id, flags) = (b[0], b[1], b[2]);
    if version != 1 && version != 2 {
        return Err(bad(format!("mtcute: DC entry version {version}")));
    }
    let mut r = TlReader { buf: b, at: 3 };
    let text = r.bytes()?;
    let ip: IpAddr = std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| bad("mtcute: a DC address is not an IP address"))?;
    let port = u16::try_from(r.int()?)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| bad("mtcute: a DC port is out of range"))?;
    if id == 0 {
        return Err(bad("mtcute: DC 0"));
    }
    Ok((
        id as i32,
        SocketAddr::new(ip, port),
        version == 2 && flags & 4 != 0,
    ))
}

/// Appends TL `bytes`: a length (one byte, or 0xfe and three bytes), the data, and zeros
/// up to a multiple of four.
fn tl_bytes(out: &mut Vec<u8>, data: &[u8]) {
    let head = if data.len() <= 253 {
        out.push(data.len() as u8);
        1
    } else {
        out.push(254);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes()[..3]);
        4
    };
    out.extend_from_slice(data);
    let pad = (4 - (head + data.len()) % 4) % 4;
    out.resize(out.len() + pad, 0);
}

/// Reads TL values from a buffer, refusing to run past its end.
struct TlReader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> TlReader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.buf.len());
        let end = end.ok_or_else(|| bad("truncated"))?;
        let out = &self.buf[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn int(&mut self) -> Result<i32, Error> {
        Ok(i32::from_le_bytes(self.take(4)?.try_into().expect("4")))
    }

    fn long(&mut self) -> Result<i64, Error> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().expect("8")))
    }

    fn bytes(&mut self) -> Result<&'a [u8], Error> {
        let first = self.take(1)?[0];
        let (len, head) = if first == 254 {
            let l = self.take(3)?;
            (u32::from_le_bytes([l[0], l[1], l[2], 0]) as usize, 4)
        } else if first == 255 {
            return Err(bad("a TL length byte of 255"));
        } else {
            (first as usize, 1)
        };
        let data = self.take(len)?;
        self.take((4 - (head + len) % 4) % 4)?;
        Ok(data)
    }
}

#[cfg(test)]
#[path = "strings_tests.rs"]
mod tests;
