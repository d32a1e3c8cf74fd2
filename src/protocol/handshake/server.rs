//! The server side of the auth-key handshake, as the test DC runs it.
//!
//! Accepts req_pq_multi and the legacy req_pq; p_q_inner_data, _dc, _temp and _temp_dc;
//! RSA_PAD and the legacy SHA1-padded RSA scheme (older clients, GramJS among them, still
//! send it). Serves a safe 2048-bit prime with g = 3.

use std::sync::Arc;

use grammers_tl_types::{
    enums, functions, types, Cursor, Deserializable, Identifiable, Serializable,
};
use num_bigint::BigUint;
use zeroize::Zeroizing;

use super::dh;
use super::rsa::RsaPrivateKey;
use super::{
    decrypt_with_hash, encrypt_with_hash, first_salt, parse_prefix, protocol, random, security,
    tmp_aes, HandshakeError, HandshakeOutcome,
};
use crate::protocol::cipher::AuthKey;
use crate::protocol::message::{constructor_of, unix_now};

/// The generator served with the prime (valid for it: p mod 3 = 2... checked in tests).
const G: u32 = 3;

/// A key the server agreed, with the temporary key's lifetime when it is one.
#[derive(Debug, Clone)]
pub struct ServerKey {
    /// The handshake result.
    pub outcome: HandshakeOutcome,
    /// `Some(expires_in)` for a temporary key (p_q_inner_data_temp*).
    pub temp_expires_in: Option<i32>,
    /// The DC id the client named in p_q_inner_data_dc / _temp_dc, if any.
    pub dc: Option<i32>,
}

/// What to do after [`ServerHandshake::handle`].
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum ServerStep {
    /// Send this TL body in an unencrypted message.
    Reply(Vec<u8>),
    /// Send this body (dh_gen_ok); the key is ready.
    Done(Vec<u8>, ServerKey),
}

// One short-lived state machine per handshake: boxing the big state buys nothing.
#[allow(clippy::large_enum_variant)]
enum State {
    AwaitReqPq,
    AwaitDhParams {
        server_nonce: [u8; 16],
        pq: u64,
    },
    AwaitClientDh {
        server_nonce: [u8; 16],
        new_nonce: Zeroizing<[u8; 32]>,
        a: Zeroizing<[u8; 256]>,
        temp_expires_in: Option<i32>,
        dc: Option<i32>,
    },
    Done,
}

/// A deliberate handshake violation, for testing clients only (the test DC's misbehaving
/// mode). Each breaks one check of the security guidelines; the item number is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandshakeFlaw {
    /// 1: resPQ echoes another nonce.
    ResPqWrongNonce,
    /// 2: resPQ lists only a key fingerprint nobody has.
    UnknownFingerprint,
    /// 2: pq is 7 bytes.
    PqNotEightBytes,
    /// 2: pq is prime (no p < q to find).
    PqPrime,
    /// 1: server_DH_params_ok carries another server_nonce.
    DhParamsWrongServerNonce,
    /// 4: server_DH_params_fail with a wrong new_nonce_hash.
    DhParamsFailWrongHash,
    /// 5: encrypted_answer is not a multiple of 16 bytes.
    AnswerLengthNotAligned,
    /// 5: the SHA1 of the answer does not match.
    AnswerBadHash,
    /// 5: 16 or more padding bytes after the answer.
    AnswerTooMuchPadding,
    /// 6: dh_prime is a 2048-bit prime that is not safe.
    PrimeNotSafe,
    /// 6: dh_prime has 2047 bits.
    PrimeTooShort,
    /// 7: g = 2 with a prime for which 2 is not a valid generator.
    BadGenerator,
    /// 8: g_a = 1.
    GaOutOfRange,
    /// 8: g_a below 2^(2048-64).
    GaNearBound,
    /// 11: dh_gen_ok with a wrong new_nonce_hash1.
    DhGenWrongHash,
    /// 1: dh_gen_ok echoes another nonce.
    DhGenWrongNonce,
}

