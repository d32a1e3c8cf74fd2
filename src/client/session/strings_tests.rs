//! Known answers: every string below was produced by the library itself, with DC and key
//! chosen by hand (the auth key is the bytes 0, 1, ..., 255):
//!
//! - Telethon 1.45.0: `StringSession()`, `set_dc(...)`, `auth_key = AuthKey(key)`, `save()`.
//! - GramJS (npm `telegram` 2.26): `new StringSession('')`, `setDC(...)`, `setAuthKey(...)`,
//!   `save()`.
//! - Kurigram 2.2.26 (Pyrogram's maintained fork, same format): an in-memory
//!   `SQLiteStorage` with dc_id, api_id, test_mode, auth_key, user_id and is_bot set, then
//!   `export_session_string()`. The two older layouts were packed with the storage's own
//!   `OLD_SESSION_STRING_FORMAT` / `OLD_SESSION_STRING_FORMAT_64` and read back by it.
//! - mtcute (`@mtcute/core` 0.30.3): `writeStringSession({version: 3, primaryDcs, self,
//!   authKey})`.

use super::*;

const TELETHON4: &str = concat!(
    "1ApWapzMBuwABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzA",
    "xMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2BhYmNkZWZnaGl",
    "qa2xtbm9wcXJzdHV2d3h5ent8fX5_gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp-goaK",
    "jpKWmp6ipqqusra6vsLGys7S1tre4ubq7vL2-v8DBwsPExcbHyMnKy8zNzs_Q0dLT1NXW19jZ2tv",
    "c3d7f4OHi4-Tl5ufo6err7O3u7_Dx8vP09fb3-Pn6-_z9_v8=",
);

const TELETHON6: &str = concat!(
    "1BCABBnwE6PAEAAAAAAAAAAoBuwABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQ",
    "lJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1",
    "eX2BhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5_gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZa",
    "XmJmam5ydnp-goaKjpKWmp6ipqqusra6vsLGys7S1tre4ubq7vL2-v8DBwsPExcbHyMnKy8zNzs_",
    "Q0dLT1NXW19jZ2tvc3d7f4OHi4-Tl5ufo6err7O3u7_Dx8vP09fb3-Pn6-_z9_v8=",
);

const GRAMJS: &str = concat!(
    "1AgAOMTQ5LjE1NC4xNjcuNTEBuwABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQ",
    "lJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1",
    "eX2BhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZa",
    "XmJmam5ydnp+goaKjpKWmp6ipqqusra6vsLGys7S1tre4ubq7vL2+v8DBwsPExcbHyMnKy8zNzs/",
    "Q0dLT1NXW19jZ2tvc3d7f4OHi4+Tl5ufo6err7O3u7/Dx8vP09fb3+Pn6+/z9/v8=",
);

const GRAMJS6: &str = concat!(
    "1BAAUMjAwMTo2N2M6NGU4OmYwMDQ6OmEBuwABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4",
    "fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFFSU1RVVld",
    "YWVpbXF1eX2BhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4SFhoeIiYqLjI2Oj5C",
    "RkpOUlZaXmJmam5ydnp+goaKjpKWmp6ipqqusra6vsLGys7S1tre4ubq7vL2+v8DBwsPExcbHyMn",
    "Ky8zNzs/Q0dLT1NXW19jZ2tvc3d7f4OHi4+Tl5ufo6err7O3u7/Dx8vP09fb3+Pn6+/z9/v8=",
);

const PYROGRAM: &str = concat!(
    "AgAAMDkAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEy",
    "MzQ1Njc4OTo7PD0-P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWpr",
    "bG1ub3BxcnN0dXZ3eHl6e3x9fn-AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOk",
    "paanqKmqq6ytrq-wsbKztLW2t7i5uru8vb6_wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd",
    "3t_g4eLj5OXm5-jp6uvs7e7v8PHy8_T19vf4-fr7_P3-_wAAAAJT2FWyAA",
);

