//! The client's side: an RSA public key, its fingerprint, and RSA_PAD and the legacy
//! scheme's encryption. The modular exponentiation is our own ([`super::super::monty`]),
//! shared with the DH work.

use std::fmt;

use num_bigint::BigUint;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::super::monty::{self, MontyCtx};
use super::encoding::{
    pem_decode, pem_encode, public_from_pkcs1, public_from_spki, public_to_pkcs1,
};
use super::{
    ct_eq, os_random, require_2048, tl_bytes, RsaError, BLOCK_LEN, LEGACY_MAX_DATA,
    RSA_PAD_MAX_DATA, RSA_PAD_MAX_TRIES, RSA_PAD_PADDED_LEN,
};

#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    n: BigUint,
    e: BigUint,
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaPublicKey")
            .field("bits", &self.n.bits())
            .field(
                "fingerprint",
                &format_args!("{:#018x}", self.fingerprint() as u64),
            )
            .finish()
    }
}

impl RsaPublicKey {
    /// Builds a key from its parts, checking them: `n` odd and at least 512 bits,
    /// `e` odd with `3 <= e < n`.
    pub fn new(n: BigUint, e: BigUint) -> Result<Self, RsaError> {
        if n.bits() < 512 || !n.bit(0) {
            return Err(RsaError::InvalidKey(
                "modulus must be odd and at least 512 bits",
            ));
        }
        if e < BigUint::from(3u8) || !e.bit(0) || e >= n {
            return Err(RsaError::InvalidKey(
                "public exponent must be odd, >= 3 and < n",
            ));
        }
        Ok(Self { n, e })
    }

    /// Reads a PEM public key: PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`, DER
    /// `SEQUENCE { INTEGER n, INTEGER e }`) or SubjectPublicKeyInfo
    /// (`-----BEGIN PUBLIC KEY-----`, rsaEncryption wrapping the PKCS#1 structure).
    pub fn from_pkcs1_pem(pem: &str) -> Result<Self, RsaError> {
        let (label, der) = pem_decode(pem, &["RSA PUBLIC KEY", "PUBLIC KEY"])?;
        if label == "RSA PUBLIC KEY" {
            Self::from_pkcs1_der(&der)
        } else {
            Self::from_spki_der(&der)
        }
    }

