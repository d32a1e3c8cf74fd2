//! The Rust side of `make bench`: load runs of the tgauth client against a `tgauth-testdc`
//! process (started by `tools/bench/run.sh`, which passes its ready line and pid).
//!
//! ```text
//! cargo bench --bench load -- MODE --ready READY.json --pid TESTDC_PID --out OUT.json [options]
//!
//! MODE   cold   a new client (no session) per call: connect, auth key, auth.sendCode
//!        warm   one client with a live key, N auth.sendCode in flight (closed loop)
//!        scale  N idle clients in this process, each after one auth.sendCode
//!        rtt    loopback TCP connect and 4-byte ping-pong round trips (no test DC)
//!        genkey writes an RSA-2048 private key (PKCS#1 PEM) to --out, for testdc --key
//! --calls N         cold: measured calls (default 100), after --warmup (default 3)
//! --levels A,B,...  warm: requests in flight (default 1,100,1000)
//! --duration S      warm: measured seconds per level (default 4), after 0.5 s of warm-up
//! --clients N       scale: how many clients (default 1000)
//! --parallel N      scale: how many clients are brought up at once (default 200)
//! --reuse-key       scale: every client starts from the session (auth key) of one earlier
//!                   handshake, as returning users' saved sessions would; otherwise each
//!                   client makes its own key
//! --transport T     abridged | intermediate (default) | padded | full
//! --marker PATH     warm: write PATH after the first call (the handshake), then wait 3 s
//!                   (tools/bench/profile.sh zeroes its profiles' counters then)
//! ```
//!
//! Every figure is wall-clock time on the shared tgauth runtime (the one the C ABI and the
//! Python package use). CPU is getrusage(RUSAGE_SELF) for this process and utime + stime of
//! /proc/PID/stat for the test DC. Phone numbers are +999662xxxx: DC 2 is home, so no
//! migration happens. Start the test DC with `--code-limit 0`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use grammers_tl_types::types::CodeSettings;
use serde_json::{json, Value};
use tgauth::client::{runtime, Client, ClientConfig};
use tgauth::protocol::handshake::rsa::RsaPublicKey;
use tgauth::protocol::transport::TransportKind;

struct Args {
    mode: String,
    ready: Option<String>,
    pid: Option<u32>,
    out: Option<String>,
    calls: usize,
    warmup: usize,
    levels: Vec<usize>,
    duration: f64,
    clients: usize,
    parallel: usize,
    transport: TransportKind,
    marker: Option<String>,
    reuse_key: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        mode: String::new(),
        ready: None,
        pid: None,
        out: None,
        calls: 100,
        warmup: 3,
        levels: vec![1, 100, 1000],
        duration: 4.0,
        clients: 1000,
        parallel: 200,
        transport: TransportKind::Intermediate,
        marker: None,
        reuse_key: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = || {
            it.next()
                .unwrap_or_else(|| die(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            // `cargo bench` adds this to every bench binary's arguments.
            "--bench" => {}
            "--ready" => a.ready = Some(val()),
            "--pid" => a.pid = Some(val().parse().unwrap_or_else(|_| die("bad --pid"))),
            "--out" => a.out = Some(val()),
            "--calls" => a.calls = val().parse().unwrap_or_else(|_| die("bad --calls")),
            "--warmup" => a.warmup = val().parse().unwrap_or_else(|_| die("bad --warmup")),
            "--levels" => {
                a.levels = val()
                    .split(',')
                    .map(|s| s.trim().parse().unwrap_or_else(|_| die("bad --levels")))
                    .collect()
            }
            "--duration" => a.duration = val().parse().unwrap_or_else(|_| die("bad --duration")),
            "--clients" => a.clients = val().parse().unwrap_or_else(|_| die("bad --clients")),
            "--parallel" => a.parallel = val().parse().unwrap_or_else(|_| die("bad --parallel")),
            "--transport" => a.transport = val().parse().unwrap_or_else(|_| die("bad --transport")),
            "--marker" => a.marker = Some(val()),
            "--reuse-key" => a.reuse_key = true,
            m if !m.starts_with('-') && a.mode.is_empty() => a.mode = m.to_owned(),
            other => die(&format!("unknown argument {other}")),
        }
    }
    a
}

fn die(msg: &str) -> ! {
    eprintln!("load: {msg}");
    std::process::exit(2)
}

/// What the bench needs from the test DC's ready line.
#[derive(Clone)]
struct Dc {
    addr: SocketAddr,
    key: RsaPublicKey,
    api_id: i32,
    api_hash: String,
}

fn read_ready(path: &str) -> Dc {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| die(&format!("{path}: {e}")));
    let v: Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| die(&format!("{e}")));
    let dc2 = v["dcs"]
        .as_array()
        .and_then(|dcs| dcs.iter().find(|d| d["id"] == 2))
        .unwrap_or_else(|| die("the test DC has no DC 2 (start it with --dcs 2 or more)"));
    let addr = format!("{}:{}", dc2["host"].as_str().unwrap(), dc2["port"])
        .parse()
        .unwrap_or_else(|e| die(&format!("DC 2 address: {e}")));
    Dc {
        addr,
        key: RsaPublicKey::from_pkcs1_pem(v["rsa_public_key"].as_str().unwrap())
            .unwrap_or_else(|e| die(&format!("rsa key: {e}"))),
        api_id: v["api_id"].as_i64().unwrap() as i32,
        api_hash: v["api_hash"].as_str().unwrap().to_owned(),
    }
}

