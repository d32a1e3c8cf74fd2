//! The client side of the auth-key handshake, with every check of the security
//! guidelines (<https://core.telegram.org/mtproto/security_guidelines>, items 1-12).

use grammers_tl_types::{enums, functions, types, Serializable};
use num_bigint::BigUint;

use super::dh;
use super::rsa::RsaPublicKey;
use super::{
    decrypt_with_hash, encrypt_with_hash, first_salt, new_nonce_hash_fail, parse_prefix, protocol,
    random, security, tmp_aes, HandshakeError, HandshakeOutcome,
};
use crate::protocol::cipher::AuthKey;
use crate::protocol::message::unix_now;

/// How many dh_gen_retry answers we follow before giving up.
const MAX_RETRIES: u32 = 5;

// One short-lived state machine per handshake: boxing the big state buys nothing.
#[allow(clippy::large_enum_variant)]
enum State {
    AwaitResPq,
    AwaitDhParams {
        server_nonce: [u8; 16],
        new_nonce: [u8; 32],
    },
    AwaitDhGen {
        server_nonce: [u8; 16],
        new_nonce: [u8; 32],
        auth_key: AuthKey,
        time_offset: i64,
        // Kept so a dh_gen_retry can send a fresh g_b.
        g: u32,
        dh_prime: Vec<u8>,
        g_a: Vec<u8>,
        retries: u32,
    },
    Done,
}

/// What to do after feeding an answer to [`ClientHandshake::handle`].
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum ClientStep {
    /// Send this TL body in an unencrypted message and wait for the answer.
    Send(Vec<u8>),
    /// The key is ready.
    Done(HandshakeOutcome),
}

/// A client handshake in progress. Sans-IO: feed it each answer's TL body.
pub struct ClientHandshake {
    trusted: Vec<RsaPublicKey>,
    dc_id: i32,
    nonce: [u8; 16],
    state: State,
}

impl ClientHandshake {
    /// Starts a handshake with a DC, trusting `trusted` keys. Returns the req_pq_multi body.
    ///
    /// `dc_id` goes into p_q_inner_data_dc (negative for test DCs, as Telegram expects).
    pub fn start(trusted: Vec<RsaPublicKey>, dc_id: i32) -> (Self, Vec<u8>) {
        let nonce = random::<16>();
        let body = functions::ReqPqMulti { nonce }.to_bytes();
        (
            Self {
                trusted,
                dc_id,
                nonce,
                state: State::AwaitResPq,
            },
            body,
        )
    }

    /// Processes the server's answer.
    pub fn handle(&mut self, answer: &[u8]) -> Result<ClientStep, HandshakeError> {
        let state = std::mem::replace(&mut self.state, State::Done);
        match state {
            State::AwaitResPq => self.on_res_pq(answer),
            State::AwaitDhParams {
                server_nonce,
                new_nonce,
            } => self.on_dh_params(answer, server_nonce, new_nonce),
            State::AwaitDhGen {
                server_nonce,
                new_nonce,
                auth_key,
                time_offset,
                g,
                dh_prime,
                g_a,
                retries,
            } => self.on_dh_gen(
                answer,
                server_nonce,
                new_nonce,
                auth_key,
                time_offset,
                (g, dh_prime, g_a),
                retries,
            ),
            State::Done => Err(protocol("handshake already finished")),
        }
    }

