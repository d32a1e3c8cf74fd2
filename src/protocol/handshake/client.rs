//! The client side of the auth-key handshake, with every check of the security
//! guidelines (<https://core.telegram.org/mtproto/security_guidelines>, items 1-12).

use grammers_tl_types::{enums, functions, types, Serializable};
use num_bigint::BigUint;
use zeroize::Zeroizing;

use super::dh;
use super::rsa::RsaPublicKey;
use super::{
    ct_eq, decrypt_with_hash, encrypt_with_hash, first_salt, new_nonce_hash_fail, parse_prefix,
    protocol, random, security, tmp_aes, HandshakeError, HandshakeOutcome,
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
        new_nonce: Zeroizing<[u8; 32]>,
    },
    AwaitDhGen {
        server_nonce: [u8; 16],
        new_nonce: Zeroizing<[u8; 32]>,
        auth_key: KeyState,
        time_offset: i64,
        // Kept so a dh_gen_retry can send a fresh g_b.
        g: u32,
        dh_prime: Vec<u8>,
        g_a: Vec<u8>,
        retries: u32,
    },
    Done,
}

/// The auth key of the step in flight: `g_a^b` is computed after set_client_DH_params is
/// sent (see [`ClientHandshake::prepare_key`]), so that it overlaps the server's own.
enum KeyState {
    Pending(Secret),
    Ready(AuthKey),
}

impl KeyState {
    fn into_key(self, g_a: &[u8], dh_prime: &[u8]) -> AuthKey {
        match self {
            KeyState::Ready(key) => key,
            KeyState::Pending(b) => AuthKey::from_bytes(dh::modpow_2048(g_a, &b.0, dh_prime)),
        }
    }
}

/// A secret exponent, wiped when dropped.
#[derive(zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
struct Secret([u8; 256]);

/// The DH group (`g`, `dh_prime`) the last server_DH_params of this process carried, already
/// checked: the group the next [`DhGuess`] is made for. Telegram's DCs, and ours, send the
/// same one every time.
static LAST_GROUP: once_cell::sync::Lazy<parking_lot::Mutex<(u32, Vec<u8>)>> =
    once_cell::sync::Lazy::new(|| parking_lot::Mutex::new((3, dh::TELEGRAM_DH_PRIME.to_vec())));

/// A fresh secret `b` and `g^b mod dh_prime`, made before the server has named its group,
/// for the group the server is expected to name.
///
/// The client's first exponentiation does not depend on anything the server sends but
/// `g` and `dh_prime`, and those do not change from one handshake to the next. Made while
/// the server decrypts req_DH_params, it takes that exponentiation off the handshake's
/// critical path. The guess is used once, by one handshake; if the server names another
/// group it is wiped and the step computes its own. Nothing on the wire changes.
pub struct DhGuess {
    g: u32,
    dh_prime: Vec<u8>,
    b: Secret,
    g_b: [u8; 256],
}

impl DhGuess {
    /// Makes a guess for the group of the last handshake (at first, `g = 3` and
    /// Telegram's prime). Takes one 2048-bit exponentiation: run it off the async runtime.
    pub fn make() -> Self {
        let (g, dh_prime) = LAST_GROUP.lock().clone();
        let b = Secret(dh::generate_exponent());
        let g_b = dh::generator_pow(g, &b.0, &dh_prime);
        Self {
            g,
            dh_prime,
            b,
            g_b,
        }
    }

