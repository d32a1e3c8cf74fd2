//! The test DC's side: an RSA private key on RustCrypto's `rsa` crate, and the raw private
//! operation under RSA_PAD and the legacy scheme.
//!
//! The raw operation is `rsa::hazmat::rsa_decrypt_and_check` without blinding: a
//! constant-time CRT exponentiation on `crypto-bigint`'s `BoxedMontyForm`, then `m^e == c`
//! checked against faults. Measured against the CRT on [`super::super::monty`] it replaces,
//! on one 2048-bit key and block, alternating the two 200 times per run (thread CPU time,
//! medians; AMD EPYC with AVX2, 2 logical CPUs, the machine BENCHMARKS.md was measured on,
//! here under a load average of about 9):
//!
//! | run | our CRT (before) | `rsa` 0.10 | `rsa` / ours |
//! | --- | --- | --- | --- |
//! | 1 | 2.51 ms | 2.37 ms | 0.94 |
//! | 2 | 2.63 ms | 2.46 ms | 0.93 |
//! | 3 | 2.58 ms | 2.44 ms | 0.95 |
//!
//! (criterion's `handshake/rsa_pad/decrypt_server` gave 2.59 ms before the move on the
//! same loaded machine.) The crate is no slower here (an outside audit on an Intel AVX2
//! machine measured it at 1.03-1.06x ours), one block per handshake on the test DC only:
//! the well-kept crate wins.

use std::fmt;

use ::rsa::hazmat::rsa_decrypt_and_check;
use ::rsa::pkcs1::EncodeRsaPrivateKey as _;
use ::rsa::traits::{PrivateKeyParts as _, PublicKeyParts as _};
use ::rsa::BoxedUint;
use getrandom::SysRng;
use num_bigint::BigUint;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::encoding::{pem_decode, pem_encode, pkcs8_inner, private_from_pkcs1};
use super::{ct_eq, require_2048, RsaError, RsaPublicKey, BLOCK_LEN, RSA_PAD_PADDED_LEN};

/// An RSA private key with its CRT parameters (the test DC's key). Its secret parts are
/// wiped when it is dropped (the `rsa` crate's `ZeroizeOnDrop`).
#[derive(Clone)]
pub struct RsaPrivateKey {
    key: ::rsa::PrivateKey,
    public: RsaPublicKey,
}

