//! Tests of the RSA module: fixed vectors from OpenSSL and Telegram, round trips, known
//! answers for both padding schemes, and hostile PEM and DER.

use num_bigint::BigUint;
use num_traits::{One, Zero};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::encoding::{pem_decode, public_to_pkcs1};
use super::*;
use once_cell::sync::Lazy;

// Test vectors generated on this machine with OpenSSL 3.0:
//   openssl genrsa -traditional -out trad.pem 2048
//   openssl pkcs8 -topk8 -nocrypt -in trad.pem -out p8.pem
//   openssl rsa -in trad.pem -RSAPublicKey_out   (PKCS#1 public)
//   openssl rsa -in trad.pem -pubout             (SubjectPublicKeyInfo)
// A throwaway key used only as a test vector.
const OPENSSL_PKCS1: &str = "\
-----BEGIN RSA PRIVATE KEY-----
MIIEogIBAAKCAQEAnyjtzV7kmzcHCpMQu66MNNZb0iSzaTDXtjpq0AX0wmbzIB7w
Etyi39yhlhwJrCdJn8x/t//9PRe8dV5s2Kl0WK49c76CuxxYxuZCrVcUmmkJDHEo
oM/JRtQ9KuKcqvh9u48ZT80myZFHjRNTqfXGvNJpQGAmUoRKXZGed91crc+aV+RI
I3guKhQXP1gwXa6fus6GbXZYrEWgeGXah6wwZodSgISoXZlrY2UNbb1v0fiFoyBB
tdqpBSB3yJDlcwU1WbnXPN8M4353fZkPFX0k1lN2thojOfUb1s4RLjWLr74RCOlG
uIUEUR+R57mjnsFyPuw4A1TyrlEek3CSWHgAFQIDAQABAoIBABQNcxCZ8RGBOFjj
uIr87dtGWqE6UIRjS/pAl+6HoZPQprcYTsUBmV+9C3q/I5TWClegy0KidQR6dhsP
f4U4rFjz8vgfO5dZdfHxVttCCm196E7x/t1r8H8FBIPfsz9zOVwlJlpAja99p1cl
5TeXqKdnly0uMAXbdwcc7qtJb4DSYSjdFmgQXpu2rs+vIciaO1H5PUBYEov/m7+i
+0/kMDx4lCm4L5DFVWHsY51783pNk6HDJhg0jIxlNf8EL6pUf4qyyzUVNOOgZMW8
CpDLyIxS6mJfWEHCYnEOO5pF5lCPxCEDKR+I3xVL/r/yk2Tnda7uq+6/s8zC2yuB
ilSbQcECgYEA2nnLeV/XEDGZbkjSw4HZjcfu/vg7uvVKkwnQAIELdINfLlDqsBQL
WCltsA2tYjkDjWc+bEYWKxNJGs/0WfFKz6OXXDp66eR7Wzjuyow1H1HH/nX7j7gW
hNxhh2Sod2SkfPqMhQzkg5c5j+4WFeigmFKO/x9KN5FbaD1etlGwBfECgYEAun8P
3sHuW7JunTtp8PGonN8LVK+xRZF2BaxieskZtSOWvnPchtBk/XQjCF3AOBCpYkm/
bHoiSWUHUHBAEeSgM/Gm5sh2fe+gGi/eAQusXu4RaoG7d8lYRjL8QJopUjmcdK/a
aVl3bzQlEYKK3SD4/i+R3wc2NmbSboz8oHaYKGUCgYBeajgWseZdJzIpSOtcdicw
cHDGWzxk5VBfDuSG8z2iEov1lh52DZOBfBXc+WwugHkaiL2fSQKXhvQW1DvDCtXL
ueTVhKhNn+H3YDlB6ymh6VPGkfIu/90reZnkSwnK3wF+yUAk15eBjr7fhoKg4TFV
4ofNlRYbwYOBHtRpcg/h4QKBgBIPui69o2L4DeRmW6U9EjJXG5bRCR8OrlpwTn1L
upSjZLb/K41W42D0fWwTAEmtu2nMcKCF14o6IZI1vM6+0JEXRy20nl0l9uByYFLD
mab78W3aMJiyRD1QNMPg6j2PXMqkOUfYpUt8xlZCyUYPKm4bl0n9Pc/Y92pDdzfn
JGdNAoGARkZWBSwradC1ma/D0L2yfkZS47XksWu8p8T3SmnjbNvgOXSh0+pl8U/d
rP3lecf9Okj7udeDz5gV310OaUwBj0qF+R99iBwpsEm+noo1mLgHs7mt3gWE9v1s
hgt6U92Zkz7V7kXSrhMlF/Fae1FhhZAe88ygzVm9MGiAnT5Icho=
-----END RSA PRIVATE KEY-----
";
const OPENSSL_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCfKO3NXuSbNwcK
kxC7row01lvSJLNpMNe2OmrQBfTCZvMgHvAS3KLf3KGWHAmsJ0mfzH+3//09F7x1
XmzYqXRYrj1zvoK7HFjG5kKtVxSaaQkMcSigz8lG1D0q4pyq+H27jxlPzSbJkUeN
E1Op9ca80mlAYCZShEpdkZ533Vytz5pX5EgjeC4qFBc/WDBdrp+6zoZtdlisRaB4
ZdqHrDBmh1KAhKhdmWtjZQ1tvW/R+IWjIEG12qkFIHfIkOVzBTVZudc83wzjfnd9
mQ8VfSTWU3a2GiM59RvWzhEuNYuvvhEI6Ua4hQRRH5HnuaOewXI+7DgDVPKuUR6T
cJJYeAAVAgMBAAECggEAFA1zEJnxEYE4WOO4ivzt20ZaoTpQhGNL+kCX7oehk9Cm
txhOxQGZX70Ler8jlNYKV6DLQqJ1BHp2Gw9/hTisWPPy+B87l1l18fFW20IKbX3o
TvH+3WvwfwUEg9+zP3M5XCUmWkCNr32nVyXlN5eop2eXLS4wBdt3Bxzuq0lvgNJh
KN0WaBBem7auz68hyJo7Ufk9QFgSi/+bv6L7T+QwPHiUKbgvkMVVYexjnXvzek2T
ocMmGDSMjGU1/wQvqlR/irLLNRU046BkxbwKkMvIjFLqYl9YQcJicQ47mkXmUI/E
IQMpH4jfFUv+v/KTZOd1ru6r7r+zzMLbK4GKVJtBwQKBgQDaect5X9cQMZluSNLD
gdmNx+7++Du69UqTCdAAgQt0g18uUOqwFAtYKW2wDa1iOQONZz5sRhYrE0kaz/RZ
8UrPo5dcOnrp5HtbOO7KjDUfUcf+dfuPuBaE3GGHZKh3ZKR8+oyFDOSDlzmP7hYV
6KCYUo7/H0o3kVtoPV62UbAF8QKBgQC6fw/ewe5bsm6dO2nw8aic3wtUr7FFkXYF
rGJ6yRm1I5a+c9yG0GT9dCMIXcA4EKliSb9seiJJZQdQcEAR5KAz8abmyHZ976Aa
L94BC6xe7hFqgbt3yVhGMvxAmilSOZx0r9ppWXdvNCURgordIPj+L5HfBzY2ZtJu
jPygdpgoZQKBgF5qOBax5l0nMilI61x2JzBwcMZbPGTlUF8O5IbzPaISi/WWHnYN
k4F8Fdz5bC6AeRqIvZ9JApeG9BbUO8MK1cu55NWEqE2f4fdgOUHrKaHpU8aR8i7/
3St5meRLCcrfAX7JQCTXl4GOvt+GgqDhMVXih82VFhvBg4Ee1GlyD+HhAoGAEg+6
Lr2jYvgN5GZbpT0SMlcbltEJHw6uWnBOfUu6lKNktv8rjVbjYPR9bBMASa27acxw
oIXXijohkjW8zr7QkRdHLbSeXSX24HJgUsOZpvvxbdowmLJEPVA0w+DqPY9cyqQ5
R9ilS3zGVkLJRg8qbhuXSf09z9j3akN3N+ckZ00CgYBGRlYFLCtp0LWZr8PQvbJ+
RlLjteSxa7ynxPdKaeNs2+A5dKHT6mXxT92s/eV5x/06SPu514PPmBXfXQ5pTAGP
SoX5H32IHCmwSb6eijWYuAezua3eBYT2/WyGC3pT3ZmTPtXuRdKuEyUX8Vp7UWGF
kB7zzKDNWb0waICdPkhyGg==
-----END PRIVATE KEY-----
";
const OPENSSL_PUBLIC_PKCS1: &str = "\
-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAnyjtzV7kmzcHCpMQu66MNNZb0iSzaTDXtjpq0AX0wmbzIB7wEtyi
39yhlhwJrCdJn8x/t//9PRe8dV5s2Kl0WK49c76CuxxYxuZCrVcUmmkJDHEooM/J
RtQ9KuKcqvh9u48ZT80myZFHjRNTqfXGvNJpQGAmUoRKXZGed91crc+aV+RII3gu
KhQXP1gwXa6fus6GbXZYrEWgeGXah6wwZodSgISoXZlrY2UNbb1v0fiFoyBBtdqp
BSB3yJDlcwU1WbnXPN8M4353fZkPFX0k1lN2thojOfUb1s4RLjWLr74RCOlGuIUE
UR+R57mjnsFyPuw4A1TyrlEek3CSWHgAFQIDAQAB
-----END RSA PUBLIC KEY-----
";
const OPENSSL_PUBLIC_SPKI: &str = "\
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnyjtzV7kmzcHCpMQu66M
NNZb0iSzaTDXtjpq0AX0wmbzIB7wEtyi39yhlhwJrCdJn8x/t//9PRe8dV5s2Kl0
WK49c76CuxxYxuZCrVcUmmkJDHEooM/JRtQ9KuKcqvh9u48ZT80myZFHjRNTqfXG
vNJpQGAmUoRKXZGed91crc+aV+RII3guKhQXP1gwXa6fus6GbXZYrEWgeGXah6ww
ZodSgISoXZlrY2UNbb1v0fiFoyBBtdqpBSB3yJDlcwU1WbnXPN8M4353fZkPFX0k
1lN2thojOfUb1s4RLjWLr74RCOlGuIUEUR+R57mjnsFyPuw4A1TyrlEek3CSWHgA
FQIDAQAB
-----END PUBLIC KEY-----
";

