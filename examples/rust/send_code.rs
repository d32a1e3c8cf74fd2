//! Ask for a Telegram login code from Rust.
//!
//!     cargo run --example send_code [PHONE]
//!
//! With TG_API_ID and TG_API_HASH set it talks to Telegram; otherwise it starts a local
//! test DC in this process and sends the code there.

use grammers_tl_types::types::CodeSettings;
use tgauth::client::{Client, ClientConfig};
use tgauth::protocol::handshake::rsa::RsaPublicKey;
use tgauth::testdc::{TestDc, TestDcOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let phone = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "+9996621234".into());
    let credentials = std::env::var("TG_API_ID")
        .ok()
        .zip(std::env::var("TG_API_HASH").ok());

    let mut config = ClientConfig::default();
    let mut _local_dc = None;
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
            _local_dc = Some(dc);
            (info.api_id, info.api_hash)
        }
    };

    let client = Client::new(config)?;
    let settings = CodeSettings {
        allow_app_hash: true,
        ..tgauth::client::default_code_settings()
    };
    match client.send_code(&phone, api_id, &api_hash, settings).await {
        Ok(sent) => {
            println!(
                "code sent: type={} length={:?} next={:?} timeout={:?}",
                sent.code_type.map(|t| t.name()).unwrap_or("-"),
                sent.length,
                sent.next_type.map(|t| t.name()),
                sent.timeout
            );
            println!("phone_code_hash={}", sent.phone_code_hash);
            Ok(())
        }
        Err(e) => {
            eprintln!(
                "error: {} {} (value {}): {}",
                e.code, e.name, e.value, e.message
            );
            std::process::exit(1);
        }
    }
}
