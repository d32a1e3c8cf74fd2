//! Diffie-Hellman and pq for the auth-key handshake
//! (<https://core.telegram.org/mtproto/auth_key>), and the client-side checks of the
//! security guidelines (<https://core.telegram.org/mtproto/security_guidelines>).
//!
//! Both sides use these: the client checks what the server sends and computes `g_b` and
//! the key; the test DC serves [`TELEGRAM_DH_PRIME`] with `g = 3`, makes `pq` with
//! [`make_pq`] and checks the client's `g_b` with [`check_public_value`].
//!
//! Modular exponentiation ([`modpow_2048`]) is our own fixed-width Montgomery arithmetic
//! ([`super::monty`]), with the context of [`TELEGRAM_DH_PRIME`] built once per process. It
//! is constant-time with respect to the base and the secret exponent (`a`, `b`): a fixed
//! 5-bit window over every bit of the exponent as given, whole-table masked lookups, no
//! data-dependent branches; see the `monty` module for exactly what holds. Only an even
//! modulus, which no checked prime is, falls back to `num-bigint`'s variable-time `modpow`.
//!
//! `pq` is split with Pollard's rho (Brent's variant) in 64-bit Montgomery arithmetic, and
//! primality of `u64`s is a deterministic Miller-Rabin test in the same arithmetic. These
//! handle public values only and are not constant-time.

use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;

use num_bigint::BigUint;
use num_traits::{One, ToPrimitive};
use once_cell::sync::Lazy;
use parking_lot::Mutex;

use super::monty::{limbs_to_be_bytes, FixedBase, MontyCtx};

/// The 2048-bit safe prime Telegram serves as `dh_prime`, big-endian. It appears on
/// <https://core.telegram.org/mtproto/samples-auth_key> (server_DH_inner_data) and on
/// <https://core.telegram.org/mtproto/security_guidelines> as "the current value of dh_prime".
pub const TELEGRAM_DH_PRIME: [u8; 256] = [
    0xc7, 0x1c, 0xae, 0xb9, 0xc6, 0xb1, 0xc9, 0x04, 0x8e, 0x6c, 0x52, 0x2f, 0x70, 0xf1, 0x3f, 0x73,
    0x98, 0x0d, 0x40, 0x23, 0x8e, 0x3e, 0x21, 0xc1, 0x49, 0x34, 0xd0, 0x37, 0x56, 0x3d, 0x93, 0x0f,
    0x48, 0x19, 0x8a, 0x0a, 0xa7, 0xc1, 0x40, 0x58, 0x22, 0x94, 0x93, 0xd2, 0x25, 0x30, 0xf4, 0xdb,
    0xfa, 0x33, 0x6f, 0x6e, 0x0a, 0xc9, 0x25, 0x13, 0x95, 0x43, 0xae, 0xd4, 0x4c, 0xce, 0x7c, 0x37,
    0x20, 0xfd, 0x51, 0xf6, 0x94, 0x58, 0x70, 0x5a, 0xc6, 0x8c, 0xd4, 0xfe, 0x6b, 0x6b, 0x13, 0xab,
    0xdc, 0x97, 0x46, 0x51, 0x29, 0x69, 0x32, 0x84, 0x54, 0xf1, 0x8f, 0xaf, 0x8c, 0x59, 0x5f, 0x64,
    0x24, 0x77, 0xfe, 0x96, 0xbb, 0x2a, 0x94, 0x1d, 0x5b, 0xcd, 0x1d, 0x4a, 0xc8, 0xcc, 0x49, 0x88,
    0x07, 0x08, 0xfa, 0x9b, 0x37, 0x8e, 0x3c, 0x4f, 0x3a, 0x90, 0x60, 0xbe, 0xe6, 0x7c, 0xf9, 0xa4,
    0xa4, 0xa6, 0x95, 0x81, 0x10, 0x51, 0x90, 0x7e, 0x16, 0x27, 0x53, 0xb5, 0x6b, 0x0f, 0x6b, 0x41,
    0x0d, 0xba, 0x74, 0xd8, 0xa8, 0x4b, 0x2a, 0x14, 0xb3, 0x14, 0x4e, 0x0e, 0xf1, 0x28, 0x47, 0x54,
    0xfd, 0x17, 0xed, 0x95, 0x0d, 0x59, 0x65, 0xb4, 0xb9, 0xdd, 0x46, 0x58, 0x2d, 0xb1, 0x17, 0x8d,
    0x16, 0x9c, 0x6b, 0xc4, 0x65, 0xb0, 0xd6, 0xff, 0x9c, 0xa3, 0x92, 0x8f, 0xef, 0x5b, 0x9a, 0xe4,
    0xe4, 0x18, 0xfc, 0x15, 0xe8, 0x3e, 0xbe, 0xa0, 0xf8, 0x7f, 0xa9, 0xff, 0x5e, 0xed, 0x70, 0x05,
    0x0d, 0xed, 0x28, 0x49, 0xf4, 0x7b, 0xf9, 0x59, 0xd9, 0x56, 0x85, 0x0c, 0xe9, 0x29, 0x85, 0x1f,
    0x0d, 0x81, 0x15, 0xf6, 0x35, 0xb1, 0x05, 0xee, 0x2e, 0x4e, 0x15, 0xd0, 0x4b, 0x24, 0x54, 0xbf,
    0x6f, 0x4f, 0xad, 0xf0, 0x34, 0xb1, 0x04, 0x03, 0x11, 0x9c, 0xd8, 0xe3, 0xb9, 0x2f, 0xcc, 0x5b,
];

/// The generator to serve with [`TELEGRAM_DH_PRIME`]. Telegram's servers send 3; it is
/// valid because the prime is 2 mod 3 (as every safe prime above 7 is). 2 would not be:
/// the prime is 3 mod 8, so 2 is a non-residue (the samples page's exchange used `g = 2`,
/// which [`check_generator`] refuses).
pub const SERVER_DH_G: i32 = 3;

/// Size in bits of `dh_prime` the guidelines require.
pub const DH_PRIME_BITS: u64 = 2048;

/// `g_a` and `g_b` must lie in `(2^(2048-64), dh_prime - 2^(2048-64))`.
const PUBLIC_VALUE_MARGIN_BITS: usize = 2048 - 64;

static SERVER_DH_PRIME: Lazy<BigUint> = Lazy::new(|| BigUint::from_bytes_be(&TELEGRAM_DH_PRIME));

/// [`TELEGRAM_DH_PRIME`] prepared for Montgomery arithmetic, built once.
static SERVER_DH_PRIME_CTX: Lazy<MontyCtx<32>> = Lazy::new(|| {
    MontyCtx::from_be_bytes(&TELEGRAM_DH_PRIME).expect("the DH prime is odd and 2048 bits")
});

static PUBLIC_VALUE_MARGIN: Lazy<BigUint> =
    Lazy::new(|| BigUint::one() << PUBLIC_VALUE_MARGIN_BITS);

