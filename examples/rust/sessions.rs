//! Sign in with tgauth, carry on with another library (and back), against a running
//! `tgauth-testdc`.
//!
//!     cargo run --example sessions -- login READY_LINE PHONE FORMAT
//!         signs PHONE in (a `99966X...` number: its code is X five times) and prints the
//!         session as FORMAT: telethon, gramjs, pyrogram or mtcute
//!     cargo run --example sessions -- me READY_LINE SESSION
//!         imports SESSION (any of those formats) and prints `users.getUsers(self)` as
//!         `{"id":...,"bot":...,"phone":"..."}`
//!
//!     cargo run --example sessions -- convert SESSION FORMAT
//!         reads SESSION (any format) and prints it as FORMAT, offline
//!
//! READY_LINE is the JSON line tgauth-testdc printed (the text, or a file holding it).

use tgauth::client::{Client, ClientConfig, SessionFormat};
use tgauth::protocol::handshake::rsa::RsaPublicKey;

fn config(ready: &str) -> Result<(ClientConfig, i32, String), Box<dyn std::error::Error>> {
    let text = if ready.trim_start().starts_with('{') {
        ready.to_owned()
    } else {
        std::fs::read_to_string(ready)?
    };
    let info: serde_json::Value = serde_json::from_str(&text)?;
    let mut config = ClientConfig::default();
    for dc in info["dcs"].as_array().ok_or("no dcs in the ready line")? {
        let host = dc["host"].as_str().ok_or("dc host")?;
        let port = dc["port"].as_u64().ok_or("dc port")? as u16;
        let id = dc["id"].as_i64().ok_or("dc id")? as i32;
        config
            .dcs
            .push((id, tgauth::client::resolve_v4(host, port)?));
    }
    let pem = info["rsa_public_key"].as_str().ok_or("no key")?;
    config.rsa_keys = vec![RsaPublicKey::from_pkcs1_pem(pem)?];
    let api_id = info["api_id"].as_i64().ok_or("no api_id")? as i32;
    let api_hash = info["api_hash"].as_str().ok_or("no api_hash")?.to_owned();
    config.app = Some((api_id, api_hash.clone()));
    Ok((config, api_id, api_hash))
}

fn format(name: &str) -> Result<SessionFormat, String> {
    Ok(match name {
        "telethon" => SessionFormat::Telethon,
        "gramjs" => SessionFormat::GramJs,
        "pyrogram" => SessionFormat::Pyrogram,
        "mtcute" => SessionFormat::Mtcute,
        other => return Err(format!("unknown format {other}")),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["login", ready, phone, fmt] => {
            let format = format(fmt)?;
            let (config, api_id, api_hash) = config(ready)?;
            let client = Client::new(config)?;
            let settings = tgauth::client::default_code_settings();
            let sent = client.send_code(phone, api_id, &api_hash, settings).await?;
            // The test DC's code for 99966X...: X five times.
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            let x = digits.chars().nth(5).ok_or("not a 99966X... number")?;
            let code = x.to_string().repeat(5);
            let auth = client.sign_in(phone, &sent.phone_code_hash, &code).await?;
            if !auth.is_signed_in() {
                return Err("not signed in".into());
            }
            println!("{}", client.export_session(format)?);
        }
        ["me", ready, session] => {
            let (mut config, _, _) = config(ready)?;
            config.session_string = Some(session.to_owned());
            let client = Client::new(config)?;
            let me = client.get_me().await?;
            println!(
                "{}",
                serde_json::json!({"id": me.id, "bot": me.bot, "phone": me.phone})
            );
        }
        ["convert", session, fmt] => {
            let parsed = tgauth::client::session::StringSession::parse(session)?;
            println!("{}", parsed.render(format(fmt)?)?);
        }
        _ => {
            eprintln!(
                "usage: sessions login READY_LINE PHONE FORMAT | me READY_LINE SESSION \
                 | convert SESSION FORMAT"
            );
            std::process::exit(2);
        }
    }
    Ok(())
}