    fn fits(&self, g: u32, dh_prime: &[u8]) -> bool {
        self.g == g && self.dh_prime == dh_prime
    }
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
    guess: Option<DhGuess>,
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
                guess: None,
            },
            body,
        )
    }

    /// Hands over a [`DhGuess`] for the DH step. It is used if the server's group is the
    /// guessed one and the step has not run yet; otherwise it is wiped.
    pub fn offer(&mut self, guess: DhGuess) {
        if matches!(self.state, State::AwaitResPq | State::AwaitDhParams { .. }) {
            self.guess = Some(guess);
        }
    }

    /// Computes the auth key of the set_client_DH_params just sent, if it is not yet.
    ///
    /// Call it after that message is on the wire and before reading the answer: the
    /// client's `g_a^b` then runs while the server computes its `g_b^a`. [`handle`]
    /// computes it itself when this was not called. Takes one 2048-bit exponentiation.
    ///
    /// [`handle`]: Self::handle
    pub fn prepare_key(&mut self) {
        if let State::AwaitDhGen {
            auth_key,
            g_a,
            dh_prime,
            ..
        } = &mut self.state
        {
            if let KeyState::Pending(b) = auth_key {
                let key = dh::modpow_2048(g_a, &b.0, dh_prime);
                *auth_key = KeyState::Ready(AuthKey::from_bytes(key));
            }
        }
    }

    /// Whether [`prepare_key`](Self::prepare_key) has work to do.
    pub fn key_pending(&self) -> bool {
        matches!(
            self.state,
            State::AwaitDhGen {
                auth_key: KeyState::Pending(_),
                ..
            }
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
        // new_nonce is secret (the temporary AES key and the first salt come from it): kept
        // wiped on drop, as is the serialized inner data that carries it.
        let new_nonce = Zeroizing::new(random::<32>());
        let inner = Zeroizing::new(
            enums::PQInnerData::Dc(types::PQInnerDataDc {
                pq: res.pq.clone(),
                p: super::be_trimmed(p),
                q: super::be_trimmed(q),
                nonce: self.nonce,
                server_nonce: res.server_nonce,
                new_nonce: *new_nonce,
                dc: self.dc_id,
            })
            .to_bytes(),
        );
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
        new_nonce: Zeroizing<[u8; 32]>,
    ) -> Result<ClientStep, HandshakeError> {
        let (params, _) = parse_prefix::<enums::ServerDhParams>(answer)?;
        let ok = match params {
            enums::ServerDhParams::Fail(fail) => {
                // 4. check the hash, then abort either way.
                self.check_nonces(&fail.nonce, &fail.server_nonce, &server_nonce)?;
                if !ct_eq(&fail.new_nonce_hash, &new_nonce_hash_fail(&new_nonce)) {
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
        *LAST_GROUP.lock() = (inner.g as u32, inner.dh_prime.clone());
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
        new_nonce: Zeroizing<[u8; 32]>,
        time_offset: i64,
        (g, dh_prime, g_a): (u32, Vec<u8>, Vec<u8>),
        retry_id: i64,
        retries: u32,
    ) -> Result<ClientStep, HandshakeError> {
        let p = BigUint::from_bytes_be(&dh_prime);
        // 9. b from a CSPRNG (a guess made for this group, if there is one); 8. g_b in
        // range (regenerate in the astronomically rare case).
        let mut guess = self.guess.take().filter(|guess| guess.fits(g, &dh_prime));
        let (g_b, b) = loop {
            let (g_b, b) = match guess.take() {
                Some(DhGuess { b, g_b, .. }) => (g_b, b),
                None => {
                    let b = Secret(dh::generate_exponent());
                    (dh::generator_pow(g, &b.0, &dh_prime), b)
                }
            };
            if dh::check_public_value(&BigUint::from_bytes_be(&g_b), &p).is_ok() {
                break (g_b, b);
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
            auth_key: KeyState::Pending(b),
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
        new_nonce: Zeroizing<[u8; 32]>,
        auth_key: KeyState,
        time_offset: i64,
        dh_params: (u32, Vec<u8>, Vec<u8>),
        retries: u32,
    ) -> Result<ClientStep, HandshakeError> {
        let (answer, _) = parse_prefix::<enums::SetClientDhParamsAnswer>(answer)?;
        let auth_key = auth_key.into_key(&dh_params.2, &dh_params.1);
        // 11. each answer's new_nonce_hashN checked.
        match answer {
            enums::SetClientDhParamsAnswer::DhGenOk(ok) => {
                self.check_nonces(&ok.nonce, &ok.server_nonce, &server_nonce)?;
                if !ct_eq(&ok.new_nonce_hash1, &auth_key.new_nonce_hash(&new_nonce, 1)) {
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
                if !ct_eq(
                    &retry.new_nonce_hash2,
                    &auth_key.new_nonce_hash(&new_nonce, 2),
                ) {
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
                if !ct_eq(
                    &fail.new_nonce_hash3,
                    &auth_key.new_nonce_hash(&new_nonce, 3),
                ) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::handshake::rsa::RsaPrivateKey;
    use crate::protocol::handshake::server::{ServerHandshake, ServerStep};
    use grammers_tl_types::Deserializable;
    use std::sync::Arc;

    /// Runs a whole handshake against our server, offering `guess` before the DH step.
    /// Returns the client's auth key, the server's, and the `b` the client's step used.
    fn run(guess: Option<DhGuess>, prepare: bool) -> (AuthKey, AuthKey, [u8; 256]) {
        let key = Arc::new(RsaPrivateKey::generate(2048).expect("RSA key"));
        let (mut client, mut body) = ClientHandshake::start(vec![key.public_key()], 2);
        let mut server = ServerHandshake::new(key);
        if let Some(guess) = guess {
            client.offer(guess);
        }
        let mut used_b = None;
        loop {
            let (answer, server_key) = match server.handle(&body, |_| true).expect("server step") {
                ServerStep::Reply(a) => (a, None),
                ServerStep::Done(a, agreed) => (a, Some(agreed)),
            };
            match client.handle(&answer).expect("client step") {
                ClientStep::Send(next) => body = next,
                ClientStep::Done(outcome) => {
                    let server_key = server_key
                        .expect("the server agreed a key")
                        .outcome
                        .auth_key;
                    return (outcome.auth_key, server_key, used_b.expect("a DH step ran"));
                }
            }
            if let State::AwaitDhGen {
                auth_key: KeyState::Pending(b),
                ..
            } = &client.state
            {
                used_b = Some(b.0);
                assert!(client.key_pending());
                if prepare {
                    client.prepare_key();
                    assert!(!client.key_pending(), "prepare_key computed the key");
                }
            }
        }
    }

    #[test]
    fn a_guess_for_the_servers_group_serves_the_dh_step() {
        let guess = DhGuess::make();
        assert_eq!(
            (guess.g, &guess.dh_prime[..]),
            (3, &dh::TELEGRAM_DH_PRIME[..])
        );
        let b = guess.b.0;
        let (client_key, server_key, used_b) = run(Some(guess), true);
        assert_eq!(used_b, b, "the step used the guessed b");
        assert_eq!(client_key.bytes(), server_key.bytes());
    }

    #[test]
    fn a_guess_for_another_group_is_not_used() {
        let b = Secret(dh::generate_exponent());
        let g_b = dh::modpow_2048(&[2], &b.0, &dh::TELEGRAM_DH_PRIME);
        let b_copy = b.0;
        let guess = DhGuess {
            g: 2,
            dh_prime: dh::TELEGRAM_DH_PRIME.to_vec(),
            b,
            g_b,
        };
        let (client_key, server_key, used_b) = run(Some(guess), false);
        assert_ne!(used_b, b_copy, "a fresh b, not the guess for g = 2");
        assert_eq!(client_key.bytes(), server_key.bytes());
    }

    /// The handshake up to server_DH_params_ok: the client and the server's answer.
    fn up_to_dh_params() -> (ClientHandshake, Vec<u8>) {
        let key = Arc::new(RsaPrivateKey::generate(2048).expect("RSA key"));
        let (mut client, body) = ClientHandshake::start(vec![key.public_key()], 2);
        let mut server = ServerHandshake::new(key);
        let res_pq = match server.handle(&body, |_| true).expect("resPQ") {
            ServerStep::Reply(a) => a,
            ServerStep::Done(..) => unreachable!("one step in"),
        };
        let ClientStep::Send(req_dh) = client.handle(&res_pq).expect("req_DH_params") else {
            panic!("the client asks for DH params")
        };
        let dh_params = match server.handle(&req_dh, |_| true).expect("DH params") {
            ServerStep::Reply(a) => a,
            ServerStep::Done(..) => unreachable!("two steps in"),
        };
        (client, dh_params)
    }

    #[test]
    fn an_encrypted_answer_that_fails_its_sha1_is_a_security_error_before_parsing() {
        let (mut client, dh_params) = up_to_dh_params();
        let enums::ServerDhParams::Ok(mut ok) =
            enums::ServerDhParams::from_bytes(&dh_params).expect("server_DH_params")
        else {
            panic!("server_DH_params_ok")
        };
        // One flipped bit in the second AES block garbles the plaintext from there on:
        // the constructor of server_DH_inner_data (bytes 20..24) no longer parses.
        ok.encrypted_answer[20] ^= 1;
        let tampered = enums::ServerDhParams::Ok(ok).to_bytes();
        match client.handle(&tampered) {
            Err(HandshakeError::Security(why)) => assert!(why.contains("SHA1"), "{why}"),
            Err(other) => panic!("a SECURITY error, not {other:?}"),
            Ok(_) => panic!("a tampered answer was accepted"),
        }
    }

    #[test]
    fn an_intact_encrypted_answer_passes_the_sha1_check() {
        let (mut client, dh_params) = up_to_dh_params();
        assert!(matches!(client.handle(&dh_params), Ok(ClientStep::Send(_))));
    }

    #[test]
    fn without_a_guess_or_prepare_key_the_step_computes_everything() {
        let (client_key, server_key, _) = run(None, false);
        assert_eq!(client_key.bytes(), server_key.bytes());
    }
}