/// Primes already proven safe in this process (minimal big-endian bytes), pre-seeded with
/// Telegram's so the common case costs nothing.
static PROVEN_SAFE_PRIMES: Lazy<Mutex<HashSet<Vec<u8>>>> = Lazy::new(|| {
    let mut set = HashSet::new();
    set.insert(TELEGRAM_DH_PRIME.to_vec());
    Mutex::new(set)
});

thread_local! {
    /// How many full safe-prime tests this thread ran (cache misses), for tests.
    static SAFE_PRIME_TESTS: Cell<u64> = const { Cell::new(0) };
}

/// [`TELEGRAM_DH_PRIME`] as a number, for the test DC to serve (with [`SERVER_DH_G`]).
pub fn server_dh_prime() -> &'static BigUint {
    &SERVER_DH_PRIME
}

/// How many full (uncached) safe-prime tests [`check_safe_prime`] has run on the calling
/// thread. Per thread so concurrent tests do not disturb each other's counts.
pub fn safe_prime_tests_on_this_thread() -> u64 {
    SAFE_PRIME_TESTS.with(Cell::get)
}

/// Which DH check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DhError {
    /// `dh_prime` is not a 2048-bit number (`2^2047 < p < 2^2048`).
    PrimeWrongSize {
        /// Its actual size.
        bits: u64,
    },
    /// `dh_prime` or `(dh_prime - 1) / 2` is not prime.
    PrimeNotSafe,
    /// `g` is not one of 2..=7.
    GeneratorOutOfRange {
        /// The generator the server sent.
        g: i32,
    },
    /// `g` is not a quadratic residue mod `dh_prime`, so it does not generate the subgroup
    /// of prime order `(p-1)/2` (the `p mod 4g` condition of the guidelines fails).
    GeneratorNotQuadraticResidue {
        /// The generator the server sent.
        g: i32,
    },
    /// `g_a` (or `g_b`) is not in `(1, dh_prime - 1)`.
    PublicValueOutOfRange,
    /// `g_a` (or `g_b`) is not in `(2^(2048-64), dh_prime - 2^(2048-64))`.
    PublicValueNearBounds,
}

impl fmt::Display for DhError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DhError::PrimeWrongSize { bits } => {
                write!(f, "dh_prime has {bits} bits, 2048 are required")
            }
            DhError::PrimeNotSafe => write!(f, "dh_prime is not a safe prime"),
            DhError::GeneratorOutOfRange { g } => write!(f, "g = {g} is not in 2..=7"),
            DhError::GeneratorNotQuadraticResidue { g } => write!(
                f,
                "g = {g} does not generate the subgroup of order (dh_prime-1)/2"
            ),
            DhError::PublicValueOutOfRange => {
                write!(f, "DH public value is not in (1, dh_prime - 1)")
            }
            DhError::PublicValueNearBounds => {
                write!(f, "DH public value is not in (2^1984, dh_prime - 2^1984)")
            }
        }
    }
}

impl std::error::Error for DhError {}

/// Checks `2^2047 < p < 2^2048`. Leading zero bytes are allowed.
pub fn check_prime_size(dh_prime: &[u8]) -> Result<(), DhError> {
    let bits = BigUint::from_bytes_be(dh_prime).bits();
    if bits == DH_PRIME_BITS {
        Ok(())
    } else {
        Err(DhError::PrimeWrongSize { bits })
    }
}

/// Checks that `dh_prime` is a 2048-bit safe prime: the size first, then (unless this
/// prime was already proven in this process) both `p` and `(p-1)/2` with Baillie-PSW plus
/// `log2(2048) + 5 = 16` random-base Miller-Rabin rounds each (glass_pumpkin), far beyond
/// the guidelines' 15 rounds. Proven primes are cached process-wide; Telegram's is
/// pre-seeded, so
/// the common case costs a hash lookup; a new prime costs well under a second once. A
/// failure of the OS random source counts as "not proven".
pub fn check_safe_prime(dh_prime: &[u8]) -> Result<(), DhError> {
    check_prime_size(dh_prime)?;
    let p = BigUint::from_bytes_be(dh_prime);
    let key = p.to_bytes_be();
    if PROVEN_SAFE_PRIMES.lock().contains(&key) {
        return Ok(());
    }
    // Not under the lock: this takes a while, and racing threads merely repeat it.
    SAFE_PRIME_TESTS.with(|n| n.set(n.get() + 1));
    let safe = glass_pumpkin::safe_prime::strong_check(&p)
        && glass_pumpkin::safe_prime::check(&p).unwrap_or(false);
    if !safe {
        return Err(DhError::PrimeNotSafe);
    }
    PROVEN_SAFE_PRIMES.lock().insert(key);
    Ok(())
}

/// Checks that `g` is in 2..=7 and generates the subgroup of order `(p-1)/2`, by the
/// guidelines' conditions on `p`: g=2: p mod 8 = 7; g=3: p mod 3 = 2; g=4: none;
/// g=5: p mod 5 in {1, 4}; g=6: p mod 24 in {19, 23}; g=7: p mod 7 in {3, 5, 6}.
pub fn check_generator(g: i32, dh_prime: &[u8]) -> Result<(), DhError> {
    let p = BigUint::from_bytes_be(dh_prime);
    let rem = |m: u32| (&p % m).to_u32().unwrap_or(0);
    let ok = match g {
        2 => rem(8) == 7,
        3 => rem(3) == 2,
        4 => true,
        5 => matches!(rem(5), 1 | 4),
        6 => matches!(rem(24), 19 | 23),
        7 => matches!(rem(7), 3 | 5 | 6),
        _ => return Err(DhError::GeneratorOutOfRange { g }),
    };
    if ok {
        Ok(())
    } else {
        Err(DhError::GeneratorNotQuadraticResidue { g })
    }
}

/// Checks a DH public value (`g_a` on the client, `g_b` on the server) against the prime:
/// `1 < x < p - 1`, and `2^(2048-64) < x < p - 2^(2048-64)`.
pub fn check_public_value(x: &BigUint, p: &BigUint) -> Result<(), DhError> {
    let one = BigUint::one();
    if *x <= one || p <= &one || *x >= p - &one {
        return Err(DhError::PublicValueOutOfRange);
    }
    let margin = &*PUBLIC_VALUE_MARGIN;
    if x <= margin || p <= margin || *x >= p - margin {
        return Err(DhError::PublicValueNearBounds);
    }
    Ok(())
}

/// All the client's checks of server_DH_inner_data, cheapest first: `dh_prime` is 2048
/// bits, `g` is valid for it, `g_a` is in range, and `dh_prime` is a safe prime (cached).
pub fn check_server_dh_params(g: i32, dh_prime: &[u8], g_a: &[u8]) -> Result<(), DhError> {
    check_prime_size(dh_prime)?;
    check_generator(g, dh_prime)?;
    let p = BigUint::from_bytes_be(dh_prime);
    check_public_value(&BigUint::from_bytes_be(g_a), &p)?;
    check_safe_prime(dh_prime)
}

/// A fresh 2048-bit secret exponent (`a` or `b`) from the OS CSPRNG.
///
/// # Panics
///
/// If the OS random source fails, which leaves no safe way to continue.
pub fn generate_exponent() -> [u8; 256] {
    let mut exp = [0u8; 256];
    getrandom::fill(&mut exp).expect("the OS random source failed");
    exp
}

