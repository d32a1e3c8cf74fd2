//! The `tg://login?token=<base64url>` URL of QR login (core.telegram.org/api/qr-login),
//! shared by the client (which draws it) and the test DC (which accepts it).

use base64::Engine;

/// What a QR login URL starts with.
pub const LOGIN_URL_PREFIX: &str = "tg://login?token=";

/// The URL a QR code holds for a token: base64url without padding.
pub fn login_url(token: &[u8]) -> String {
    format!(
        "{LOGIN_URL_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token)
    )
}

/// The token of a `tg://login?token=...` URL, or of the bare base64url token (padding and
/// surrounding blanks tolerated). An error says why it is not one.
pub fn parse_login_token(token_or_url: &str) -> Result<Vec<u8>, &'static str> {
    let text = token_or_url.trim();
    let text = text.strip_prefix(LOGIN_URL_PREFIX).unwrap_or(text);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| "not a login token: expected tg://login?token=<base64url> or the token")?;
    if token.is_empty() {
        return Err("the login token is empty");
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_tokens_round_trip() {
        let token = [0xfb, 0xff, 0x00, 0x10];
        let url = login_url(&token);
        assert_eq!(url, "tg://login?token=-_8AEA");
        assert_eq!(parse_login_token(&url).unwrap(), token);
        assert_eq!(parse_login_token("-_8AEA").unwrap(), token);
        assert_eq!(parse_login_token(" -_8AEA== ").unwrap(), token);
        for bad in [
            "",
            "tg://login?token=",
            "not base64!",
            "tg://login?token=@@",
            "a+b/",
        ] {
            assert!(parse_login_token(bad).is_err(), "{bad:?}");
        }
    }
}
