//! `tgauth-testdc`: a local Telegram data center for tests, benchmarks and demos.
//!
//! Prints one line of JSON when every DC listens, then serves until SIGINT or SIGTERM.

use std::process::ExitCode;

use tgauth::testdc::{TestDc, TestDcOptions};

const USAGE: &str =
    "usage: tgauth-testdc [--host 127.0.0.1] [--port 0] [--dcs 3] [--key PRIVATE_KEY_PEM]
                     [--app ID:HASH]... [--published-app ID:HASH]... [--code-limit N]
                     [--faults NAME=P,...] [--code-ttl SECONDS]";

fn parse_app(value: &str) -> Result<(i32, String), String> {
    let (id, hash) = value
        .split_once(':')
        .ok_or_else(|| format!("`{value}` is not ID:HASH"))?;
    let id: i32 = id.parse().map_err(|_| format!("`{id}` is not an app id"))?;
    if id <= 0 || hash.is_empty() {
        return Err(format!("`{value}` is not ID:HASH"));
    }
    Ok((id, hash.to_owned()))
}

fn parse_args(args: Vec<String>) -> Result<TestDcOptions, String> {
    let mut options = TestDcOptions::default();
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--host" => options.host = value()?,
            "--port" => {
                options.port = value()?
                    .parse()
                    .map_err(|_| "--port needs a port number".to_string())?
            }
            "--dcs" => {
                options.dcs = value()?
                    .parse()
                    .map_err(|_| "--dcs needs a number".to_string())?
            }
            "--key" => {
                let path = value()?;
                options.key_pem = Some(
                    std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read {path}: {e}"))?,
                );
            }
            "--app" => options.apps.push(parse_app(&value()?)?),
            "--published-app" => options.published_apps.push(parse_app(&value()?)?),
            "--code-limit" => {
                options.code_limit = value()?
                    .parse()
                    .map_err(|_| "--code-limit needs a number".to_string())?
            }
            "--code-ttl" => {
                let secs: u64 = value()?
                    .parse()
                    .map_err(|_| "--code-ttl needs a number of seconds".to_string())?;
                options.code_ttl = std::time::Duration::from_secs(secs);
            }
            "--faults" => options.faults = value()?.parse().map_err(|e| format!("{e}"))?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1).collect()) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("tgauth-testdc: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tgauth-testdc: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let dc = match TestDc::start(options).await {
            Ok(dc) => dc,
            Err(e) => {
                eprintln!("tgauth-testdc: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("{}", dc.info_json());
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("tgauth-testdc: {e}");
                    return ExitCode::FAILURE;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        dc.stop();
        ExitCode::SUCCESS
    })
}