/// For `g` in 2..=7, `g` prepared as a fixed base modulo [`TELEGRAM_DH_PRIME`], built on
/// first use.
static GENERATOR_COMBS: [once_cell::sync::OnceCell<FixedBase<32>>; 6] =
    [const { once_cell::sync::OnceCell::new() }; 6];

/// `g^exp mod p` for a DH generator `g`: `g_a` on the server, `g_b` on the client. The same
/// result as [`modpow_2048`]`(g, exp, p)`, and constant-time as it is; for Telegram's
/// prime and `g` in 2..=7, through a fixed-base comb kept for the process
/// ([`MontyCtx::fixed_base`]), about 4x faster per call once built (the first call pays
/// about one exponentiation to build it).
pub fn generator_pow(g: u32, exp: &[u8], p: &[u8]) -> [u8; 256] {
    let trimmed = &p[p.iter().position(|&b| b != 0).unwrap_or(p.len())..];
    if trimmed != TELEGRAM_DH_PRIME || !(2..=7).contains(&g) {
        return modpow_2048(&g.to_be_bytes(), exp, p);
    }
    let ctx = &*SERVER_DH_PRIME_CTX;
    let fixed = GENERATOR_COMBS[g as usize - 2]
        .get_or_init(|| ctx.fixed_base(&ctx.to_mont_be_bytes(&g.to_be_bytes()), 8 * 256));
    let mut out = [0u8; 256];
    limbs_to_be_bytes(&ctx.pow_fixed_to_plain(fixed, exp), &mut out);
    out
}

/// `base^exp mod p`, all big-endian, the result left-padded to 256 bytes: the DH core of
/// both sides (`g_a`, `g_b`, `auth_key`). `p` must already be checked (a 2048-bit prime).
///
/// Exact for every input: `base` of any length (it is reduced mod `p` first), any `exp`
/// (empty or zero gives `1 mod p`), any `p` of at most 2048 bits. For an odd `p` (every
/// prime a caller may pass) this is the constant-time Montgomery exponentiation of
/// [`super::monty`], whose work depends only on the lengths of `base` and `exp`;
/// [`TELEGRAM_DH_PRIME`]'s context is cached. An even `p` takes `num-bigint`'s
/// variable-time `modpow`, so that the function stays total.
///
/// # Panics
///
/// If `p` is zero or wider than 2048 bits (a caller that skipped the checks).
pub fn modpow_2048(base: &[u8], exp: &[u8], p: &[u8]) -> [u8; 256] {
    let p = &p[p.iter().position(|&b| b != 0).unwrap_or(p.len())..];
    assert!(
        !p.is_empty() && p.len() <= 256,
        "modpow_2048 needs a modulus of at most 2048 bits"
    );
    let mut out = [0u8; 256];
    let result = if p == TELEGRAM_DH_PRIME {
        SERVER_DH_PRIME_CTX.modpow_be(base, exp)
    } else if let Some(ctx) = MontyCtx::<32>::from_be_bytes(p) {
        ctx.modpow_be(base, exp)
    } else {
        let p = BigUint::from_bytes_be(p);
        let result = BigUint::from_bytes_be(base).modpow(&BigUint::from_bytes_be(exp), &p);
        let bytes = result.to_bytes_be();
        out[256 - bytes.len()..].copy_from_slice(&bytes);
        return out;
    };
    limbs_to_be_bytes(&result, &mut out);
    out
}

/// Montgomery arithmetic modulo an odd `u64` `n`, with `R = 2^64`: a product costs three
/// multiplications and no division.
#[derive(Clone, Copy)]
struct Monty64 {
    n: u64,
    /// `n^-1 mod 2^64`.
    n_inv: u64,
}

impl Monty64 {
    /// `n` must be odd.
    fn new(n: u64) -> Self {
        debug_assert!(n % 2 == 1);
        // Newton's iteration: n is its own inverse mod 8, each step doubles the bits.
        let mut inv = n;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(n.wrapping_mul(inv)));
        }
        Self { n, n_inv: inv }
    }

    /// `t / R mod n` in `[0, n)`, for `t < n * R`. With `m = (t mod R) * n^-1 mod R`,
    /// `t - m n` is a multiple of `R` in `(-n R, n R)`, and its high half is
    /// `hi(t) - hi(m n)`.
    #[inline(always)]
    fn redc(self, t: u128) -> u64 {
        let m = (t as u64).wrapping_mul(self.n_inv);
        let mn_hi = ((m as u128 * self.n as u128) >> 64) as u64;
        let (r, borrow) = ((t >> 64) as u64).overflowing_sub(mn_hi);
        if borrow {
            r.wrapping_add(self.n)
        } else {
            r
        }
    }

    /// Like [`redc`](Self::redc) without the final correction: `t / R mod n` as a value in
    /// `(0, 2n)`, for `t < n * R`. With `n < 2^62`, values below `2n` can be multiplied
    /// (and a small constant added) and stay within that bound, so a whole computation can
    /// run on these unreduced values.
    #[inline(always)]
    fn redc_lazy(self, t: u128) -> u64 {
        let m = (t as u64).wrapping_mul(self.n_inv);
        let mn_hi = ((m as u128 * self.n as u128) >> 64) as u64;
        ((t >> 64) as u64) + self.n - mn_hi
    }

    #[inline(always)]
    fn mul(self, a: u64, b: u64) -> u64 {
        self.redc(a as u128 * b as u128)
    }

    /// `R mod n`: 1 in Montgomery form.
    fn one(self) -> u64 {
        self.n.wrapping_neg() % self.n
    }

    /// `x` (any `u64`) in Montgomery form, fully reduced.
    fn to_mont(self, x: u64) -> u64 {
        (((x as u128) << 64) % self.n as u128) as u64
    }

    /// `base^exp`, all in Montgomery form.
    fn pow(self, base: u64, mut exp: u64) -> u64 {
        let mut result = self.one();
        let mut base = base;
        while exp > 0 {
            if exp & 1 == 1 {
                result = self.mul(result, base);
            }
            base = self.mul(base, base);
            exp >>= 1;
        }
        result
    }
}

/// Deterministic primality test for any `u64`: trial division by the primes up to 37,
/// then Miller-Rabin (in Montgomery arithmetic) with the bases 2, 7 and 61, which have no
/// common strong pseudoprime below 4,759,123,141 (Jaeschke, 1993), or with the first
/// twelve primes as bases, which have none below 3.3 * 10^24, for larger `n`.
pub fn is_prime_u64(n: u64) -> bool {
    const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    const SMALL_BASES: [u64; 3] = [2, 7, 61];
    if n < 2 {
        return false;
    }
    for &b in &BASES {
        if n.is_multiple_of(b) {
            return n == b;
        }
    }
    if n < 37 * 37 {
        // No prime factor up to 37, and a composite this small would have one.
        return true;
    }
    let bases: &[u64] = if n < 4_759_123_141 {
        &SMALL_BASES
    } else {
        &BASES
    };
    let mont = Monty64::new(n);
    let one = mont.one();
    let minus_one = n - one;
    let s = (n - 1).trailing_zeros();
    let d = (n - 1) >> s;
    'bases: for &a in bases {
        // Every base is below n here (n > 37^2), so none is 0 mod n.
        let mut x = mont.pow(mont.to_mont(a), d);
        if x == one || x == minus_one {
            continue;
        }
        for _ in 1..s {
            x = mont.mul(x, x);
            if x == minus_one {
                continue 'bases;
            }
        }
        return false;
    }
    true
}