impl fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret parts.
        f.debug_struct("RsaPrivateKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl RsaPrivateKey {
    /// Generates a key with a `bits`-bit modulus (2048 for the handshake; any even size
    /// from 512 to 8192 is accepted) and `e = 65537`, with the `rsa` crate from the OS
    /// CSPRNG. Sizes under the crate's 1024-bit floor (only tests use them) go through its
    /// hazmat generator.
    pub fn generate(bits: usize) -> Result<Self, RsaError> {
        if !(512..=8192).contains(&bits) || !bits.is_multiple_of(2) {
            return Err(RsaError::KeyGeneration(
                "size must be even, 512 to 8192 bits",
            ));
        }
        loop {
            let key = ::rsa::PrivateKey::new_unchecked(&mut SysRng, bits)
                .map_err(|_| RsaError::KeyGeneration("prime generation failed"))?;
            let key = Self::from_rsa(key)?;
            if key.public.bits() == bits as u64 {
                return Ok(key);
            }
        }
    }

    /// Wraps a key the `rsa` crate built and checked.
    fn from_rsa(key: ::rsa::PrivateKey) -> Result<Self, RsaError> {
        let n = BigUint::from_bytes_be(&key.n().to_be_bytes());
        let e = BigUint::from_bytes_be(&key.e().to_be_bytes());
        let public = RsaPublicKey::new(n, e)?;
        Ok(Self { key, public })
    }

    /// Builds a key from a parsed PKCS#1 structure. The `rsa` crate checks `n = p q`,
    /// `d < n` and `d e = 1` mod `p - 1` and `q - 1`, and derives the CRT parameters; the
    /// ones in the file must equal them, so any change to the key material is refused.
    fn from_pkcs1(parts: pkcs1::RsaPrivateKeyRef<'_>) -> Result<Self, RsaError> {
        let n = BigUint::from_bytes_be(parts.modulus.as_bytes());
        let e = BigUint::from_bytes_be(parts.public_exponent.as_bytes());
        // Our own public checks first (odd n of 512 bits or more, 3 <= e < n, e odd).
        RsaPublicKey::new(n.clone(), e.clone())?;
        let bits = parts.modulus.as_bytes().len() as u32 * 8;
        let boxed = |x: der::asn1::UintRef<'_>| {
            BoxedUint::from_be_slice(x.as_bytes(), bits)
                .map_err(|_| RsaError::InvalidKey("key part wider than the modulus"))
        };
        let (n_boxed, e_boxed, d) = (
            boxed(parts.modulus)?,
            boxed(parts.public_exponent)?,
            boxed(parts.private_exponent)?,
        );
        let primes = vec![boxed(parts.prime1)?, boxed(parts.prime2)?];
        // Balanced primes (every generated or OpenSSL key) take the half-width CRT; a key
        // whose primes do not fit in half the modulus takes the crate's full-width form.
        let key = ::rsa::PrivateKey::from_components(
            n_boxed.clone(),
            e_boxed.clone(),
            d.clone(),
            primes.clone(),
        )
        .or_else(|_| {
            ::rsa::PrivateKey::from_components_with_wide_primes(n_boxed, e_boxed, d, primes)
        })
        .map_err(invalid_key)?;
        let derived = |x: Option<BoxedUint>| -> Zeroizing<Vec<u8>> {
            let bytes = Zeroizing::new(x.map(|x| x.to_be_bytes().into_vec()).unwrap_or_default());
            let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
            Zeroizing::new(bytes[start..].to_vec())
        };
        let matches = |given: der::asn1::UintRef<'_>, want: &[u8]| {
            // An INTEGER 0 is one zero byte in DER, none here.
            let given = match given.as_bytes() {
                [0] => &[][..],
                bytes => bytes,
            };
            ct_eq(given, want)
        };
        let dp = derived(key.dp().cloned());
        let dq = derived(key.dq().cloned());
        let qinv = derived(key.qinv().map(|q| q.retrieve()));
        if !matches(parts.exponent1, &dp) || !matches(parts.exponent2, &dq) {
            return Err(RsaError::InvalidKey("CRT exponents do not match d"));
        }
        if !matches(parts.coefficient, &qinv) {
            return Err(RsaError::InvalidKey("CRT coefficient is not q^-1 mod p"));
        }
        Self::from_rsa(key)
    }

    /// Reads a PEM private key: PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`) or unencrypted
    /// PKCS#8 (`-----BEGIN PRIVATE KEY-----`), as `openssl genrsa` writes them. The key is
    /// checked for consistency.
    pub fn from_pem(pem: &str) -> Result<Self, RsaError> {
        let (label, der) = pem_decode(pem, &["RSA PRIVATE KEY", "PRIVATE KEY"])?;
        if label == "RSA PRIVATE KEY" {
            Self::from_pkcs1_der(&der)
        } else {
            Self::from_pkcs8_der(&der)
        }
    }

    /// Reads a DER PKCS#1 `RSAPrivateKey` (two-prime, version 0).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, RsaError> {
        Self::from_pkcs1(private_from_pkcs1(der)?)
    }

    /// Reads a DER PKCS#8 `PrivateKeyInfo` holding an rsaEncryption key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, RsaError> {
        Self::from_pkcs1_der(pkcs8_inner(der)?)
    }

    /// The key as PKCS#1 DER.
    pub fn to_pkcs1_der(&self) -> Vec<u8> {
        self.key
            .to_pkcs1_der()
            .expect("a checked two-prime key encodes")
            .as_bytes()
            .to_vec()
    }

    /// The key as PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`), 64-character lines,
    /// trailing newline: byte-for-byte what `openssl genrsa -traditional` writes.
    pub fn to_pkcs1_pem(&self) -> String {
        let der = Zeroizing::new(self.to_pkcs1_der());
        pem_encode("RSA PRIVATE KEY", &der)
    }

    /// The public half.
    pub fn public_key(&self) -> RsaPublicKey {
        self.public.clone()
    }

    /// Raw RSA decryption `block^d mod n` with the CRT, as 256 big-endian bytes. Needs a
    /// 2048-bit key; rejects a block that is not below `n`.
    pub fn decrypt_raw(
        &self,
        block: &[u8; BLOCK_LEN],
    ) -> Result<Zeroizing<[u8; BLOCK_LEN]>, RsaError> {
        require_2048(self.public.bits())?;
        let n = self.key.n();
        let c = BoxedUint::from_be_slice(block, n.bits_precision())
            .map_err(|_| RsaError::BlockOutOfRange)?;
        if c >= n.as_ref() {
            return Err(RsaError::BlockOutOfRange);
        }
        let m = Zeroizing::new(
            rsa_decrypt_and_check(&self.key, None::<&mut SysRng>, &c)
                .map_err(|_| RsaError::InvalidKey("the private operation failed its check"))?,
        );
        let bytes = Zeroizing::new(m.to_be_bytes());
        let mut out = Zeroizing::new([0u8; BLOCK_LEN]);
        out.copy_from_slice(&bytes[bytes.len() - BLOCK_LEN..]);
        Ok(out)
    }

    /// Undoes RSA_PAD, returning the 192-byte `data_with_padding` (the TL object followed
    /// by random padding; the caller deserializes it to find its end). Fails with
    /// [`RsaError::HashMismatch`] if `SHA256(temp_key + data_with_padding)` does not match,
    /// which is also what a legacy-scheme block gives.
    pub fn decrypt_rsa_pad(&self, block: &[u8; BLOCK_LEN]) -> Result<Zeroizing<Vec<u8>>, RsaError> {
        let key_aes_encrypted = self.decrypt_raw(block)?;
        let (temp_key_xor, aes_encrypted) = key_aes_encrypted.split_at(32);
        let aes_hash: [u8; 32] = Sha256::digest(aes_encrypted).into();
        let mut temp_key = Zeroizing::new([0u8; 32]);
        for i in 0..32 {
            temp_key[i] = temp_key_xor[i] ^ aes_hash[i];
        }
        let mut data_with_hash = Zeroizing::new([0u8; 224]);
        data_with_hash.copy_from_slice(aes_encrypted);
        grammers_crypto::aes::ige_decrypt(&mut data_with_hash[..], &temp_key, &[0u8; 32]);
        let (reversed, hash) = data_with_hash.split_at(RSA_PAD_PADDED_LEN);
        let data_with_padding: Zeroizing<Vec<u8>> =
            Zeroizing::new(reversed.iter().rev().copied().collect());
        let expected = Sha256::new()
            .chain_update(temp_key.as_slice())
            .chain_update(data_with_padding.as_slice())
            .finalize();
        if ct_eq(&expected, hash) {
            Ok(data_with_padding)
        } else {
            Err(RsaError::HashMismatch)
        }
    }

    /// Undoes the legacy scheme's RSA, returning the 255-byte payload
    /// `SHA1(data) + data + padding` (the decrypted block must start with a zero byte).
    /// The data length is not known here: deserialize the bytes from offset 20 to learn
    /// it, then check the hash with [`super::verify_legacy_payload`].
    pub fn decrypt_legacy(&self, block: &[u8; BLOCK_LEN]) -> Result<Zeroizing<Vec<u8>>, RsaError> {
        let plain = self.decrypt_raw(block)?;
        if plain[0] != 0 {
            return Err(RsaError::BadPadding);
        }
        Ok(Zeroizing::new(plain[1..].to_vec()))
    }

    /// The `rsa` crate's key, for tests that check the arithmetic independently.
    #[cfg(test)]
    pub(super) fn inner(&self) -> &::rsa::PrivateKey {
        &self.key
    }
}

/// The `rsa` crate's reason for refusing a key, in our terms.
fn invalid_key(e: ::rsa::Error) -> RsaError {
    RsaError::InvalidKey(match e {
        ::rsa::Error::InvalidModulus => "n is not p * q",
        ::rsa::Error::InvalidExponent => "d is not the inverse of e below n",
        ::rsa::Error::InvalidPrime => "prime factor is invalid",
        ::rsa::Error::PublicExponentTooSmall | ::rsa::Error::PublicExponentTooLarge => {
            "public exponent out of range"
        }
        _ => "inconsistent key",
    })
}
