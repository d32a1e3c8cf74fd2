//! account.getPassword and auth.checkPassword: two-step verification with SRP
//! (core.telegram.org/api/srp), verified for real with [`crate::protocol::srp`].
//!
//! Each 2FA account gets random salts (salt1: 8 bytes plus the 32 a client appends when it
//! sets a password; salt2: 16 bytes), g = 3 and p = Telegram's 2048-bit dh_prime, and its
//! verifier `v = g^x` is computed once (PBKDF2 with 100,000 rounds is slow) and kept. Every
//! account.getPassword draws a fresh secret `b`, `srp_B` and `srp_id`; an srp_id is good for
//! one auth.checkPassword by the same key.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use grammers_tl_types::{enums, functions, types};
use parking_lot::Mutex;
use zeroize::Zeroizing;

use super::accounts::{authorization, Signed, PASSWORD, PASSWORD_HINT};
use super::{Answer, CallContext, LoginDesk, RpcError};
use crate::protocol::handshake::dh::server_dh_prime;
use crate::protocol::srp;

/// The SRP generator.
pub const SRP_G: i32 = 3;

/// One account.getPassword answer waiting for its auth.checkPassword.
pub(super) struct SrpRound {
    /// The key that asked: (DC, auth_key_id).
    key: (i32, i64),
    digits: String,
    b: Zeroizing<[u8; 256]>,
    srp_b: [u8; 256],
}

/// An account's password as the server keeps it: salts and verifier, never the password.
struct Verifier {
    salt1: Vec<u8>,
    salt2: Vec<u8>,
    v: [u8; 256],
}

/// Salts and verifiers of the 2FA accounts, by number, each made once.
#[derive(Default)]
pub(super) struct VerifierCache {
    by_number: Mutex<HashMap<String, Arc<OnceLock<Verifier>>>>,
}

/// Telegram's dh_prime, 256 bytes big-endian.
fn prime() -> Vec<u8> {
    let p = server_dh_prime().to_bytes_be();
    let mut out = vec![0u8; 256 - p.len()];
    out.extend_from_slice(&p);
    out
}

fn random<const N: usize>() -> [u8; N] {
    crate::protocol::random::array::<N>()
}

impl VerifierCache {
    /// The verifier of a number's account (the first call for a number derives it).
    fn get(&self, digits: &str) -> Arc<OnceLock<Verifier>> {
        self.by_number
            .lock()
            .entry(digits.to_owned())
            .or_default()
            .clone()
    }
}

fn make_verifier() -> Verifier {
    let mut salt1 = random::<8>().to_vec();
    salt1.extend_from_slice(&random::<32>());
    let salt2 = random::<16>().to_vec();
    let x = srp::password_hash(PASSWORD.as_bytes(), &salt1, &salt2);
    let v = srp::verifier(SRP_G, &prime(), &x);
    Verifier { salt1, salt2, v }
}

fn algo(salt1: Vec<u8>, salt2: Vec<u8>) -> enums::PasswordKdfAlgo {
    types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
        salt1,
        salt2,
        g: SRP_G,
        p: prime(),
    }
    .into()
}

impl LoginDesk {
    /// The number whose password a key may check: a key waiting after SESSION_PASSWORD_NEEDED,
    /// or one signed in to a number.
    fn password_number(&self, ctx: &CallContext) -> Result<String, RpcError> {
        let state = self.state.lock();
        let key = (ctx.dc_id, ctx.auth_key_id);
        if let Some(digits) = state.awaiting_password.get(&key) {
            return Ok(digits.clone());
        }
        match state.signed_in.get(&key) {
            Some(Signed::Phone(digits)) => Ok(digits.clone()),
            _ => Err(RpcError::new(401, "AUTH_KEY_UNREGISTERED")),
        }
    }

    /// account.getPassword: the account's `account.password`, with a fresh `srp_B` and
    /// `srp_id` when it has a password.
    pub fn get_password(&self, ctx: &CallContext) -> Result<Answer, RpcError> {
        let digits = self.password_number(ctx)?;
        let has_password = self.account(&digits).is_some_and(|a| a.has_password);
        let mut answer = types::account::Password {
            has_recovery: false,
            has_secure_values: false,
            has_password,
            current_algo: None,
            srp_b: None,
            srp_id: None,
            hint: None,
            email_unconfirmed_pattern: None,
            new_algo: algo(random::<8>().to_vec(), random::<16>().to_vec()),
            new_secure_algo: types::SecurePasswordKdfAlgoSha512 {
                salt: random::<8>().to_vec(),
            }
            .into(),
            secure_random: random::<32>().to_vec(),
            pending_reset_date: None,
            login_email_pattern: None,
        };
        if has_password {
            // Derived outside the desk's lock: the first time takes PBKDF2's 100,000 rounds.
            let cell = self.verifiers.get(&digits);
            let verifier = cell.get_or_init(make_verifier);
            let b = Zeroizing::new(random::<256>());
            let srp_b = srp::server_public(SRP_G, &prime(), &verifier.v, &b);
            let srp_id = crate::protocol::random::i64();
            answer.current_algo = Some(algo(verifier.salt1.clone(), verifier.salt2.clone()));
            answer.srp_b = Some(srp_b.to_vec());
            answer.srp_id = Some(srp_id);
            answer.hint = Some(PASSWORD_HINT.to_owned());
            self.state.lock().srp_rounds.insert(
                srp_id,
                SrpRound {
                    key: (ctx.dc_id, ctx.auth_key_id),
                    digits,
                    b,
                    srp_b,
                },
            );
        }
        Ok(Answer::Password(answer))
    }

