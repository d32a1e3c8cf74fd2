//! Two-step verification: the SRP-2048 of Telegram's cloud password
//! (<https://core.telegram.org/api/srp>), both sides, as pure functions.
//!
//! The only algorithm Telegram uses is
//! `passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow`. With `H` = SHA-256,
//! `|` concatenation and every number hashed as 256 big-endian bytes (`g` too):
//!
//! ```text
//! SH(data, salt)  = H(salt | data | salt)
//! PH1             = SH(SH(password, salt1), salt2)
//! x = PH2         = SH(pbkdf2(HMAC-SHA512, PH1, salt1, 100000 rounds, 64 bytes), salt2)
//! v               = g^x mod p                         (the server stores v, never x)
//! k               = H(p | g)
//! u               = H(g_a | g_b)
//! client: g_a     = g^a mod p
//!         S       = (g_b - k v mod p)^(a + u x) mod p
//! server: g_b = B = (k v + g^b) mod p
//!         S       = (g_a v^u)^b mod p
//! both:   K       = H(S)
//!         M1      = H(H(p) xor H(g) | H(salt1) | H(salt2) | g_a | g_b | K)
//! ```
//!
//! The client proves it knows the password by sending `g_a` and `M1`
//! (`inputCheckPasswordSRP.A` and `.M1`); the server recomputes `M1` from `v` and its own
//! secret `b`. Randomness is injected: the caller passes the secret exponent (`a` or `b`),
//! drawn from the OS CSPRNG in production ([`super::handshake::dh::generate_exponent`]).
//!
//! The group checks are the handshake's ([`super::handshake::dh`]): `p` is a 2048-bit safe
//! prime (proven once per process, then cached) and `g` generates the subgroup of order
//! `(p-1)/2`. Exponentiations are the handshake's constant-time Montgomery code; products,
//! sums and differences mod `p` are its constant-time [`MontyCtx`] operations. The
//! password-derived secrets (`x`, `v`, `k v`, the exponent `a + u x`, `S`, `K`) live in
//! fixed-size buffers that are wiped when dropped; the exponentiation code's own
//! temporaries are not.

use std::fmt;

use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::handshake::dh::{self, DhError};
use super::handshake::monty::{limbs_from_be_bytes, limbs_to_be_bytes, mul_wide, MontyCtx};

/// PBKDF2 rounds of the only KDF Telegram uses.
pub const PBKDF2_ROUNDS: u32 = 100_000;

/// Which SRP check failed; the message names it (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrpError(pub String);

impl fmt::Display for SrpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SrpError {}

impl From<DhError> for SrpError {
    fn from(e: DhError) -> Self {
        SrpError(format!("SRP group rejected: {e}"))
    }
}

/// What the client sends in `inputCheckPasswordSRP`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientProof {
    /// `g_a`, 256 bytes big-endian (`inputCheckPasswordSRP.A`).
    pub a_pub: [u8; 256],
    /// The proof `M1` (`inputCheckPasswordSRP.M1`).
    pub m1: [u8; 32],
}

/// Checks `p` is a 2048-bit safe prime and `g` generates its subgroup of order `(p-1)/2`,
/// with the handshake's checks: the size, then `g`'s condition on `p mod 4g`, then
/// primality of `p` and `(p-1)/2` (cached per process: Telegram's prime costs a lookup).
/// Leading zero bytes of `p` are allowed.
pub fn check_group(g: i32, p: &[u8]) -> Result<(), SrpError> {
    dh::check_prime_size(p)?;
    dh::check_generator(g, p)?;
    dh::check_safe_prime(p)?;
    Ok(())
}

/// `x = PH2(password, salt1, salt2)`, wiped on drop.
pub fn password_hash(password: &[u8], salt1: &[u8], salt2: &[u8]) -> Zeroizing<[u8; 32]> {
    let sh1 = Zeroizing::new(salted_hash(password, salt1));
    let ph1 = Zeroizing::new(salted_hash(&*sh1, salt2));
    let mut dk = Zeroizing::new([0u8; 64]);
    pbkdf2::pbkdf2_hmac::<Sha512>(&*ph1, salt1, PBKDF2_ROUNDS, &mut *dk);
    Zeroizing::new(salted_hash(&*dk, salt2))
}

/// `v = g^x mod p`, 256 bytes big-endian: what the server stores for an account.
///
/// # Panics
///
/// If `p` is zero, even or wider than 2048 bits (a group [`check_group`] refuses).
pub fn verifier(g: i32, p: &[u8], x: &[u8; 32]) -> [u8; 256] {
    let group = Group::new(g, p).expect("verifier needs an odd p of at most 2048 bits");
    *group.pow_g(x)
}

