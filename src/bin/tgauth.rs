//! `tgauth`: ask Telegram (or a test DC) to send a login code.
//!
//! With no Telegram credentials it starts an embedded test DC and sends the code there.

use std::process::ExitCode;
use std::time::Duration;

use grammers_tl_types::types::CodeSettings;
use tgauth::client::{resolve_v4, Client, ClientConfig, Error, SentCode, SentCodeKind};
use tgauth::protocol::handshake::rsa::RsaPublicKey;
use tgauth::testdc::{TestDc, TestDcOptions};

const USAGE: &str = "usage: tgauth send-code [PHONE] [options]

Sends a login code (auth.sendCode) and prints what Telegram answered.

With no Telegram credentials, an embedded test DC is started and used (PHONE defaults
to +9996621234, a test number of DC 2).

options:
  --api-id ID --api-hash HASH   your app (or TG_API_ID / TG_API_HASH): talk to Telegram
  --test-servers                Telegram's test DCs instead of production
  --dc ID=HOST:PORT             a DC of any other server (repeat; the first is home)
  --rsa-key FILE                trust this server RSA public key (PKCS#1 PEM; repeat)
  --session FILE                keep the session (auth key, home DC) in FILE
  --timeout SECONDS             deadline of the request (default 10)
  --transport KIND              abridged | intermediate | padded | full (default intermediate)
  --obfuscated                  wrap the transport in obfuscated2 (not with full)
  --json                        print the result as one line of JSON";

struct Args {
    phone: Option<String>,
    api_id: Option<i32>,
    api_hash: Option<String>,
    test_servers: bool,
    dcs: Vec<(i32, String)>,
    rsa_keys: Vec<String>,
    session: Option<String>,
    timeout: f64,
    transport: String,
    obfuscated: bool,
    json: bool,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    match it.next().as_deref() {
        Some("send-code") => {}
        Some("-h") | Some("--help") | None => return Err(String::new()),
        Some(other) => return Err(format!("unknown command `{other}`")),
    }
    let mut a = Args {
        phone: None,
        api_id: std::env::var("TG_API_ID").ok().and_then(|v| v.parse().ok()),
        api_hash: std::env::var("TG_API_HASH").ok().filter(|v| !v.is_empty()),
        test_servers: false,
        dcs: Vec::new(),
        rsa_keys: Vec::new(),
        session: None,
        timeout: 10.0,
        transport: "intermediate".into(),
        obfuscated: false,
        json: false,
    };
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--api-id" => a.api_id = Some(value()?.parse().map_err(|_| "--api-id needs a number")?),
            "--api-hash" => a.api_hash = Some(value()?),
            "--test-servers" => a.test_servers = true,
            "--dc" => {
                let v = value()?;
                let (id, addr) = v
                    .split_once('=')
                    .ok_or(format!("--dc {v}: expected ID=HOST:PORT"))?;
                let id: i32 = id.parse().map_err(|_| format!("--dc {v}: bad DC id"))?;
                a.dcs.push((id, addr.to_owned()));
            }
            "--rsa-key" => a.rsa_keys.push(value()?),
            "--session" => a.session = Some(value()?),
            "--timeout" => a.timeout = value()?.parse().map_err(|_| "--timeout needs seconds")?,
            "--transport" => a.transport = value()?,
            "--obfuscated" => a.obfuscated = true,
            "--json" => a.json = true,
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            phone => {
                if a.phone.replace(phone.to_owned()).is_some() {
                    return Err("more than one phone number given".into());
                }
            }
        }
    }
    Ok(a)
}