    /// auth.checkPassword: 400 SRP_ID_INVALID for an srp_id this key was not given or that
    /// was used; 400 PASSWORD_HASH_INVALID for a wrong proof; else `auth.authorization`.
    pub fn check_password(
        &self,
        ctx: &CallContext,
        req: &functions::auth::CheckPassword,
    ) -> Result<Answer, RpcError> {
        let enums::InputCheckPasswordSrp::Srp(proof) = &req.password else {
            return Err(RpcError::new(400, "PASSWORD_HASH_INVALID"));
        };
        let key = (ctx.dc_id, ctx.auth_key_id);
        let round = {
            let mut state = self.state.lock();
            match state.srp_rounds.get(&proof.srp_id) {
                Some(r) if r.key == key => state.srp_rounds.remove(&proof.srp_id),
                _ => None,
            }
        }
        .ok_or_else(|| RpcError::new(400, "SRP_ID_INVALID"))?;
        let cell = self.verifiers.get(&round.digits);
        let verifier = cell.get_or_init(make_verifier);
        let good = srp::server_check(
            SRP_G,
            &prime(),
            &verifier.salt1,
            &verifier.salt2,
            &verifier.v,
            &round.b,
            &round.srp_b,
            &proof.a,
            &proof.m1,
        );
        if !good {
            return Err(RpcError::new(400, "PASSWORD_HASH_INVALID"));
        }
        let mut state = self.state.lock();
        state.awaiting_password.remove(&key);
        let account = self
            .account_in(&state, &round.digits)
            .ok_or_else(|| RpcError::new(401, "AUTH_KEY_UNREGISTERED"))?;
        state.signed_in.insert(key, Signed::Phone(round.digits));
        Ok(Answer::Authorization(authorization(&account, None)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ctx, desk};
    use super::*;

    fn password_of(a: Result<Answer, RpcError>) -> types::account::Password {
        match a {
            Ok(Answer::Password(p)) => p,
            other => panic!("expected account.password, got {other:?}"),
        }
    }

    fn check(p: &types::account::Password, password: &str) -> functions::auth::CheckPassword {
        let Some(enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(a)) =
            &p.current_algo
        else {
            panic!("no current algo")
        };
        srp::check_group(a.g, &a.p).unwrap();
        let proof = srp::client_proof(
            a.g,
            &a.p,
            &a.salt1,
            &a.salt2,
            password.as_bytes(),
            p.srp_b.as_ref().unwrap(),
            &random::<256>(),
        )
        .unwrap();
        functions::auth::CheckPassword {
            password: types::InputCheckPasswordSrp {
                srp_id: p.srp_id.unwrap(),
                a: proof.a_pub.to_vec(),
                m1: proof.m1.to_vec(),
            }
            .into(),
        }
    }

    #[test]
    fn the_srp_round() {
        let d = desk();
        let c = ctx(3);
        assert!(matches!(
            d.get_password(&c),
            Err(RpcError { code: 401, .. })
        ));
        d.state
            .lock()
            .awaiting_password
            .insert((3, c.auth_key_id), "9996731234".into());
        let p = password_of(d.get_password(&c));
        assert!(p.has_password);
        assert_eq!(p.hint.as_deref(), Some(PASSWORD_HINT));
        assert_eq!(p.secure_random.len(), 32);
        let p2 = password_of(d.get_password(&c));
        assert_ne!(p.srp_id, p2.srp_id);
        assert_ne!(p.srp_b, p2.srp_b);
        assert_eq!(p.current_algo, p2.current_algo, "salts are the account's");

        // Wrong password, then the same srp_id again.
        let wrong = check(&p, "not it");
        assert_eq!(
            d.check_password(&c, &wrong),
            Err(RpcError::new(400, "PASSWORD_HASH_INVALID"))
        );
        assert_eq!(
            d.check_password(&c, &wrong),
            Err(RpcError::new(400, "SRP_ID_INVALID"))
        );
        let right = check(&p2, PASSWORD);
        // Another key cannot use this key's srp_id.
        let mut other = ctx(3);
        other.auth_key_id = 5;
        assert_eq!(
            d.check_password(&other, &right),
            Err(RpcError::new(400, "SRP_ID_INVALID"))
        );
        let right = check(&password_of(d.get_password(&c)), PASSWORD);
        assert!(matches!(
            d.check_password(&c, &right),
            Ok(Answer::Authorization(_))
        ));
        assert_eq!(
            d.signed_in(3, c.auth_key_id),
            Some(Signed::Phone("9996731234".into()))
        );
        assert_eq!(
            d.check_password(&c, &right),
            Err(RpcError::new(400, "SRP_ID_INVALID"))
        );
        let empty = functions::auth::CheckPassword {
            password: enums::InputCheckPasswordSrp::InputCheckPasswordEmpty,
        };
        assert_eq!(
            d.check_password(&c, &empty),
            Err(RpcError::new(400, "PASSWORD_HASH_INVALID"))
        );
    }

    #[test]
    fn no_password_accounts() {
        let d = desk();
        let c = ctx(2);
        d.state
            .lock()
            .signed_in
            .insert((2, c.auth_key_id), Signed::Phone("9996621234".into()));
        let p = password_of(d.get_password(&c));
        assert!(!p.has_password && p.srp_id.is_none() && p.current_algo.is_none());
    }
}