impl HandshakeFlaw {
    /// Every handshake flaw.
    pub const ALL: [HandshakeFlaw; 16] = [
        HandshakeFlaw::ResPqWrongNonce,
        HandshakeFlaw::UnknownFingerprint,
        HandshakeFlaw::PqNotEightBytes,
        HandshakeFlaw::PqPrime,
        HandshakeFlaw::DhParamsWrongServerNonce,
        HandshakeFlaw::DhParamsFailWrongHash,
        HandshakeFlaw::AnswerLengthNotAligned,
        HandshakeFlaw::AnswerBadHash,
        HandshakeFlaw::AnswerTooMuchPadding,
        HandshakeFlaw::PrimeNotSafe,
        HandshakeFlaw::PrimeTooShort,
        HandshakeFlaw::BadGenerator,
        HandshakeFlaw::GaOutOfRange,
        HandshakeFlaw::GaNearBound,
        HandshakeFlaw::DhGenWrongHash,
        HandshakeFlaw::DhGenWrongNonce,
    ];
}

/// A 2048-bit prime p whose (p-1)/2 is not prime, made once (for [`HandshakeFlaw::PrimeNotSafe`]).
fn unsafe_prime() -> &'static [u8] {
    static PRIME: once_cell::sync::Lazy<Vec<u8>> = once_cell::sync::Lazy::new(|| loop {
        let p = glass_pumpkin::prime::new(2048).expect("the OS random source works");
        let bytes = p.to_bytes_be();
        if bytes.len() == 256 && dh::check_safe_prime(&bytes).is_err() {
            return bytes;
        }
    });
    &PRIME
}

/// `(a, g_a)` pairs for the served prime and `g`, made ahead of need.
///
/// `g_a = g^a mod dh_prime` does not depend on anything the client sends, so a background
/// thread computes a few pairs before clients ask. req_DH_params then costs one RSA
/// decryption and no exponentiation, and a login's critical path loses one 2048-bit
/// exponentiation. Each pair is handed out once. When the pool is empty (a burst of
/// handshakes), [`take`](Self::take) computes a pair itself, as if there were no pool.
///
/// The filler thread runs only on spare CPU (`SCHED_IDLE` on Linux), so that it does not
/// slow down the handshakes it prepares for, and computes `g_a` through the fixed-base
/// comb of [`dh::generator_pow`]. It stops when the pool is dropped.
pub struct DhPool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    pairs: parking_lot::Mutex<Vec<DhPair>>,
    /// Signalled when a pair is taken, or on stop.
    wanted: parking_lot::Condvar,
    target: usize,
    stop: std::sync::atomic::AtomicBool,
    /// Pairs handed out that the filler had made in advance (for tests and stats).
    hits: std::sync::atomic::AtomicU64,
}

/// A secret exponent and its public value; the exponent is wiped on drop.
struct DhPair {
    a: Zeroizing<[u8; 256]>,
    g_a: [u8; 256],
}

impl DhPair {
    fn fresh() -> Self {
        let a = Zeroizing::new(dh::generate_exponent());
        let g_a = dh::generator_pow(G, a.as_slice(), &dh::TELEGRAM_DH_PRIME);
        Self { a, g_a }
    }
}

impl DhPool {
    /// Starts a pool that keeps `target` pairs ready, with its filler thread. If the
    /// thread cannot be started, the pool still works: every pair is made on demand.
    pub fn start(target: usize) -> Arc<DhPool> {
        let inner = Arc::new(PoolInner {
            pairs: parking_lot::Mutex::new(Vec::with_capacity(target)),
            wanted: parking_lot::Condvar::new(),
            target,
            stop: std::sync::atomic::AtomicBool::new(false),
            hits: std::sync::atomic::AtomicU64::new(0),
        });
        let filler = inner.clone();
        let _ = std::thread::Builder::new()
            .name("tgauth-dh-pool".into())
            .spawn(move || filler.fill());
        Arc::new(DhPool { inner })
    }

    /// A pair never handed out before: `(a, g_a)`.
    fn take(&self) -> DhPair {
        let ready = self.inner.pairs.lock().pop();
        self.inner.wanted.notify_one();
        match ready {
            Some(pair) => {
                self.inner
                    .hits
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                pair
            }
            None => DhPair::fresh(),
        }
    }