    /// Reads a DER PKCS#1 `RSAPublicKey`.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, RsaError> {
        let (n, e) = public_from_pkcs1(der)?;
        Self::new(n, e)
    }

    /// Reads a DER SubjectPublicKeyInfo holding an rsaEncryption key.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, RsaError> {
        let (n, e) = public_from_spki(der)?;
        Self::new(n, e)
    }

    /// The key as PKCS#1 DER.
    pub fn to_pkcs1_der(&self) -> Vec<u8> {
        public_to_pkcs1(&self.n, &self.e)
    }

    /// The key as PKCS#1 PEM, exactly as Telegram publishes keys: 64-character base64
    /// lines and a trailing newline.
    pub fn to_pkcs1_pem(&self) -> String {
        pem_encode("RSA PUBLIC KEY", &self.to_pkcs1_der())
    }

    /// The modulus.
    pub fn n(&self) -> &BigUint {
        &self.n
    }

    /// The public exponent.
    pub fn e(&self) -> &BigUint {
        &self.e
    }

    /// The size of the modulus in bits.
    pub fn bits(&self) -> u64 {
        self.n.bits()
    }

    /// The key's fingerprint as resPQ and req_DH_params carry it: the lower 64 bits of
    /// SHA1 of the bare TL object `rsa_public_key n:bytes e:bytes`, i.e. the last 8 bytes
    /// of the SHA1 read as a little-endian i64.
    pub fn fingerprint(&self) -> i64 {
        let mut tl = Vec::with_capacity(272);
        tl_bytes(&mut tl, &self.n.to_bytes_be());
        tl_bytes(&mut tl, &self.e.to_bytes_be());
        let sha: [u8; 20] = Sha1::digest(&tl).into();
        let mut low = [0u8; 8];
        low.copy_from_slice(&sha[12..]);
        i64::from_le_bytes(low)
    }

    /// Raw RSA: `block^e mod n` as 256 big-endian bytes. Needs a 2048-bit key; rejects a
    /// block that is not below `n`.
    pub fn encrypt_raw(&self, block: &[u8; BLOCK_LEN]) -> Result<[u8; BLOCK_LEN], RsaError> {
        require_2048(self.n.bits())?;
        let m = BigUint::from_bytes_be(block);
        if m >= self.n {
            return Err(RsaError::BlockOutOfRange);
        }
        // n is odd and 2048 bits (checked by `new` and above); the context costs about as
        // much as a dozen products, less than caching it in every key clone would.
        let ctx = MontyCtx::<32>::from_be_bytes(&self.n.to_bytes_be())
            .ok_or(RsaError::InvalidKey("modulus must be odd"))?;
        let x = ctx.to_mont_be_bytes(block);
        let y = ctx.from_mont(&ctx.pow_vartime(&x, &self.e.to_bytes_be()));
        let mut out = [0u8; BLOCK_LEN];
        monty::limbs_to_be_bytes(&y, &mut out);
        Ok(out)
    }

    /// RSA_PAD (auth_key page §4.1) with randomness from the OS CSPRNG. `data` is at most
    /// 144 bytes; the key must be 2048-bit.
    pub fn encrypt_rsa_pad(&self, data: &[u8]) -> Result<[u8; BLOCK_LEN], RsaError> {
        self.encrypt_rsa_pad_with(data, os_random)
    }

    /// RSA_PAD with the random bytes drawn from `fill`, for known-answer tests. `fill` is
    /// called once for the `192 - data.len()` padding bytes, then once per attempt for a
    /// 32-byte `temp_key`:
    ///
    /// ```text
    /// data_with_padding := data + random padding, 192 bytes
    /// data_pad_reversed := BYTE_REVERSE(data_with_padding)
    /// temp_key          := 32 random bytes
    /// data_with_hash    := data_pad_reversed + SHA256(temp_key + data_with_padding)
    /// aes_encrypted     := AES256_IGE(data_with_hash, temp_key, zero IV)
    /// temp_key_xor      := temp_key XOR SHA256(aes_encrypted)
    /// key_aes_encrypted := temp_key_xor + aes_encrypted      (256 bytes)
    /// if key_aes_encrypted >= n: new temp_key, again
    /// encrypted_data    := RSA(key_aes_encrypted)
    /// ```
    pub fn encrypt_rsa_pad_with<F>(
        &self,
        data: &[u8],
        mut fill: F,
    ) -> Result<[u8; BLOCK_LEN], RsaError>
    where
        F: FnMut(&mut [u8]) -> Result<(), RsaError>,
    {
        require_2048(self.n.bits())?;
        if data.len() > RSA_PAD_MAX_DATA {
            return Err(RsaError::DataTooLong {
                len: data.len(),
                max: RSA_PAD_MAX_DATA,
            });
        }
        // The plaintext carries new_nonce; every temporary below is wiped on drop.
        let mut data_with_padding = Zeroizing::new([0u8; RSA_PAD_PADDED_LEN]);
        data_with_padding[..data.len()].copy_from_slice(data);
        fill(&mut data_with_padding[data.len()..])?;

        for _ in 0..RSA_PAD_MAX_TRIES {
            let mut temp_key = Zeroizing::new([0u8; 32]);
            fill(&mut temp_key[..])?;

            let mut data_with_hash = Zeroizing::new([0u8; 224]);
            for (dst, src) in data_with_hash[..RSA_PAD_PADDED_LEN]
                .iter_mut()
                .zip(data_with_padding.iter().rev())
            {
                *dst = *src;
            }
            let hash: [u8; 32] = Sha256::new()
                .chain_update(temp_key.as_slice())
                .chain_update(data_with_padding.as_slice())
                .finalize()
                .into();
            data_with_hash[RSA_PAD_PADDED_LEN..].copy_from_slice(&hash);

            grammers_crypto::aes::ige_encrypt(&mut data_with_hash[..], &temp_key, &[0u8; 32]);
            let aes_encrypted = &data_with_hash;

            let aes_hash: [u8; 32] = Sha256::digest(aes_encrypted.as_slice()).into();
            let mut key_aes_encrypted = Zeroizing::new([0u8; BLOCK_LEN]);
            for i in 0..32 {
                key_aes_encrypted[i] = temp_key[i] ^ aes_hash[i];
            }
            key_aes_encrypted[32..].copy_from_slice(aes_encrypted.as_slice());

            match self.encrypt_raw(&key_aes_encrypted) {
                Err(RsaError::BlockOutOfRange) => continue,
                other => return other,
            }
        }
        Err(RsaError::RetriesExhausted)
    }

    /// The legacy scheme with random padding from the OS CSPRNG:
    /// `RSA(SHA1(data) + data + padding to 255 bytes)`. `data` is at most 235 bytes; the
    /// key must be 2048-bit.
    pub fn encrypt_legacy(&self, data: &[u8]) -> Result<[u8; BLOCK_LEN], RsaError> {
        self.encrypt_legacy_with(data, os_random)
    }

    /// The legacy scheme with the padding drawn from `fill` (called once, for
    /// `235 - data.len()` bytes), for known-answer tests.
    pub fn encrypt_legacy_with<F>(
        &self,
        data: &[u8],
        mut fill: F,
    ) -> Result<[u8; BLOCK_LEN], RsaError>
    where
        F: FnMut(&mut [u8]) -> Result<(), RsaError>,
    {
        require_2048(self.n.bits())?;
        if data.len() > LEGACY_MAX_DATA {
            return Err(RsaError::DataTooLong {
                len: data.len(),
                max: LEGACY_MAX_DATA,
            });
        }
        // Byte 0 stays zero, so the 255-byte payload is below 2^2040 < n.
        let mut block = Zeroizing::new([0u8; BLOCK_LEN]);
        block[1..21].copy_from_slice(&Sha1::digest(data));
        block[21..21 + data.len()].copy_from_slice(data);
        fill(&mut block[21 + data.len()..])?;
        self.encrypt_raw(&block)
    }
}

/// Checks the legacy payload `SHA1(data) + data + padding` (as
/// [`RsaPrivateKey::decrypt_legacy`] returns it) for a candidate data length, returning the
/// data if the SHA1 matches. The server learns the length by TL-deserializing the bytes
/// after the hash.
pub fn verify_legacy_payload(payload: &[u8], data_len: usize) -> Result<&[u8], RsaError> {
    let end = data_len
        .checked_add(20)
        .filter(|&end| end <= payload.len())
        .ok_or(RsaError::DataTooLong {
            len: data_len,
            max: payload.len().saturating_sub(20),
        })?;
    let data = &payload[20..end];
    if ct_eq(&Sha1::digest(data), &payload[..20]) {
        Ok(data)
    } else {
        Err(RsaError::HashMismatch)
    }
}