const PYROGRAM_TEST_BOT: &str = concat!(
    "AwAAB_gBAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEy",
    "MzQ1Njc4OTo7PD0-P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWpr",
    "bG1ub3BxcnN0dXZ3eHl6e3x9fn-AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOk",
    "paanqKmqq6ytrq-wsbKztLW2t7i5uru8vb6_wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd",
    "3t_g4eLj5OXm5-jp6uvs7e7v8PHy8_T19vf4-fr7_P3-_wAAAAHPi5pBAQ",
);

const PYROGRAM_OLD: &str = concat!(
    "AgAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2",
    "Nzg5Ojs8PT4_QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9gYWJjZGVmZ2hpamtsbW5v",
    "cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo-QkZKTlJWWl5iZmpucnZ6foKGio6Slpqeo",
    "qaqrrK2ur7CxsrO0tba3uLm6u7y9vr_AwcLDxMXGx8jJysvMzc7P0NHS09TV1tfY2drb3N3e3-Dh",
    "4uPk5ebn6Onq6-zt7u_w8fLz9PX29_j5-vv8_f7_B1vNFQA",
);

const PYROGRAM_OLD64: &str = concat!(
    "AQEAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2",
    "Nzg5Ojs8PT4_QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9gYWJjZGVmZ2hpamtsbW5v",
    "cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo-QkZKTlJWWl5iZmpucnZ6foKGio6Slpqeo",
    "qaqrrK2ur7CxsrO0tba3uLm6u7y9vr_AwcLDxMXGx8jJysvMzc7P0NHS09TV1tfY2drb3N3e3-Dh",
    "4uPk5ebn6Onq6-zt7u_w8fLz9PX29_j5-vv8_f7_AAAAAlPYLqIB",
);

const MTCUTE_PLAIN: &str = concat!(
    "AwEAAAATAgIACTEyNy4wLjAuMQAAog8AALJV2FMCAAAAN5d5vP4AAQAAAQIDBAUGBwgJCgsMDQ4P",
    "EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4_QEFCQ0RFRkdI",
    "SUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9gYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CB",
    "goOEhYaHiImKi4yNjo-QkZKTlJWWl5iZmpucnZ6foKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6",
    "u7y9vr_AwcLDxMXGx8jJysvMzc7P0NHS09TV1tfY2drb3N3e3-Dh4uPk5ebn6Onq6-zt7u_w8fLz",
    "9PX29_j5-vv8_f7_",
);

const MTCUTE_V6_TEST_MEDIA_NOSELF: &str = concat!(
    "AwQAAAALAgMFAzo6MbsBAAALAgMHAzo6MbwBAAD-AAEAAAECAwQFBgcICQoLDA0ODxAREhMUFRYX",
    "GBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-P0BBQkNERUZHSElKS0xNTk9Q",
    "UVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn-AgYKDhIWGh4iJ",
    "iouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq-wsbKztLW2t7i5uru8vb6_wMHC",
    "w8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t_g4eLj5OXm5-jp6uvs7e7v8PHy8_T19vf4-fr7",
    "_P3-_w",
);

const MTCUTE_BOT: &str = concat!(
    "AwEAAAAXAgEADjE0OS4xNTQuMTc1LjUzALsBAABBmovPAQAAALV1cpn-AAEAAAECAwQFBgcICQoL",
    "DA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-P0BBQkNE",
    "RUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9",
    "fn-AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq-wsbKztLW2",
    "t7i5uru8vb6_wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t_g4eLj5OXm5-jp6uvs7e7v",
    "8PHy8_T19vf4-fr7_P3-_w",
);

fn key() -> [u8; 256] {
    std::array::from_fn(|i| i as u8)
}

fn session(format: SessionFormat, dc_id: i32, addr: Option<&str>) -> StringSession {
    StringSession {
        format,
        dc_id,
        addr: addr.map(|a| a.parse().unwrap()),
        auth_key: key(),
        user: None,
        api_id: None,
        test_mode: false,
    }
}