/// The client's proof for `password`: checks the group ([`check_group`]) and that
/// `0 < srp_b < p` (`srp_b` at most 256 bytes, left-padded), derives `x` (about 100,000
/// HMAC-SHA512 rounds), and computes `g_a` and `M1` for the secret exponent `a`, which the
/// caller draws from the OS CSPRNG. Also refuses an `a` whose `g_a` is not in `(1, p-1)`
/// or whose `u` is 0 (both vanishingly unlikely for a random `a`; draw another).
pub fn client_proof(
    g: i32,
    p: &[u8],
    salt1: &[u8],
    salt2: &[u8],
    password: &[u8],
    srp_b: &[u8],
    a: &[u8; 256],
) -> Result<ClientProof, SrpError> {
    check_group(g, p)?;
    let group = Group::new(g, p).ok_or_else(|| SrpError("SRP prime is even".into()))?;
    let g_b = check_srp_b(&group.p, srp_b)?;
    let g_a = group.pow_g(a);
    // Public values: plain comparisons (arrays compare as big-endian numbers).
    if !(is_above_one(&g_a) && *g_a < group.p_minus_1()) {
        return Err(SrpError(
            "SRP g_a is not in (1, p - 1): draw another secret exponent".into(),
        ));
    }
    let u = hash(&[&g_a[..], &g_b[..]]);
    if u.iter().all(|&b| b == 0) {
        return Err(SrpError(
            "SRP u = H(g_a | g_b) is 0: draw another secret exponent".into(),
        ));
    }
    let x = password_hash(password, salt1, salt2);
    let m1 = group.client_m1(salt1, salt2, &x, a, &g_a, &g_b, &u);
    Ok(ClientProof { a_pub: *g_a, m1 })
}

/// Server side: `B = (k v + g^b) mod p`, 256 bytes big-endian, for the server's secret `b`
/// (`account.password.srp_B`).
///
/// # Panics
///
/// If `p` is zero, even or wider than 2048 bits (a group [`check_group`] refuses).
pub fn server_public(g: i32, p: &[u8], v: &[u8; 256], b: &[u8; 256]) -> [u8; 256] {
    let group = Group::new(g, p).expect("server_public needs an odd p of at most 2048 bits");
    group.server_b(v, b)
}

/// Server side: whether `m1` is the right proof for the account's verifier `v`, the
/// server's secret `b` and its `srp_b = B`, and the client's `a_pub = g_a`. `a_pub` must
/// be 256 bytes with `0 < a_pub < p`, and `m1` 32 bytes; anything else is `false`, as is
/// a `p` that is not odd. The proofs are compared in constant time.
#[allow(clippy::too_many_arguments)]
pub fn server_check(
    g: i32,
    p: &[u8],
    salt1: &[u8],
    salt2: &[u8],
    v: &[u8; 256],
    b: &[u8; 256],
    srp_b: &[u8; 256],
    a_pub: &[u8],
    m1: &[u8],
) -> bool {
    let Some(group) = Group::new(g, p) else {
        return false;
    };
    let Ok(g_a) = <&[u8; 256]>::try_from(a_pub) else {
        return false;
    };
    if m1.len() != 32 || g_a.iter().all(|&x| x == 0) || *g_a >= group.p {
        return false;
    }
    let u = hash(&[&g_a[..], &srp_b[..]]);
    // S = (g_a v^u)^b; u is public.
    let v_u = Zeroizing::new(dh::modpow_2048(v, &u, &group.p));
    let v_u_limbs = Zeroizing::new(limbs(&v_u[..]));
    let base_limbs = Zeroizing::new(group.ctx.mul(&group.ctx.to_mont(&limbs(g_a)), &v_u_limbs));
    let mut base = Zeroizing::new([0u8; 256]);
    limbs_to_be_bytes(&*base_limbs, &mut *base);
    let s = Zeroizing::new(dh::modpow_2048(&*base, b, &group.p));
    let expected = group.m1(salt1, salt2, g_a, srp_b, &s);
    bool::from(expected.ct_eq(m1))
}

/// A group as the arithmetic needs it: `p` as exactly 256 bytes, its Montgomery context.
/// Built without the group checks (the callers decide which apply).
struct Group {
    g: u32,
    /// `g` as 256 bytes, as it is hashed.
    g_bytes: [u8; 256],
    p: [u8; 256],
    ctx: MontyCtx<32>,
}

impl Group {
    /// `None` if `p` is zero, even or wider than 2048 bits.
    fn new(g: i32, p: &[u8]) -> Option<Group> {
        let p = p.get(p.iter().position(|&b| b != 0)?..)?;
        if p.len() > 256 {
            return None;
        }
        let mut padded = [0u8; 256];
        padded[256 - p.len()..].copy_from_slice(p);
        let ctx = MontyCtx::from_be_bytes(&padded)?;
        let g = g as u32;
        let mut g_bytes = [0u8; 256];
        g_bytes[252..].copy_from_slice(&g.to_be_bytes());
        Some(Group {
            g,
            g_bytes,
            p: padded,
            ctx,
        })
    }