fn config(dc: &Dc, transport: TransportKind) -> ClientConfig {
    ClientConfig {
        dcs: vec![(2, dc.addr)],
        rsa_keys: vec![dc.key.clone()],
        timeout: Duration::from_secs(30),
        transport,
        ..ClientConfig::default()
    }
}

fn settings() -> CodeSettings {
    tgauth::client::default_code_settings()
}

static PHONE: AtomicU64 = AtomicU64::new(0);

/// The next +999662xxxx number (DC 2's block).
fn phone() -> String {
    format!(
        "+999662{:04}",
        PHONE.fetch_add(1, Ordering::Relaxed) % 10_000
    )
}

// ---------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------

/// CPU seconds this process used so far: (user + system, system).
fn cpu_self() -> Cpu {
    // SAFETY: getrusage writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Cpu {
        total: tv(ru.ru_utime) + tv(ru.ru_stime),
        sys: tv(ru.ru_stime),
    }
}

/// CPU seconds another process used so far (utime + stime of /proc/PID/stat, and stime).
fn cpu_pid(pid: Option<u32>) -> Cpu {
    let nan = Cpu {
        total: f64::NAN,
        sys: f64::NAN,
    };
    let Some(pid) = pid else { return nan };
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return nan;
    };
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    let rest = &stat[stat.rfind(')').map(|i| i + 2).unwrap_or(0)..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // utime is field 14, stime 15 (1-based); here field 3 is index 0.
    Cpu {
        total: (ticks(11) + ticks(12)) / hz,
        sys: ticks(12) / hz,
    }
}

/// CPU time, in seconds.
#[derive(Clone, Copy)]
struct Cpu {
    total: f64,
    sys: f64,
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, o: Cpu) -> Cpu {
        Cpu {
            total: self.total - o.total,
            sys: self.sys - o.sys,
        }
    }
}

impl Cpu {
    /// The share of the time spent in the kernel (system calls, TCP).
    fn sys_share(self) -> f64 {
        self.sys / self.total
    }
}

/// Context switches (voluntary + involuntary) of this process's threads so far.
fn switches_self() -> f64 {
    // SAFETY: getrusage writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    (ru.ru_nvcsw + ru.ru_nivcsw) as f64
}

/// Context switches of another process's live threads (/proc/PID/task/*/status).
fn switches_pid(pid: Option<u32>) -> f64 {
    let Some(pid) = pid else { return f64::NAN };
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return f64::NAN;
    };
    let mut total = 0.0;
    for task in tasks.flatten() {
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        for line in status.lines() {
            if line.starts_with("voluntary_ctxt_switches")
                || line.starts_with("nonvoluntary_ctxt_switches")
            {
                total += line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|n| n.parse::<f64>().ok())
                    .unwrap_or(0.0);
            }
        }
    }
    total
}

/// A /proc/PID/status field in KiB ("VmRSS", "VmHWM").
fn status_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Summary of latencies in seconds, reported in milliseconds.
fn summary(lat: &mut [f64]) -> Value {
    if lat.is_empty() {
        return json!({"n": 0});
    }
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let q = |p: f64| {
        // Nearest rank.
        let rank = ((p * lat.len() as f64).ceil() as usize).clamp(1, lat.len());
        lat[rank - 1] * 1e3
    };
    let mean = lat.iter().sum::<f64>() / lat.len() as f64;
    json!({
        "n": lat.len(),
        "min_ms": lat[0] * 1e3,
        "p50_ms": q(0.50),
        "p90_ms": q(0.90),
        "p99_ms": q(0.99),
        "max_ms": lat[lat.len() - 1] * 1e3,
        "mean_ms": mean * 1e3,
    })
}