    fn on_res_pq(&mut self, answer: &[u8]) -> Result<ClientStep, HandshakeError> {
        let (enums::ResPq::Pq(res), _) = parse_prefix::<enums::ResPq>(answer)?;
        // 1. nonce echoed.
        if res.nonce != self.nonce {
            return Err(security("resPQ nonce does not match ours"));
        }
        // 2. a fingerprint we trust; pq of 8 bytes; p < q both prime.
        let key = self
            .trusted
            .iter()
            .find(|k| {
                res.server_public_key_fingerprints
                    .contains(&k.fingerprint())
            })
            .ok_or_else(|| {
                HandshakeError::UnknownKey(res.server_public_key_fingerprints.clone())
            })?;
        if res.pq.len() != 8 {
            return Err(security("pq is not 8 bytes"));
        }
        let pq = super::be_u64(&res.pq).expect("8 bytes");
        let (p, q) = dh::factorize_pq(pq).ok_or_else(|| security("pq does not factor"))?;
        if !(p < q && dh::is_prime_u64(p) && dh::is_prime_u64(q)) {
            return Err(security("pq is not the product of two primes p < q"));
        }
        let new_nonce = random::<32>();
        let inner = enums::PQInnerData::Dc(types::PQInnerDataDc {
            pq: res.pq.clone(),
            p: super::be_trimmed(p),
            q: super::be_trimmed(q),
            nonce: self.nonce,
            server_nonce: res.server_nonce,
            new_nonce,
            dc: self.dc_id,
        })
        .to_bytes();
        // 3. RSA_PAD (at most 144 bytes; the retry on key_aes_encrypted >= n is inside).
        let encrypted = key
            .encrypt_rsa_pad(&inner)
            .map_err(|e| protocol(format!("RSA_PAD: {e}")))?;
        let body = functions::ReqDhParams {
            nonce: self.nonce,
            server_nonce: res.server_nonce,
            p: super::be_trimmed(p),
            q: super::be_trimmed(q),
            public_key_fingerprint: key.fingerprint(),
            encrypted_data: encrypted.to_vec(),
        }
        .to_bytes();
        self.state = State::AwaitDhParams {
            server_nonce: res.server_nonce,
            new_nonce,
        };
        Ok(ClientStep::Send(body))
    }

    fn on_dh_params(
        &mut self,
        answer: &[u8],
        server_nonce: [u8; 16],
        new_nonce: [u8; 32],
    ) -> Result<ClientStep, HandshakeError> {
        let (params, _) = parse_prefix::<enums::ServerDhParams>(answer)?;
        let ok = match params {
            enums::ServerDhParams::Fail(fail) => {
                // 4. check the hash, then abort either way.
                self.check_nonces(&fail.nonce, &fail.server_nonce, &server_nonce)?;
                if fail.new_nonce_hash != new_nonce_hash_fail(&new_nonce) {
                    return Err(security(
                        "server_DH_params_fail with a wrong new_nonce_hash",
                    ));
                }
                return Err(HandshakeError::Refused("server_DH_params_fail"));
            }
            enums::ServerDhParams::Ok(ok) => ok,
        };
        // 1. nonces echoed.
        self.check_nonces(&ok.nonce, &ok.server_nonce, &server_nonce)?;
        // 5. length, SHA1 and padding of the encrypted answer.
        let (key, iv) = tmp_aes(&server_nonce, &new_nonce);
        let enums::ServerDhInnerData::Data(inner) = decrypt_with_hash(
            &ok.encrypted_answer,
            &key,
            &iv,
            parse_prefix::<enums::ServerDhInnerData>,
        )?;
        self.check_nonces(&inner.nonce, &inner.server_nonce, &server_nonce)?;
        // 6-8. dh_prime, g and g_a.
        dh::check_server_dh_params(inner.g, &inner.dh_prime, &inner.g_a)
            .map_err(|e| security(e.to_string()))?;
        // 10. the time offset.
        let time_offset = inner.server_time as i64 - unix_now() as i64;
        self.send_client_dh(
            server_nonce,
            new_nonce,
            time_offset,
            (inner.g as u32, inner.dh_prime, inner.g_a),
            0,
            0,
        )
    }

    fn send_client_dh(
        &mut self,
        server_nonce: [u8; 16],
        new_nonce: [u8; 32],
        time_offset: i64,
        (g, dh_prime, g_a): (u32, Vec<u8>, Vec<u8>),
        retry_id: i64,
        retries: u32,
    ) -> Result<ClientStep, HandshakeError> {
        let p = BigUint::from_bytes_be(&dh_prime);
        // 9. b from a CSPRNG; 8. g_b in range (regenerate in the astronomically rare case).
        let (g_b, auth_key) = loop {
            let mut b = dh::generate_exponent();
            let (g_b, key) = exponentiate_both(g, &g_a, &b, &dh_prime);
            b.fill(0);
            if dh::check_public_value(&BigUint::from_bytes_be(&g_b), &p).is_ok() {
                break (g_b, AuthKey::from_bytes(key));
            }
        };
        let inner = enums::ClientDhInnerData::Data(types::ClientDhInnerData {
            nonce: self.nonce,
            server_nonce,
            retry_id,
            g_b: g_b.to_vec(),
        })
        .to_bytes();
        let (key, iv) = tmp_aes(&server_nonce, &new_nonce);
        let body = functions::SetClientDhParams {
            nonce: self.nonce,
            server_nonce,
            encrypted_data: encrypt_with_hash(&inner, &key, &iv),
        }
        .to_bytes();
        self.state = State::AwaitDhGen {
            server_nonce,
            new_nonce,
            auth_key,
            time_offset,
            g,
            dh_prime,
            g_a,
            retries,
        };
        Ok(ClientStep::Send(body))
    }

