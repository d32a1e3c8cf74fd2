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
        new_nonce: [u8; 32],
        a: [u8; 256],
        temp_expires_in: Option<i32>,
        dc: Option<i32>,
    },
    Done,
}

/// A server handshake in progress.
pub struct ServerHandshake {
    key: Arc<RsaPrivateKey>,
    fingerprint: i64,
    nonce: [u8; 16],
    state: State,
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
        }
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
                let reply = enums::ResPq::Pq(types::ResPq {
                    nonce: req.nonce,
                    server_nonce,
                    pq: pq.to_be_bytes().to_vec(),
                    server_public_key_fingerprints: vec![self.fingerprint],
                })
                .to_bytes();
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
        self.check_nonces(&inner_nonce, &inner_server_nonce, &server_nonce)?;
        if super::be_u64(&inner_pq) != Some(pq) {
            return Err(security("p_q_inner_data names another pq"));
        }
        let a = dh::generate_exponent();
        let prime = dh::server_dh_prime().to_bytes_be();
        let g_a = dh::modpow_2048(&BigUint::from(G).to_bytes_be(), &a, &prime);
        let answer = enums::ServerDhInnerData::Data(types::ServerDhInnerData {
            nonce: self.nonce,
            server_nonce,
            g: G as i32,
            dh_prime: prime,
            g_a: g_a.to_vec(),
            server_time: unix_now() as i32,
        })
        .to_bytes();
        let (key, iv) = tmp_aes(&server_nonce, &new_nonce);
        let reply = enums::ServerDhParams::Ok(types::ServerDhParamsOk {
            nonce: self.nonce,
            server_nonce,
            encrypted_answer: encrypt_with_hash(&answer, &key, &iv),
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
        new_nonce: [u8; 32],
        a: [u8; 256],
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
        let auth_key = AuthKey::from_bytes(dh::modpow_2048(&inner.g_b, &a, &prime.to_bytes_be()));
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
            nonce: self.nonce,
            server_nonce,
            new_nonce_hash1: auth_key.new_nonce_hash(&new_nonce, 1),
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