/// Reads `text`, checks it is `expected`, and writes it back byte for byte.
fn known_answer(text: &str, expected: StringSession) {
    let parsed = StringSession::parse(text).unwrap();
    assert_eq!(parsed, expected);
    assert_eq!(parsed.render(expected.format).unwrap(), text);
}

#[test]
fn telethon_ipv4_and_ipv6() {
    let s = session(SessionFormat::Telethon, 2, Some("149.154.167.51:443"));
    known_answer(TELETHON4, s);
    let s = session(
        SessionFormat::Telethon,
        4,
        Some("[2001:67c:4e8:f004::a]:443"),
    );
    known_answer(TELETHON6, s);
}

#[test]
fn gramjs_ipv4_and_ipv6() {
    known_answer(
        GRAMJS,
        session(SessionFormat::GramJs, 2, Some("149.154.167.51:443")),
    );
    known_answer(
        GRAMJS6,
        session(SessionFormat::GramJs, 4, Some("[2001:67c:4e8:f004::a]:443")),
    );
}

#[test]
fn pyrogram_current_form() {
    let mut s = session(SessionFormat::Pyrogram, 2, None);
    s.api_id = Some(12345);
    s.user = Some(SignedIn {
        id: 9996621234,
        bot: false,
    });
    known_answer(PYROGRAM, s);
    let mut s = session(SessionFormat::Pyrogram, 3, None);
    s.api_id = Some(2040);
    s.test_mode = true;
    s.user = Some(SignedIn {
        id: 7777000001,
        bot: true,
    });
    known_answer(PYROGRAM_TEST_BOT, s);
}

#[test]
fn pyrogram_older_forms_are_read_and_written_as_the_current_one() {
    assert_eq!(PYROGRAM_OLD.len(), 351);
    assert_eq!(PYROGRAM_OLD64.len(), 356);
    let mut old = session(SessionFormat::Pyrogram, 2, None);
    old.user = Some(SignedIn {
        id: 123456789,
        bot: false,
    });
    assert_eq!(StringSession::parse(PYROGRAM_OLD).unwrap(), old);
    let mut old64 = session(SessionFormat::Pyrogram, 1, None);
    old64.test_mode = true;
    old64.user = Some(SignedIn {
        id: 9996611234,
        bot: true,
    });
    let mut parsed = StringSession::parse(PYROGRAM_OLD64).unwrap();
    assert_eq!(parsed, old64);
    // No api_id in the old forms: Pyrogram's current one cannot be written without it.
    let err = parsed.render(SessionFormat::Pyrogram).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(err.message.contains("api_id"), "{}", err.message);
    parsed.api_id = Some(77);
    let current = parsed.render(SessionFormat::Pyrogram).unwrap();
    assert_eq!(current.len(), 362);
    assert_eq!(StringSession::parse(&current).unwrap(), parsed);
}

#[test]
fn mtcute_version_3() {
    let mut s = session(SessionFormat::Mtcute, 2, Some("127.0.0.1:4002"));
    s.user = Some(SignedIn {
        id: 9996621234,
        bot: false,
    });
    known_answer(MTCUTE_PLAIN, s);
    let mut s = session(SessionFormat::Mtcute, 1, Some("149.154.175.53:443"));
    s.user = Some(SignedIn {
        id: 7777000001,
        bot: true,
    });
    known_answer(MTCUTE_BOT, s);
}

#[test]
fn mtcute_with_a_media_dc_ipv6_and_test_mode() {
    // Written by mtcute with a separate media DC (flag 4) and no user; tgauth keeps the main
    // DC and writes the media DC as the main one (flag 4 off), which mtcute reads the same.
    let mut expected = session(SessionFormat::Mtcute, 3, Some("[::1]:443"));
    expected.test_mode = true;
    let parsed = StringSession::parse(MTCUTE_V6_TEST_MEDIA_NOSELF).unwrap();
    assert_eq!(parsed, expected);
    let ours = parsed.render(SessionFormat::Mtcute).unwrap();
    assert_ne!(ours, MTCUTE_V6_TEST_MEDIA_NOSELF);
    assert_eq!(StringSession::parse(&ours).unwrap(), expected);
}

