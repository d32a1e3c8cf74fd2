//! `tgauth`: Telegram login from the command line: send a code, log in with the code and
//! the cloud password, log in by QR code, export the session.
//!
//! With no Telegram credentials it starts an embedded test DC and works there (and then
//! needs no typing: it reads the test DC's code, password and approves the QR code).

use std::process::ExitCode;
use std::time::Duration;

use grammers_tl_types::types::CodeSettings;
use tgauth::client::{
    resolve_v4, Authorization, Client, ClientConfig, Error, ErrorKind, SentCode, SentCodeKind,
    SessionFormat,
};
use tgauth::protocol::handshake::rsa::RsaPublicKey;
use tgauth::testdc::{TestDc, TestDcOptions};

const USAGE: &str = "usage: tgauth send-code [PHONE] [options]
       tgauth login [PHONE] [options]
       tgauth qr-login [options]
       tgauth export-session --session FILE [--format telethon|gramjs|pyrogram|mtcute]

send-code       sends a login code (auth.sendCode) and prints what Telegram answered.
login           the whole login: sends the code, asks for it (and for the cloud password,
                without echo), prints who signed in and keeps the session (--session).
qr-login        logs in by QR code: draws it in the terminal, a new one when it expires.
export-session  prints the session as a string session another library reads.

With no Telegram credentials, an embedded test DC is started and used, and nothing needs
typing (PHONE defaults to +9996621234 for send-code, and to +9996721234, an account with a
cloud password, for login).

options:
  --api-id ID --api-hash HASH   your app (or TG_API_ID / TG_API_HASH): talk to Telegram
  --test-servers                Telegram's test DCs instead of production
  --dc ID=HOST:PORT             a DC of any other server (repeat; the first is home)
  --rsa-key FILE                trust this server RSA public key (PKCS#1 PEM; repeat)
  --session FILE                keep the session (auth key, home DC) in FILE
  --timeout SECONDS             deadline of the request (default 10)
  --transport KIND              abridged | intermediate | padded | full (default intermediate)
  --obfuscated                  wrap the transport in obfuscated2 (not with full)
  --json                        print the result as one line of JSON (send-code)
  --format FORMAT               export-session: telethon (default), gramjs, pyrogram, mtcute";

/// The subcommands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Command {
    SendCode,
    Login,
    QrLogin,
    ExportSession,
}

struct Args {
    command: Command,
    format: String,
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
    let command = match it.next().as_deref() {
        Some("send-code") => Command::SendCode,
        Some("login") => Command::Login,
        Some("qr-login") => Command::QrLogin,
        Some("export-session") => Command::ExportSession,
        Some("-h") | Some("--help") | None => return Err(String::new()),
        Some(other) => return Err(format!("unknown command `{other}`")),
    };
    let mut a = Args {
        command,
        format: "telethon".into(),
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
            "--format" => a.format = value()?,
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
    if args.command == Command::ExportSession {
        return export_session(&args, config);
    }
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
    let default_phone = match args.command {
        Command::Login => "+9996721234",
        _ => "+9996621234",
    };
    let phone = match (&args.phone, &embedded) {
        (Some(p), _) => p.clone(),
        (None, Some(_)) => default_phone.to_string(),
        (None, None) if args.command == Command::QrLogin => String::new(),
        (None, None) => {
            eprintln!("tgauth: a phone number is needed, e.g. tgauth send-code +15551234567");
            return ExitCode::from(2);
        }
    };
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tgauth: {e}");
            return exit_for(&e);
        }
    };
    let app = App {
        client: &client,
        embedded: embedded.as_ref(),
        api_id,
        api_hash: &api_hash,
        phone: &phone,
        session: args.session.as_deref(),
    };
    match args.command {
        Command::SendCode => send_code(&app, args.json),
        Command::Login => runtime.block_on(login(&app)),
        Command::QrLogin => runtime.block_on(qr_login(&app)),
        Command::ExportSession => unreachable!("handled above"),
    }
}