    #[allow(clippy::too_many_arguments)]
    fn on_dh_gen(
        &mut self,
        answer: &[u8],
        server_nonce: [u8; 16],
        new_nonce: [u8; 32],
        auth_key: AuthKey,
        time_offset: i64,
        dh_params: (u32, Vec<u8>, Vec<u8>),
        retries: u32,
    ) -> Result<ClientStep, HandshakeError> {
        let (answer, _) = parse_prefix::<enums::SetClientDhParamsAnswer>(answer)?;
        // 11. each answer's new_nonce_hashN checked.
        match answer {
            enums::SetClientDhParamsAnswer::DhGenOk(ok) => {
                self.check_nonces(&ok.nonce, &ok.server_nonce, &server_nonce)?;
                if ok.new_nonce_hash1 != auth_key.new_nonce_hash(&new_nonce, 1) {
                    return Err(security("dh_gen_ok with a wrong new_nonce_hash1"));
                }
                Ok(ClientStep::Done(HandshakeOutcome {
                    auth_key,
                    time_offset,
                    first_salt: first_salt(&new_nonce, &server_nonce),
                }))
            }
            enums::SetClientDhParamsAnswer::DhGenRetry(retry) => {
                self.check_nonces(&retry.nonce, &retry.server_nonce, &server_nonce)?;
                if retry.new_nonce_hash2 != auth_key.new_nonce_hash(&new_nonce, 2) {
                    return Err(security("dh_gen_retry with a wrong new_nonce_hash2"));
                }
                if retries >= MAX_RETRIES {
                    return Err(HandshakeError::Refused("too many dh_gen_retry"));
                }
                let retry_id = i64::from_le_bytes(auth_key.aux_hash());
                self.send_client_dh(
                    server_nonce,
                    new_nonce,
                    time_offset,
                    dh_params,
                    retry_id,
                    retries + 1,
                )
            }
            enums::SetClientDhParamsAnswer::DhGenFail(fail) => {
                self.check_nonces(&fail.nonce, &fail.server_nonce, &server_nonce)?;
                if fail.new_nonce_hash3 != auth_key.new_nonce_hash(&new_nonce, 3) {
                    return Err(security("dh_gen_fail with a wrong new_nonce_hash3"));
                }
                Err(HandshakeError::Refused("dh_gen_fail"))
            }
        }
    }

    fn check_nonces(
        &self,
        nonce: &[u8; 16],
        server_nonce: &[u8; 16],
        expected_server_nonce: &[u8; 16],
    ) -> Result<(), HandshakeError> {
        if nonce != &self.nonce {
            return Err(security("nonce does not match ours"));
        }
        if server_nonce != expected_server_nonce {
            return Err(security("server_nonce does not match resPQ's"));
        }
        Ok(())
    }
}

/// `(g^b, g_a^b) mod dh_prime`: the two exponentiations of the client's DH step.
///
/// They are independent, so they run at once on two threads: the step then takes one
/// exponentiation's time instead of two (on a machine with a second core free). If no
/// thread can be started, they run one after the other.
fn exponentiate_both(g: u32, g_a: &[u8], b: &[u8; 256], dh_prime: &[u8]) -> ([u8; 256], [u8; 256]) {
    let g = g.to_be_bytes();
    std::thread::scope(|scope| {
        let g_b = std::thread::Builder::new()
            .name("tgauth-dh".into())
            .spawn_scoped(scope, || dh::modpow_2048(&g, b, dh_prime));
        let key = dh::modpow_2048(g_a, b, dh_prime);
        let g_b = match g_b {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => dh::modpow_2048(&g, b, dh_prime),
        };
        (g_b, key)
    })
}