fn config(a: &Args) -> Result<ClientConfig, String> {
    let mut c = ClientConfig {
        test_servers: a.test_servers,
        session_path: a.session.as_ref().map(Into::into),
        timeout: Duration::from_secs_f64(a.timeout.clamp(0.001, 3600.0)),
        transport: a
            .transport
            .parse()
            .map_err(|e| format!("--transport: {e}"))?,
        obfuscated: a.obfuscated,
        ..ClientConfig::default()
    };
    // An impossible combination (--transport full --obfuscated) is a usage error, refused
    // before anything connects.
    c.validate().map_err(|e| e.message)?;
    for (id, addr) in &a.dcs {
        let (host, port) = addr
            .rsplit_once(':')
            .ok_or(format!("--dc {id}={addr}: expected HOST:PORT"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("--dc {id}={addr}: bad port"))?;
        c.dcs
            .push((*id, resolve_v4(host, port).map_err(|e| e.to_string())?));
    }
    for file in &a.rsa_keys {
        let pem = std::fs::read_to_string(file).map_err(|e| format!("--rsa-key {file}: {e}"))?;
        c.rsa_keys.push(
            RsaPublicKey::from_pkcs1_pem(&pem).map_err(|e| format!("--rsa-key {file}: {e}"))?,
        );
    }
    Ok(c)
}

fn describe(sent: &SentCode, dc: i32) -> String {
    let mut lines = Vec::new();
    match sent.kind {
        Some(SentCodeKind::Success) => {
            lines.push("Logged in at once with a logout token (auth.sentCodeSuccess)".to_string());
            if let Some(id) = sent.user_id {
                lines.push(format!("  user id:          {id}"));
            }
        }
        Some(SentCodeKind::PaymentRequired) => {
            lines.push(
                "Telegram asks for a payment first (auth.sentCodePaymentRequired)".to_string(),
            );
            lines.push(format!(
                "  product:          {} ({} {})",
                sent.store_product.as_deref().unwrap_or("?"),
                sent.amount.unwrap_or(0),
                sent.currency.as_deref().unwrap_or("")
            ));
        }
        _ => {
            let kind = sent.code_type.map(|k| k.name()).unwrap_or("?");
            let length = sent
                .length
                .map(|l| format!(" (length {l})"))
                .unwrap_or_default();
            lines.push("Login code sent (auth.sentCode)".to_string());
            lines.push(format!("  type:             {kind}{length}"));
            if let Some(p) = &sent.pattern {
                lines.push(format!("  pattern:          {p}"));
            }
            if let Some(p) = &sent.prefix {
                lines.push(format!("  prefix:           {p}"));
            }
            if let Some(p) = &sent.email_pattern {
                lines.push(format!("  email:            {p}"));
            }
            if let Some(u) = &sent.url {
                lines.push(format!("  url:              {u}"));
            }
            lines.push(format!(
                "  next type:        {}",
                sent.next_type.map(|k| k.name()).unwrap_or("none")
            ));
            lines.push(format!(
                "  timeout:          {}",
                sent.timeout
                    .map(|t| format!("{t} s"))
                    .unwrap_or("none".into())
            ));
        }
    }
    if !sent.phone_code_hash.is_empty() {
        lines.push(format!("  phone_code_hash:  {}", sent.phone_code_hash));
    }
    lines.push(format!("  home DC:          {dc}"));
    lines.join("\n")
}

fn to_json(sent: &SentCode, dc: i32, test_code: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "kind": match sent.kind {
            Some(SentCodeKind::Success) => "success",
            Some(SentCodeKind::PaymentRequired) => "payment_required",
            _ => "code",
        },
        "type": sent.code_type.map(|k| serde_json::json!({
            "kind": k.name(),
            "length": sent.length,
            "pattern": sent.pattern,
            "prefix": sent.prefix,
            "url": sent.url,
            "email_pattern": sent.email_pattern,
            "beginning": sent.beginning,
        })),
        "phone_code_hash": sent.phone_code_hash,
        "next_type": sent.next_type.map(|k| k.name()),
        "timeout": sent.timeout,
        "user_id": sent.user_id,
        "store_product": sent.store_product,
        "currency": sent.currency,
        "amount": sent.amount,
        "dc": dc,
        "test_dc_code": test_code,
    })
}

fn error_json(e: &Error) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "kind": format!("{:?}", e.kind),
            "code": e.code,
            "name": e.name,
            "value": e.value,
            "message": e.message,
        }
    })
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("tgauth: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut config = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tgauth: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tgauth::client::runtime::handle();
    let credentials = args.api_id.zip(args.api_hash.clone());
    // Without credentials: the embedded test DC (unless another server was named).
    let embedded = if credentials.is_none() {
        if !args.dcs.is_empty() || args.test_servers {
            eprintln!("tgauth: --dc and --test-servers need --api-id and --api-hash (or TG_API_ID / TG_API_HASH)");
            return ExitCode::from(2);
        }
        let dc = match runtime.block_on(TestDc::start(TestDcOptions::default())) {
            Ok(dc) => dc,
            Err(e) => {
                eprintln!("tgauth: cannot start the embedded test DC: {e}");
                return ExitCode::FAILURE;
            }
        };
        let info = dc.info();
        config.dcs = info
            .dcs
            .iter()
            .map(|d| {
                (
                    d.id,
                    format!("{}:{}", d.host, d.port)
                        .parse()
                        .expect("an address"),
                )
            })
            .collect();
        config.rsa_keys =
            vec![RsaPublicKey::from_pkcs1_pem(&info.rsa_public_key).expect("our own key")];
        if !args.json {
            eprintln!(
                "No Telegram credentials given (--api-id/--api-hash or TG_API_ID/TG_API_HASH): \
                 using an embedded test DC with {} DCs on {} (app {}).",
                info.dcs.len(),
                info.dcs
                    .iter()
                    .map(|d| format!("{}:{}", d.host, d.port))
                    .collect::<Vec<_>>()
                    .join(", "),
                info.api_id
            );
        }
        Some(dc)
    } else {
        None
    };
    let (api_id, api_hash) = match (&embedded, credentials) {
        (Some(dc), _) => (dc.info().api_id, dc.info().api_hash.clone()),
        (None, Some(c)) => c,
        (None, None) => unreachable!("either credentials or the embedded DC"),
    };
    let phone = match (&args.phone, &embedded) {
        (Some(p), _) => p.clone(),
        (None, Some(_)) => "+9996621234".to_string(),
        (None, None) => {
            eprintln!("tgauth: a phone number is needed, e.g. tgauth send-code +15551234567");
            return ExitCode::from(2);
        }
    };
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tgauth: {e}");
            return ExitCode::FAILURE;
        }
    };
    let settings = CodeSettings {
        allow_app_hash: true,
        ..tgauth::client::default_code_settings()
    };
    let result = runtime.block_on(client.send_code(&phone, api_id, &api_hash, settings));
    match result {
        Ok(sent) => {
            let test_code = embedded
                .as_ref()
                .and_then(|dc| dc.codes_for(&phone).pop())
                .map(|c| c.code);
            if args.json {
                println!("{}", to_json(&sent, client.home_dc(), test_code.as_deref()));
            } else {
                println!("{}", describe(&sent, client.home_dc()));
                if let Some(code) = test_code {
                    println!("  test DC's code:   {code}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if args.json {
                println!("{}", error_json(&e));
            } else {
                eprintln!("tgauth: {e}");
            }
            ExitCode::FAILURE
        }
    }
}
