//! Criterion micro-benchmarks of tgauth's hot paths (part of `make bench`).
//!
//! ```text
//! cargo bench --bench micro                 # everything, about 1.5 minutes
//! cargo bench --bench micro -- cipher/      # one group
//! ```
//!
//! Groups: `cipher` (MTProto 2.0 message encryption and decryption), `transport` (each
//! framing, and obfuscated2 around it), `handshake` (pq, one 2048-bit Montgomery product
//! and square, DH modpow, RSA_PAD, the whole auth-key exchange in memory, per side) and `tl` (the auth.sendCode round trip's TL).
//! Results land in target/criterion/<group>/<bench>/new/estimates.json, which
//! tools/bench/render.py reads.
//!
//! Time is the benchmark thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not wall-clock time:
//! the machine's 2 cores are shared with other builds, and a wall clock would count the
//! time slices other processes take.

use std::sync::Arc;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use grammers_tl_types::{enums, functions, types, Deserializable, Serializable};
use tgauth::protocol::cipher::{self, AuthKey};
use tgauth::protocol::handshake::client::{ClientHandshake, ClientStep};
use tgauth::protocol::handshake::dh::{self, TELEGRAM_DH_PRIME};
use tgauth::protocol::handshake::monty::MontyCtx;
use tgauth::protocol::handshake::rsa::RsaPrivateKey;
use tgauth::protocol::handshake::server::{ServerHandshake, ServerStep};
use tgauth::protocol::message::{write_envelope, write_rpc_result};
use tgauth::protocol::transport::{
    obfuscated_client_header, obfuscated_server_accept, Frame, FrameDecoder, FrameEncoder,
    TransportKind,
};
use tgauth::protocol::Side;

