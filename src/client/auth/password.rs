//! The cloud password (2FA): account.getPassword, then the SRP proof of
//! core.telegram.org/api/srp, then auth.checkPassword.
//!
//! The server's parameters are checked before any use: p a 2048-bit safe prime (checked
//! once and cached, the same check as the handshake's), g's condition on p, 0 < srp_B < p;
//! a server that fails one gets a SECURITY error. The secret exponent `a` comes from the
//! OS CSPRNG, with the server's `secure_random` only mixed in. The password is copied into
//! memory that is wiped after the proof, never logged and never stored. An `srp_id` is
//! single-use: on `SRP_ID_INVALID` the password state is fetched again once and the proof
//! made anew.

use grammers_tl_types::{enums, functions, types};
use zeroize::Zeroizing;

use super::Authorization;
use crate::client::{Client, Error, ErrorKind};
use crate::protocol::srp;

/// What Telegram says of an account's cloud password, before the password is asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PasswordInfo {
    /// Whether the account has a cloud password.
    pub has_password: bool,
    /// The hint the user set (`None` when none).
    pub hint: Option<String>,
    /// Whether a recovery email is set.
    pub has_recovery: bool,
    /// The masked unconfirmed recovery email, if any.
    pub email_unconfirmed_pattern: Option<String>,
}

impl From<&types::account::Password> for PasswordInfo {
    fn from(p: &types::account::Password) -> Self {
        PasswordInfo {
            has_password: p.has_password,
            hint: p.hint.clone(),
            has_recovery: p.has_recovery,
            email_unconfirmed_pattern: p.email_unconfirmed_pattern.clone(),
        }
    }
}

/// The SRP parameters of one account.password, checked to be complete.
struct SrpState {
    g: i32,
    p: Vec<u8>,
    salt1: Vec<u8>,
    salt2: Vec<u8>,
    srp_b: Vec<u8>,
    srp_id: i64,
    secure_random: Vec<u8>,
}

fn srp_state(p: types::account::Password) -> Result<SrpState, Error> {
    if !p.has_password {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "the account has no cloud password",
        ));
    }
    let algo = match p.current_algo {
        Some(enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(a)) => a,
        Some(enums::PasswordKdfAlgo::Unknown) | None => {
            return Err(Error::new(
                ErrorKind::Protocol,
                "the server named no password algorithm this client knows",
            ))
        }
    };
    let (Some(srp_b), Some(srp_id)) = (p.srp_b, p.srp_id) else {
        return Err(Error::new(
            ErrorKind::Protocol,
            "account.password has a password but no srp_B or srp_id",
        ));
    };
    Ok(SrpState {
        g: algo.g,
        p: algo.p,
        salt1: algo.salt1,
        salt2: algo.salt2,
        srp_b,
        srp_id,
        secure_random: p.secure_random,
    })
}

/// The secret exponent: 2048 bits from the OS CSPRNG, the server's `secure_random` only
/// mixed in (XOR), so a server cannot choose it.
fn secret_exponent(secure_random: &[u8]) -> Result<Zeroizing<[u8; 256]>, Error> {
    let mut a = Zeroizing::new([0u8; 256]);
    getrandom::fill(&mut a[..]).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("the OS random generator failed: {e}"),
        )
    })?;
    if !secure_random.is_empty() {
        for (i, byte) in a.iter_mut().enumerate() {
            *byte ^= secure_random[i % secure_random.len()];
        }
    }
    Ok(a)
}

/// Builds the proof (PBKDF2 with 100,000 rounds: a blocking-pool job, not a runtime one).
async fn prove(
    state: &SrpState,
    password: &Zeroizing<Vec<u8>>,
) -> Result<enums::InputCheckPasswordSrp, Error> {
    let a = secret_exponent(&state.secure_random)?;
    let (g, p, salt1, salt2, srp_b) = (
        state.g,
        state.p.clone(),
        state.salt1.clone(),
        state.salt2.clone(),
        state.srp_b.clone(),
    );
    let password = password.clone();
    let proof = tokio::task::spawn_blocking(move || {
        srp::client_proof(g, &p, &salt1, &salt2, &password, &srp_b, &a)
    })
    .await
    .map_err(|_| {
        Error::new(
            ErrorKind::Internal,
            "the password proof failed unexpectedly",
        )
    })?
    .map_err(|e| {
        Error::new(
            ErrorKind::Security,
            format!("the server's password parameters failed a check: {e}"),
        )
    })?;
    Ok(enums::InputCheckPasswordSrp::Srp(
        types::InputCheckPasswordSrp {
            srp_id: state.srp_id,
            a: proof.a_pub.to_vec(),
            m1: proof.m1.to_vec(),
        },
    ))
}