// ---------------------------------------------------------------------------------------
// Modes
// ---------------------------------------------------------------------------------------

/// One cold call: a new client with an in-memory session, on the shared runtime as the C
/// ABI runs it. Returns the wall time; the client is dropped (connection closed) after.
fn cold_call(rt: &tokio::runtime::Handle, dc: &Dc, transport: TransportKind) -> f64 {
    let dc2 = dc.clone();
    let t0 = Instant::now();
    let task = rt.spawn(async move {
        let client = Client::new(config(&dc2, transport)).expect("client");
        client
            .send_code(&phone(), dc2.api_id, &dc2.api_hash, settings())
            .await
    });
    let result = rt.block_on(task).expect("task");
    let elapsed = t0.elapsed().as_secs_f64();
    if let Err(e) = result {
        die(&format!("cold auth.sendCode failed: {e}"));
    }
    elapsed
}

fn cold(a: &Args, dc: &Dc) -> Value {
    let rt = runtime::handle();
    for _ in 0..a.warmup {
        cold_call(&rt, dc, a.transport);
    }
    let (c0, s0, t0) = (cpu_self(), cpu_pid(a.pid), Instant::now());
    let mut lat: Vec<f64> = (0..a.calls)
        .map(|_| cold_call(&rt, dc, a.transport))
        .collect();
    let wall = t0.elapsed().as_secs_f64();
    let (client_cpu, dc_cpu) = (cpu_self() - c0, cpu_pid(a.pid) - s0);
    let n = a.calls as f64;
    let (client_sys, dc_sys) = (client_cpu.sys_share(), dc_cpu.sys_share());
    let (client_cpu, dc_cpu) = (client_cpu.total, dc_cpu.total);
    json!({
        "mode": "cold",
        "transport": a.transport.name(),
        "calls": a.calls,
        "wall_s": wall,
        "latency": summary(&mut lat),
        "client_cpu_ms_per_call": client_cpu / n * 1e3,
        "testdc_cpu_ms_per_call": dc_cpu / n * 1e3,
        "client_sys_share": client_sys,
        "testdc_sys_share": dc_sys,
    })
}

/// A closed loop of `inflight` requests on one client for `duration` seconds (after a warm-up),
/// counting the requests that complete inside the measured window.
fn warm_level(
    rt: &tokio::runtime::Handle,
    client: &Client,
    dc: &Dc,
    inflight: usize,
    duration: f64,
    pid: Option<u32>,
) -> Value {
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let warmup = Duration::from_millis(500);
    let start = Instant::now();
    let window = (
        start + warmup,
        start + warmup + Duration::from_secs_f64(duration),
    );
    let tasks: Vec<_> = (0..inflight)
        .map(|_| {
            let (client, dc, stop, errors) =
                (client.clone(), dc.clone(), stop.clone(), errors.clone());
            rt.spawn(async move {
                let (mut lat, mut all) = (Vec::new(), 0u64);
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    let r = client
                        .send_code(&phone(), dc.api_id, &dc.api_hash, settings())
                        .await;
                    let t1 = Instant::now();
                    if r.is_err() {
                        errors.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    all += 1;
                    if t1 >= window.0 && t1 <= window.1 {
                        lat.push((t1 - t0).as_secs_f64());
                    }
                }
                (lat, all)
            })
        })
        .collect();
    std::thread::sleep(window.0.saturating_duration_since(Instant::now()));
    let (c0, s0) = (cpu_self(), cpu_pid(pid));
    let (x0, y0) = (switches_self(), switches_pid(pid));
    std::thread::sleep(window.1.saturating_duration_since(Instant::now()));
    let (c1, s1) = (cpu_self(), cpu_pid(pid));
    let (x1, y1) = (switches_self(), switches_pid(pid));
    stop.store(true, Ordering::Relaxed);
    let (mut lat, all) = rt.block_on(async {
        let (mut lat, mut all) = (Vec::new(), 0);
        for t in tasks {
            let (l, a) = t.await.expect("task");
            lat.extend(l);
            all += a;
        }
        (lat, all)
    });
    let done = lat.len() as f64;
    let (client, dc) = (c1 - c0, s1 - s0);
    json!({
        "inflight": inflight,
        "duration_s": duration,
        "completed": lat.len(),
        "completed_including_warmup": all,
        "errors": errors.load(Ordering::Relaxed),
        "throughput_rps": done / duration,
        "latency": summary(&mut lat),
        "client_cpu_us_per_req": client.total / done * 1e6,
        "testdc_cpu_us_per_req": dc.total / done * 1e6,
        "client_cpu_util": client.total / duration,
        "testdc_cpu_util": dc.total / duration,
        "client_sys_share": client.sys_share(),
        "testdc_sys_share": dc.sys_share(),
        "client_switches_per_req": (x1 - x0) / done,
        "testdc_switches_per_req": (y1 - y0) / done,
    })
}