/// The CPU time of `clock` (a `CLOCK_*_CPUTIME_ID`) in nanoseconds.
fn cpu_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The calling thread's CPU time in nanoseconds.
fn thread_cpu_ns() -> u64 {
    cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time of the whole process, so that a step's work on any other thread counts too.
fn process_cpu_ns() -> u64 {
    cpu_ns(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// Criterion measurement: thread CPU time, reported like wall time (ns).
struct ThreadCpu;

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns() - start
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

type C = Criterion<ThreadCpu>;

/// 2 s of measurement (1 s of warm-up) per benchmark keeps the whole run near 1.5 minutes.
fn configured() -> C {
    Criterion::default()
        .with_measurement(ThreadCpu)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .without_plots()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).unwrap();
    b
}

fn send_code_query() -> functions::auth::SendCode {
    functions::auth::SendCode {
        phone_number: "+9996621234".into(),
        api_id: 123_456,
        api_hash: "0123456789abcdef0123456789abcdef".into(),
        settings: enums::CodeSettings::Settings(tgauth::client::default_code_settings()),
    }
}

fn sent_code_answer() -> enums::auth::SentCode {
    enums::auth::SentCode::Code(types::auth::SentCode {
        r#type: enums::auth::SentCodeType::App(types::auth::SentCodeTypeApp { length: 5 }),
        phone_code_hash: "0123456789abcdef0123456789abcdef".into(),
        next_type: Some(enums::auth::CodeType::Sms),
        timeout: Some(60),
    })
}

/// The plaintext of an encrypted message (salt, session, msg_id, seq_no, length, body).
fn envelope(body: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    write_envelope(
        0x1122_3344,
        0x5566_7788,
        0x6000_0000_0000_0004,
        1,
        body,
        &mut plain,
    );
    plain
}

fn bench_cipher(c: &mut C) {
    let key = AuthKey::from_bytes(random_bytes::<256>());
    let send_code = envelope(&send_code_query().to_bytes());
    let mut answer = Vec::new();
    write_rpc_result(
        0x6000_0000_0000_0004,
        &sent_code_answer().to_bytes(),
        &mut answer,
    );
    let sent_code = envelope(&answer);
    let big = envelope(&[0x5a; 4096]);
    let cases: [(&str, &[u8], Side); 3] = [
        ("sendCode", &send_code, Side::Client),
        ("sentCode", &sent_code, Side::Server),
        ("4KiB", &big, Side::Client),
    ];
    let mut g = c.benchmark_group("cipher");
    for (name, plain, side) in cases {
        g.throughput(criterion::Throughput::Bytes(plain.len() as u64));
        let mut out = Vec::with_capacity(plain.len() + 64);
        g.bench_function(format!("encrypt/{name}"), |b| {
            b.iter(|| {
                out.clear();
                cipher::encrypt(&key, side, black_box(plain), &mut out);
                black_box(out.len())
            })
        });
        let mut frame = Vec::new();
        cipher::encrypt(&key, side, plain, &mut frame);
        let mut work = frame.clone();
        g.bench_function(format!("decrypt/{name}"), |b| {
            b.iter(|| {
                // decrypt works in place: restore the ciphertext each time (a memcpy).
                work.copy_from_slice(&frame);
                let plain = cipher::decrypt(&key, side, black_box(&mut work)).unwrap();
                black_box(plain.len())
            })
        });
    }
    g.finish();
}

fn bench_transport(c: &mut C) {
    // An encrypted auth.sendCode frame is 136 bytes (24 of key id and msg_key, 112 of data).
    let payload = random_bytes::<136>();
    let mut g = c.benchmark_group("transport");
    for kind in TransportKind::ALL {
        let mut enc = FrameEncoder::new(kind);
        let mut out = Vec::with_capacity(256);
        g.bench_function(format!("encode/{}", kind.name()), |b| {
            b.iter(|| {
                out.clear();
                enc.encode(black_box(&payload), &mut out);
                black_box(out.len())
            })
        });
        let mut frame = Vec::new();
        FrameEncoder::new(kind).encode(&payload, &mut frame);
        g.bench_function(format!("decode/{}", kind.name()), |b| {
            b.iter(|| {
                // A fresh decoder each time: the full transport checks its sequence number.
                let mut dec = FrameDecoder::new(kind, 1 << 20);
                match dec.decode(black_box(&frame)).unwrap() {
                    Some((Frame::Packet(p), used)) => black_box((p.len(), used)),
                    other => panic!("{other:?}"),
                }
            })
        });
    }
    // obfuscated2 around intermediate: the client frames and encrypts (AES-256-CTR), the
    // server decrypts and unframes, streams kept in step as on a connection.
    for kind in [TransportKind::Abridged, TransportKind::Intermediate] {
        let (header, mut client) = obfuscated_client_header(kind, 2).unwrap();
        let (_, _, mut server) = obfuscated_server_accept(&header).unwrap();
        let mut enc = FrameEncoder::new(kind);
        let mut dec = FrameDecoder::new(kind, 1 << 20);
        let mut wire = Vec::with_capacity(256);
        g.bench_function(format!("obfuscated_round_trip/{}", kind.name()), |b| {
            b.iter(|| {
                wire.clear();
                enc.encode(black_box(&payload), &mut wire);
                client.apply_encrypt(&mut wire);
                server.apply_decrypt(&mut wire);
                match dec.decode(&wire).unwrap() {
                    Some((Frame::Packet(p), used)) => black_box((p.len(), used)),
                    other => panic!("{other:?}"),
                }
            })
        });
        g.bench_function(format!("obfuscated_header/{}", kind.name()), |b| {
            b.iter(|| {
                let (header, _) = obfuscated_client_header(kind, 2).unwrap();
                black_box(obfuscated_server_accept(&header).unwrap().0)
            })
        });
    }
    g.finish();
}

/// Runs one whole handshake in memory, returning the CPU time (ns) the process spent in
/// the client's and in the server's state machines (all threads). The client's `g^b` is
/// made inside its DH step here (no guess is offered), as a client does when the server
/// names a group it did not expect.
fn handshake_once(key: &Arc<RsaPrivateKey>) -> (u64, u64) {
    let trusted = vec![key.public_key()];
    let (mut client_time, mut server_time) = (0, 0);
    let t = process_cpu_ns();
    let (mut client, mut body) = ClientHandshake::start(trusted, 2);
    client_time += process_cpu_ns() - t;
    let mut server = ServerHandshake::new(key.clone());
    loop {
        let t = process_cpu_ns();
        let step = server.handle(&body, |_| true).expect("server step");
        server_time += process_cpu_ns() - t;
        let answer = match step {
            ServerStep::Reply(answer) | ServerStep::Done(answer, _) => answer,
        };
        let t = process_cpu_ns();
        let step = client.handle(&answer).expect("client step");
        client_time += process_cpu_ns() - t;
        match step {
            ClientStep::Send(next) => body = next,
            ClientStep::Done(outcome) => {
                black_box(outcome);
                return (client_time, server_time);
            }
        }
    }
}

fn bench_handshake(c: &mut C) {
    let key = Arc::new(RsaPrivateKey::generate(2048).expect("RSA key"));
    let public = key.public_key();
    let mut g = c.benchmark_group("handshake");
    g.bench_function("make_pq", |b| b.iter(dh::make_pq));
    g.bench_function("factorize_pq", |b| {
        b.iter_batched(
            || dh::make_pq().2,
            |pq| black_box(dh::factorize_pq(black_box(pq)).unwrap()),
            BatchSize::SmallInput,
        )
    });
    // One Montgomery product and one square modulo the DH prime: the units the
    // exponentiations below are made of (about 2050 squares and 410 products each).
    let ctx = MontyCtx::<32>::from_be_bytes(&TELEGRAM_DH_PRIME).unwrap();
    let x = ctx.to_mont_be_bytes(&random_bytes::<256>());
    let y = ctx.to_mont_be_bytes(&random_bytes::<256>());
    g.bench_function("montmul_2048", |b| {
        b.iter(|| black_box(ctx.mul(black_box(&x), black_box(&y))))
    });
    g.bench_function("montsqr_2048", |b| {
        b.iter(|| black_box(ctx.sqr(black_box(&x))))
    });
    g.sampling_mode(SamplingMode::Flat).sample_size(20);
    let exp = dh::generate_exponent();
    g.bench_function("modpow_2048/g_small_base", |b| {
        b.iter(|| black_box(dh::modpow_2048(&[3], black_box(&exp), &TELEGRAM_DH_PRIME)))
    });
    // The fixed-base comb for g = 3 (built once, before the measurement).
    dh::generator_pow(3, &exp, &TELEGRAM_DH_PRIME);
    g.bench_function("generator_pow_2048/g_3_comb", |b| {
        b.iter(|| black_box(dh::generator_pow(3, black_box(&exp), &TELEGRAM_DH_PRIME)))
    });
    let g_a = dh::modpow_2048(&[3], &dh::generate_exponent(), &TELEGRAM_DH_PRIME);
    g.bench_function("modpow_2048/g_a_full_base", |b| {
        b.iter(|| black_box(dh::modpow_2048(&g_a, black_box(&exp), &TELEGRAM_DH_PRIME)))
    });
    // The same exponentiation on the scalar limb code that CPUs without AVX2 run: the
    // measured reason for the AVX2 digit path (src/protocol/handshake/monty.rs).
    let g_a_mont = ctx.to_mont_be_bytes(&g_a);
    g.bench_function("modpow_2048/g_a_full_base_scalar", |b| {
        b.iter(|| black_box(ctx.from_mont(&ctx.pow(black_box(&g_a_mont), black_box(&exp)))))
    });
    g.bench_function("client_dh_checks", |b| {
        b.iter(|| dh::check_server_dh_params(3, &TELEGRAM_DH_PRIME, black_box(&g_a)).unwrap())
    });
    // p_q_inner_data_dc is about 100 bytes of TL.
    let inner = random_bytes::<100>();
    g.bench_function("rsa_pad/encrypt_client", |b| {
        b.iter(|| black_box(public.encrypt_rsa_pad(black_box(&inner)).unwrap()))
    });
    let block = public.encrypt_rsa_pad(&inner).unwrap();
    g.bench_function("rsa_pad/decrypt_server", |b| {
        b.iter(|| black_box(key.decrypt_rsa_pad(black_box(&block)).unwrap()))
    });
    g.sample_size(10);
    for (name, side) in [("client", 0), ("server", 1)] {
        g.bench_function(format!("full_exchange/{name}_side"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let (client, server) = handshake_once(&key);
                        if side == 0 {
                            client
                        } else {
                            server
                        }
                    })
                    .sum()
            })
        });
    }
    g.finish();
}

fn bench_tl(c: &mut C) {
    let query = send_code_query();
    let query_bytes = query.to_bytes();
    let answer = sent_code_answer();
    let answer_bytes = answer.to_bytes();
    let mut g = c.benchmark_group("tl");
    g.bench_function("sendCode/encode_client", |b| {
        b.iter(|| black_box(black_box(&query).to_bytes()))
    });
    g.bench_function("sendCode/decode_server", |b| {
        b.iter(|| {
            // The server reads the constructor first, then the arguments.
            let mut cur = grammers_tl_types::Cursor::from_slice(&black_box(&query_bytes)[4..]);
            black_box(functions::auth::SendCode::deserialize(&mut cur).unwrap())
        })
    });
    g.bench_function("sentCode/encode_server", |b| {
        b.iter(|| black_box(black_box(&answer).to_bytes()))
    });
    g.bench_function("sentCode/decode_client", |b| {
        b.iter(|| black_box(enums::auth::SentCode::from_bytes(black_box(&answer_bytes)).unwrap()))
    });
    g.finish();
}

criterion_group! {
    name = micro;
    config = configured();
    targets = bench_cipher, bench_transport, bench_handshake, bench_tl
}
criterion_main!(micro);