    /// How many pairs were handed out ready-made.
    pub fn hits(&self) -> u64 {
        self.inner.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many pairs are ready now.
    pub fn ready(&self) -> usize {
        self.inner.pairs.lock().len()
    }
}

impl Drop for DhPool {
    fn drop(&mut self) {
        self.inner
            .stop
            .store(true, std::sync::atomic::Ordering::SeqCst);
        // Under the lock, so the filler cannot miss it between its check and its wait.
        let _pairs = self.inner.pairs.lock();
        self.inner.wanted.notify_all();
    }
}

impl PoolInner {
    fn fill(&self) {
        lower_this_threads_priority();
        use std::sync::atomic::Ordering::SeqCst;
        loop {
            {
                let mut pairs = self.pairs.lock();
                while pairs.len() >= self.target && !self.stop.load(SeqCst) {
                    self.wanted.wait(&mut pairs);
                }
            }
            if self.stop.load(SeqCst) {
                return;
            }
            let pair = DhPair::fresh();
            self.pairs.lock().push(pair);
        }
    }
}

#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // SCHED_IDLE: the thread runs only on CPU time no other thread wants, and a waking
    // thread of any normal policy preempts it at once. A nice value is not enough: the
    // kernel still gives a nice-10 thread that has slept its share at once, which on
    // 2 cores meant the filler took a core from the client's exponentiation it was
    // racing. If the policy cannot be set, fall back to the lowest nice value.
    // SAFETY: plain system calls; `param` outlives the call that reads it.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
            // On Linux, nice values are per thread: this thread's id as the "process".
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, 19);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

/// A server handshake in progress.
pub struct ServerHandshake {
    key: Arc<RsaPrivateKey>,
    fingerprint: i64,
    nonce: [u8; 16],
    state: State,
    flaw: Option<HandshakeFlaw>,
    pool: Option<Arc<DhPool>>,
}

impl ServerHandshake {
    /// A handshake for one connection, with the DC's private key.
    pub fn new(key: Arc<RsaPrivateKey>) -> Self {
        let fingerprint = key.public_key().fingerprint();
        Self {
            key,
            fingerprint,
            nonce: [0; 16],
            state: State::AwaitReqPq,
            flaw: None,
            pool: None,
        }
    }

    /// Takes `(a, g_a)` from `pool` instead of computing them during req_DH_params.
    pub fn with_pool(mut self, pool: Option<Arc<DhPool>>) -> Self {
        self.pool = pool;
        self
    }

    /// A handshake that breaks one check on purpose (tests only).
    pub fn with_flaw(key: Arc<RsaPrivateKey>, flaw: Option<HandshakeFlaw>) -> Self {
        Self {
            flaw,
            ..Self::new(key)
        }
    }

    fn flawed(&self, flaw: HandshakeFlaw) -> bool {
        self.flaw == Some(flaw)
    }

    /// Whether this message body could start a handshake.
    pub fn is_handshake_start(body: &[u8]) -> bool {
        matches!(
            constructor_of(body),
            Some(functions::ReqPqMulti::CONSTRUCTOR_ID) | Some(functions::ReqPq::CONSTRUCTOR_ID)
        )
    }

    /// Processes one client message. `accept` is asked whether a finished key may be used
    /// (false when its id collides with a key already known: the client is told to retry).
    pub fn handle(
        &mut self,
        body: &[u8],
        accept: impl Fn(&AuthKey) -> bool,
    ) -> Result<ServerStep, HandshakeError> {
        let state = std::mem::replace(&mut self.state, State::Done);
        let id = constructor_of(body).ok_or_else(|| protocol("empty message"))?;
        let mut cursor = Cursor::from_slice(&body[4..]);
        match (state, id) {
            (State::AwaitReqPq, functions::ReqPqMulti::CONSTRUCTOR_ID)
            | (State::AwaitReqPq, functions::ReqPq::CONSTRUCTOR_ID) => {
                // Both carry just the nonce.
                let req = functions::ReqPqMulti::deserialize(&mut cursor).map_err(protocol)?;
                self.nonce = req.nonce;
                let server_nonce = random::<16>();
                let (p, q, pq) = dh::make_pq();
                debug_assert_eq!(p * q, pq);
                let mut res = types::ResPq {
                    nonce: req.nonce,
                    server_nonce,
                    pq: pq.to_be_bytes().to_vec(),
                    server_public_key_fingerprints: vec![self.fingerprint],
                };
                if self.flawed(HandshakeFlaw::ResPqWrongNonce) {
                    res.nonce = random::<16>();
                }
                if self.flawed(HandshakeFlaw::UnknownFingerprint) {
                    res.server_public_key_fingerprints = vec![self.fingerprint ^ 1];
                }
                if self.flawed(HandshakeFlaw::PqNotEightBytes) {
                    res.pq = (pq >> 8).to_be_bytes()[1..].to_vec();
                }
                if self.flawed(HandshakeFlaw::PqPrime) {
                    res.pq = 0x7fff_ffff_ffff_ffe7u64.to_be_bytes().to_vec(); // 2^63 - 25, prime
                }
                let reply = enums::ResPq::Pq(res).to_bytes();
                self.state = State::AwaitDhParams { server_nonce, pq };
                Ok(ServerStep::Reply(reply))
            }
            (State::AwaitDhParams { server_nonce, pq }, functions::ReqDhParams::CONSTRUCTOR_ID) => {
                let req = functions::ReqDhParams::deserialize(&mut cursor).map_err(protocol)?;
                self.on_req_dh_params(req, server_nonce, pq)
            }
            (
                State::AwaitClientDh {
                    server_nonce,
                    new_nonce,
                    a,
                    temp_expires_in,
                    dc,
                },
                functions::SetClientDhParams::CONSTRUCTOR_ID,
            ) => {
                let req =
                    functions::SetClientDhParams::deserialize(&mut cursor).map_err(protocol)?;
                self.on_set_client_dh(req, server_nonce, new_nonce, a, temp_expires_in, dc, accept)
            }
            (_, other) => Err(protocol(format!(
                "unexpected message {other:08x} in handshake"
            ))),
        }
    }