fn warm(a: &Args, dc: &Dc) -> Value {
    let rt = runtime::handle();
    let client = Client::new(config(dc, a.transport)).expect("client");
    // The first call makes the key and sends initConnection: not measured.
    let first = rt.block_on(client.send_code(&phone(), dc.api_id, &dc.api_hash, settings()));
    if let Err(e) = first {
        die(&format!("first auth.sendCode failed: {e}"));
    }
    if let Some(path) = &a.marker {
        // For profile.sh: the key exists now; it zeroes the profilers' counters meanwhile.
        std::fs::write(path, b"ready\n").unwrap_or_else(|e| die(&format!("{path}: {e}")));
        std::thread::sleep(Duration::from_secs(3));
    }
    let levels: Vec<Value> = a
        .levels
        .iter()
        .map(|&n| {
            let v = warm_level(&rt, &client, dc, n, a.duration, a.pid);
            eprintln!("load: warm {n} in flight: {v}");
            v
        })
        .collect();
    json!({"mode": "warm", "transport": a.transport.name(), "levels": levels})
}

fn scale(a: &Args, dc: &Dc) -> Value {
    let rt = runtime::handle();
    // Runtime threads, lazy statics and the allocator's arenas belong to the baseline: one
    // client comes and goes first.
    cold_call(&rt, dc, a.transport);
    let session = if a.reuse_key {
        let client = Client::new(config(dc, a.transport)).expect("client");
        if let Err(e) = rt.block_on(client.send_code(&phone(), dc.api_id, &dc.api_hash, settings()))
        {
            die(&format!("auth.sendCode failed: {e}"));
        }
        Some(
            client
                .export_session_string()
                .expect("a session with a key"),
        )
    } else {
        None
    };
    std::thread::sleep(Duration::from_millis(500));
    let (rss0, fds0) = (status_kib("self", "VmRSS"), open_fds());
    let dc_rss0 = a
        .pid
        .map(|p| status_kib(&p.to_string(), "VmRSS"))
        .unwrap_or(0);
    let (c0, s0) = (cpu_self(), cpu_pid(a.pid));
    let t0 = Instant::now();
    let sem = Arc::new(tokio::sync::Semaphore::new(a.parallel.max(1)));
    let failures = Arc::new(AtomicU64::new(0));
    let clients: Vec<Client> = rt.block_on(async {
        let mut tasks = Vec::with_capacity(a.clients);
        for _ in 0..a.clients {
            let (dc, sem, failures) = (dc.clone(), sem.clone(), failures.clone());
            let (transport, session) = (a.transport, session.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire_owned().await.expect("semaphore");
                let client = Client::new(ClientConfig {
                    session_string: session,
                    ..config(&dc, transport)
                })
                .expect("client");
                if let Err(e) = client
                    .send_code(&phone(), dc.api_id, &dc.api_hash, settings())
                    .await
                {
                    if failures.fetch_add(1, Ordering::Relaxed) < 5 {
                        eprintln!("load: scale: auth.sendCode failed: {e}");
                    }
                }
                client
            }));
        }
        let mut clients = Vec::with_capacity(a.clients);
        for t in tasks {
            clients.push(t.await.expect("task"));
        }
        clients
    });
    let bring_up = t0.elapsed().as_secs_f64();
    let (c1, s1) = (cpu_self(), cpu_pid(a.pid));
    // Idle: let the connections settle, then read memory and count the sockets.
    std::thread::sleep(Duration::from_secs(2));
    let (rss1, fds1) = (status_kib("self", "VmRSS"), open_fds());
    let dc_rss1 = a
        .pid
        .map(|p| status_kib(&p.to_string(), "VmRSS"))
        .unwrap_or(0);
    // What idle clients cost in CPU (timers, keep-alives) over a few seconds.
    let idle_for = 3.0;
    let (c2, s2) = (cpu_self(), cpu_pid(a.pid));
    std::thread::sleep(Duration::from_secs_f64(idle_for));
    let (c3, s3) = (cpu_self(), cpu_pid(a.pid));
    let rss_delta = rss1.saturating_sub(rss0);
    let n = a.clients as f64;
    let v = json!({
        "mode": "scale",
        "transport": a.transport.name(),
        "clients": a.clients,
        "parallel": a.parallel,
        "reuse_key": a.reuse_key,
        "failures": failures.load(Ordering::Relaxed),
        "bring_up_s": bring_up,
        "bring_up_per_s": n / bring_up,
        "bring_up_client_cpu_ms_per_client": (c1 - c0).total / n * 1e3,
        "bring_up_testdc_cpu_ms_per_client": (s1 - s0).total / n * 1e3,
        "rss_before_kib": rss0,
        "rss_after_kib": rss1,
        "rss_delta_kib": rss_delta,
        "kib_per_client": rss_delta as f64 / n,
        "open_fds_before": fds0,
        "open_fds_after": fds1,
        "testdc_rss_delta_kib": dc_rss1.saturating_sub(dc_rss0),
        "idle_client_cpu_util": (c3 - c2).total / idle_for,
        "idle_testdc_cpu_util": (s3 - s2).total / idle_for,
    });
    // Leaving the clients to the process exit keeps their teardown out of the figures.
    std::mem::forget(clients);
    v
}