impl Client {
    /// `account.getPassword`: whether the account has a cloud password, and its hint.
    /// Works right after `sign_in` answered `SESSION_PASSWORD_NEEDED`.
    pub async fn password_info(&self) -> Result<PasswordInfo, Error> {
        let deadline = self.deadline();
        let enums::account::Password::Password(p) = self
            .within(
                deadline,
                self.invoke(&functions::account::GetPassword {}, false, deadline),
            )
            .await?;
        Ok(PasswordInfo::from(&p))
    }

    /// The 2FA step: after `sign_in` (or the QR import) answered
    /// `401 SESSION_PASSWORD_NEEDED`, proves the password with SRP and finishes the login.
    /// A wrong password is the RPC error `PASSWORD_HASH_INVALID`; the caller may try again.
    pub async fn check_password(&self, password: &str) -> Result<Authorization, Error> {
        let password = Zeroizing::new(password.as_bytes().to_vec());
        let deadline = self.deadline();
        let auth = self
            .within(deadline, self.check_password_inner(&password, deadline))
            .await?;
        self.finish_login(auth)
    }

    async fn check_password_inner(
        &self,
        password: &Zeroizing<Vec<u8>>,
        deadline: tokio::time::Instant,
    ) -> Result<Authorization, Error> {
        let mut fetched_again = false;
        loop {
            let enums::account::Password::Password(p) = self
                .invoke(&functions::account::GetPassword {}, false, deadline)
                .await?;
            let state = srp_state(p)?;
            let proof = prove(&state, password).await?;
            let request = functions::auth::CheckPassword { password: proof };
            match self.invoke(&request, false, deadline).await {
                Ok(auth) => return Ok(auth.into()),
                // srp_id is single-use (and a resent proof may find it used): once, a fresh
                // getPassword and a fresh proof.
                Err(e) if e.is_rpc("SRP_ID_INVALID") && !fetched_again => fetched_again = true,
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_exponent_is_random_and_the_server_cannot_choose_it() {
        // The same secure_random twice: different exponents (the OS part differs), and an
        // all-zero secure_random leaves the OS bytes as they are.
        let a = secret_exponent(&[0x55; 32]).unwrap();
        let b = secret_exponent(&[0x55; 32]).unwrap();
        assert_ne!(a[..], b[..]);
        let c = secret_exponent(&[]).unwrap();
        assert!(c.iter().any(|&x| x != 0));
    }

    #[test]
    fn an_account_without_password_or_algo_is_refused() {
        let mut p = types::account::Password {
            has_recovery: false,
            has_secure_values: false,
            has_password: false,
            current_algo: None,
            srp_b: None,
            srp_id: None,
            hint: None,
            email_unconfirmed_pattern: None,
            new_algo: enums::PasswordKdfAlgo::Unknown,
            new_secure_algo: enums::SecurePasswordKdfAlgo::Unknown,
            secure_random: vec![1; 32],
            pending_reset_date: None,
            login_email_pattern: None,
        };
        let Err(e) = srp_state(p.clone()) else {
            panic!("no password")
        };
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        p.has_password = true;
        let Err(e) = srp_state(p.clone()) else {
            panic!("no algo")
        };
        assert_eq!(e.kind, ErrorKind::Protocol);
        p.current_algo = Some(
            enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(
                types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
                    salt1: vec![1],
                    salt2: vec![2],
                    g: 3,
                    p: vec![0; 256],
                },
            ),
        );
        let Err(e) = srp_state(p.clone()) else {
            panic!("no srp_B")
        };
        assert!(e.message.contains("srp_B"));
    }

    #[tokio::test]
    async fn a_bad_group_from_the_server_is_a_security_error() {
        let state = SrpState {
            g: 4,
            p: vec![0xff; 256],
            salt1: vec![1],
            salt2: vec![2],
            srp_b: vec![2; 256],
            srp_id: 1,
            secure_random: vec![],
        };
        let Err(e) = prove(&state, &Zeroizing::new(b"secret".to_vec())).await else {
            panic!("g = 4 must be refused")
        };
        assert_eq!(e.kind, ErrorKind::Security);
    }
}