/// Exit 2 for what the user typed wrong, 1 for everything else.
fn exit_for(e: &Error) -> ExitCode {
    if e.kind == ErrorKind::InvalidArgument {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
}

/// What every command works with.
struct App<'a> {
    client: &'a Client,
    embedded: Option<&'a TestDc>,
    api_id: i32,
    api_hash: &'a str,
    phone: &'a str,
    session: Option<&'a str>,
}

fn send_code(app: &App<'_>, json: bool) -> ExitCode {
    let settings = CodeSettings {
        allow_app_hash: true,
        ..tgauth::client::default_code_settings()
    };
    let runtime = tgauth::client::runtime::handle();
    let result =
        runtime.block_on(
            app.client
                .send_code(app.phone, app.api_id, app.api_hash, settings),
        );
    match result {
        Ok(sent) => {
            let test_code = app
                .embedded
                .and_then(|dc| dc.codes_for(app.phone).pop())
                .map(|c| c.code);
            if json {
                println!(
                    "{}",
                    to_json(&sent, app.client.home_dc(), test_code.as_deref())
                );
            } else {
                println!("{}", describe(&sent, app.client.home_dc()));
                if let Some(code) = test_code {
                    println!("  test DC's code:   {code}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if json {
                println!("{}", error_json(&e));
            } else {
                eprintln!("tgauth: {e}");
            }
            exit_for(&e)
        }
    }
}

/// How many times a wrong code or password is asked again.
const TRIES: usize = 3;

async fn login(app: &App<'_>) -> ExitCode {
    match login_steps(app).await {
        Ok(auth) => {
            signed_in(app, &auth);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tgauth: {e}");
            exit_for(&e)
        }
    }
}

async fn login_steps(app: &App<'_>) -> Result<Authorization, Error> {
    let c = app.client;
    let sent = c
        .send_code(
            app.phone,
            app.api_id,
            app.api_hash,
            tgauth::client::default_code_settings(),
        )
        .await?;
    if let Some(auth) = sent.authorization.clone() {
        eprintln!("Logged straight back in with a future auth token.");
        return Ok(auth);
    }
    eprintln!("{}", describe(&sent, c.home_dc()));
    let mut result = Err(Error::new(ErrorKind::InvalidArgument, "no code given"));
    for _ in 0..TRIES {
        let code = match app.embedded {
            Some(dc) => {
                let code = dc.codes_for(app.phone).pop().map(|c| c.code);
                let code = code.unwrap_or_default();
                eprintln!("Code (from the test DC): {code}");
                code
            }
            None => prompt("Code: ", true)?,
        };
        result = c.sign_in(app.phone, &sent.phone_code_hash, &code).await;
        match &result {
            Err(e) if e.is_rpc("PHONE_CODE_INVALID") || e.is_rpc("PHONE_CODE_EMPTY") => {
                eprintln!("That code is not right; try again.");
            }
            _ => break,
        }
    }
    let auth = match result {
        Err(e) if e.is_rpc("SESSION_PASSWORD_NEEDED") => password_step(app).await?,
        other => other?,
    };
    if let Some(tos) = &auth.sign_up_required {
        eprintln!(
            "This number has no account yet. Telegram's terms of service:\n{}",
            tos.text
        );
        let (first, last) = match app.embedded {
            Some(_) => ("Test".to_string(), "User".to_string()),
            None => (prompt("First name: ", true)?, prompt("Last name: ", true)?),
        };
        return c
            .sign_up(app.phone, &sent.phone_code_hash, &first, &last)
            .await;
    }
    Ok(auth)
}

async fn password_step(app: &App<'_>) -> Result<Authorization, Error> {
    let info = app.client.password_info().await?;
    let hint = info.hint.unwrap_or_default();
    let mut last = None;
    for _ in 0..TRIES {
        let password = match app.embedded {
            Some(dc) => {
                eprintln!("Cloud password (hint: {hint}): from the test DC");
                dc.info().password.clone()
            }
            None => prompt(&format!("Cloud password (hint: {hint}): "), false)?,
        };
        match app.client.check_password(&password).await {
            Err(e) if e.is_rpc("PASSWORD_HASH_INVALID") => {
                eprintln!("That password is not right; try again.");
                last = Some(e);
            }
            other => return other,
        }
    }
    Err(last.expect("at least one try"))
}

async fn qr_login(app: &App<'_>) -> ExitCode {
    let approve_as = app.phone.to_string();
    let embedded = app.embedded;
    let result = app
        .client
        .qr_login(
            app.api_id,
            app.api_hash,
            Duration::from_secs(300),
            |token| {
                eprintln!("{}", draw_qr(&token.url));
                eprintln!(
                    "Scan it in Telegram (Settings > Devices > Link Desktop Device): {}",
                    token.url
                );
                if let Some(dc) = embedded {
                    // The embedded test DC approves it itself, as a phone would.
                    eprintln!("The test DC approves it as {approve_as}.");
                    if let Err(e) = dc.accept_login_token(&token.url, &approve_as) {
                        eprintln!("tgauth: the test DC could not approve it: {e}");
                    }
                }
            },
        )
        .await;
    let result = match result {
        Err(e) if e.is_rpc("SESSION_PASSWORD_NEEDED") => password_step(app).await,
        other => other,
    };
    match result {
        Ok(auth) => {
            signed_in(app, &auth);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tgauth: {e}");
            exit_for(&e)
        }
    }
}

/// A QR code in the terminal, two rows of modules per line.
fn draw_qr(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
        Err(e) => format!("(cannot draw the QR code: {e})"),
    }
}

fn signed_in(app: &App<'_>, auth: &Authorization) {
    let Some(user) = &auth.user else {
        println!("Not signed in.");
        return;
    };
    let name = format!("{} {}", user.first_name, user.last_name);
    println!(
        "Signed in as {} (id {}{}{})",
        name.trim(),
        user.id,
        user.phone
            .as_ref()
            .map(|p| format!(", phone +{p}"))
            .unwrap_or_default(),
        if user.bot { ", a bot" } else { "" }
    );
    match app.session {
        Some(path) => println!("Session saved to {path}"),
        None => println!("Session not saved (give --session FILE to keep it)"),
    }
}

fn export_session(args: &Args, config: ClientConfig) -> ExitCode {
    if args.session.is_none() {
        eprintln!("tgauth: export-session needs --session FILE");
        return ExitCode::from(2);
    }
    if !std::path::Path::new(args.session.as_deref().unwrap_or_default()).exists() {
        eprintln!(
            "tgauth: {}: no such session file",
            args.session.as_deref().unwrap_or_default()
        );
        return ExitCode::from(2);
    }
    let format = match args.format.as_str() {
        "telethon" => SessionFormat::Telethon,
        "gramjs" => SessionFormat::GramJs,
        "pyrogram" => SessionFormat::Pyrogram,
        "mtcute" => SessionFormat::Mtcute,
        other => {
            eprintln!("tgauth: --format {other}: expected telethon, gramjs, pyrogram or mtcute");
            return ExitCode::from(2);
        }
    };
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tgauth: {e}");
            return exit_for(&e);
        }
    };
    match client.export_session(format) {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tgauth: {e} (log in first: tgauth login --session FILE)");
            ExitCode::FAILURE
        }
    }
}

/// Reads one line from the terminal, with or without echo.
fn prompt(question: &str, echo: bool) -> Result<String, Error> {
    use std::io::{BufRead, Write};
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let _echo_off = (!echo).then(EchoOff::new);
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read the terminal: {e}")))?;
    if !echo {
        eprintln!();
    }
    if n == 0 {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "no input (standard input is closed)",
        ));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Turns the terminal's echo off while it lives (nothing when stdin is not a terminal).
struct EchoOff(Option<libc::termios>);

impl EchoOff {
    fn new() -> Self {
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a termios we own; a failure (not a
        // terminal) leaves everything as it was.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::isatty(0) != 1 || libc::tcgetattr(0, &mut t) != 0 {
                return EchoOff(None);
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            libc::tcsetattr(0, libc::TCSANOW, &t);
            EchoOff(Some(saved))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            // SAFETY: restores the settings read in `new`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, saved);
            }
        }
    }
}