/// Splits `pq` into two primes `p < q` with `p * q == pq`, or `None` if it is not such a
/// product (prime, a square, more than two factors, too small). Pollard's rho with
/// Brent's cycle finding and batched gcds, in 64-bit Montgomery arithmetic; bounded, so
/// hostile values cannot make it loop. This is on every new login's critical path.
pub fn factorize_pq(pq: u64) -> Option<(u64, u64)> {
    if pq < 6 || is_prime_u64(pq) {
        return None;
    }
    let (p, q) = if pq < 1 << 20 {
        // Tiny inputs: trial division.
        let p = (2..).find(|d| pq.is_multiple_of(*d))?;
        (p, pq / p)
    } else {
        let p = pollard_brent(pq)?;
        (p, pq / p)
    };
    let (p, q) = (p.min(q), p.max(q));
    let valid =
        p > 1 && p < q && p.checked_mul(q) == Some(pq) && is_prime_u64(p) && is_prime_u64(q);
    valid.then_some((p, q))
}

/// Binary gcd (Stein's algorithm): shifts and subtractions instead of divisions.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    if a == 0 || b == 0 {
        return a | b;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            (a, b) = (b, a);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

/// A non-trivial factor of the odd composite `n`, by Pollard's rho with Brent's cycle
/// detection (R. P. Brent, "An improved Monte Carlo factorization algorithm", 1980).
///
/// The walk runs in Montgomery form: `x -> (x^2 + c) / R mod n`, which is the classic
/// `y -> y^2 + c'` map in disguise (`x = y R`, `c' = c / R^2`), and the differences
/// multiplied into the batched product are the true ones times the unit `R`, so gcds
/// with `n` are unchanged. Below `2^62` (every server-made pq) the values stay unreduced
/// in `(0, 2n)`, which costs three multiplications and no correction per product.
fn pollard_brent(n: u64) -> Option<u64> {
    if n.is_multiple_of(2) {
        return Some(2);
    }
    let mont = Monty64::new(n);
    if n < 1 << 62 {
        brent(n, |t| mont.redc_lazy(t))
    } else {
        brent(n, |t| mont.redc(t))
    }
}

/// How many walks [`brent`] runs side by side. One walk is a chain of dependent
/// multiplications (latency-bound); two interleaved cost little more per step, and the
/// first of two independent walks to meet a factor does so about 1/sqrt(2) as soon.
const WALKS: usize = 2;

/// Brent's loop over `redc`, a Montgomery reduction for `n` whose inputs may be products
/// of its outputs plus 16, with [`WALKS`] walks (different constants) in lockstep.
#[inline(always)]
fn brent(n: u64, redc: impl Fn(u128) -> u64) -> Option<u64> {
    const BATCH: u64 = 128;
    let f = |x: u64, c: u64| redc(x as u128 * x as u128 + c as u128);
    let mul = |a: u64, b: u64| redc(a as u128 * b as u128);
    // Deterministic constants 1..=16: the same pq always takes the same path; a few
    // suffice for products of two 31-bit primes, the bound keeps hostile inputs cheap.
    for round in 0..16 / WALKS as u64 {
        let c: [u64; WALKS] = core::array::from_fn(|w| round * WALKS as u64 + w as u64 + 1);
        let (mut y, mut q) = ([2u64; WALKS], [1u64; WALKS]);
        let (mut x, mut ys, mut g) = ([0u64; WALKS], [0u64; WALKS], [1u64; WALKS]);
        let mut r = 1u64;
        'walk: while r < 1 << 24 {
            x = y;
            for _ in 0..r {
                for w in 0..WALKS {
                    y[w] = f(y[w], c[w]);
                }
            }
            let mut k = 0;
            while k < r {
                ys = y;
                for _ in 0..BATCH.min(r - k) {
                    for w in 0..WALKS {
                        y[w] = f(y[w], c[w]);
                        q[w] = mul(q[w], x[w].abs_diff(y[w]));
                    }
                }
                for w in 0..WALKS {
                    g[w] = gcd(q[w], n);
                }
                if g.iter().any(|&g| g > 1) {
                    break 'walk;
                }
                k += BATCH;
            }
            r *= 2;
        }
        for w in 0..WALKS {
            let mut g = g[w];
            if g == n {
                // The batch overshot (or the product hit 0 mod n): step one at a time from
                // the last saved point.
                let mut ys = ys[w];
                loop {
                    ys = f(ys, c[w]);
                    g = gcd(x[w].abs_diff(ys), n);
                    if g > 1 {
                        break;
                    }
                }
            }
            if g > 1 && g < n {
                return Some(g);
            }
        }
    }
    None
}

/// A random odd prime in `[2^30, 2^31)`.
fn random_31_bit_prime() -> u64 {
    loop {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).expect("the OS random source failed");
        let candidate = (u32::from_le_bytes(bytes) as u64 & 0x7fff_ffff) | (1 << 30) | 1;
        if is_prime_u64(candidate) {
            return candidate;
        }
    }
}

