//! The whole Telegram login from Rust: the code, then the cloud password (2FA).
//!
//!     cargo run --example login [PHONE]
//!
//! With TG_API_ID and TG_API_HASH set it talks to Telegram and reads the code and the
//! password from the terminal; otherwise it starts a local test DC in this process, logs
//! in to one of its 2FA test accounts and needs no typing.

use std::io::BufRead;

use tgauth::client::{Client, ClientConfig};
use tgauth::protocol::handshake::rsa::RsaPublicKey;
use tgauth::testdc::{TestDc, TestDcOptions};

fn ask(question: &str) -> std::io::Result<String> {
    eprint!("{question}");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let phone = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "+9996721234".into());
    let credentials = std::env::var("TG_API_ID")
        .ok()
        .zip(std::env::var("TG_API_HASH").ok());

    let mut config = ClientConfig::default();
    let mut local_dc = None;
    let (api_id, api_hash) = match credentials {
        Some((id, hash)) => (id.parse()?, hash),
        None => {
            let dc = TestDc::start(TestDcOptions::default()).await?;
            let info = dc.info().clone();
            println!("using a local test DC ({} DCs)", info.dcs.len());
            config.dcs = info
                .dcs
                .iter()
                .map(|d| (d.id, format!("{}:{}", d.host, d.port).parse().unwrap()))
                .collect();
            config.rsa_keys = vec![RsaPublicKey::from_pkcs1_pem(&info.rsa_public_key)?];
            local_dc = Some(dc);
            (info.api_id, info.api_hash)
        }
    };

    let client = Client::new(config)?;
    let sent = client
        .send_code(
            &phone,
            api_id,
            &api_hash,
            tgauth::client::default_code_settings(),
        )
        .await?;
    let code = match &local_dc {
        Some(dc) => dc.codes_for(&phone).pop().expect("a code").code,
        None => ask("Code: ")?,
    };
    let auth = match client.sign_in(&phone, &sent.phone_code_hash, &code).await {
        Err(e) if e.is_rpc("SESSION_PASSWORD_NEEDED") => {
            let hint = client.password_info().await?.hint.unwrap_or_default();
            let password = match &local_dc {
                Some(dc) => dc.info().password.clone(),
                None => ask(&format!("Cloud password (hint: {hint}): "))?,
            };
            client.check_password(&password).await?
        }
        other => other?,
    };
    match auth.user {
        Some(user) => println!(
            "signed in: id={} first_name={} phone={}",
            user.id,
            user.first_name,
            user.phone.unwrap_or_default()
        ),
        None => println!("this number has no account yet: sign_up is next"),
    }
    Ok(())
}