    fn check_nonces(
        &self,
        nonce: &[u8; 16],
        server_nonce: &[u8; 16],
        expected: &[u8; 16],
    ) -> Result<(), HandshakeError> {
        if nonce != &self.nonce || server_nonce != expected {
            return Err(security("nonce or server_nonce does not match"));
        }
        Ok(())
    }

    fn on_req_dh_params(
        &mut self,
        req: functions::ReqDhParams,
        server_nonce: [u8; 16],
        pq: u64,
    ) -> Result<ServerStep, HandshakeError> {
        self.check_nonces(&req.nonce, &req.server_nonce, &server_nonce)?;
        if req.public_key_fingerprint != self.fingerprint {
            return Err(security("req_DH_params names a key we do not have"));
        }
        let (p, q) = (super::be_u64(&req.p), super::be_u64(&req.q));
        match (p, q) {
            (Some(p), Some(q)) if p.checked_mul(q) == Some(pq) && p < q => {}
            _ => return Err(security("p and q are not the factors of pq")),
        }
        let block: [u8; 256] = pad_to_256(&req.encrypted_data)?;
        let inner = self.decrypt_inner(&block)?;
        let (inner_pq, inner_nonce, inner_server_nonce, new_nonce, temp, dc) = match inner {
            enums::PQInnerData::Data(d) => (d.pq, d.nonce, d.server_nonce, d.new_nonce, None, None),
            enums::PQInnerData::Dc(d) => {
                (d.pq, d.nonce, d.server_nonce, d.new_nonce, None, Some(d.dc))
            }
            enums::PQInnerData::Temp(d) => (
                d.pq,
                d.nonce,
                d.server_nonce,
                d.new_nonce,
                Some(d.expires_in),
                None,
            ),
            enums::PQInnerData::TempDc(d) => (
                d.pq,
                d.nonce,
                d.server_nonce,
                d.new_nonce,
                Some(d.expires_in),
                Some(d.dc),
            ),
        };
        let new_nonce = Zeroizing::new(new_nonce);
        self.check_nonces(&inner_nonce, &inner_server_nonce, &server_nonce)?;
        if super::be_u64(&inner_pq) != Some(pq) {
            return Err(security("p_q_inner_data names another pq"));
        }
        if self.flawed(HandshakeFlaw::DhParamsFailWrongHash) {
            let reply = enums::ServerDhParams::Fail(types::ServerDhParamsFail {
                nonce: self.nonce,
                server_nonce,
                new_nonce_hash: random::<16>(),
            })
            .to_bytes();
            return Ok(ServerStep::Reply(reply));
        }
        let pair = match &self.pool {
            Some(pool) => pool.take(),
            None => DhPair::fresh(),
        };
        let DhPair { a, g_a } = pair;
        let mut inner = types::ServerDhInnerData {
            nonce: self.nonce,
            server_nonce,
            g: G as i32,
            dh_prime: dh::TELEGRAM_DH_PRIME.to_vec(),
            g_a: g_a.to_vec(),
            server_time: unix_now() as i32,
        };
        match self.flaw {
            Some(HandshakeFlaw::PrimeNotSafe) => inner.dh_prime = unsafe_prime().to_vec(),
            Some(HandshakeFlaw::PrimeTooShort) => inner.dh_prime[0] &= 0x7f,
            Some(HandshakeFlaw::BadGenerator) => inner.g = 2,
            Some(HandshakeFlaw::GaOutOfRange) => inner.g_a = vec![1],
            Some(HandshakeFlaw::GaNearBound) => {
                inner.g_a = (BigUint::from(1u8) << 1983u32).to_bytes_be()
            }
            _ => {}
        }
        let answer = enums::ServerDhInnerData::Data(inner).to_bytes();
        let (key, iv) = tmp_aes(&server_nonce, &new_nonce);
        let encrypted_answer = match self.flaw {
            Some(HandshakeFlaw::AnswerLengthNotAligned) => {
                let mut e = encrypt_with_hash(&answer, &key, &iv);
                e.truncate(e.len() - 4);
                e
            }
            Some(HandshakeFlaw::AnswerBadHash) => {
                let mut tampered = answer.clone();
                let last = tampered.len() - 1;
                tampered[last] ^= 1; // hashed as sent, but the hash is of the original
                let mut e = encrypt_with_hash(&answer, &key, &iv);
                let mut plain = e.clone();
                grammers_crypto::aes::ige_decrypt(&mut plain, &key, &iv);
                plain[20..20 + tampered.len()].copy_from_slice(&tampered);
                grammers_crypto::aes::ige_encrypt(&mut plain, &key, &iv);
                e.copy_from_slice(&plain);
                e
            }
            Some(HandshakeFlaw::AnswerTooMuchPadding) => {
                let mut e = encrypt_with_hash(&answer, &key, &iv);
                let mut plain = e.clone();
                grammers_crypto::aes::ige_decrypt(&mut plain, &key, &iv);
                plain.extend_from_slice(&random::<16>());
                grammers_crypto::aes::ige_encrypt(&mut plain, &key, &iv);
                e = plain;
                e
            }
            _ => encrypt_with_hash(&answer, &key, &iv),
        };
        let reply = enums::ServerDhParams::Ok(types::ServerDhParamsOk {
            nonce: self.nonce,
            server_nonce: if self.flawed(HandshakeFlaw::DhParamsWrongServerNonce) {
                random::<16>()
            } else {
                server_nonce
            },
            encrypted_answer,
        })
        .to_bytes();
        self.state = State::AwaitClientDh {
            server_nonce,
            new_nonce,
            a,
            temp_expires_in: temp,
            dc,
        };
        Ok(ServerStep::Reply(reply))
    }