/// A fresh `(p, q, pq)` for resPQ: two distinct random 31-bit primes (in `[2^30, 2^31)`,
/// like the samples page's `0x494C553B` and `0x53911073`) with `p < q`, so
/// `pq < 2^62 <= 2^63 - 1`, the bound the auth_key page gives.
///
/// # Panics
///
/// If the OS random source fails.
pub fn make_pq() -> (u64, u64, u64) {
    loop {
        let a = random_31_bit_prime();
        let b = random_31_bit_prime();
        if a != b {
            let (p, q) = (a.min(b), a.max(b));
            return (p, q, p * q);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_traits::Zero;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // Values from https://core.telegram.org/mtproto/samples-auth_key (steps 5 to 7).
    const SAMPLE_G_A: &str = "
        262AABA621CC4DF587DC94CF8252258C0B9337DFB47545A49CDD5C9B8EAE7236
        C6CADC40B24E88590F1CC2CC762EBF1CF11DCC0B393CAAD6CEE4EE5848001C73
        ACBB1D127E4CB93072AA3D1C8151B6FB6AA6124B7CD782EAF981BDCFCE9D7A00
        E423BD9D194E8AF78EF6501F415522E44522281C79D906DDB79C72E9C63D83FB
        2A940FF779DFB5F2FD786FB4AD71C9F08CF48758E534E9815F634F1E3A80A5E1
        C2AF210C5AB762755AD4B2126DFA61A77FA9DA967D65DFD0AFB5CDF26C4D4E1A
        88B180F4E0D0B45BA1484F95CB2712B50BF3F5968D9D55C99C0FB9FB67BFF56D
        7D4481B634514FBA3488C4CDA2FC0659990E8E868B28632875A9AA703BCDCE8F";
    const SAMPLE_B: &str = "
        6F620AFA575C9233EB4C014110A7BCAF49464F798A18A0981FEA1E05E8DA67D9
        681E0FD6DF0EDF0272AE3492451A84502F2EFC0DA18741A5FB80BD82296919A7
        0FAA6D07CBBBCA2037EA7D3E327B61D585ED3373EE0553A91CBD29B01FA9A89D
        479CA53D57BDE3A76FBD922A923A0A38B922C1D0701F53FF52D7EA9217080163
        A64901E766EB6A0F20BC391B64B9D1DD2CD13A7D0C946A3A7DF8CEC9E2236446
        F646C42CFE2B60A2A8D776E56C8D7519B08B88ED0970E10D12A8C9E355D765F2
        B7BBB7B4CA9360083435523CB0D57D2B106FD14F94B4EEE79D8AC131CA56AD38
        9C84FE279716F8124A543337FB9EA3D988EC5FA63D90A4BA3970E7A39E5C0DE5";
    const SAMPLE_G_B: &str = "
        73700E7BFC7AEEC828EB8E0DCC04D09A0DD56A1B4B35F72F0B55FCE7DB7EBB72
        D7C33C5D4AA59E1C74D09B01AE536B318CFED436AFDB15FE9EB4C70D7F0CB14E
        46DBBDE9053A64304361EB358A9BB32E9D5C2843FE87248B89C3F066A7D5876D
        61657ACC52B0D81CD683B2A0FA93E8ADAB20377877F3BC3369BBF57B10F5B589
        E65A9C27490F30A0C70FFCFD3453F5B379C1B9727A573CFFDCA8D23C721B135B
        92E529B1CDD2F7ABD4F34DAC4BE1EEAF60993DDE8ED45890E4F47C26F2C0B2E0
        37BB502739C8824F2A99E2B1E7E416583417CC79A8807A4BDAC6A5E9805D4F61
        86C37D66F6988C9F9C752896F3D34D25529263FAF2670A09B2A59CE35264511F";
    const SAMPLE_AUTH_KEY: &str = "
        AB96E207C631300986F30EF97DF55E179E63C112675F0CE502EE76D74BBEE6CB
        D1E95772818881E9F2FF54BD52C258787474F6A7BEA61EABE49D1D01D55F64FC
        07BC31685716EC8FB46FEACF9502E42CFD6B9F45A08E90AA5C2B5933AC767CBE
        1CD50D8E64F89727CA4A1A5D32C0DB80A9FCDBDDD4F8D5A1E774198F1A4299F9
        27C484FEEC395F29647E43C3243986F93609E23538C21871DF50E00070B3B6A8
        FA9BC15628E8B43FF977409A61CEEC5A21CF7DFB5A4CC28F5257BC30CD8F2FB9
        2FBF21E28924065F50E0BBD5E11A420300E2C136B80E9826C6C5609B5371B785
        0AA628323B6422F3A94F6DFDE4C3DC1EA60F7E11EE63122B3F39CBD1A8430157";

    /// A 2048-bit prime p (p mod 3 = 2) whose (p-1)/2 is composite, made with
    /// `openssl prime -generate -bits 2048`.
    const NOT_SAFE_PRIME: &str = "
        fa39093a17016458a12208f16ef5c9b11d125ec5a8f9f1d7480e4491865d73e2
        974591824497ade1e95a0daf19b615bd1985ca6ecf1f3dfdc27b681889d24176
        b37d0ee48beb0d486b5800574cf588596f6659d0d8a5795042368c898446c614
        4204dcc39c572101ed112a2d29dfaa143fc809d9a52a9480e11eedcc6663db62
        22d8a222e9a0450947083465ffd16647512fccdb271263eb7cc02f8826bc180e
        94aff7f9ae769ddbff6a10af3e174be98b663808271881f0615a2f633be9811f
        910e010249c292292427917e44de3242297773e0b7e9b81c2f4c512efb83834f
        9e732072e5a217dbef528b43832a1a1bfa2761da7ee89ad6ff18f38c88c9ec93";

    /// A 2047-bit safe prime, made with `openssl prime -generate -bits 2047 -safe`.
    const SAFE_PRIME_2047: &str = "
        6E3029B22679C8ECD50C52B6F3DB853F9112F6A9A305E9D29006DF73B5F31CC3
        15D9BF38E1B72E37A3E2F8C5C25DF6C48839D2EE102A238C698F14D6A94778F6
        A22C2CF2B96135C83714B431BC748686D8A7E291A0060AB270A194C898C39D46
        2884FDFCD851A4C799B9202E0ED37B15BB979426A947511D2C4FCA2690C6DD4E
        C334A1DC571814CCFA1288F33A79516A0CDF49F9FD471199CA7CB71F4B9805BC
        9818CE6D8CAEAB0B47E1C0CCAED549C9DE55866BF0CE30377E75936E3D5B7900
        84A8D032C7543E1ABFF715B74379845A3B595866695BCE3E8E511FB88334094C
        F484B351F0B84DF93DC943A0550522A202F76A4221924E7AE02856D3F1F0D813";

    fn p() -> BigUint {
        server_dh_prime().clone()
    }

    fn bytes(x: &BigUint) -> Vec<u8> {
        x.to_bytes_be()
    }

    #[test]
    fn factorizes_the_samples_page_pq() {
        // https://core.telegram.org/mtproto/samples-auth_key step 3.
        assert_eq!(
            factorize_pq(0x17ED48941A08F981),
            Some((0x494C553B, 0x53911073))
        );
    }

    #[test]
    fn factorize_rejects_what_is_not_two_distinct_primes() {
        assert_eq!(factorize_pq(0), None);
        assert_eq!(factorize_pq(1), None);
        assert_eq!(factorize_pq(9), None); // 3 * 3
        assert_eq!(factorize_pq(15), Some((3, 5)));
        assert_eq!(factorize_pq(2_147_483_647), None); // prime
        assert_eq!(factorize_pq(0x494C553B * 0x494C553B), None); // square
        assert_eq!(factorize_pq(3 * 5 * 0x494C553B), None); // three factors
        assert_eq!(factorize_pq(u64::MAX), None); // 3 * 5 * 17 * 257 * ...
                                                  // grammers' own vectors.
        assert_eq!(
            factorize_pq(1470626929934143021),
            Some((1206429347, 1218991343))
        );
    }

    #[test]
    fn make_pq_gives_factorizable_31_bit_primes() {
        for _ in 0..20 {
            let (p, q, pq) = make_pq();
            assert!(p < q);
            assert!(is_prime_u64(p) && is_prime_u64(q));
            assert!((1 << 30..1 << 31).contains(&p) && (1 << 30..1 << 31).contains(&q));
            assert_eq!(p * q, pq);
            assert!(pq < 1 << 63);
            assert_eq!(factorize_pq(pq), Some((p, q)));
        }
    }

    #[test]
    fn is_prime_u64_matches_trial_division_and_known_values() {
        let slow = |n: u64| {
            n >= 2
                && (2..)
                    .take_while(|d| d * d <= n)
                    .all(|d| !n.is_multiple_of(d))
        };
        for n in 0..5000 {
            assert_eq!(is_prime_u64(n), slow(n), "{n}");
        }
        assert!(is_prime_u64(0x494C553B));
        assert!(is_prime_u64(0x53911073));
        assert!(is_prime_u64(18446744073709551557)); // largest u64 prime
        assert!(!is_prime_u64(3215031751)); // strong pseudoprime to bases 2, 3, 5, 7
        assert!(!is_prime_u64(3825123056546413051)); // spsp to bases 2..=23 (9 bases)
        assert!(!is_prime_u64(0x17ED48941A08F981));
    }

    #[test]
    fn telegram_prime_with_g3_and_the_sample_g_a_pass() {
        let g_a = hex(SAMPLE_G_A);
        assert_eq!(check_server_dh_params(3, &TELEGRAM_DH_PRIME, &g_a), Ok(()));
        assert_eq!(check_generator(SERVER_DH_G, &TELEGRAM_DH_PRIME), Ok(()));
        assert_eq!(bytes(server_dh_prime()), TELEGRAM_DH_PRIME.to_vec());
    }

    #[test]
    fn telegram_prime_is_cached_so_checking_costs_nothing() {
        let before = safe_prime_tests_on_this_thread();
        for _ in 0..10 {
            check_server_dh_params(3, &TELEGRAM_DH_PRIME, &hex(SAMPLE_G_A)).unwrap();
            check_safe_prime(&TELEGRAM_DH_PRIME).unwrap();
        }
        // Leading zero bytes name the same prime.
        let padded = [&[0u8][..], &TELEGRAM_DH_PRIME[..]].concat();
        check_safe_prime(&padded).unwrap();
        assert_eq!(safe_prime_tests_on_this_thread(), before);
    }

    #[test]
    fn telegram_prime_really_is_a_safe_prime() {
        // Bypass the cache: run the full test on it.
        let p = p();
        assert!(glass_pumpkin::safe_prime::strong_check(&p));
        assert!(glass_pumpkin::safe_prime::check(&p).unwrap());
    }

    #[test]
    fn a_new_safe_prime_is_tested_once_then_cached() {
        // The RFC 3526 2048-bit MODP group prime, a known safe prime not pre-seeded.
        let modp = hex("
            FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74
            020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437
            4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED
            EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05
            98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB
            9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B
            E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718
            3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF");
        let before = safe_prime_tests_on_this_thread();
        check_safe_prime(&modp).unwrap();
        assert_eq!(safe_prime_tests_on_this_thread(), before + 1);
        check_safe_prime(&modp).unwrap();
        assert_eq!(safe_prime_tests_on_this_thread(), before + 1);
        // This prime is 7 mod 8, so here g = 2 is fine (as RFC 3526 uses it).
        assert_eq!(check_generator(2, &modp), Ok(()));
    }

    #[test]
    fn generator_conditions() {
        // Telegram's prime: mod 8 = 3, so g = 2 is refused.
        assert_eq!(
            check_generator(2, &TELEGRAM_DH_PRIME),
            Err(DhError::GeneratorNotQuadraticResidue { g: 2 })
        );
        assert_eq!(
            check_server_dh_params(2, &TELEGRAM_DH_PRIME, &hex(SAMPLE_G_A)),
            Err(DhError::GeneratorNotQuadraticResidue { g: 2 })
        );
        assert_eq!(check_generator(4, &TELEGRAM_DH_PRIME), Ok(()));
        for g in [-1, 0, 1, 8, i32::MAX, i32::MIN] {
            assert_eq!(
                check_generator(g, &TELEGRAM_DH_PRIME),
                Err(DhError::GeneratorOutOfRange { g })
            );
        }
        // Each rule against small numbers with the right residues (the rule only looks at
        // p mod 4g, so the number need not be prime here).
        let cases: &[(i32, u32, bool)] = &[
            (2, 23, true),
            (2, 19, false),
            (3, 11, true),
            (3, 13, false),
            (5, 11, true),
            (5, 19, true),
            (5, 13, false),
            (6, 19, true),
            (6, 23, true),
            (6, 29, false),
            (7, 17, true),
            (7, 19, true),
            (7, 13, true),
            (7, 11, false),
        ];
        for &(g, p, ok) in cases {
            let result = check_generator(g, &p.to_be_bytes());
            assert_eq!(result.is_ok(), ok, "g = {g}, p = {p}");
        }
    }

    #[test]
    fn public_value_bounds() {
        let p = p();
        let one = BigUint::one();
        let margin = BigUint::one() << 1984;
        let g_a = |x: &BigUint| check_server_dh_params(3, &TELEGRAM_DH_PRIME, &bytes(x));
        assert_eq!(g_a(&BigUint::zero()), Err(DhError::PublicValueOutOfRange));
        assert_eq!(g_a(&one), Err(DhError::PublicValueOutOfRange));
        assert_eq!(g_a(&(&p - &one)), Err(DhError::PublicValueOutOfRange));
        assert_eq!(g_a(&p), Err(DhError::PublicValueOutOfRange));
        assert_eq!(g_a(&(&p + &one)), Err(DhError::PublicValueOutOfRange));
        assert_eq!(
            g_a(&BigUint::from(2u8)),
            Err(DhError::PublicValueNearBounds)
        );
        assert_eq!(g_a(&(&margin - &one)), Err(DhError::PublicValueNearBounds));
        assert_eq!(g_a(&margin), Err(DhError::PublicValueNearBounds));
        assert_eq!(g_a(&(&margin + &one)), Ok(()));
        assert_eq!(g_a(&(&p - &margin)), Err(DhError::PublicValueNearBounds));
        assert_eq!(g_a(&(&p - &margin - &one)), Ok(()));
        assert_eq!(g_a(&(&p - 2u8)), Err(DhError::PublicValueNearBounds));
        // The same function serves the server for g_b.
        let g_b = BigUint::from_bytes_be(&hex(SAMPLE_G_B));
        assert_eq!(check_public_value(&g_b, &p), Ok(()));
        // A degenerate modulus never panics.
        assert!(check_public_value(&BigUint::from(5u8), &BigUint::zero()).is_err());
        assert!(check_public_value(&BigUint::from(5u8), &BigUint::from(7u8)).is_err());
    }

    #[test]
    fn bad_primes_fail() {
        let g_a = hex(SAMPLE_G_A);
        let not_safe = hex(NOT_SAFE_PRIME);
        assert!(glass_pumpkin::prime::strong_check(&BigUint::from_bytes_be(
            &not_safe
        )));
        assert_eq!(
            check_server_dh_params(3, &not_safe, &g_a),
            Err(DhError::PrimeNotSafe)
        );
        assert_eq!(
            check_server_dh_params(4, &hex(SAFE_PRIME_2047), &g_a),
            Err(DhError::PrimeWrongSize { bits: 2047 })
        );
        let mut composite = TELEGRAM_DH_PRIME;
        composite[255] ^= 0x02; // still odd, still 2048 bits, now not prime
        assert_eq!(check_safe_prime(&composite), Err(DhError::PrimeNotSafe));
        assert_eq!(
            check_safe_prime(&[0xff; 257]),
            Err(DhError::PrimeWrongSize { bits: 2056 })
        );
        assert_eq!(
            check_server_dh_params(3, &[], &g_a),
            Err(DhError::PrimeWrongSize { bits: 0 })
        );
        // Failures are not cached as good.
        assert_eq!(
            check_server_dh_params(3, &not_safe, &g_a),
            Err(DhError::PrimeNotSafe)
        );
    }

    #[test]
    fn modpow_small_cases() {
        let p = TELEGRAM_DH_PRIME;
        let mut expected = [0u8; 256];
        expected[255] = 81;
        assert_eq!(modpow_2048(&[3], &[4], &p), expected);
        expected[255] = 1;
        assert_eq!(modpow_2048(&[3], &[], &p), expected); // x^0 = 1
                                                          // Fermat: 3^(p-1) = 1 mod p.
        let p_minus_1 = bytes(&(self::p() - 1u8));
        assert_eq!(modpow_2048(&[3], &p_minus_1, &p), expected);
        // (p-1)^2 = 1 mod p.
        assert_eq!(modpow_2048(&p_minus_1, &[2], &p), expected);
        // The base is reduced; the result is left-padded.
        let mut small = [0u8; 256];
        small[255] = 3;
        let p_plus_3 = bytes(&(self::p() + 3u8));
        assert_eq!(modpow_2048(&p_plus_3, &[1], &p), small);
    }

    #[test]
    fn modpow_matches_the_samples_page() {
        // g_b = 2^b mod p and auth_key = g_a^b mod p, samples-auth_key steps 6 and 7.
        let b = hex(SAMPLE_B);
        assert_eq!(
            modpow_2048(&[2], &b, &TELEGRAM_DH_PRIME).to_vec(),
            hex(SAMPLE_G_B)
        );
        assert_eq!(
            modpow_2048(&hex(SAMPLE_G_A), &b, &TELEGRAM_DH_PRIME).to_vec(),
            hex(SAMPLE_AUTH_KEY)
        );
    }

    #[test]
    fn both_sides_agree_on_the_key() {
        let g = [SERVER_DH_G as u8];
        let a = generate_exponent();
        let b = generate_exponent();
        assert_ne!(a, b);
        let g_a = modpow_2048(&g, &a, &TELEGRAM_DH_PRIME);
        let g_b = modpow_2048(&g, &b, &TELEGRAM_DH_PRIME);
        check_server_dh_params(SERVER_DH_G, &TELEGRAM_DH_PRIME, &g_a).unwrap();
        check_public_value(&BigUint::from_bytes_be(&g_b), server_dh_prime()).unwrap();
        assert_eq!(
            modpow_2048(&g_b, &a, &TELEGRAM_DH_PRIME),
            modpow_2048(&g_a, &b, &TELEGRAM_DH_PRIME)
        );
    }

    #[test]
    fn generator_pow_is_modpow() {
        let other = {
            // Telegram's prime with its top bit cleared: odd, another modulus.
            let mut p = TELEGRAM_DH_PRIME;
            p[0] &= 0x7f;
            p
        };
        for g in 1..=9u32 {
            for exp in [
                generate_exponent().to_vec(),
                vec![],
                vec![0; 256],
                vec![0xff; 300],
            ] {
                for p in [&TELEGRAM_DH_PRIME[..], &other[..]] {
                    assert_eq!(
                        generator_pow(g, &exp, p),
                        modpow_2048(&g.to_be_bytes(), &exp, p),
                        "g = {g}, exp of {} bytes",
                        exp.len()
                    );
                }
            }
        }
        // A prime with a leading zero byte is the same prime.
        let mut padded = vec![0u8];
        padded.extend_from_slice(&TELEGRAM_DH_PRIME);
        let b = generate_exponent();
        assert_eq!(
            generator_pow(3, &b, &padded),
            modpow_2048(&[3], &b, &TELEGRAM_DH_PRIME)
        );
    }

    #[test]
    #[should_panic(expected = "at most 2048 bits")]
    fn modpow_refuses_a_zero_modulus() {
        modpow_2048(&[2], &[3], &[]);
    }

    use super::super::test_rng::Rng;

    trait Primes {
        fn prime(&mut self, lo: u64, hi: u64) -> u64;
    }

    impl Primes for Rng {
        /// A random prime in `[lo, hi)`.
        fn prime(&mut self, lo: u64, hi: u64) -> u64 {
            loop {
                let n = lo + self.next() % (hi - lo);
                if is_prime_u64(n) {
                    return n;
                }
            }
        }
    }

    /// The previous implementation, kept as an independent reference: Miller-Rabin with
    /// the first twelve primes as bases in plain u128 remainder arithmetic.
    fn reference_is_prime(n: u64) -> bool {
        let mul_mod = |a: u64, b: u64| ((a as u128 * b as u128) % n as u128) as u64;
        let pow_mod = |mut base: u64, mut exp: u64| {
            let mut result = 1 % n;
            base %= n;
            while exp > 0 {
                if exp & 1 == 1 {
                    result = mul_mod(result, base);
                }
                base = mul_mod(base, base);
                exp >>= 1;
            }
            result
        };
        const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
        if n < 2 {
            return false;
        }
        if let Some(&b) = BASES.iter().find(|&&b| n.is_multiple_of(b)) {
            return n == b;
        }
        let s = (n - 1).trailing_zeros();
        let d = (n - 1) >> s;
        'bases: for &a in &BASES {
            let mut x = pow_mod(a, d);
            if x == 1 || x == n - 1 {
                continue;
            }
            for _ in 1..s {
                x = mul_mod(x, x);
                if x == n - 1 {
                    continue 'bases;
                }
            }
            return false;
        }
        true
    }

    #[test]
    fn modpow_matches_num_bigint_on_random_inputs() {
        let mut rng = Rng(0x5eed);
        let odd = |mut m: Vec<u8>| {
            *m.last_mut().unwrap() |= 1;
            m
        };
        let moduli: Vec<Vec<u8>> = vec![
            TELEGRAM_DH_PRIME.to_vec(),
            [&[0u8, 0][..], &TELEGRAM_DH_PRIME[..]].concat(), // leading zeros
            hex(NOT_SAFE_PRIME),
            vec![0xff; 256],
            odd(rng.bytes(256)),
            odd(rng.bytes(255)),
            odd(rng.bytes(100)),
            odd(rng.bytes(9)),
            vec![1],
            vec![3],
            vec![0x80, 0, 0, 0, 0, 0, 0, 0, 1],
            // Even moduli take the num-bigint fallback and must agree all the same.
            vec![2],
            vec![0x10, 0],
            rng.bytes(256).iter().map(|b| b & 0xfe).collect(),
        ];
        for p in &moduli {
            let big_p = BigUint::from_bytes_be(p);
            let p_minus_1 = (&big_p - 1u8).to_bytes_be();
            let mut cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
                (vec![], vec![]),
                (vec![0], vec![0]),
                (vec![0], vec![5]),
                (vec![1], p_minus_1.clone()),
                (p_minus_1.clone(), vec![1]),
                (p_minus_1.clone(), vec![2]),
                (p.clone(), vec![3]),
                (vec![0xff; 300], vec![0xff; 256]),
                (vec![7], vec![0xff; 256]),
                (vec![3], vec![0; 256]),
                (vec![2], vec![0, 0, 0, 1]),
            ];
            for _ in 0..6 {
                let base_len = (rng.next() % 300) as usize;
                let exp_len = (rng.next() % 260) as usize;
                cases.push((rng.bytes(base_len), rng.bytes(exp_len)));
            }
            for (base, exp) in &cases {
                let expected =
                    BigUint::from_bytes_be(base).modpow(&BigUint::from_bytes_be(exp), &big_p);
                assert_eq!(
                    BigUint::from_bytes_be(&modpow_2048(base, exp, p)),
                    expected,
                    "p = {big_p:x}, base = {base:02x?}, exp = {exp:02x?}"
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "at most 2048 bits")]
    fn modpow_refuses_a_modulus_over_2048_bits() {
        modpow_2048(&[2], &[3], &[1; 257]);
    }

    #[test]
    fn monty64_agrees_with_u128_remainders() {
        let mut rng = Rng(64);
        let mut moduli = vec![
            1,
            3,
            5,
            0x494C553B,
            (1 << 62) - 57,
            (1 << 62) + 1,
            1 << 63 | 1,
        ];
        moduli.extend([u64::MAX, u64::MAX - 2, 0x17ED48941A08F981]);
        for _ in 0..20 {
            moduli.push(rng.next() | 1);
            moduli.push((rng.next() >> 2) | 1);
            moduli.push((rng.next() >> 33) | 1);
        }
        for &n in &moduli {
            let mont = Monty64::new(n);
            assert_eq!(n.wrapping_mul(mont.n_inv), 1);
            let r_mod_n = ((1u128 << 64) % n as u128) as u64;
            assert_eq!(mont.one(), r_mod_n);
            let mut values = vec![0, 1 % n, n - 1, n / 2];
            values.extend((0..20).map(|_| rng.next() % n));
            for (i, &a) in values.iter().enumerate() {
                let b = values[(i * 7 + 3) % values.len()];
                let product = (a as u128 * b as u128) % n as u128;
                // r = a b / R mod n  <=>  r R = a b mod n.
                let r = mont.mul(a, b);
                assert!(r < n || n == 1);
                assert_eq!(
                    ((r as u128) << 64) % n as u128,
                    product,
                    "{a} * {b} mod {n}"
                );
                assert_eq!(mont.to_mont(a) as u128, ((a as u128) << 64) % n as u128);
                if n < 1 << 62 {
                    // Unreduced operands below 2n, plus the walk's constant.
                    let (a2, b2) = (a + n * (i as u64 % 2), b + n * (i as u64 / 2 % 2));
                    let t = a2 as u128 * b2 as u128 + 16;
                    let lazy = mont.redc_lazy(t);
                    assert!(lazy > 0 && lazy < 2 * n, "{lazy} not in (0, 2 * {n})");
                    assert_eq!(lazy % n, mont.redc(t));
                    assert_eq!(((lazy as u128) << 64) % n as u128, t % n as u128);
                }
            }
            let exp = rng.next();
            let mut expected = 1 % n as u128;
            for bit in (0..64).rev() {
                expected = expected * expected % n as u128;
                if exp >> bit & 1 == 1 {
                    expected = expected * 3 % n as u128;
                }
            }
            let got = mont.mul(mont.pow(mont.to_mont(3), exp), 1);
            assert_eq!(got as u128, expected, "3^{exp} mod {n}");
        }
    }

    #[test]
    fn is_prime_u64_matches_the_reference() {
        let mut rng = Rng(0x9e37);
        let mut candidates: Vec<u64> = (0..2000).map(|_| rng.next()).collect();
        candidates.extend((0..2000).map(|_| rng.next() >> 31 | 1));
        candidates.extend((0..1000).map(|_| 4_759_123_141 - 1000 + rng.next() % 2000));
        candidates.extend((0..1000).map(|_| rng.next() >> 40));
        for _ in 0..300 {
            let p = rng.prime(1 << 10, 1 << 32);
            let q = rng.prime(1 << 10, 1 << 32);
            candidates.push(p * q);
            candidates.push(p);
        }
        // Strong pseudoprimes: to bases 2, 7 and 61 (the smallest, where the short base
        // set stops being enough); to 2, 3, 5, 7 and 11; and Carmichael numbers.
        candidates.extend([
            4_759_123_141,
            2_152_302_898_747,
            561,
            41041,
            825265,
            321197185,
        ]);
        for &n in &candidates {
            assert_eq!(is_prime_u64(n), reference_is_prime(n), "{n}");
        }
        assert!(!is_prime_u64(4_759_123_141)); // 48781 * 97561
                                               // And against trial division, on smaller numbers.
        let slow = |n: u64| {
            n >= 2
                && (2..)
                    .take_while(|d| d * d <= n)
                    .all(|d| !n.is_multiple_of(d))
        };
        for _ in 0..300 {
            let n = rng.next() >> 30;
            assert_eq!(is_prime_u64(n), slow(n), "{n}");
        }
    }

    #[test]
    fn binary_gcd_matches_euclid() {
        let euclid = |mut a: u64, mut b: u64| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        };
        let mut rng = Rng(7);
        let mut pairs = vec![(0, 0), (0, 5), (5, 0), (1, u64::MAX), (u64::MAX, u64::MAX)];
        pairs.extend([
            (1 << 63, 1 << 40),
            (12, 18),
            (0x494C553B * 6, 0x494C553B * 35),
        ]);
        for _ in 0..2000 {
            let k = rng.next() >> (40 + rng.next() % 24);
            pairs.push((
                rng.next() >> (rng.next() % 60),
                rng.next() >> (rng.next() % 60),
            ));
            pairs.push(((rng.next() >> 40) * k, (rng.next() >> 40) * k));
        }
        for &(a, b) in &pairs {
            assert_eq!(gcd(a, b), euclid(a, b), "gcd({a}, {b})");
        }
    }

    #[test]
    fn factorizes_products_of_other_sizes() {
        let mut rng = Rng(31);
        // Above 2^62 the walk runs on fully reduced values.
        let big = [4_294_967_291u64, 4_294_967_279];
        assert_eq!(factorize_pq(big[0] * big[1]), Some((big[1], big[0])));
        for (lo, hi) in [(1 << 31, 1 << 32), (1 << 20, 1 << 21), (1 << 12, 1 << 13)] {
            for _ in 0..20 {
                let p = rng.prime(lo, hi);
                let q = rng.prime(1 << 31, 1 << 32);
                if p == q {
                    continue;
                }
                assert_eq!(factorize_pq(p * q), Some((p.min(q), p.max(q))), "{p} * {q}");
            }
        }
    }

    #[test]
    fn factorizes_every_server_made_pq() {
        for _ in 0..500 {
            let (p, q, pq) = make_pq();
            assert_eq!(factorize_pq(pq), Some((p, q)), "pq = {pq:#x}");
        }
    }
}