static OPENSSL_KEY: Lazy<RsaPrivateKey> =
    Lazy::new(|| RsaPrivateKey::from_pem(OPENSSL_PKCS1).unwrap());
static GENERATED_KEY: Lazy<RsaPrivateKey> = Lazy::new(|| RsaPrivateKey::generate(2048).unwrap());

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2));
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A deterministic `fill` handing out consecutive bytes of SHA256(seed || counter).
fn stream(seed: u64) -> impl FnMut(&mut [u8]) -> Result<(), RsaError> {
    let mut counter = 0u64;
    move |buf: &mut [u8]| {
        for chunk in buf.chunks_mut(32) {
            let block: [u8; 32] = Sha256::new()
                .chain_update(seed.to_le_bytes())
                .chain_update(counter.to_le_bytes())
                .finalize()
                .into();
            counter += 1;
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

#[test]
fn production_key_fingerprint() {
    let key = RsaPublicKey::from_pkcs1_pem(TELEGRAM_PRODUCTION_KEY).unwrap();
    assert_eq!(key.bits(), 2048);
    assert_eq!(key.e(), &BigUint::from(65537u32));
    assert_eq!(key.fingerprint(), -3414540481677951611);
    assert_eq!(key.fingerprint() as u64, 0xd09d1d85de64fd85);
}

#[test]
fn test_key_fingerprint() {
    let key = RsaPublicKey::from_pkcs1_pem(TELEGRAM_TEST_KEY).unwrap();
    assert_eq!(key.bits(), 2048);
    assert_eq!(key.fingerprint(), -5595554452916591101);
    assert_eq!(key.fingerprint() as u64, 0xb25898df208d2603);
}

#[test]
fn old_production_key_fingerprint_matches_samples_page() {
    // The key the samples page (https://core.telegram.org/mtproto/samples-auth_key)
    // still uses, fingerprint c3b42b026ce86b21; its modulus as published by clients.
    let n = BigUint::parse_bytes(
        b"C150023E2F70DB7985DED064759CFECF0AF328E69A41DAF4D6F01B538135A6F9\
          1F8F8B2A0EC9BA9720CE352EFCF6C5680FFC424BD634864902DE0B4BD6D49F4E\
          580230E3AE97D95C8B19442B3C0A10D8F5633FECEDD6926A7F6DAB0DDB7D457F\
          9EA81B8465FCD6FFFEED114011DF91C059CAEDAF97625F6C96ECC74725556934\
          EF781D866B34F011FCE4D835A090196E9A5F0E4449AF7EB697DDB9076494CA5F\
          81104A305B6DD27665722C46B60E5DF680FB16B210607EF217652E60236C255F\
          6A28315F4083A96791D7214BF64C1DF4FD0DB1944FB26A2A57031B32EEE64AD1\
          5A8BA68885CDE74A5BFC920F6ABF59BA5C75506373E7130F9042DA922179251F",
        16,
    )
    .unwrap();
    let key = RsaPublicKey::new(n, BigUint::from(65537u32)).unwrap();
    assert_eq!(key.fingerprint() as u64, 0xc3b42b026ce86b21);
}

#[test]
fn builtin_keys_are_production_then_test() {
    let fps: Vec<i64> = builtin_keys().iter().map(|k| k.fingerprint()).collect();
    assert_eq!(fps, vec![-3414540481677951611, -5595554452916591101]);
}

#[test]
fn public_pem_round_trips_exactly() {
    for pem in [
        TELEGRAM_PRODUCTION_KEY,
        TELEGRAM_TEST_KEY,
        OPENSSL_PUBLIC_PKCS1,
    ] {
        let key = RsaPublicKey::from_pkcs1_pem(pem).unwrap();
        assert_eq!(key.to_pkcs1_pem(), pem);
        assert_eq!(
            RsaPublicKey::from_pkcs1_pem(&key.to_pkcs1_pem()).unwrap(),
            key
        );
    }
}

#[test]
fn spki_and_pkcs1_public_keys_agree() {
    let spki = RsaPublicKey::from_pkcs1_pem(OPENSSL_PUBLIC_SPKI).unwrap();
    let pkcs1 = RsaPublicKey::from_pkcs1_pem(OPENSSL_PUBLIC_PKCS1).unwrap();
    assert_eq!(spki, pkcs1);
    assert_eq!(OPENSSL_KEY.public_key(), pkcs1);
}

#[test]
fn pem_tolerates_crlf_and_single_line_bodies() {
    let crlf = TELEGRAM_PRODUCTION_KEY.replace('\n', "\r\n");
    let one_line = TELEGRAM_PRODUCTION_KEY.replace('\n', " ");
    let expected = RsaPublicKey::from_pkcs1_pem(TELEGRAM_PRODUCTION_KEY).unwrap();
    assert_eq!(RsaPublicKey::from_pkcs1_pem(&crlf).unwrap(), expected);
    assert_eq!(RsaPublicKey::from_pkcs1_pem(&one_line).unwrap(), expected);
}

#[test]
fn private_pem_pkcs1_and_pkcs8_agree_and_round_trip() {
    let pkcs8 = RsaPrivateKey::from_pem(OPENSSL_PKCS8).unwrap();
    assert_eq!(pkcs8.to_pkcs1_der(), OPENSSL_KEY.to_pkcs1_der());
    // Byte-for-byte what openssl wrote.
    assert_eq!(OPENSSL_KEY.to_pkcs1_pem(), OPENSSL_PKCS1);
    assert_eq!(
        OPENSSL_KEY.public_key().to_pkcs1_pem(),
        OPENSSL_PUBLIC_PKCS1
    );
}

#[test]
fn generated_key_round_trips_through_pem() {
    let key = &*GENERATED_KEY;
    assert_eq!(key.public_key().bits(), 2048);
    assert_eq!(key.public_key().e(), &BigUint::from(65537u32));
    let again = RsaPrivateKey::from_pem(&key.to_pkcs1_pem()).unwrap();
    assert_eq!(again.to_pkcs1_der(), key.to_pkcs1_der());
    let public = RsaPublicKey::from_pkcs1_pem(&key.public_key().to_pkcs1_pem()).unwrap();
    assert_eq!(public, key.public_key());
}

#[test]
fn generate_rejects_silly_sizes() {
    for bits in [0, 256, 511, 2047, 16384] {
        assert!(matches!(
            RsaPrivateKey::generate(bits),
            Err(RsaError::KeyGeneration(_))
        ));
    }
}

#[test]
fn raw_rsa_round_trip() {
    let key = &*OPENSSL_KEY;
    let mut block = [0u8; 256];
    stream(7)(&mut block[1..]).unwrap();
    let c = key.public_key().encrypt_raw(&block).unwrap();
    assert_eq!(*key.decrypt_raw(&c).unwrap(), block);
    assert_eq!(
        key.decrypt_raw(&[0xff; 256]),
        Err(RsaError::BlockOutOfRange)
    );
    assert_eq!(
        key.public_key().encrypt_raw(&[0xff; 256]),
        Err(RsaError::BlockOutOfRange)
    );
}

/// The key's `n, e, d, p, q` as `num-bigint` numbers, to check the arithmetic
/// independently of the `rsa` crate's CRT.
fn parts(key: &RsaPrivateKey) -> [BigUint; 5] {
    use ::rsa::traits::{PrivateKeyParts as _, PublicKeyParts as _};
    let inner = key.inner();
    let big = |x: &::rsa::BoxedUint| BigUint::from_bytes_be(&x.to_be_bytes());
    [
        big(inner.n().as_ref()),
        big(inner.e()),
        big(inner.d()),
        big(inner.primes()[0].as_ref()),
        big(inner.primes()[1].as_ref()),
    ]
}

/// A private key from `n, e, d, p, q`, through its PKCS#1 DER (the CRT parameters derived
/// here in `num-bigint`).
fn key_from_parts(
    n: &BigUint,
    e: &BigUint,
    d: &BigUint,
    p: &BigUint,
    q: &BigUint,
) -> RsaPrivateKey {
    let dp = d % (p - 1u8);
    let dq = d % (q - 1u8);
    let qinv = q.modinv(p).unwrap();
    let bytes: Vec<Vec<u8>> = [n, e, d, p, q, &dp, &dq, &qinv]
        .iter()
        .map(|x| x.to_bytes_be())
        .collect();
    let uint = |i: usize| der::asn1::UintRef::new(&bytes[i]).unwrap();
    let der = der::Encode::to_der(&pkcs1::RsaPrivateKeyRef {
        modulus: uint(0),
        public_exponent: uint(1),
        private_exponent: uint(2),
        prime1: uint(3),
        prime2: uint(4),
        exponent1: uint(5),
        exponent2: uint(6),
        coefficient: uint(7),
        other_prime_infos: None,
    })
    .unwrap();
    RsaPrivateKey::from_pkcs1_der(&der).unwrap()
}

#[test]
fn raw_rsa_matches_num_bigint() {
    // Independent of the CRT: the plain d, in num-bigint.
    for key in [&*OPENSSL_KEY, &*GENERATED_KEY] {
        let [n, e, d, p, q] = &parts(key);
        let mut blocks: Vec<BigUint> = vec![BigUint::zero(), BigUint::one(), n - 1u8, n - 2u8];
        blocks.push(p + 0u8);
        blocks.push(q * 2u8);
        for seed in 0..6 {
            let mut block = [0u8; BLOCK_LEN];
            stream(100 + seed)(&mut block).unwrap();
            blocks.push(BigUint::from_bytes_be(&block) % n);
        }
        for x in &blocks {
            let mut block = [0u8; BLOCK_LEN];
            let bytes = x.to_bytes_be();
            block[BLOCK_LEN - bytes.len()..].copy_from_slice(&bytes);
            let encrypted = key.public_key().encrypt_raw(&block).unwrap();
            assert_eq!(BigUint::from_bytes_be(&encrypted), x.modpow(e, n));
            let decrypted = key.decrypt_raw(&block).unwrap();
            assert_eq!(BigUint::from_bytes_be(&*decrypted), x.modpow(d, n));
        }
    }
}

#[test]
fn unbalanced_primes_still_decrypt() {
    // A 2048-bit n from a 900-bit and a 1148-bit prime: q does not fit in 1024 bits.
    let key = loop {
        let p = glass_pumpkin::prime::new(900).unwrap();
        let q = glass_pumpkin::prime::new(1148).unwrap();
        let n = &p * &q;
        let e = BigUint::from(65537u32);
        let phi = (&p - 1u8) * (&q - 1u8);
        let Some(d) = e.modinv(&phi) else { continue };
        if n.bits() == 2048 {
            break key_from_parts(&n, &e, &d, &p, &q);
        }
    };
    let [n, e, d, p, q] = &parts(&key);
    for seed in 0..4 {
        let mut block = [0u8; BLOCK_LEN];
        stream(200 + seed)(&mut block[1..]).unwrap();
        let c = key.public_key().encrypt_raw(&block).unwrap();
        assert_eq!(*key.decrypt_raw(&c).unwrap(), block);
        let expected = BigUint::from_bytes_be(&c).modpow(d, n);
        assert_eq!(BigUint::from_bytes_be(&block), expected);
    }
    // The same key with p and q swapped (qinv recomputed) agrees.
    let swapped = key_from_parts(n, e, d, q, p);
    let mut block = [0u8; BLOCK_LEN];
    stream(300)(&mut block[1..]).unwrap();
    assert_eq!(swapped.decrypt_raw(&block), key.decrypt_raw(&block));
}

#[test]
fn keys_over_2048_bits_still_load() {
    // Only 2048-bit keys decrypt, but larger ones parse and generate as before.
    let key = RsaPrivateKey::generate(4096).unwrap();
    assert_eq!(key.public_key().bits(), 4096);
    let again = RsaPrivateKey::from_pem(&key.to_pkcs1_pem()).unwrap();
    assert_eq!(again.to_pkcs1_der(), key.to_pkcs1_der());
    assert_eq!(
        key.decrypt_raw(&[0; 256]),
        Err(RsaError::UnsupportedKeySize { bits: 4096 })
    );
}

#[test]
fn rsa_pad_round_trip() {
    for key in [&*OPENSSL_KEY, &*GENERATED_KEY] {
        let public = key.public_key();
        for len in [0, 1, 96, 144] {
            let data: Vec<u8> = (0..len).map(|i| i as u8 ^ 0x5a).collect();
            let block = public.encrypt_rsa_pad(&data).unwrap();
            let padded = key.decrypt_rsa_pad(&block).unwrap();
            assert_eq!(padded.len(), RSA_PAD_PADDED_LEN);
            assert_eq!(&padded[..len], &data[..]);
        }
    }
}

#[test]
fn rsa_pad_is_deterministic_given_the_random_bytes() {
    let public = OPENSSL_KEY.public_key();
    let a = public.encrypt_rsa_pad_with(b"hello", stream(1)).unwrap();
    let b = public.encrypt_rsa_pad_with(b"hello", stream(1)).unwrap();
    let c = public.encrypt_rsa_pad_with(b"hello", stream(2)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn rsa_pad_retries_with_a_new_temp_key() {
    // The OpenSSL key's modulus is about 0.62 * 2^2048, so roughly 38% of temp_keys
    // give key_aes_encrypted >= n. Find a seed whose first temp_key is rejected and check
    // the block from the retry still decrypts.
    let key = &*OPENSSL_KEY;
    let public = key.public_key();
    let data = b"retry me";
    let retried = (0..200u64)
        .find_map(|seed| {
            let mut inner = stream(seed);
            let mut calls = 0;
            let block = public
                .encrypt_rsa_pad_with(data, |buf: &mut [u8]| {
                    calls += 1;
                    inner(buf)
                })
                .unwrap();
            // One call for the padding, one per temp_key.
            (calls > 2).then_some(block)
        })
        .expect("some seed needs a retry");
    let padded = key.decrypt_rsa_pad(&retried).unwrap();
    assert_eq!(&padded[..data.len()], data);
}

#[test]
fn rsa_pad_gives_up_on_a_broken_random_source() {
    // All-0xff temp_keys: every attempt is identical; whether it lands above n depends
    // on the hash, so use a source that fails instead to check errors propagate.
    let public = OPENSSL_KEY.public_key();
    let failing = |_: &mut [u8]| Err(RsaError::KeyGeneration("no randomness"));
    assert_eq!(
        public.encrypt_rsa_pad_with(b"x", failing),
        Err(RsaError::KeyGeneration("no randomness"))
    );
}

#[test]
fn rsa_pad_known_answer() {
    // Vector from the grammers project's RSA_PAD test (grammers-crypto 0.11,
    // src/rsa.rs): key, data, random bytes (the 192 - len padding bytes at offset 0,
    // the first 32-byte temp_key at offset 192) and the expected ciphertext.
    let n = BigUint::parse_bytes(b"25342889448840415564971689590713473206898847759084779052582026594546022463853940585885215951168491965708222649399180603818074200620463776135424884632162512403163793083921641631564740959529419359595852941166848940585952337613333022396096584117954892216031229237302943701877588456738335398602461675225081791820393153757504952636234951323237820036543581047826906120927972487366805292115792231423684261262330394324750785450942589751755390156647751460719351439969059949569615302809050721500330239005077889855323917509948255722081644689442127297605422579707142646660768825302832201908302295573257427896031830742328565032949", 10).unwrap();
    let key = RsaPublicKey::new(n, BigUint::from(65537u32)).unwrap();
    let data = hex("955ff5a9081a8e635f5743de9b00000004453dc27100000004622f1fcb000000f7a81627bbf511fa4afef71e94a0937474586c1add9198dda81a5df8393871c8293623c5fb968894af1be7dfe9c7be813f9307789242fd0cb0c16a5cb39a8d3e");
    let random = hex("12270000635593b03fee033d0672f9afddf9124de9e77df6251806cba93482e4c9e6e06e7d44e4c4baae821aff91af44789689faaee9bdfc7b2df8c08709afe57396c4638ceaa0dc30114f82447e81d3b53edc423b32660c43a5b8ad057b64500000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000007dada0920c4973913229e0f881aec7b9db0c392d34f52fb0995ea493ecb4c09d");
    let expected = hex("b610642a828b4a61fe32931815cae318d311660580f1e0df768f3140f4d37dfcfcac0c2870318de4ff2d2e0e9669bcfdc0bad06cadb1b59d9726b427368a9c7b4fc0d5e7b2e99fc571968705c03acf5341fd7021bef653fa77b3776ae430e366fc46d232459ebe128b08d80e049ae579a48b56ca93b520709468587c81af96666046e9ea85091d729e921e8d8a36f57b27644052dae7387c7f4131701d59cda75251dac66c94276280ef950d3c44c21e5a2454f7da7a6818cf23ae9c490b72b2170d7cbc24f8a93db739d76f2d241c78b80123faaff3e664f074d6375d794dbf2800a0b5bb48d54eceafedfb355bfbebd287d9023264e3b53627888250787a9e");
    // grammers draws a fresh temp_key on retry by incrementing the previous one as a
    // big-endian number; this vector needs one retry, which this replays.
    let mut calls = 0;
    let mut temp_key: [u8; 32] = random[192..224].try_into().unwrap();
    let block = key
        .encrypt_rsa_pad_with(&data, |buf: &mut [u8]| {
            calls += 1;
            if calls == 1 {
                buf.copy_from_slice(&random[..192 - data.len()]);
            } else {
                if calls > 2 {
                    let mut i = 31;
                    loop {
                        let (v, carry) = temp_key[i].overflowing_add(1);
                        temp_key[i] = v;
                        if !carry || i == 0 {
                            break;
                        }
                        i -= 1;
                    }
                }
                buf.copy_from_slice(&temp_key);
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(calls, 3, "the vector needs exactly one retry");
    assert_eq!(block.to_vec(), expected);
}

#[test]
fn rsa_pad_rejects_long_data_and_tampering() {
    let key = &*OPENSSL_KEY;
    let public = key.public_key();
    assert_eq!(
        public.encrypt_rsa_pad(&[0; 145]),
        Err(RsaError::DataTooLong { len: 145, max: 144 })
    );
    let mut block = public.encrypt_rsa_pad(b"payload").unwrap();
    // Any change to the plaintext breaks the SHA256 (change the RSA plaintext itself,
    // so the result is still a valid RSA block).
    let mut plain = key.decrypt_raw(&block).unwrap();
    plain[100] ^= 1;
    block = public.encrypt_raw(&plain).unwrap();
    assert_eq!(key.decrypt_rsa_pad(&block), Err(RsaError::HashMismatch));
    // A legacy block is not an RSA_PAD block.
    let legacy = public.encrypt_legacy(b"payload").unwrap();
    assert_eq!(key.decrypt_rsa_pad(&legacy), Err(RsaError::HashMismatch));
}

#[test]
fn legacy_round_trip() {
    let key = &*GENERATED_KEY;
    let public = key.public_key();
    for len in [0usize, 1, 100, 235] {
        let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        let block = public.encrypt_legacy(&data).unwrap();
        let payload = key.decrypt_legacy(&block).unwrap();
        assert_eq!(payload.len(), 255);
        assert_eq!(verify_legacy_payload(&payload, len).unwrap(), &data[..]);
        if len < 235 {
            // Almost surely wrong with one more byte of random padding.
            assert_eq!(
                verify_legacy_payload(&payload, len + 1),
                Err(RsaError::HashMismatch)
            );
        }
    }
    assert!(verify_legacy_payload(&[0; 255], 236).is_err());
    assert!(verify_legacy_payload(&[0; 10], usize::MAX).is_err());
    assert_eq!(
        public.encrypt_legacy(&[0; 236]),
        Err(RsaError::DataTooLong { len: 236, max: 235 })
    );
}

#[test]
fn legacy_known_layout() {
    // With a fixed padding the block is exactly RSA(0 + SHA1(data) + data + padding).
    let key = &*OPENSSL_KEY;
    let data = b"legacy data";
    let block = key
        .public_key()
        .encrypt_legacy_with(data, |buf: &mut [u8]| {
            buf.fill(0xab);
            Ok(())
        })
        .unwrap();
    let plain = key.decrypt_raw(&block).unwrap();
    assert_eq!(plain[0], 0);
    assert_eq!(&plain[1..21], &Sha1::digest(data)[..]);
    assert_eq!(&plain[21..21 + data.len()], data);
    assert!(plain[21 + data.len()..].iter().all(|&b| b == 0xab));
}

#[test]
fn operations_need_a_2048_bit_key() {
    let small = RsaPrivateKey::generate(1024).unwrap();
    let public = small.public_key();
    assert_eq!(
        public.encrypt_rsa_pad(b"x"),
        Err(RsaError::UnsupportedKeySize { bits: 1024 })
    );
    assert_eq!(
        small.decrypt_raw(&[0; 256]),
        Err(RsaError::UnsupportedKeySize { bits: 1024 })
    );
}

#[test]
fn malformed_pem_is_an_error() {
    let cases = [
        "",
        "garbage",
        "-----BEGIN RSA PUBLIC KEY-----\n",
        "-----BEGIN RSA PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "-----BEGIN RSA PUBLIC KEY-----\n!!!!\n-----END RSA PUBLIC KEY-----\n",
        "-----BEGIN RSA PUBLIC KEY-----\n\n-----END RSA PUBLIC KEY-----\n",
        "-----BEGIN RSA PUBLIC KEY-----\nMIIB\n-----END RSA PUBLIC KEY-----\n",
        "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n",
        "-----BEGIN RSA PUBLIC KEY-----\nMAA=\n-----END RSA PUBLIC KEY-----\n",
    ];
    for pem in cases {
        assert!(RsaPublicKey::from_pkcs1_pem(pem).is_err(), "{pem:?}");
        assert!(RsaPrivateKey::from_pem(pem).is_err(), "{pem:?}");
    }
    // Text after the armour, a public key where a private one is expected, an
    // encrypted PEM.
    let trailing = format!("{TELEGRAM_PRODUCTION_KEY}junk");
    assert!(RsaPublicKey::from_pkcs1_pem(&trailing).is_err());
    assert!(RsaPrivateKey::from_pem(TELEGRAM_PRODUCTION_KEY).is_err());
    let encrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                     DEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nMIIB\n\
                     -----END RSA PRIVATE KEY-----\n";
    assert!(matches!(
        RsaPrivateKey::from_pem(encrypted),
        Err(RsaError::Pem(_))
    ));
}

#[test]
fn malformed_der_is_an_error() {
    let good = RsaPublicKey::from_pkcs1_pem(TELEGRAM_PRODUCTION_KEY)
        .unwrap()
        .to_pkcs1_der();
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x30],
        vec![0x30, 0x80, 0x00, 0x00],             // indefinite length
        vec![0x30, 0x81, 0x05, 2, 1, 1, 2, 1, 3], // non-minimal length
        vec![0x30, 0x85, 1, 0, 0, 0, 0],          // 5 length bytes
        vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff], // length past the end
        vec![0x30, 0x06, 2, 1, 0xff, 2, 1, 3],    // negative n
        vec![0x30, 0x07, 2, 2, 0, 1, 2, 1, 3],    // non-minimal INTEGER
        vec![0x30, 0x05, 2, 0, 2, 1, 3],          // empty INTEGER
        vec![0x1f, 0x01, 0x00],                   // multi-byte tag
        [good.clone(), vec![0]].concat(),         // trailing data
    ];
    for der in &cases {
        assert!(RsaPublicKey::from_pkcs1_der(der).is_err(), "{der:02x?}");
        assert!(RsaPublicKey::from_spki_der(der).is_err(), "{der:02x?}");
        assert!(RsaPrivateKey::from_pkcs1_der(der).is_err(), "{der:02x?}");
        assert!(RsaPrivateKey::from_pkcs8_der(der).is_err(), "{der:02x?}");
    }
    // Small or even moduli, bad exponents.
    let tiny = public_to_pkcs1(&BigUint::from(15u8), &BigUint::from(3u8));
    assert!(matches!(
        RsaPublicKey::from_pkcs1_der(&tiny),
        Err(RsaError::InvalidKey(_))
    ));
    let key = RsaPublicKey::from_pkcs1_pem(TELEGRAM_PRODUCTION_KEY).unwrap();
    assert!(RsaPublicKey::new(key.n() + 1u8, key.e().clone()).is_err());
    assert!(RsaPublicKey::new(key.n().clone(), BigUint::from(1u8)).is_err());
    assert!(RsaPublicKey::new(key.n().clone(), BigUint::from(65536u32)).is_err());
}

#[test]
fn truncated_and_mutated_keys_never_panic() {
    let der = OPENSSL_KEY.to_pkcs1_der();
    let p8 = pem_decode(OPENSSL_PKCS8, &["PRIVATE KEY"]).unwrap().1;
    let public = OPENSSL_KEY.public_key().to_pkcs1_der();
    for len in 0..der.len() {
        assert!(RsaPrivateKey::from_pkcs1_der(&der[..len]).is_err());
    }
    for len in 0..p8.len() {
        assert!(RsaPrivateKey::from_pkcs8_der(&p8[..len]).is_err());
    }
    for len in 0..public.len() {
        assert!(RsaPublicKey::from_pkcs1_der(&public[..len]).is_err());
    }
    // Flip bits everywhere in the structure: must never panic, and any change to the
    // key material must be caught by the consistency checks.
    for i in 0..der.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = der.clone();
            bad[i] ^= bit;
            if let Ok(key) = RsaPrivateKey::from_pkcs1_der(&bad) {
                panic!("mutated key at byte {i} accepted: {key:?}");
            }
        }
    }
    for i in 0..p8.len() {
        let mut bad = p8.clone();
        bad[i] ^= 0x40;
        let _ = RsaPrivateKey::from_pkcs8_der(&bad);
    }
}