    /// RSA_PAD first; the legacy SHA1-padded scheme when RSA_PAD's hash does not check.
    fn decrypt_inner(&self, block: &[u8; 256]) -> Result<enums::PQInnerData, HandshakeError> {
        if let Ok(data) = self.key.decrypt_rsa_pad(block) {
            let (inner, _) = parse_prefix::<enums::PQInnerData>(&data)?;
            return Ok(inner);
        }
        // Legacy: SHA1(data) + data + padding, 255 bytes under a zero leading byte.
        let payload = self
            .key
            .decrypt_legacy(block)
            .map_err(|e| security(format!("RSA: {e}")))?;
        if payload.len() < 20 {
            return Err(security("legacy RSA block too short"));
        }
        let (inner, len) = parse_prefix::<enums::PQInnerData>(&payload[20..])?;
        super::rsa::verify_legacy_payload(&payload, len)
            .map_err(|e| security(format!("legacy RSA block: {e}")))?;
        Ok(inner)
    }

    #[allow(clippy::too_many_arguments)]
    fn on_set_client_dh(
        &mut self,
        req: functions::SetClientDhParams,
        server_nonce: [u8; 16],
        new_nonce: Zeroizing<[u8; 32]>,
        a: Zeroizing<[u8; 256]>,
        temp_expires_in: Option<i32>,
        dc: Option<i32>,
        accept: impl Fn(&AuthKey) -> bool,
    ) -> Result<ServerStep, HandshakeError> {
        self.check_nonces(&req.nonce, &req.server_nonce, &server_nonce)?;
        let (key, iv) = tmp_aes(&server_nonce, &new_nonce);
        let enums::ClientDhInnerData::Data(inner) = decrypt_with_hash(
            &req.encrypted_data,
            &key,
            &iv,
            parse_prefix::<enums::ClientDhInnerData>,
        )?;
        self.check_nonces(&inner.nonce, &inner.server_nonce, &server_nonce)?;
        let prime = dh::server_dh_prime();
        dh::check_public_value(&BigUint::from_bytes_be(&inner.g_b), prime)
            .map_err(|e| security(e.to_string()))?;
        let auth_key = AuthKey::from_bytes(dh::modpow_2048(
            &inner.g_b,
            a.as_slice(),
            &prime.to_bytes_be(),
        ));
        if !accept(&auth_key) {
            // The key id collides: ask for a new g_b (dh_gen_retry).
            let reply = enums::SetClientDhParamsAnswer::DhGenRetry(types::DhGenRetry {
                nonce: self.nonce,
                server_nonce,
                new_nonce_hash2: auth_key.new_nonce_hash(&new_nonce, 2),
            })
            .to_bytes();
            self.state = State::AwaitClientDh {
                server_nonce,
                new_nonce,
                a,
                temp_expires_in,
                dc,
            };
            return Ok(ServerStep::Reply(reply));
        }
        let reply = enums::SetClientDhParamsAnswer::DhGenOk(types::DhGenOk {
            nonce: if self.flawed(HandshakeFlaw::DhGenWrongNonce) {
                random::<16>()
            } else {
                self.nonce
            },
            server_nonce,
            new_nonce_hash1: if self.flawed(HandshakeFlaw::DhGenWrongHash) {
                random::<16>()
            } else {
                auth_key.new_nonce_hash(&new_nonce, 1)
            },
        })
        .to_bytes();
        let outcome = HandshakeOutcome {
            auth_key,
            time_offset: 0,
            first_salt: first_salt(&new_nonce, &server_nonce),
        };
        Ok(ServerStep::Done(
            reply,
            ServerKey {
                outcome,
                temp_expires_in,
                dc,
            },
        ))
    }
}