#[test]
fn every_format_round_trips_through_every_other() {
    let formats = [
        SessionFormat::Telethon,
        SessionFormat::GramJs,
        SessionFormat::Pyrogram,
        SessionFormat::Mtcute,
    ];
    for addr in [
        "149.154.167.51:443",
        "[2001:67c:4e8:f002::a]:443",
        "127.0.0.1:40002",
    ] {
        let mut s = session(SessionFormat::Telethon, 2, Some(addr));
        s.user = Some(SignedIn { id: 42, bot: true });
        s.api_id = Some(12345);
        for format in formats {
            let back = StringSession::parse(&s.render(format).unwrap()).unwrap();
            assert_eq!(back.format, format);
            assert_eq!((back.dc_id, back.auth_key), (2, key()));
            match format {
                SessionFormat::Pyrogram => {
                    assert_eq!(back.addr, None);
                    assert_eq!((back.user, back.api_id), (s.user, s.api_id));
                }
                SessionFormat::Mtcute => {
                    assert_eq!((back.addr, back.user), (s.addr, s.user));
                }
                _ => assert_eq!((back.addr, back.user), (s.addr, None)),
            }
        }
    }
}

#[test]
fn what_a_format_needs_is_asked_for() {
    let mut s = session(SessionFormat::Pyrogram, 2, None);
    s.api_id = Some(1);
    for format in [
        SessionFormat::Telethon,
        SessionFormat::GramJs,
        SessionFormat::Mtcute,
    ] {
        let err = s.render(format).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
        assert!(err.message.contains("address"), "{}", err.message);
    }
    let err = s.render(SessionFormat::Pyrogram).unwrap_err();
    assert!(err.message.contains("signed-in user"), "{}", err.message);
    let mut s = session(SessionFormat::Telethon, 300, Some("127.0.0.1:1"));
    assert!(s.render(SessionFormat::Telethon).is_err());
    s.dc_id = 0;
    assert!(s.render(SessionFormat::Mtcute).is_err());
}

#[test]
fn garbage_and_wrong_lengths_are_refused() {
    let cut = |s: &str, n: usize| s[..s.len() - n].to_owned();
    let mut cases = vec![
        String::new(),
        "   ".into(),
        "2abc".into(),
        "1!!!".into(),
        "1AAAA".into(),
        "not a session".into(),
        cut(TELETHON4, 8),
        format!("{TELETHON4}AAAA"),
        cut(GRAMJS, 8),
        cut(PYROGRAM, 1),
        cut(PYROGRAM, 4),
        format!("{PYROGRAM}AA"),
        cut(MTCUTE_PLAIN, 4),
        format!("{MTCUTE_PLAIN}AAAA"),
        URL_SAFE_NO_PAD.encode([0u8; 300]),
    ];
    // A Pyrogram string whose test-mode byte is neither 0 nor 1.
    let mut raw = URL_SAFE.decode(PYROGRAM).unwrap();
    raw[5] = 7;
    cases.push(URL_SAFE_NO_PAD.encode(&raw));
    // mtcute's older versions, and a Bool that is not one.
    let mut raw = URL_SAFE.decode(MTCUTE_PLAIN).unwrap();
    raw[0] = 2;
    cases.push(URL_SAFE_NO_PAD.encode(&raw));
    let mut raw = URL_SAFE.decode(MTCUTE_PLAIN).unwrap();
    let at = raw.len() - 260 - 4;
    raw[at] ^= 1;
    cases.push(URL_SAFE_NO_PAD.encode(&raw));
    for case in cases {
        let err = StringSession::parse(&case).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidArgument, "{case:?}");
        assert!(
            err.message.starts_with("string session: "),
            "{}",
            err.message
        );
    }
}

#[test]
fn the_key_is_never_printed() {
    let s = StringSession::parse(TELETHON4).unwrap();
    let shown = format!("{s:?}");
    assert!(
        shown.contains("<secret>") && !shown.contains("[0, 1, 2"),
        "{shown}"
    );
}