    /// `p - 1` (`p` is odd, so only the last byte changes).
    fn p_minus_1(&self) -> [u8; 256] {
        let mut out = self.p;
        out[255] -= 1;
        out
    }

    /// `g^exp mod p`, constant-time (through the handshake's comb for Telegram's prime).
    fn pow_g(&self, exp: &[u8]) -> Zeroizing<[u8; 256]> {
        Zeroizing::new(dh::generator_pow(self.g, exp, &self.p))
    }

    /// `k v mod p` as limbs, for `k = H(p | g)`.
    fn k_times(&self, v: &[u8; 256]) -> Zeroizing<[u64; 32]> {
        let k = hash(&[&self.p[..], &self.g_bytes[..]]);
        let k_mont = self.ctx.to_mont(&limbs(&k));
        let v = Zeroizing::new(limbs(v));
        Zeroizing::new(self.ctx.mul(&k_mont, &v))
    }

    /// `B = (k v + g^b) mod p`.
    fn server_b(&self, v: &[u8; 256], b: &[u8; 256]) -> [u8; 256] {
        let g_b = self.pow_g(b);
        let sum = self.ctx.add(&self.k_times(v), &limbs(&g_b[..]));
        let mut out = [0u8; 256];
        limbs_to_be_bytes(&sum, &mut out);
        out
    }

    /// The client's `M1` once everything is checked: `S = (g_b - k v)^(a + u x) mod p`.
    #[allow(clippy::too_many_arguments)]
    fn client_m1(
        &self,
        salt1: &[u8],
        salt2: &[u8],
        x: &[u8; 32],
        a: &[u8; 256],
        g_a: &[u8; 256],
        g_b: &[u8; 256],
        u: &[u8; 32],
    ) -> [u8; 32] {
        let v = self.pow_g(x);
        // (g_b - k v) mod p, taken positive; both operands are below p.
        let t_limbs = Zeroizing::new(self.ctx.sub(&limbs(g_b), &self.k_times(&v)));
        let mut t = Zeroizing::new([0u8; 256]);
        limbs_to_be_bytes(&*t_limbs, &mut *t);
        let exp = secret_exponent(a, u, x);
        let s = Zeroizing::new(dh::modpow_2048(&*t, &*exp, &self.p));
        self.m1(salt1, salt2, g_a, g_b, &s)
    }

    /// `M1 = H(H(p) xor H(g) | H(salt1) | H(salt2) | g_a | g_b | H(S))`.
    fn m1(
        &self,
        salt1: &[u8],
        salt2: &[u8],
        g_a: &[u8; 256],
        g_b: &[u8; 256],
        s: &[u8; 256],
    ) -> [u8; 32] {
        let k_s = Zeroizing::new(hash(&[s]));
        let mut p_xor_g = hash(&[&self.p]);
        for (d, h) in p_xor_g.iter_mut().zip(hash(&[&self.g_bytes])) {
            *d ^= h;
        }
        hash(&[&p_xor_g, &hash(&[salt1]), &hash(&[salt2]), g_a, g_b, &*k_s])
    }
}

/// Checks `srp_b` (at most 256 bytes) is in `(0, p)` and returns it left-padded.
fn check_srp_b(p: &[u8; 256], srp_b: &[u8]) -> Result<[u8; 256], SrpError> {
    if srp_b.len() > 256 {
        return Err(SrpError(format!(
            "SRP srp_B has {} bytes, at most 256 are allowed",
            srp_b.len()
        )));
    }
    let mut g_b = [0u8; 256];
    g_b[256 - srp_b.len()..].copy_from_slice(srp_b);
    if g_b.iter().all(|&b| b == 0) {
        return Err(SrpError("SRP srp_B is 0".into()));
    }
    if g_b >= *p {
        return Err(SrpError("SRP srp_B is not below p".into()));
    }
    Ok(g_b)
}

/// The exponent `a + u x` in full (up to 2049 bits), as 264 big-endian bytes: a fixed
/// length, so the exponentiation's work does not depend on its value.
fn secret_exponent(a: &[u8; 256], u: &[u8; 32], x: &[u8; 32]) -> Zeroizing<[u8; 264]> {
    let a = Zeroizing::new(limbs::<32>(a));
    let x = Zeroizing::new(limbs::<4>(x));
    let (lo, hi) = mul_wide(&limbs::<4>(u), &x);
    let ux = Zeroizing::new([lo, hi]);
    let ux = ux.as_flattened();
    let mut sum = Zeroizing::new([0u64; 33]);
    let mut carry = 0u64;
    for i in 0..32 {
        let add = if i < ux.len() { ux[i] } else { 0 };
        let t = a[i] as u128 + add as u128 + carry as u128;
        sum[i] = t as u64;
        carry = (t >> 64) as u64;
    }
    sum[32] = carry;
    let mut out = Zeroizing::new([0u8; 264]);
    limbs_to_be_bytes(&*sum, &mut *out);
    out
}