/// Loopback costs with no MTProto: TCP connect + accept, and 4-byte ping-pong round trips.
fn rtt() -> Value {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let _ = s.set_nodelay(true);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4];
                while s.read_exact(&mut buf).is_ok() {
                    if s.write_all(&buf).is_err() {
                        return;
                    }
                }
            });
        }
    });
    let mut connects = Vec::new();
    for _ in 0..200 {
        let t0 = Instant::now();
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_nodelay(true).unwrap();
        // One round trip so the accept has happened.
        s.write_all(&[1, 2, 3, 4]).unwrap();
        let mut b = [0u8; 4];
        s.read_exact(&mut b).unwrap();
        connects.push(t0.elapsed().as_secs_f64());
    }
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_nodelay(true).unwrap();
    let mut rtts = Vec::new();
    for i in 0..5000u32 {
        let t0 = Instant::now();
        s.write_all(&i.to_le_bytes()).unwrap();
        let mut b = [0u8; 4];
        s.read_exact(&mut b).unwrap();
        rtts.push(t0.elapsed().as_secs_f64());
    }
    json!({
        "mode": "rtt",
        "connect_plus_round_trip": summary(&mut connects),
        "round_trip": summary(&mut rtts),
    })
}

fn main() {
    let a = parse_args();
    let result = match a.mode.as_str() {
        "rtt" => rtt(),
        "genkey" => {
            // A fixed RSA key for a test DC run under valgrind (which would take minutes to
            // make one): `tgauth-testdc --key FILE`.
            let key = tgauth::protocol::handshake::rsa::RsaPrivateKey::generate(2048)
                .unwrap_or_else(|e| die(&format!("{e}")));
            let path = a
                .out
                .as_deref()
                .unwrap_or_else(|| die("genkey needs --out"));
            std::fs::write(path, key.to_pkcs1_pem()).unwrap_or_else(|e| die(&format!("{e}")));
            return;
        }
        "cold" | "warm" | "scale" => {
            let dc = read_ready(
                a.ready
                    .as_deref()
                    .unwrap_or_else(|| die("--ready is needed")),
            );
            match a.mode.as_str() {
                "cold" => cold(&a, &dc),
                "warm" => warm(&a, &dc),
                _ => scale(&a, &dc),
            }
        }
        other => {
            // Plain `cargo bench` (maybe with a criterion filter): this driver needs run.sh.
            eprintln!(
                "load: nothing to do for `{other}`: run `make bench` (tools/bench/run.sh), \
                 which starts the test DC and passes a mode (cold, warm, scale, rtt)"
            );
            return;
        }
    };
    let text = result.to_string();
    match &a.out {
        Some(path) => std::fs::write(path, &text).unwrap_or_else(|e| die(&format!("{e}"))),
        None => println!("{text}"),
    }
    eprintln!("load: {text}");
}