fn pad_to_256(data: &[u8]) -> Result<[u8; 256], HandshakeError> {
    // Some clients strip leading zero bytes of the RSA block; accept 1..=256 bytes.
    if data.is_empty() || data.len() > 256 {
        return Err(security("encrypted_data is not an RSA block"));
    }
    let mut block = [0u8; 256];
    block[256 - data.len()..].copy_from_slice(data);
    Ok(block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn pool_pairs_are_fresh_and_consistent() {
        let pool = DhPool::start(3);
        let deadline = Instant::now() + Duration::from_secs(30);
        while pool.ready() < 3 {
            assert!(Instant::now() < deadline, "the filler made no pairs");
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut seen = std::collections::HashSet::new();
        for _ in 0..5 {
            // 3 ready-made, then made on demand (or by the filler meanwhile).
            let pair = pool.take();
            assert_eq!(
                pair.g_a,
                dh::modpow_2048(&[3], pair.a.as_slice(), &dh::TELEGRAM_DH_PRIME),
                "g_a is 3^a mod dh_prime"
            );
            assert!(seen.insert(*pair.a), "a pair was handed out twice");
        }
        assert!(pool.hits() >= 3);
        // The filler refills the pool after takes.
        while pool.ready() < 3 {
            assert!(Instant::now() < deadline, "the filler did not refill");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn dropping_the_pool_stops_its_filler() {
        let pool = DhPool::start(1);
        let inner = Arc::downgrade(&pool.inner);
        drop(pool);
        let deadline = Instant::now() + Duration::from_secs(30);
        // The thread holds the last strong reference until it returns.
        while inner.upgrade().is_some() {
            assert!(Instant::now() < deadline, "the filler thread kept running");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_handshake_uses_the_pools_pairs() {
        let key = Arc::new(RsaPrivateKey::generate(2048).expect("RSA key"));
        let pool = DhPool::start(2);
        let deadline = Instant::now() + Duration::from_secs(30);
        while pool.ready() < 2 {
            assert!(Instant::now() < deadline, "the filler made no pairs");
            std::thread::sleep(Duration::from_millis(5));
        }
        let trusted = vec![key.public_key()];
        let (mut client, mut body) = super::super::client::ClientHandshake::start(trusted, 2);
        let mut server = ServerHandshake::new(key).with_pool(Some(pool.clone()));
        let outcome = loop {
            let answer = match server.handle(&body, |_| true).expect("server step") {
                ServerStep::Reply(a) => a,
                ServerStep::Done(a, _) => a,
            };
            match client.handle(&answer).expect("client step") {
                super::super::client::ClientStep::Send(next) => body = next,
                super::super::client::ClientStep::Done(outcome) => break outcome,
            }
        };
        assert_eq!(pool.hits(), 1);
        assert_ne!(outcome.auth_key.id(), 0);
    }
}