/// Little-endian limbs of a big-endian number that fits `N` limbs.
fn limbs<const N: usize>(bytes: &[u8]) -> [u64; N] {
    limbs_from_be_bytes(bytes).expect("the number fits its limbs")
}

fn is_above_one(x: &[u8; 256]) -> bool {
    x[..255].iter().any(|&b| b != 0) || x[255] > 1
}

/// `SH(data, salt) = H(salt | data | salt)`.
fn salted_hash(data: &[u8], salt: &[u8]) -> [u8; 32] {
    hash(&[salt, data, salt])
}

/// SHA-256 of the concatenation of `parts`.
fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dh::TELEGRAM_DH_PRIME;
    use num_bigint::BigUint;

    /// Bytes from hex (test vectors).
    fn unhex(s: &str) -> Vec<u8> {
        assert!(s.len().is_multiple_of(2), "odd hex length");
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
            .collect()
    }

    fn arr<const N: usize>(v: &[u8]) -> [u8; N] {
        v.try_into().expect("vector length")
    }

    /// Left-pads to 256 bytes.
    fn pad256(v: &[u8]) -> [u8; 256] {
        let mut out = [0u8; 256];
        out[256 - v.len()..].copy_from_slice(v);
        out
    }

    /// A deterministic byte stream (SHA-256 in counter mode over a seed), so that every
    /// "random" input reproduces.
    struct Stream {
        seed: u64,
        counter: u64,
    }

    impl Stream {
        fn new(seed: u64) -> Self {
            Stream { seed, counter: 0 }
        }

        fn bytes(&mut self, len: usize) -> Vec<u8> {
            let mut out = Vec::with_capacity(len + 32);
            while out.len() < len {
                self.counter += 1;
                out.extend(hash(&[
                    &self.seed.to_le_bytes(),
                    &self.counter.to_le_bytes(),
                ]));
            }
            out.truncate(len);
            out
        }

        fn below(&mut self, n: usize) -> usize {
            (u64::from_le_bytes(arr(&self.bytes(8))) % n as u64) as usize
        }

        /// `min..max` bytes, the length random too.
        fn some_bytes(&mut self, min: usize, max: usize) -> Vec<u8> {
            let len = min + self.below(max - min);
            self.bytes(len)
        }

        /// A 256-byte number below `p` (Telegram's prime starts with 0xc7).
        fn below_p(&mut self) -> [u8; 256] {
            let mut x: [u8; 256] = arr(&self.bytes(256));
            x[0] %= 0xc7;
            x
        }
    }

    /// grammers-crypto's implementation, an independent one to compare with.
    fn grammers(
        g: i32,
        salt1: &[u8],
        salt2: &[u8],
        password: &[u8],
        srp_b: &[u8],
        a: &[u8; 256],
    ) -> ([u8; 32], [u8; 256]) {
        grammers_crypto::two_factor_auth::calculate_2fa(
            salt1,
            salt2,
            &TELEGRAM_DH_PRIME,
            &g,
            srp_b.to_vec(),
            a.to_vec(),
            password,
        )
    }

    // Known answers from gotd/td, internal/crypto/srp/srp_test.go (TestSRP): password
    // "123123", g = 3, Telegram's prime, a = 1; so A = g_a = 3.
    #[test]
    fn gotd_vector() {
        let salt1 = unhex(
            "4D11FB6BEC38F9D2546BB0F61E4F1C99A1BC0DB8F0D5F35B1291B37B213123D7ED48F3C6794D495B",
        );
        let salt2 = unhex("A1B181AAFE88188680AE32860D60BB01");
        let srp_b = unhex(concat!(
            "9C52401A6A8084EC82F01C3725D3FB448BD2F0C909F9D97726EAC4B7A74172D9",
            "52F02466BE6734FA274D2B7429E27397F10372D66B400B80A5C5AE3F28B17BF3",
            "105D7A2D2A885998CDC2DEFC208AEC217AB58859A9ABC2374AD93DC285F4B3FB",
            "CAFF4143D7888F2425BD2FB711B25609CEB21757D935B1EF2F042173AD0CE2FE",
            "0E474DAC53914BD25A8A9AED4AEA8953D55CB88621DB37B871EA0D04393AC098",
            "7F68094CCC9DE8239251375D8FFFD263316CD528C097B7BC9FB919FBEDB76C52",
            "5DF3413C374EE076D97A1E6D352BB7CC80FD13651B04B32E2E48C5268150842C",
            "FD07CF855958B1B5EA9C36FDAD697FE3AEC8DCC6B1EFEC36874AF226204676CF",
        ));
        let a = pad256(&[1]);
        let proof =
            client_proof(3, &TELEGRAM_DH_PRIME, &salt1, &salt2, b"123123", &srp_b, &a).unwrap();
        assert_eq!(proof.a_pub, pad256(&[3]));
        assert_eq!(
            proof.m1.to_vec(),
            unhex("999DF906BDA2C6CBB52F503406EBA2D0D0503ACE0CC302C38F13EE5010AD4051")
        );
    }

    // Known answers from grammers (lib/grammers-crypto/src/two_factor_auth.rs,
    // check_calculations_2): password "234567", g = 3, Telegram's prime.
    #[test]
    fn grammers_vector() {
        let salt1 = unhex(
            "5f483c38bd0986e7cdc95ae138ef4f49b951c1f81c713fecdef3af692cec4b4716ac9b770a195ebe",
        );
        let salt2 = unhex("b616fc6bbedf511119c5ed34629527f1");
        let srp_b = unhex(concat!(
            "93f70ebd50f6426aca2568769599f91f24d01284cc51a449e62dcc1527dfe501",
            "26b2aa44238e4fb2331419ed4aebf1a0ae15e03abd18bfc52ca6baec564c13b5",
            "a1d2e357799897757bb736fdc2ceb1b56aacf19ab3548d6d922a522f0b51f401",
            "24c3bc9936aff3e1dcfbea39ac9ad2addc6af0ad30783278bbb84cab0ed8464b",
            "0ffeb2b0c93a39a5d97dba0105672ca5475373d8d23e54a6ac9bed9519e8bef4",
            "f00719f5ad56151be5537648df2f8e3e7265cb57fb94a054ce2a82b8cc664ad0",
            "60e0d6c6df1879345440eb977fa0f2d36f31a253d8917732f133d40033a34b61",
            "52969b600d59cdabfea2ab2393ad659e56d66e13605b1f61e48e3cd65c0f58ac",
        ));
        let a = arr(&unhex(concat!(
            "bf31574f34fce1e53891c59b7f62468a0ca682da8585df8de0a18873359755fb",
            "b1818878a9ee919bb1e94d20c5f0607e02a33176199bf3220256c9ea1a69f395",
            "a515d20539d88cda750a5252fb864f573f2b032f3b467d08b34fd9c89d1c5d06",
            "278e113e51d4e893c1c027455af4653f096607a4156d94fb8e1dc7cee5bfe328",
            "50982f941ae4414e83bf22df56270b43b7ccc44c26d40886464da8e344a85407",
            "95b8f69b8f508552a723cd6931e1d69204e8e9dc056f0a2a10a0d7951e355f3e",
            "def5a5e18a9091295a51eb9db10b8b0d30489c8d29bc0cd86e97781f5e30c5b6",
            "bfe7caf4aae81b282e653ac48aa1a8fde789722bc04f4320cd9f86849fe05ca4",
        )));
        let proof =
            client_proof(3, &TELEGRAM_DH_PRIME, &salt1, &salt2, b"234567", &srp_b, &a).unwrap();
        assert_eq!(
            proof.m1.to_vec(),
            unhex("4d7af412c5a2e7b15467376bd118b853604e687b31f51c4980c4d7c1876613e3")
        );
        assert_eq!(
            proof.a_pub.to_vec(),
            unhex(concat!(
                "0fa12bc655b1187a28296a69ae565d682782e0ceb05a089c0c41c1dce983dc7f",
                "4a53434ea78e065d9e1cb60e427b4468a4780609feba2f55654ee2efe0aeb72e",
                "dafde2652e26ed5b4d4baad9d2a381806af63416bf6263df45a43d85be5401bc",
                "223ebfac09421caddd7e260bd6b86542133c048d6cd54b38d8e2ccdf6b550e87",
                "5b1353a4acfe3292ffb56a0f58b2a39027c9bfdd91fd4c531d23c77d6e8f7d58",
                "3eaeea316dedded69935296ce7ea34e9be6ef2fbd829eac4c9bd646dc1563e47",
                "f77b91431ca002cf79fc149d968272835c15ca1c6b2c5e03712a2e1b5d52f5e4",
                "faa1c16cb177fafd96a6aa5b4b3f4c649915644b63855cfb38561ff17fedfb8a",
            ))
        );
    }

    // Known answers from grammers (two_factor_auth.rs, check_calculations_1): a toy group
    // (p = 47, g = 3, p padded to 256 bytes when hashed), salt1 = [1], salt2 = [2],
    // g_b = 5, a = 6, password [7]. No real group passes check_group with p = 47, so this
    // runs the arithmetic below the checks.
    #[test]
    fn grammers_toy_group_vector() {
        let p = pad256(&[47]);
        let group = Group::new(3, &p).unwrap();
        let a = pad256(&[6]);
        let g_b = pad256(&[5]);
        let g_a = group.pow_g(&a);
        assert_eq!(*g_a, pad256(&[24]));
        let u = hash(&[&g_a[..], &g_b[..]]);
        let x = password_hash(&[7], &[1], &[2]);
        let m1 = group.client_m1(&[1], &[2], &x, &a, &g_a, &g_b, &u);
        assert_eq!(
            m1,
            [
                157, 131, 196, 103, 0, 184, 116, 232, 7, 196, 85, 231, 17, 36, 30, 222, 158, 234,
                98, 88, 59, 56, 71, 215, 183, 123, 122, 50, 19, 32, 54, 206
            ]
        );
    }

    // Known answer from gotd/td, internal/crypto/srp/new_hash_test.go (TestSRP_NewHash): the
    // verifier v = g^x for password "newPassword", salt1 = e6c8957ddf988d48 plus 32 zero
    // bytes (its injected randomness is all zeros), g = 3, Telegram's prime.
    #[test]
    fn gotd_verifier_vector() {
        let mut salt1 = unhex("e6c8957ddf988d48");
        salt1.extend([0u8; 32]);
        let salt2 = unhex("9f6344822b096cff87efa426f57857b6");
        let x = password_hash(b"newPassword", &salt1, &salt2);
        let v = verifier(3, &TELEGRAM_DH_PRIME, &x);
        assert_eq!(
            v.to_vec(),
            unhex(concat!(
                "186ac18dcc5790bf6bba21bd958d375ee5481af0029e9bd7a9c68ec926bd5196",
                "d81f8cd8b58ee06c8a10adeacc7f56e819ff514825deb15b1fadec6aae17a244",
                "cb23488d17349cd4261a8ba4da7b9c2ce5c40014dd9e362750acf3ac89b8b8f5",
                "c618f0b6a572c38fff3a554d8818a0b8e7b6015e1836128a1e4e2d5cf9971d1d",
                "d048aa181d861152eae71553962680632387b89ac1865fded7c8c3daa64ed38d",
                "c25036663fa0cf7748c52ea19c187e70a752a8053e409d4894218a429393d033",
                "82e41e50b7415b3b8ad092fd0790f88d894e84dca78f47f4218937d7aa99d88c",
                "87c09bcb8da890e535026623cea6fc8b3d25db70cb42aaa48323927d87a8fcf1",
            ))
        );
    }

    /// The generators Telegram's prime accepts.
    fn valid_generators() -> Vec<i32> {
        let gs: Vec<i32> = (2..=7)
            .filter(|&g| check_group(g, &TELEGRAM_DH_PRIME).is_ok())
            .collect();
        assert!(gs.contains(&3), "Telegram's own g = 3 must be valid");
        gs
    }

    #[test]
    fn matches_grammers_on_random_inputs() {
        let gs = valid_generators();
        let mut rng = Stream::new(1);
        for round in 0..6 {
            let g = gs[round % gs.len()];
            let salt1 = rng.some_bytes(1, 65);
            let salt2 = rng.some_bytes(1, 33);
            let password = rng.some_bytes(0, 40);
            // Every third srp_B is shorter than 256 bytes: both sides left-pad it.
            let g_b = rng.below_p();
            let srp_b = if round % 3 == 2 { &g_b[3..] } else { &g_b[..] };
            let a: [u8; 256] = arr(&rng.bytes(256));
            let ours =
                client_proof(g, &TELEGRAM_DH_PRIME, &salt1, &salt2, &password, srp_b, &a).unwrap();
            let (m1, g_a) = grammers(g, &salt1, &salt2, &password, srp_b, &a);
            assert_eq!(ours.a_pub, g_a, "round {round}: g_a");
            assert_eq!(ours.m1, m1, "round {round}: M1");
        }
    }

    /// An account and a login attempt against it, from a seed.
    struct Attempt {
        g: i32,
        salt1: Vec<u8>,
        salt2: Vec<u8>,
        v: [u8; 256],
        b: [u8; 256],
        srp_b: [u8; 256],
        a: [u8; 256],
    }

    impl Attempt {
        fn new(rng: &mut Stream, g: i32, password: &[u8]) -> Self {
            let salt1 = rng.bytes(40);
            let salt2 = rng.bytes(16);
            let x = password_hash(password, &salt1, &salt2);
            let v = verifier(g, &TELEGRAM_DH_PRIME, &x);
            let b = arr(&rng.bytes(256));
            let srp_b = server_public(g, &TELEGRAM_DH_PRIME, &v, &b);
            let a = arr(&rng.bytes(256));
            Attempt {
                g,
                salt1,
                salt2,
                v,
                b,
                srp_b,
                a,
            }
        }

        fn prove(&self, password: &[u8]) -> ClientProof {
            client_proof(
                self.g,
                &TELEGRAM_DH_PRIME,
                &self.salt1,
                &self.salt2,
                password,
                &self.srp_b,
                &self.a,
            )
            .unwrap()
        }

        fn check(&self, a_pub: &[u8], m1: &[u8]) -> bool {
            server_check(
                self.g,
                &TELEGRAM_DH_PRIME,
                &self.salt1,
                &self.salt2,
                &self.v,
                &self.b,
                &self.srp_b,
                a_pub,
                m1,
            )
        }
    }

    #[test]
    fn round_trip_accepts_the_password_only() {
        let mut rng = Stream::new(2);
        for g in valid_generators() {
            let attempt = Attempt::new(&mut rng, g, b"correct horse");
            let proof = attempt.prove(b"correct horse");
            assert!(
                attempt.check(&proof.a_pub, &proof.m1),
                "g = {g}: right password"
            );

            let wrong = attempt.prove(b"correct horsf");
            assert_eq!(wrong.a_pub, proof.a_pub);
            assert_ne!(wrong.m1, proof.m1);
            assert!(
                !attempt.check(&wrong.a_pub, &wrong.m1),
                "g = {g}: wrong password"
            );

            let mut m1 = proof.m1;
            m1[31] ^= 1;
            assert!(!attempt.check(&proof.a_pub, &m1), "g = {g}: tampered M1");
            assert!(!attempt.check(&proof.a_pub, &proof.m1[..31]), "short M1");

            let mut a_pub = proof.a_pub;
            a_pub[100] ^= 0x10;
            assert!(!attempt.check(&a_pub, &proof.m1), "g = {g}: tampered A");
            assert!(!attempt.check(&[0u8; 256], &proof.m1), "A = 0");
            assert!(!attempt.check(&TELEGRAM_DH_PRIME, &proof.m1), "A = p");
            assert!(!attempt.check(&[0xff; 256], &proof.m1), "A > p");
            assert!(
                !attempt.check(&proof.a_pub[1..], &proof.m1),
                "A of 255 bytes"
            );
            let mut long = vec![0u8];
            long.extend(proof.a_pub);
            assert!(!attempt.check(&long, &proof.m1), "A of 257 bytes");
        }
    }

    // A vector where srp_B < k v (so the client's t = g_b - k v wraps around p) and
    // a + u x is odd, found by a seeded search; both sides and grammers must agree on it.
    #[test]
    fn wrapping_t_and_odd_exponent() {
        let p = BigUint::from_bytes_be(&TELEGRAM_DH_PRIME);
        let g = 3;
        let password = b"wrap around";
        let mut rng = Stream::new(3);
        let salt1 = rng.bytes(40);
        let salt2 = rng.bytes(16);
        let x = password_hash(password, &salt1, &salt2);
        let v = verifier(g, &TELEGRAM_DH_PRIME, &x);
        // Independently of the code under test: v, k v mod p, g_a, u.
        let big_x = BigUint::from_bytes_be(&*x);
        let big_v = BigUint::from(3u32).modpow(&big_x, &p);
        assert_eq!(BigUint::from_bytes_be(&v), big_v);
        let k = BigUint::from_bytes_be(&hash(&[&TELEGRAM_DH_PRIME, &pad256(&[3])]));
        let kv = k * &big_v % &p;
        let mut tries = 0;
        let (b, a, srp_b) = loop {
            tries += 1;
            assert!(tries <= 200, "no wrapping, odd case in 200 tries");
            let b: [u8; 256] = arr(&rng.bytes(256));
            let a: [u8; 256] = arr(&rng.bytes(256));
            let srp_b = server_public(g, &TELEGRAM_DH_PRIME, &v, &b);
            let big_b = BigUint::from_bytes_be(&srp_b);
            let g_b_direct = BigUint::from(3u32).modpow(&BigUint::from_bytes_be(&b), &p);
            assert_eq!(big_b, (&kv + g_b_direct) % &p, "B = k v + g^b mod p");
            if big_b >= kv {
                continue;
            }
            let g_a = BigUint::from(3u32).modpow(&BigUint::from_bytes_be(&a), &p);
            let u = hash(&[&pad256(&g_a.to_bytes_be()), &srp_b]);
            let exp = BigUint::from_bytes_be(&a) + BigUint::from_bytes_be(&u) * &big_x;
            if exp.bit(0) {
                break (b, a, srp_b);
            }
        };
        let proof =
            client_proof(g, &TELEGRAM_DH_PRIME, &salt1, &salt2, password, &srp_b, &a).unwrap();
        assert!(server_check(
            g,
            &TELEGRAM_DH_PRIME,
            &salt1,
            &salt2,
            &v,
            &b,
            &srp_b,
            &proof.a_pub,
            &proof.m1
        ));
        let (m1, g_a) = grammers(g, &salt1, &salt2, password, &srp_b, &a);
        assert_eq!(proof.a_pub, g_a);
        assert_eq!(proof.m1, m1);
    }

    #[test]
    fn exponent_is_a_plus_u_x_in_full() {
        // All ones: a + u x overflows 2048 bits, which a truncating sum would lose.
        let exp = secret_exponent(&[0xff; 256], &[0xff; 32], &[0xff; 32]);
        let ones = |n: usize| BigUint::from_bytes_be(&vec![0xff; n]);
        assert_eq!(
            BigUint::from_bytes_be(&*exp),
            ones(256) + ones(32) * ones(32)
        );
        assert_eq!(exp[..7], [0; 7]);
        assert_eq!(exp[7], 1);
    }

    fn proof_error(g: i32, p: &[u8], srp_b: &[u8], a: &[u8; 256]) -> String {
        client_proof(g, p, b"salt1", b"salt2", b"password", srp_b, a)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn rejects_bad_groups() {
        let p = &TELEGRAM_DH_PRIME;
        let g_b = pad256(&[5]);
        let a = [7u8; 256];
        // g = 2 is not a quadratic residue mod Telegram's prime (it is 3 mod 8).
        let err = proof_error(2, p, &g_b, &a);
        assert!(err.contains("g = 2 does not generate"), "{err}");
        for g in [0, 1, 8, -3] {
            let err = proof_error(g, p, &g_b, &a);
            assert!(err.contains(&format!("g = {g} is not in 2..=7")), "{err}");
        }
        // p + 6 keeps p's size and p mod 3 = 2 (so g = 3 passes) but is not a safe prime.
        let mut not_safe = *p;
        not_safe[255] += 6;
        let err = proof_error(3, &not_safe, &g_b, &a);
        assert!(err.contains("not a safe prime"), "{err}");
        // Sizes: 255 bytes, 256 bytes with a leading zero (both 2037 bits: p's second
        // byte is 0x1c), 257 significant bytes.
        let err = proof_error(3, &p[1..], &g_b, &a);
        assert!(err.contains("2037 bits, 2048 are required"), "{err}");
        let mut short = *p;
        short[0] = 0;
        let err = proof_error(3, &short, &g_b, &a);
        assert!(err.contains("2037 bits, 2048 are required"), "{err}");
        let mut long = vec![1u8];
        long.extend(p);
        let err = proof_error(3, &long, &g_b, &a);
        assert!(err.contains("2049 bits, 2048 are required"), "{err}");
        // Leading zero bytes in front of a good prime are fine.
        let mut padded = vec![0u8, 0];
        padded.extend(p);
        assert_eq!(check_group(3, &padded), Ok(()));
        // g = 4 = 2^2 is a quadratic residue mod every prime: the guidelines accept it.
        assert_eq!(check_group(4, p), Ok(()));
    }

    #[test]
    fn rejects_bad_srp_b() {
        let p = &TELEGRAM_DH_PRIME;
        let a = [7u8; 256];
        for zero in [&[][..], &[0u8; 256][..], &[0u8; 10][..]] {
            assert_eq!(proof_error(3, p, zero, &a), "SRP srp_B is 0");
        }
        assert_eq!(proof_error(3, p, p, &a), "SRP srp_B is not below p");
        let mut above = *p;
        above[255] += 1;
        assert_eq!(proof_error(3, p, &above, &a), "SRP srp_B is not below p");
        assert_eq!(
            proof_error(3, p, &[0xff; 256], &a),
            "SRP srp_B is not below p"
        );
        // Too long even when the extra byte is a leading zero.
        let mut long = vec![0u8];
        long.extend(pad256(&[5]));
        assert_eq!(
            proof_error(3, p, &long, &a),
            "SRP srp_B has 257 bytes, at most 256 are allowed"
        );
        // p - 1 and 1 are in range.
        let mut p_minus_1 = *p;
        p_minus_1[255] -= 1;
        assert!(client_proof(3, p, b"s", b"t", b"pw", &p_minus_1, &a).is_ok());
        assert!(client_proof(3, p, b"s", b"t", b"pw", &[1], &a).is_ok());
    }

    #[test]
    fn rejects_an_a_whose_g_a_is_out_of_range() {
        let p = &TELEGRAM_DH_PRIME;
        let g_b = pad256(&[5]);
        // a = 0 gives g_a = 1; so does a = (p-1)/2, as g is a quadratic residue.
        let half: BigUint = (BigUint::from_bytes_be(p) - 1u32) >> 1u32;
        for a in [[0u8; 256], pad256(&half.to_bytes_be())] {
            assert_eq!(
                proof_error(3, p, &g_b, &a),
                "SRP g_a is not in (1, p - 1): draw another secret exponent"
            );
        }
    }
}
