//! Fixed-width Montgomery arithmetic for the handshake's big numbers: the DH exponentiations
//! (2048-bit, [`super::dh::modpow_2048`], and the fixed-base comb for `g^a`, `g^b`) and the
//! client's raw RSA public operation ([`super::rsa`]). The test DC's RSA private operation
//! is the `rsa` crate's.
//!
//! # Why our own
//!
//! An outside audit measured RustCrypto's `crypto-bigint` 0.7 (`BoxedMontyForm`) against
//! this code for a 2048-bit modpow: 1.24-1.30x slower than ours (Intel, AVX2). The comb and
//! the pq factoriser built on it have no comparable crate (ours 1.5-1.8x and 4-9x faster
//! than the nearest alternatives). So the DH side stays here; everything a well-kept crate
//! does as well (PEM/DER, RSA keys and the private operation, constant-time compares,
//! wiping secrets) is on the crate.
//!
//! The AVX2 digit path below, re-measured with the micro bench's
//! `handshake/modpow_2048/g_a_full_base` (AVX2) against `.../g_a_full_base_scalar` (the
//! limb code every other CPU runs), and with the two alternated 100 times per run (thread
//! CPU time, medians), for one 2048-bit exponentiation:
//!
//! | CPU | AVX2 digits | scalar limbs | scalar / AVX2 |
//! | --- | --- | --- | --- |
//! | Intel with AVX2 (the audit) | | | 1.10 |
//! | AMD EPYC, 2 logical CPUs (BENCHMARKS.md's machine), criterion, load average ~7 | 7.96 ms | 7.57 ms | 0.95 |
//! | the same, alternated, load average ~9, three runs | 7.58-7.74 ms | 6.64-6.75 ms | 0.87-0.88 |
//!
//! On this EPYC, measured while the machine was shared (the absolute times are about three
//! times BENCHMARKS.md's 2.4-2.8 ms), the digit path did not win; BENCHMARKS.md's idle run
//! on the same CPU model measured it at about half the scalar time (below). The dispatch is
//! unchanged until an idle re-measurement settles it: both paths give the same results and
//! are constant-time alike, so the choice is about speed only.
//!
//! Numbers are `[u64; N]`, least significant limb first, on the stack; `N = 32` for 2048
//! bits, `N = 16` for 1024. A [`MontyCtx`] holds what a modulus `m` needs (`m`,
//! `-m^-1 mod 2^64`, `R mod m` and `R^2 mod m` with `R = 2^(64N)`), is built once per
//! modulus (cheaply: about 70 modular doublings and `log2 N` squarings, no division) and
//! is then shared read-only. Any odd `m` below `R` works, even one far shorter than `N`
//! limbs; even moduli are refused ([`MontyCtx::new`] returns `None`).
//!
//! The Montgomery product interleaves multiplication and reduction column by column
//! ("product scanning", FIPS in Koç, Acar and Kaliski's 1996 taxonomy): each column's
//! double-limb products go into a three-limb accumulator, so the running sum stays in
//! registers. Measured on 2048-bit operands it beat CIOS (operand scanning, one reduction
//! row per multiplier limb) by 15-20%. The dedicated squaring computes each cross product
//! once and doubles it, in the same column order; it beat squaring through the product by
//! about 7% and an SOS squaring (full square, then a separate reduction) by about 14%.
//!
//! That scalar product costs about 1.7 us at 2048 bits here, about 4.3 ms per 2048-bit
//! exponentiation: only some 1.3x better than `num-bigint`, whose inner loop is just as
//! good (its allocations were not the cost). So on x86-64 CPUs with AVX2 (checked at run
//! time), [`MontyCtx::pow_to_plain`] runs the exponentiation on a second representation:
//! 28-bit digits in 64-bit lanes, multiplied four lanes at a time (see [`Amm`]), which
//! halves it (about 2.3 ms). Both give the same results; the tests check each against
//! `num-bigint`, the digit code also compiled without AVX2, so on any machine.
//!
//! # What is constant-time here
//!
//! With respect to the values of the operands (the base, the exponent, intermediate
//! results), and assuming the CPU's 64x64-bit multiplication is constant-time:
//!
//! - [`MontyCtx::mul`], [`MontyCtx::sqr`], [`MontyCtx::add`], [`MontyCtx::sub`],
//!   [`MontyCtx::to_mont`], [`MontyCtx::from_mont`]: no data-dependent branches or memory
//!   indices; the final conditional subtraction is a masked select.
//! - [`MontyCtx::pow`]: a fixed window of [`WINDOW`] bits over every bit of the exponent
//!   *as given* (its length in bytes is public, its value is not; leading zero bytes cost
//!   the same as any others), one multiplication per window even for a zero window, and
//!   each table entry is fetched by reading the whole table and keeping the wanted entry
//!   with masks.
//! - [`MontyCtx::new`]: runs in time that depends on the bit length of `m` only.
//! - The digit arithmetic ([`Amm`]) and [`MontyCtx::pow_to_plain`], either way: the
//!   same, with vector multiplications (`vpmuludq`, constant-time on current x86 CPUs)
//!   and the same fixed window. Whether it is used depends on the CPU only.
//! - [`MontyCtx::fixed_base`] and [`MontyCtx::pow_fixed_to_plain`] (the Lim-Lee comb for
//!   a base used many times): the same masked table lookups, and work that depends only
//!   on the comb's size and `exp.len()`.
//!
//! [`MontyCtx::pow_vartime`] is not constant-time in the exponent and is for public
//! exponents only (the RSA `e`). Masks go through [`core::hint::black_box`] so the
//! optimiser does not turn selects back into branches; that is a best effort, not a
//! guarantee the language gives. Nothing here clears secrets from memory afterwards.

use core::hint::black_box;

use once_cell::sync::OnceCell;

/// Window width, in bits, of the constant-time exponentiation. For a 2048-bit exponent,
/// 5 needs the fewest products besides the 2048 squarings (410 plus 30 to fill the table,
/// against 512 + 14 for 4 bits and 342 + 62 for 6, whose table is also twice as long to
/// scan per lookup); 4, 5 and 6 measured within noise of each other.
pub const WINDOW: usize = 5;

/// Entries of the window table.
const TABLE: usize = 1 << WINDOW;

/// `a + b * c + carry`, as (low limb, high limb). Never overflows `u128`.
#[inline(always)]
fn mac(a: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let t = a as u128 + (b as u128) * (c as u128) + carry as u128;
    (t as u64, (t >> 64) as u64)
}

/// `a + b + carry`, as (sum, carry out).
#[inline(always)]
fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = a as u128 + b as u128 + carry as u128;
    (t as u64, (t >> 64) as u64)
}

/// `a - b - borrow` (borrow 0 or 1), as (difference, borrow out 0 or 1).
#[inline(always)]
fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = (a as u128).wrapping_sub(b as u128 + borrow as u128);
    (t as u64, (t >> 127) as u64)
}

/// A three-limb (192-bit) accumulator for product scanning: a column's sum of up to `2N`
/// double-limb products plus the carry from the column before.
#[derive(Default, Clone, Copy)]
struct Acc {
    lo: u128,
    hi: u64,
}

impl Acc {
    /// `+= a * b`.
    #[inline(always)]
    fn add_mul(&mut self, a: u64, b: u64) {
        let (s, o) = self.lo.overflowing_add(a as u128 * b as u128);
        self.lo = s;
        self.hi += o as u64;
    }

    /// `+= other`.
    #[inline(always)]
    fn add(&mut self, other: &Acc) {
        let (s, o) = self.lo.overflowing_add(other.lo);
        self.lo = s;
        self.hi += other.hi + o as u64;
    }

    /// `*= 2` (the value is far below 2^191).
    #[inline(always)]
    fn double(&mut self) {
        self.hi = (self.hi << 1) | (self.lo >> 127) as u64;
        self.lo <<= 1;
    }

    /// The low limb.
    #[inline(always)]
    fn low(&self) -> u64 {
        self.lo as u64
    }

    /// `>>= 64`: drop the low limb, the next column starts with the carry.
    #[inline(always)]
    fn shift(&mut self) {
        self.lo = (self.lo >> 64) | ((self.hi as u128) << 64);
        self.hi = 0;
    }
}

/// All ones if `bit` (0 or 1) is 1, else zero; opaque to the optimiser.
#[inline(always)]
fn mask_from_bit(bit: u64) -> u64 {
    black_box(bit).wrapping_neg()
}

/// All ones if `a == b`, else zero, without a branch.
#[inline(always)]
fn eq_mask(a: usize, b: usize) -> u64 {
    let x = (a ^ b) as u64;
    let nonzero = (x | x.wrapping_neg()) >> 63;
    mask_from_bit(nonzero ^ 1)
}

/// `if mask { a } else { b }` limb by limb (`mask` all ones or zero).
#[inline(always)]
fn select<const N: usize>(mask: u64, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
    let mut out = [0u64; N];
    for j in 0..N {
        out[j] = (a[j] & mask) | (b[j] & !mask);
    }
    out
}

/// Little-endian limbs from big-endian bytes, if the value fits in `N` limbs (leading zero
/// bytes are allowed and ignored).
pub fn limbs_from_be_bytes<const N: usize>(bytes: &[u8]) -> Option<[u64; N]> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let bytes = &bytes[first..];
    if bytes.len() > 8 * N {
        return None;
    }
    let mut out = [0u64; N];
    for (i, chunk) in bytes.rchunks(8).enumerate() {
        out[i] = chunk.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64);
    }
    Some(out)
}

/// Writes `x` as big-endian bytes into `out`, which must hold at least its significant
/// bytes (extra room in `out` is zero-filled on the left).
///
/// # Panics
///
/// If `x` does not fit in `out`.
pub fn limbs_to_be_bytes(x: &[u64], out: &mut [u8]) {
    out.fill(0);
    let mut pos = out.len();
    for (i, &limb) in x.iter().enumerate() {
        let bytes = limb.to_be_bytes();
        if pos >= 8 {
            out[pos - 8..pos].copy_from_slice(&bytes);
            pos -= 8;
        } else {
            // The rest of x must be zero.
            assert!(
                bytes[..8 - pos].iter().all(|&b| b == 0) && x[i + 1..].iter().all(|&l| l == 0),
                "number does not fit in {} bytes",
                out.len()
            );
            out[..pos].copy_from_slice(&bytes[8 - pos..]);
            return;
        }
    }
}

/// `a * b` in full, as (low N limbs, high N limbs). Schoolbook; constant-time.
pub fn mul_wide<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], [u64; N]) {
    let mut t = [[0u64; N]; 2];
    let t = t.as_flattened_mut();
    for i in 0..N {
        let mut carry = 0;
        for j in 0..N {
            (t[i + j], carry) = mac(t[i + j], a[j], b[i], carry);
        }
        t[i + N] = carry;
    }
    let mut lo = [0u64; N];
    let mut hi = [0u64; N];
    lo.copy_from_slice(&t[..N]);
    hi.copy_from_slice(&t[N..]);
    (lo, hi)
}

/// Bits `lo .. lo + WINDOW` of the big-endian number `exp` (bits past its end read as 0),
/// as a table index. Which bytes are read depends only on `lo` and `exp.len()`.
#[inline(always)]
fn window_at(exp: &[u8], lo: usize) -> usize {
    let mut v = 0;
    for k in 0..WINDOW {
        v |= bit_at(exp, lo + k) << k;
    }
    v
}

/// What the fixed-window exponentiation needs from a modular arithmetic whose elements are
/// `K` limbs or digits.
trait Arith<const K: usize> {
    /// 1, in the arithmetic's own representation.
    fn unit(&self) -> [u64; K];
    /// The product of two elements.
    fn product(&self, a: &[u64; K], b: &[u64; K]) -> [u64; K];
    /// The square of an element.
    fn square(&self, a: &[u64; K]) -> [u64; K];
}

/// `table[index]`, read by scanning the whole table and keeping the wanted entry with
/// masks, so that which entry is read does not show in the memory accesses.
#[inline(always)]
fn lookup<const K: usize>(table: &[[u64; K]; TABLE], index: usize) -> [u64; K] {
    let mut out = [0u64; K];
    for (k, entry) in table.iter().enumerate() {
        let mask = eq_mask(k, index);
        for j in 0..K {
            out[j] |= entry[j] & mask;
        }
    }
    out
}

/// `base^exp` with a fixed window of [`WINDOW`] bits over every bit of the big-endian `exp`
/// (see the module documentation for what is constant-time). Inlined into each caller so
/// that a caller compiled for AVX2 gets an AVX2 body; so is everything it calls on that
/// path (a function left out of line, closures included, would be compiled without AVX2).
#[inline(always)]
fn fixed_window_pow<const K: usize, A: Arith<K>>(
    arith: &A,
    base: &[u64; K],
    exp: &[u8],
) -> [u64; K] {
    // table[k] = base^k.
    let mut table = [[0u64; K]; TABLE];
    table[0] = arith.unit();
    table[1] = *base;
    for k in 2..TABLE {
        table[k] = if k % 2 == 0 {
            arith.square(&table[k / 2])
        } else {
            arith.product(&table[k - 1], base)
        };
    }
    let bits = 8 * exp.len();
    let windows = bits.div_ceil(WINDOW);
    let mut acc = arith.unit();
    for w in (0..windows).rev() {
        if w + 1 != windows {
            for _ in 0..WINDOW {
                acc = arith.square(&acc);
            }
        }
        let entry = lookup(&table, window_at(exp, w * WINDOW));
        acc = if w + 1 == windows {
            entry
        } else {
            arith.product(&acc, &entry)
        };
    }
    acc
}

/// Blocks per comb row of the fixed-base exponentiation (see [`Comb`]).
const COMB_BLOCKS: usize = 2;

/// Bit `bit` of the big-endian number `exp`, 0 past its end. Which byte is read depends
/// only on `bit` and `exp.len()`.
#[inline(always)]
fn bit_at(exp: &[u8], bit: usize) -> usize {
    if bit < 8 * exp.len() {
        ((exp[exp.len() - 1 - bit / 8] >> (bit % 8)) & 1) as usize
    } else {
        0
    }
}

/// A fixed base prepared for exponents of up to `bits` bits: the Lim-Lee comb
/// (Lim and Lee, "More flexible exponentiation with precomputation", CRYPTO '94).
///
/// The exponent's bits are laid out as [`WINDOW`] rows (the comb's teeth) of `a` bits,
/// each row cut into [`COMB_BLOCKS`] blocks of `b = a / COMB_BLOCKS` bits: bit
/// `t = k a + j b + c` is row `k`, block `j`, column `c`. Table `j` holds, for each
/// `i < 2^WINDOW`, the product of `base^(2^(k a + j b))` over the bits `k` set in `i`. The
/// exponentiation then walks the `b` columns from the top: one squaring per column and
/// one product per block, with the entry picked by the column's bits of every row. For
/// 2048 bits that is 204 squarings and 410 products, against 2048 and 440 for the
/// fixed window: about 4x fewer. Building the tables costs about one exponentiation
/// (the squarings up to `2^2048`), so it pays from the second use.
///
/// Constant-time as [`fixed_window_pow`]: the work depends on `bits` and the exponent's
/// length only, and entries are fetched with [`lookup`].
#[derive(Clone)]
struct Comb<const K: usize> {
    /// The largest exponent, in bits, the tables cover.
    bits: usize,
    /// `b`: columns, the bits per block.
    columns: usize,
    tables: Box<[[[u64; K]; TABLE]; COMB_BLOCKS]>,
}

impl<const K: usize> Comb<K> {
    /// The tables for `base` (in the arithmetic's own form) and exponents of up to `bits`
    /// bits.
    #[inline(always)]
    fn build<A: Arith<K>>(arith: &A, base: &[u64; K], bits: usize) -> Self {
        let columns = bits.div_ceil(WINDOW * COMB_BLOCKS).max(1);
        // powers[k][j] = base^(2^(k row + j columns)), along one chain of squarings.
        let mut powers = [[[0u64; K]; COMB_BLOCKS]; WINDOW];
        let mut x = *base;
        for (n, slot) in powers.as_flattened_mut().iter_mut().enumerate() {
            if n > 0 {
                for _ in 0..columns {
                    x = arith.square(&x);
                }
            }
            *slot = x;
        }
        let mut tables = Box::new([[[0u64; K]; TABLE]; COMB_BLOCKS]);
        for (j, table) in tables.iter_mut().enumerate() {
            table[0] = arith.unit();
            for i in 1..TABLE {
                // i without its top bit, times that row's power.
                let top = usize::BITS as usize - 1 - i.leading_zeros() as usize;
                let rest = i & !(1 << top);
                table[i] = if rest == 0 {
                    powers[top][j]
                } else {
                    arith.product(&table[rest], &powers[top][j])
                };
            }
        }
        Self {
            bits,
            columns,
            tables,
        }
    }

    /// Whether [`pow`](Self::pow) takes an exponent of `len` bytes.
    fn covers(&self, len: usize) -> bool {
        8 * len <= self.bits
    }

    /// `base^exp` for big-endian `exp` of at most `bits` bits (see [`covers`]); an empty
    /// or zero `exp` gives 1.
    ///
    /// [`covers`]: Self::covers
    #[inline(always)]
    fn pow<A: Arith<K>>(&self, arith: &A, exp: &[u8]) -> [u64; K] {
        debug_assert!(self.covers(exp.len()));
        let row = self.columns * COMB_BLOCKS;
        let mut acc = arith.unit();
        for c in (0..self.columns).rev() {
            if c + 1 != self.columns {
                acc = arith.square(&acc);
            }
            for (j, table) in self.tables.iter().enumerate() {
                let mut index = 0;
                for k in 0..WINDOW {
                    index |= bit_at(exp, k * row + j * self.columns + c) << k;
                }
                acc = arith.product(&acc, &lookup(table, index));
            }
        }
        acc
    }
}

/// A modulus prepared for Montgomery arithmetic with `R = 2^(64N)`.
///
/// Values "in Montgomery form" are `x * R mod m`, fully reduced (below `m`). Methods
/// taking such values expect them below `m`; [`to_mont`](Self::to_mont) accepts any
/// `N`-limb number.
#[derive(Clone, PartialEq, Eq)]
pub struct MontyCtx<const N: usize> {
    /// The modulus, odd.
    m: [u64; N],
    /// `-m^-1 mod 2^64`.
    m_inv: u64,
    /// `R mod m`: 1 in Montgomery form.
    one: [u64; N],
    /// `R^2 mod m`, to convert into Montgomery form.
    r2: [u64; N],
    /// The 28-bit digit arithmetic for the same modulus, built on the first
    /// [`pow_to_plain`](Self::pow_to_plain) if it is the faster one here (2048 and 1024
    /// bits on a CPU with AVX2), else `None`.
    digits: OnceCell<Option<Digits>>,
}

impl<const N: usize> std::fmt::Debug for MontyCtx<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The modulus may be secret (an RSA prime).
        f.debug_struct("MontyCtx")
            .field("limbs", &N)
            .finish_non_exhaustive()
    }
}

impl<const N: usize> MontyCtx<N> {
    /// Prepares the odd modulus `m`; `None` if `m` is even (zero included).
    pub fn new(m: &[u64; N]) -> Option<Self> {
        const { assert!(N > 0) };
        if m[0] & 1 == 0 {
            return None;
        }
        // Newton's iteration for m^-1 mod 2^64: m0 is its own inverse mod 8 (3 bits), and
        // each step doubles the correct bits: 6, 12, 24, 48, 96.
        let m0 = m[0];
        let mut inv = m0;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m0.wrapping_mul(inv)));
        }
        debug_assert_eq!(m0.wrapping_mul(inv), 1);
        let mut ctx = Self {
            m: *m,
            m_inv: inv.wrapping_neg(),
            one: [0; N],
            r2: [0; N],
            digits: OnceCell::new(),
        };
        // R mod m by doubling from the highest power of two below m: 2^(b-1) < m for an
        // odd m > 1 of b bits. m = 1 leaves everything 0, which is right modulo 1.
        let bits = ctx.bits();
        if bits == 1 {
            return Some(ctx);
        }
        let mut x = [0u64; N];
        x[(bits - 1) / 64] = 1 << ((bits - 1) % 64);
        for _ in bits - 1..64 * N {
            x = ctx.double(&x);
        }
        ctx.one = x;
        // R^2 mod m is R in Montgomery form. Doubling s more times gives 2^s in Montgomery
        // form, and j squarings then 2^(s * 2^j) = R with s * 2^j = 64N.
        let j = N.trailing_zeros();
        let s = (64 * N) >> j;
        for _ in 0..s {
            x = ctx.double(&x);
        }
        // Squaring needs r2 only through to_mont, which is not used here.
        for _ in 0..j {
            x = ctx.sqr(&x);
        }
        ctx.r2 = x;
        Some(ctx)
    }

    /// Prepares an odd modulus given as big-endian bytes; `None` if it is even or does
    /// not fit in `N` limbs.
    pub fn from_be_bytes(m: &[u8]) -> Option<Self> {
        Self::new(&limbs_from_be_bytes(m)?)
    }

    /// The modulus.
    pub fn modulus(&self) -> &[u64; N] {
        &self.m
    }

    /// The size of the modulus in bits.
    pub fn bits(&self) -> usize {
        let top = (0..N).rev().find(|&i| self.m[i] != 0).unwrap_or(0);
        64 * top + (64 - self.m[top].leading_zeros() as usize)
    }

    /// Subtracts `m` from `(t_hi, t)` if that does not go negative: brings `t < 2m` into
    /// `[0, m)`. Constant-time.
    #[inline(always)]
    fn reduce_once(&self, t: &[u64; N], t_hi: u64) -> [u64; N] {
        let mut d = [0u64; N];
        let mut borrow = 0;
        for j in 0..N {
            (d[j], borrow) = sbb(t[j], self.m[j], borrow);
        }
        // The whole (t_hi, t) - m is negative iff the borrow runs out of t_hi too.
        let (_, borrow) = sbb(t_hi, 0, borrow);
        select(mask_from_bit(borrow), t, &d)
    }

    /// `2x mod m` for `x < m`.
    fn double(&self, x: &[u64; N]) -> [u64; N] {
        let mut t = [0u64; N];
        let mut carry = 0;
        for j in 0..N {
            t[j] = (x[j] << 1) | carry;
            carry = x[j] >> 63;
        }
        self.reduce_once(&t, carry)
    }

    /// Montgomery product `a * b / R mod m`, fully reduced, for `a < m` and any `b`
    /// (`b < R`), by product scanning: column by column, the products `a[j] b[i-j]` and
    /// `u[j] m[i-j]` go into a three-limb accumulator, where `u[i]` is chosen to clear
    /// column `i < N`; columns `N..2N` are the result. The result `(a b + u m) / R` is
    /// below `2m`, then reduced once.
    #[inline]
    pub fn mul(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let m = &self.m;
        let mut u = [0u64; N];
        let mut t = [0u64; N];
        let mut acc = Acc::default();
        for i in 0..N {
            for j in 0..i {
                acc.add_mul(a[j], b[i - j]);
                acc.add_mul(u[j], m[i - j]);
            }
            acc.add_mul(a[i], b[0]);
            let q = acc.low().wrapping_mul(self.m_inv);
            u[i] = q;
            acc.add_mul(q, m[0]);
            acc.shift();
        }
        for i in N..2 * N {
            for j in i + 1 - N..N {
                acc.add_mul(a[j], b[i - j]);
                acc.add_mul(u[j], m[i - j]);
            }
            t[i - N] = acc.low();
            acc.shift();
        }
        self.reduce_once(&t, acc.low())
    }

    /// Montgomery square `a * a / R mod m`, fully reduced, for `a < m`: product scanning
    /// as in [`mul`](Self::mul), with each cross product `a[j] a[k-j]` computed once and
    /// doubled.
    #[inline]
    pub fn sqr(&self, a: &[u64; N]) -> [u64; N] {
        let m = &self.m;
        let mut u = [0u64; N];
        let mut t = [0u64; N];
        let mut acc = Acc::default();
        for k in 0..2 * N {
            // The square's column k: 2 * sum over j < k - j of a[j] a[k-j], + a[k/2]^2.
            if k < 2 * N - 1 {
                let mut cross = Acc::default();
                for j in (k + 1).saturating_sub(N)..k.div_ceil(2) {
                    cross.add_mul(a[j], a[k - j]);
                }
                cross.double();
                if k % 2 == 0 {
                    cross.add_mul(a[k / 2], a[k / 2]);
                }
                acc.add(&cross);
            }
            if k < N {
                for j in 0..k {
                    acc.add_mul(u[j], m[k - j]);
                }
                let q = acc.low().wrapping_mul(self.m_inv);
                u[k] = q;
                acc.add_mul(q, m[0]);
            } else {
                for j in k + 1 - N..N {
                    acc.add_mul(u[j], m[k - j]);
                }
                t[k - N] = acc.low();
            }
            acc.shift();
        }
        self.reduce_once(&t, acc.low())
    }

    /// `a + b mod m` for `a, b < m`.
    pub fn add(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let mut t = [0u64; N];
        let mut carry = 0;
        for j in 0..N {
            (t[j], carry) = adc(a[j], b[j], carry);
        }
        self.reduce_once(&t, carry)
    }

    /// `a - b mod m` for `a, b < m`.
    pub fn sub(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let mut t = [0u64; N];
        let mut borrow = 0;
        for j in 0..N {
            (t[j], borrow) = sbb(a[j], b[j], borrow);
        }
        // If it went negative, add m back (the masked m is zero otherwise).
        let mask = mask_from_bit(borrow);
        let mut carry = 0;
        for (limb, &m) in t.iter_mut().zip(&self.m) {
            (*limb, carry) = adc(*limb, m & mask, carry);
        }
        t
    }

    /// 1 in Montgomery form.
    pub fn one(&self) -> [u64; N] {
        self.one
    }

    /// `x` (any `N`-limb number, reduced or not) in Montgomery form: `x * R mod m`.
    pub fn to_mont(&self, x: &[u64; N]) -> [u64; N] {
        // r2 < m takes the role of the operand that must be reduced.
        self.mul(&self.r2, x)
    }

    /// `x` (in Montgomery form, below `m`) back to a plain number below `m`.
    pub fn from_mont(&self, x: &[u64; N]) -> [u64; N] {
        let mut one = [0u64; N];
        one[0] = 1;
        self.mul(x, &one)
    }

    /// A big-endian number of any length, reduced mod `m`, in Montgomery form. Horner's
    /// rule over `N`-limb chunks: each chunk costs two products and an addition. The work
    /// depends on the length of `bytes` only.
    pub fn to_mont_be_bytes(&self, bytes: &[u8]) -> [u64; N] {
        let mut acc = [0u64; N];
        let chunk_len = 8 * N;
        let first = bytes.len() % chunk_len;
        let (head, rest) = bytes.split_at(first);
        let chunks = std::iter::once(head)
            .filter(|h| !h.is_empty())
            .chain(rest.chunks(chunk_len));
        for (k, chunk) in chunks.enumerate() {
            let limbs = limbs_from_be_bytes::<N>(chunk).expect("a chunk fits in N limbs");
            let x = self.to_mont(&limbs);
            acc = if k == 0 {
                x
            } else {
                // acc * R + x, in Montgomery form: mul(acc R, R^2) = acc R^2.
                self.add(&self.mul(&acc, &self.r2), &x)
            };
        }
        acc
    }

    /// `base^exp` in Montgomery form, for `base` in Montgomery form (below `m`) and `exp`
    /// big-endian of any length. Constant-time in the values of `base` and `exp` (see the
    /// module documentation); the work depends on `exp.len()` only. `exp` empty or zero
    /// gives 1.
    pub fn pow(&self, base: &[u64; N], exp: &[u8]) -> [u64; N] {
        fixed_window_pow(self, base, exp)
    }

    /// `base^exp` as a plain number below `m`, for `base` in Montgomery form (below `m`)
    /// and `exp` big-endian of any length: [`pow`](Self::pow) then
    /// [`from_mont`](Self::from_mont), or the same exponentiation on 28-bit digits with
    /// AVX2 when the CPU has it (see [`Digits`]). Constant-time either way.
    pub fn pow_to_plain(&self, base: &[u64; N], exp: &[u8]) -> [u64; N] {
        match self.digits() {
            Some(digits) => digits.pow_to_plain(self, base, exp),
            None => self.from_mont(&self.pow(base, exp)),
        }
    }

    /// `base^exp` in Montgomery form by plain left-to-right square-and-multiply, for a
    /// *public* exponent (`exp` big-endian): it branches on the exponent's bits and skips
    /// its leading zeros. 17 products for `e = 65537`.
    pub fn pow_vartime(&self, base: &[u64; N], exp: &[u8]) -> [u64; N] {
        let mut acc = self.one;
        let mut started = false;
        for &byte in exp {
            for bit in (0..8).rev() {
                if started {
                    acc = self.sqr(&acc);
                }
                if (byte >> bit) & 1 == 1 {
                    acc = if started { self.mul(&acc, base) } else { *base };
                    started = true;
                }
            }
        }
        acc
    }

    /// `base^exp mod m` for big-endian `base` (any length, reduced here) and `exp`, as a
    /// plain number below `m`. Constant-time as [`pow`](Self::pow).
    pub fn modpow_be(&self, base: &[u8], exp: &[u8]) -> [u64; N] {
        self.pow_to_plain(&self.to_mont_be_bytes(base), exp)
    }

    /// The digit arithmetic, if it is the faster one on this CPU (built on first use).
    fn digits(&self) -> Option<&Digits> {
        self.digits
            .get_or_init(|| {
                if simd_available() {
                    Digits::new(self)
                } else {
                    None
                }
            })
            .as_ref()
    }

    /// Prepares `base` (in Montgomery form, below `m`) for many exponentiations by
    /// exponents of up to `bits` bits with [`pow_fixed_to_plain`]: a Lim-Lee comb, about
    /// 4x faster per exponentiation than [`pow_to_plain`] at 2048 bits, for about the cost
    /// of one exponentiation here and `2 * 2^WINDOW` numbers of memory (20 or 40 KiB at
    /// 2048 bits).
    ///
    /// [`pow_fixed_to_plain`]: Self::pow_fixed_to_plain
    /// [`pow_to_plain`]: Self::pow_to_plain
    pub fn fixed_base(&self, base: &[u64; N], bits: usize) -> FixedBase<N> {
        let comb = match self.digits() {
            Some(Digits::Lanes80(amm)) => FixedComb::Lanes80(amm.comb(base, bits)),
            Some(Digits::Lanes44(amm)) => FixedComb::Lanes44(amm.comb(base, bits)),
            None => FixedComb::Limbs(Comb::build(self, base, bits)),
        };
        FixedBase {
            modulus: self.m,
            base: *base,
            comb,
        }
    }

    /// `base^exp` as a plain number below `m`, for the base `fixed` was made for and
    /// big-endian `exp` of any length: through the comb when `exp` is no longer than the
    /// comb's `bits`, else as [`pow_to_plain`](Self::pow_to_plain) does. Constant-time as
    /// that.
    ///
    /// # Panics
    ///
    /// If `fixed` was made by a context for another modulus.
    pub fn pow_fixed_to_plain(&self, fixed: &FixedBase<N>, exp: &[u8]) -> [u64; N] {
        assert!(fixed.modulus == self.m, "a fixed base of another modulus");
        match (&fixed.comb, self.digits()) {
            (FixedComb::Limbs(comb), None) if comb.covers(exp.len()) => {
                self.from_mont(&comb.pow(self, exp))
            }
            (FixedComb::Lanes80(comb), Some(Digits::Lanes80(amm))) if comb.covers(exp.len()) => {
                amm.comb_pow_to_plain(self, comb, exp)
            }
            (FixedComb::Lanes44(comb), Some(Digits::Lanes44(amm))) if comb.covers(exp.len()) => {
                amm.comb_pow_to_plain(self, comb, exp)
            }
            _ => self.pow_to_plain(&fixed.base, exp),
        }
    }
}

/// A base prepared by [`MontyCtx::fixed_base`] for exponentiations modulo that context's
/// modulus.
#[derive(Clone)]
pub struct FixedBase<const N: usize> {
    modulus: [u64; N],
    /// The base, in Montgomery form (for exponents the comb does not cover).
    base: [u64; N],
    comb: FixedComb<N>,
}

/// The comb of a [`FixedBase`], in the arithmetic its context uses on this CPU.
#[derive(Clone)]
enum FixedComb<const N: usize> {
    Limbs(Comb<N>),
    Lanes80(Comb<80>),
    Lanes44(Comb<44>),
}

impl<const N: usize> Arith<N> for MontyCtx<N> {
    #[inline(always)]
    fn unit(&self) -> [u64; N] {
        self.one
    }

    #[inline(always)]
    fn product(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        self.mul(a, b)
    }

    #[inline(always)]
    fn square(&self, a: &[u64; N]) -> [u64; N] {
        self.sqr(a)
    }
}

// ---------------------------------------------------------------------------------------
// 28-bit digits (for AVX2)
// ---------------------------------------------------------------------------------------

/// Bits per digit of the vectorised arithmetic: products of two digits are below `2^56`,
/// so a 64-bit lane can sum 256 of them without overflow.
const DIGIT_BITS: u32 = 28;

/// `2^28 - 1`.
const DIGIT_MASK: u64 = (1 << DIGIT_BITS) - 1;

/// Whether this CPU runs the digit arithmetic faster than the limb arithmetic: x86-64
/// with AVX2 (checked once by the standard library, then cached).
fn simd_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The modulus of a [`MontyCtx`] in the digit arithmetic, for the two widths the handshake
/// uses.
#[derive(Clone, PartialEq, Eq)]
enum Digits {
    /// 2048-bit moduli: 76 rows of digits (2128 bits) in 80 lanes.
    Lanes80(Box<Amm<80>>),
    /// 1024-bit moduli: 40 rows (1120 bits) in 44 lanes.
    Lanes44(Box<Amm<44>>),
}

impl Digits {
    /// The digit form of `ctx`'s modulus, for `N` = 32 or 16 limbs; `None` for other widths.
    fn new<const N: usize>(ctx: &MontyCtx<N>) -> Option<Self> {
        match N {
            32 => Some(Digits::Lanes80(Box::new(Amm::new(ctx)))),
            16 => Some(Digits::Lanes44(Box::new(Amm::new(ctx)))),
            _ => None,
        }
    }

    /// As [`MontyCtx::pow_to_plain`], on digits, with AVX2.
    fn pow_to_plain<const N: usize>(
        &self,
        ctx: &MontyCtx<N>,
        base: &[u64; N],
        exp: &[u8],
    ) -> [u64; N] {
        match self {
            Digits::Lanes80(amm) => amm.pow_to_plain(ctx, base, exp, true),
            Digits::Lanes44(amm) => amm.pow_to_plain(ctx, base, exp, true),
        }
    }
}

/// Almost-Montgomery multiplication ("AMM") on `L - 4` rows of 28-bit digits held in `u64`
/// lanes, `R' = 2^(28 (L - 4))`: the product of `a, b < 2m` is `a b / R' mod m`, again
/// below `2m` (since `4m < R'`), without a final subtraction. Every step is a multiply-add
/// of whole digit vectors by one digit, which LLVM turns into AVX2 `vpmuludq`/`vpaddq` when
/// compiled for it: four lanes per instruction against one 64-bit product per scalar
/// multiplication, nearly twice as fast as the limb arithmetic at 2048 bits (about 1.25x at
/// 1024). The carries are
/// left in the lanes (each lane takes at most `2 (L - 4)` products, below `2^63.3`) and
/// resolved once per product.
///
/// Four rows are done per pass so that the accumulator is read and written once per four
/// rows at aligned offsets: their four quotient digits are worked out first with scalar
/// arithmetic on the low lanes (a few products each), then all eight digit vectors
/// (`a` shifted by 0..3 lanes times `b[i..i+4]`, `m` shifted likewise times the quotients)
/// are added in one sweep. Like the limb arithmetic, nothing branches on or indexes by
/// values.
#[derive(Clone, PartialEq, Eq)]
struct Amm<const L: usize> {
    /// `m`'s digits shifted up by 0, 1, 2 and 3 lanes.
    m_shifted: [[u64; L]; 4],
    /// `-m^-1 mod 2^28`.
    m_inv: u64,
    /// `R' mod m`: 1 in this arithmetic.
    one: [u64; L],
    /// `R'^2 / R mod m`: multiplying by it takes Montgomery form (`x R`) to this one
    /// (`x R'`).
    from_limb_form: [u64; L],
}

/// The accumulator of [`Amm::mul`], `2L` lanes aligned for vector loads and stores.
#[repr(C, align(32))]
struct Accumulator<const L: usize>([[u64; L]; 2]);

/// The product of two digits, spelled so that LLVM sees a 32x32-bit multiplication
/// (`vpmuludq`).
#[inline(always)]
fn mul32(x: u64, y: u64) -> u64 {
    (x & 0xffff_ffff) * (y & 0xffff_ffff)
}

/// The 28-bit digits of `x`, least significant first, in `L` lanes (which must hold them).
fn to_digits<const N: usize, const L: usize>(x: &[u64; N]) -> [u64; L] {
    let mut out = [0u64; L];
    for (j, digit) in out.iter_mut().enumerate() {
        let bit = DIGIT_BITS as usize * j;
        let (limb, shift) = (bit / 64, bit % 64);
        if limb < N {
            let mut v = x[limb] >> shift;
            if shift + DIGIT_BITS as usize > 64 && limb + 1 < N {
                v |= x[limb + 1] << (64 - shift);
            }
            *digit = v & DIGIT_MASK;
        }
    }
    out
}

/// The number whose normalised 28-bit digits are `d`, as `N` limbs (which must hold it).
fn from_digits<const L: usize, const N: usize>(d: &[u64; L]) -> [u64; N] {
    let mut out = [0u64; N];
    for (j, &digit) in d.iter().enumerate() {
        let bit = DIGIT_BITS as usize * j;
        let (limb, shift) = (bit / 64, bit % 64);
        if limb < N {
            out[limb] |= digit << shift;
            if shift + DIGIT_BITS as usize > 64 && limb + 1 < N {
                out[limb + 1] |= digit >> (64 - shift);
            }
        }
    }
    out
}

impl<const L: usize> Amm<L> {
    /// Rows of digits, `R' = 2^(28 ROWS)`.
    const ROWS: usize = L - 4;

    /// The digit form of `ctx`'s modulus.
    ///
    /// # Panics
    ///
    /// If `R'` is not above `4 R` (`L` too small for `N`), or `ROWS` is not a multiple of 4.
    fn new<const N: usize>(ctx: &MontyCtx<N>) -> Self {
        const { assert!(L >= 8 && L.is_multiple_of(4)) };
        let rows_bits = DIGIT_BITS as usize * Self::ROWS;
        assert!(
            rows_bits >= 64 * N + 2,
            "{L} lanes are too few for {N} limbs"
        );
        let m: [u64; L] = to_digits(&ctx.m);
        let mut m_shifted = [[0u64; L]; 4];
        for (k, shifted) in m_shifted.iter_mut().enumerate() {
            shifted[k..].copy_from_slice(&m[..L - k]);
        }
        // R' mod m = R mod m doubled (28 ROWS - 64 N) times.
        let mut r_prime = ctx.one;
        for _ in 64 * N..rows_bits {
            r_prime = ctx.double(&r_prime);
        }
        // (R' mod m)^2 / R.
        let from_limb_form = ctx.mul(&r_prime, &r_prime);
        let inv = m[0].wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(m[0]))); // 6 bits
        let inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv))); // 12
        let inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv))); // 24
        let inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv))); // 48
        debug_assert_eq!(m[0].wrapping_mul(inv) & DIGIT_MASK, 1);
        Self {
            m_shifted,
            m_inv: inv.wrapping_neg() & DIGIT_MASK,
            one: to_digits(&r_prime),
            from_limb_form: to_digits(&from_limb_form),
        }
    }

    /// The quotient digits of rows `i..i+4`: each makes its lane a multiple of `2^28` once
    /// the rows before it have added their terms. `terms[k]` is what rows `i..=i+k` add to
    /// lane `i+k` besides the reduction terms (for a product `a b`, the sum of
    /// `a[k-r] b[i+r]`; for a square, nothing: its terms are in the lanes already). Lanes
    /// below `i` are cleared and carried.
    #[inline(always)]
    fn quotients(&self, t: &[u64], i: usize, terms: [u64; 4]) -> (u64, u64, u64, u64) {
        let m = &self.m_shifted[0];
        let inv = self.m_inv;
        let c0 = t[i] + terms[0];
        let q0 = c0.wrapping_mul(inv) & DIGIT_MASK;
        let carry = (c0 + mul32(m[0], q0)) >> DIGIT_BITS;
        let c1 = t[i + 1] + terms[1] + mul32(m[1], q0) + carry;
        let q1 = c1.wrapping_mul(inv) & DIGIT_MASK;
        let carry = (c1 + mul32(m[0], q1)) >> DIGIT_BITS;
        let c2 = t[i + 2] + terms[2] + mul32(m[2], q0) + mul32(m[1], q1) + carry;
        let q2 = c2.wrapping_mul(inv) & DIGIT_MASK;
        let carry = (c2 + mul32(m[0], q2)) >> DIGIT_BITS;
        let c3 = t[i + 3] + terms[3] + mul32(m[3], q0) + mul32(m[2], q1) + mul32(m[1], q2) + carry;
        let q3 = c3.wrapping_mul(inv) & DIGIT_MASK;
        (q0, q1, q2, q3)
    }

    /// `x` shifted up by `k` lanes (zeros below).
    // A lane loop rather than `copy_from_slice`: the memcpy call that becomes measured
    // about 10% slower over a whole exponentiation.
    #[allow(clippy::manual_memcpy)]
    #[inline(always)]
    fn shifted(x: &[u64; L], k: usize) -> [u64; L] {
        let mut out = [0u64; L];
        for j in k..L {
            out[j] = x[j - k];
        }
        out
    }

    /// Lanes `i..i+4`, now multiples of `2^28`, carried into the lanes above.
    #[inline(always)]
    fn carry_out(t: &mut [u64], i: usize) {
        for k in i..i + 4 {
            t[k + 1] += t[k] >> DIGIT_BITS;
        }
    }

    /// The result in lanes `ROWS..` (the division by `R'`), normalised.
    #[inline(always)]
    fn finish(t: &[u64]) -> [u64; L] {
        let mut out = [0u64; L];
        let mut carry = 0u64;
        for (digit, &lane) in out.iter_mut().zip(&t[Self::ROWS..]) {
            let v = lane + carry;
            *digit = v & DIGIT_MASK;
            carry = v >> DIGIT_BITS;
        }
        out
    }

    /// `a b / R' mod m`, below `2m`, for `a, b < 2m` in normalised digits.
    ///
    /// Each pass adds rows `i..i+4` in one sweep over lanes `i..i+L`: the four shifted
    /// copies of `a` times `b[i..i+4]` and of `m` times the quotients. (The code is written
    /// for LLVM's vectoriser: no closures or out-of-line helpers, whose bodies would be
    /// compiled without AVX2, and multipliers as separate scalars; packed into arrays, LLVM
    /// lost track of their being 32-bit and emulated 64-bit vector products.)
    #[inline(always)]
    fn mul(&self, a: &[u64; L], b: &[u64; L]) -> [u64; L] {
        let (a1, a2, a3) = (
            Self::shifted(a, 1),
            Self::shifted(a, 2),
            Self::shifted(a, 3),
        );
        let [m0, m1, m2, m3] = &self.m_shifted;
        let mut acc = Accumulator([[0u64; L]; 2]);
        let t = acc.0.as_flattened_mut();
        let mut i = 0;
        while i < Self::ROWS {
            let (b0, b1, b2, b3) = (b[i], b[i + 1], b[i + 2], b[i + 3]);
            let mut terms = [0u64; 4];
            for (k, term) in terms.iter_mut().enumerate() {
                for r in 0..=k {
                    *term += mul32(a[k - r], b[i + r]);
                }
            }
            let (q0, q1, q2, q3) = self.quotients(t, i, terms);
            for (v, lane) in t[i..i + L].iter_mut().enumerate() {
                *lane = *lane
                    + mul32(a[v], b0)
                    + mul32(a1[v], b1)
                    + mul32(a2[v], b2)
                    + mul32(a3[v], b3)
                    + mul32(m0[v], q0)
                    + mul32(m1[v], q1)
                    + mul32(m2[v], q2)
                    + mul32(m3[v], q3);
            }
            Self::carry_out(t, i);
            i += 4;
        }
        Self::finish(t)
    }

    /// As [`MontyCtx::pow_to_plain`]; with `simd`, through the AVX2 build of the loop.
    fn pow_to_plain<const N: usize>(
        &self,
        ctx: &MontyCtx<N>,
        base: &[u64; N],
        exp: &[u8],
        simd: bool,
    ) -> [u64; N] {
        // x R  ->  x R'.
        let base = self.mul(&to_digits(base), &self.from_limb_form);
        let power = if simd {
            self.pow_simd(&base, exp)
        } else {
            fixed_window_pow(self, &base, exp)
        };
        // y R' -> y, in [0, m]; m itself (from y = 0) is reduced to 0.
        let mut one = [0u64; L];
        one[0] = 1;
        ctx.reduce_once(&from_digits(&self.mul(&power, &one)), 0)
    }

    /// The comb for `base` in Montgomery form (`x R`), built in this arithmetic.
    fn comb<const N: usize>(&self, base: &[u64; N], bits: usize) -> Comb<L> {
        let base = self.mul(&to_digits(base), &self.from_limb_form);
        self.comb_simd(&base, bits)
    }

    /// `comb`'s base to the `exp`, as a plain number below `ctx`'s modulus.
    fn comb_pow_to_plain<const N: usize>(
        &self,
        ctx: &MontyCtx<N>,
        comb: &Comb<L>,
        exp: &[u8],
    ) -> [u64; N] {
        let power = self.comb_pow_simd(comb, exp);
        let mut one = [0u64; L];
        one[0] = 1;
        ctx.reduce_once(&from_digits(&self.mul(&power, &one)), 0)
    }

    /// [`Comb::build`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    fn comb_simd(&self, base: &[u64; L], bits: usize) -> Comb<L> {
        /// # Safety
        ///
        /// The CPU must support AVX2.
        #[target_feature(enable = "avx2")]
        unsafe fn build_avx2<const L: usize>(
            amm: &Amm<L>,
            base: &[u64; L],
            bits: usize,
        ) -> Comb<L> {
            Comb::build(amm, base, bits)
        }
        assert!(simd_available());
        // SAFETY: as in `pow_simd`.
        unsafe { build_avx2(self, base, bits) }
    }

    /// [`Comb::pow`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    fn comb_pow_simd(&self, comb: &Comb<L>, exp: &[u8]) -> [u64; L] {
        /// # Safety
        ///
        /// The CPU must support AVX2.
        #[target_feature(enable = "avx2")]
        unsafe fn comb_avx2<const L: usize>(amm: &Amm<L>, comb: &Comb<L>, exp: &[u8]) -> [u64; L] {
            comb.pow(amm, exp)
        }
        assert!(simd_available());
        // SAFETY: as in `pow_simd`.
        unsafe { comb_avx2(self, comb, exp) }
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn comb_simd(&self, base: &[u64; L], bits: usize) -> Comb<L> {
        Comb::build(self, base, bits)
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn comb_pow_simd(&self, comb: &Comb<L>, exp: &[u8]) -> [u64; L] {
        comb.pow(self, exp)
    }

    /// [`fixed_window_pow`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    fn pow_simd(&self, base: &[u64; L], exp: &[u8]) -> [u64; L] {
        /// The same loop, compiled with AVX2 enabled.
        ///
        /// # Safety
        ///
        /// The CPU must support AVX2.
        #[target_feature(enable = "avx2")]
        unsafe fn pow_avx2<const L: usize>(amm: &Amm<L>, base: &[u64; L], exp: &[u8]) -> [u64; L] {
            fixed_window_pow(amm, base, exp)
        }
        assert!(simd_available());
        // SAFETY: the CPU has AVX2, just checked (and `Digits` exist only where it was
        // found), which is all `pow_avx2` requires. This and the two comb functions are
        // the only unsafe code in the module: calling a function compiled for a CPU
        // feature the build does not assume.
        // It is worth it: it halves a 2048-bit modpow (about 4.3 -> 2.3 ms measured), which
        // is most of the handshake's CPU time.
        unsafe { pow_avx2(self, base, exp) }
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn pow_simd(&self, base: &[u64; L], exp: &[u8]) -> [u64; L] {
        fixed_window_pow(self, base, exp)
    }
}

impl<const L: usize> Arith<L> for Amm<L> {
    #[inline(always)]
    fn unit(&self) -> [u64; L] {
        self.one
    }

    #[inline(always)]
    fn product(&self, a: &[u64; L], b: &[u64; L]) -> [u64; L] {
        self.mul(a, b)
    }

    /// Through the product: a dedicated squaring (each cross product once, doubled)
    /// does a quarter fewer digit products but measured about 7% slower here, the extra
    /// scalar work and sweep costing more than the products it saves.
    #[inline(always)]
    fn square(&self, a: &[u64; L]) -> [u64; L] {
        self.mul(a, a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigUint;
    use num_traits::{One, Zero};

    use super::super::test_rng::Rng;

    /// The kinds of test numbers these tests draw.
    trait Numbers {
        fn edge_bytes(&mut self, len: usize) -> Vec<u8>;
        fn odd_modulus(&mut self, bits: usize) -> BigUint;
    }

    impl Numbers for Rng {
        /// Random big-endian bytes of length `len`, with a random number of the top bytes
        /// zeroed now and then, and some all-ones or all-zero values.
        fn edge_bytes(&mut self, len: usize) -> Vec<u8> {
            let mut out = self.bytes(len);
            match self.next() % 8 {
                0 => out.fill(0xff),
                1 if len > 0 => {
                    let zeros = (self.next() as usize) % len;
                    out[..zeros].fill(0);
                }
                _ => {}
            }
            out
        }

        /// A random odd modulus of exactly `bits` bits (`bits >= 2`).
        fn odd_modulus(&mut self, bits: usize) -> BigUint {
            let mut m = BigUint::from_bytes_be(&self.bytes(bits.div_ceil(8)));
            m &= (BigUint::one() << bits) - 1u8;
            m |= BigUint::one() << (bits - 1);
            m |= BigUint::one();
            m
        }
    }

    fn limbs<const N: usize>(x: &BigUint) -> [u64; N] {
        limbs_from_be_bytes(&x.to_bytes_be()).unwrap()
    }

    fn big<const N: usize>(x: &[u64; N]) -> BigUint {
        let mut out = vec![0u8; 8 * N];
        limbs_to_be_bytes(x, &mut out);
        BigUint::from_bytes_be(&out)
    }

    fn r<const N: usize>() -> BigUint {
        BigUint::one() << (64 * N)
    }

    /// Checks every operation of a context for `m` on random and edge operands against
    /// num-bigint.
    fn check_modulus<const N: usize>(m: &BigUint, rng: &mut Rng, rounds: usize) {
        let ctx = MontyCtx::<N>::new(&limbs(m)).unwrap();
        let rr = r::<N>();
        assert_eq!(big(&ctx.one()), &rr % m, "R mod m");
        assert_eq!(big(&ctx.r2), (&rr * &rr) % m, "R^2 mod m");
        let r_inv = rr.modinv(m).unwrap_or_else(BigUint::zero);
        // Operands must be below m (1 is not, for m = 1).
        let mut edges: Vec<BigUint> = vec![BigUint::zero(), BigUint::one() % m, m - 1u8];
        if m > &BigUint::from(2u8) {
            edges.push(m - 2u8);
        }
        for _ in 0..rounds {
            let a = BigUint::from_bytes_be(&rng.edge_bytes(8 * N)) % m;
            let b = BigUint::from_bytes_be(&rng.edge_bytes(8 * N)) % m;
            edges.push(a);
            edges.push(b);
        }
        for (i, a) in edges.iter().enumerate() {
            let b = &edges[(i * 7 + 3) % edges.len()];
            let (la, lb) = (limbs::<N>(a), limbs::<N>(b));
            assert_eq!(
                big(&ctx.mul(&la, &lb)),
                (a * b * &r_inv) % m,
                "mul {a:x} {b:x} mod {m:x}"
            );
            assert_eq!(
                big(&ctx.sqr(&la)),
                (a * a * &r_inv) % m,
                "sqr {a:x} mod {m:x}"
            );
            assert_eq!(big(&ctx.add(&la, &lb)), (a + b) % m);
            assert_eq!(big(&ctx.sub(&la, &lb)), (a + m - b) % m);
            assert_eq!(big(&ctx.from_mont(&ctx.to_mont(&la))), a % m);
            let (lo, hi) = mul_wide(&la, &lb);
            assert_eq!(big(&lo) + (big(&hi) << (64 * N)), a * b);
        }
        // to_mont of unreduced values (up to R - 1) and of long byte strings.
        for len in [0, 1, 8 * N - 1, 8 * N, 8 * N + 1, 16 * N, 20 * N + 3] {
            for _ in 0..3 {
                let x = rng.edge_bytes(len);
                let expect = (BigUint::from_bytes_be(&x) * &rr) % m;
                assert_eq!(big(&ctx.to_mont_be_bytes(&x)), expect, "{len} bytes");
            }
        }
        let all_ones = vec![0xffu8; 8 * N];
        assert_eq!(
            big(&ctx.to_mont(&limbs(&BigUint::from_bytes_be(&all_ones)))),
            ((&rr - 1u8) * &rr) % m
        );
    }

    /// Checks `modpow_be` and `pow_vartime` against num-bigint's `modpow`.
    fn check_pow<const N: usize>(m: &BigUint, base: &[u8], exp: &[u8]) {
        let ctx = MontyCtx::<N>::new(&limbs(m)).unwrap();
        let expect = BigUint::from_bytes_be(base).modpow(&BigUint::from_bytes_be(exp), m);
        let got = big(&ctx.modpow_be(base, exp));
        assert_eq!(got, expect, "base {base:02x?} exp {exp:02x?} mod {m:x}");
        let b = ctx.to_mont_be_bytes(base);
        assert_eq!(big(&ctx.from_mont(&ctx.pow_vartime(&b, exp))), expect);
        // Each implementation on its own, whatever this CPU would pick: the limbs, the
        // digits as portable code, the digits built for AVX2 (if this CPU has it).
        assert_eq!(big(&ctx.from_mont(&ctx.pow(&b, exp))), expect);
        for simd in [false, true] {
            if let Some(got) = digit_pow(&ctx, &b, exp, simd) {
                assert_eq!(big(&got), expect, "digits (simd: {simd}) mod {m:x}");
            }
        }
    }

    /// The digit arithmetic's `pow_to_plain`, if `N` has one (and, with `simd`, if this
    /// CPU has AVX2).
    fn digit_pow<const N: usize>(
        ctx: &MontyCtx<N>,
        base: &[u64; N],
        exp: &[u8],
        simd: bool,
    ) -> Option<[u64; N]> {
        if simd && !simd_available() {
            return None;
        }
        Some(match Digits::new(ctx)? {
            Digits::Lanes80(amm) => amm.pow_to_plain(ctx, base, exp, simd),
            Digits::Lanes44(amm) => amm.pow_to_plain(ctx, base, exp, simd),
        })
    }

    fn big_digits<const L: usize>(d: &[u64; L]) -> BigUint {
        d.iter()
            .rev()
            .fold(BigUint::zero(), |acc, &digit| (acc << DIGIT_BITS) + digit)
    }

    fn digits_of<const L: usize>(x: &BigUint) -> [u64; L] {
        let mut out = [0u64; L];
        let mut x = x.clone();
        for digit in out.iter_mut() {
            *digit = (&x & BigUint::from(DIGIT_MASK)).try_into().unwrap();
            x >>= DIGIT_BITS;
        }
        assert!(x.is_zero(), "too many digits");
        out
    }

    /// Checks the digit product for `m` on random and edge operands below `2m`.
    fn check_amm<const N: usize, const L: usize>(m: &BigUint, rng: &mut Rng, rounds: usize) {
        let ctx = MontyCtx::<N>::new(&limbs(m)).unwrap();
        let amm = Amm::<L>::new(&ctx);
        let r_prime = BigUint::one() << (DIGIT_BITS as usize * Amm::<L>::ROWS);
        let r_inv = r_prime.modinv(m).unwrap_or_else(BigUint::zero);
        assert_eq!(big_digits(&amm.one), &r_prime % m);
        let twice = m * 2u8;
        let mut values: Vec<BigUint> = vec![BigUint::zero(), BigUint::one(), m - 1u8, m.clone()];
        values.push(&twice - 1u8);
        for _ in 0..rounds {
            values.push(BigUint::from_bytes_be(&rng.edge_bytes(8 * N + 1)) % &twice);
        }
        for (i, a) in values.iter().enumerate() {
            let b = &values[(i * 5 + 1) % values.len()];
            let got = big_digits(&amm.mul(&digits_of(a), &digits_of(b)));
            assert!(got < twice, "AMM result not below 2m");
            assert_eq!(&got % m, (a * b * &r_inv) % m, "{a:x} * {b:x} mod {m:x}");
        }
    }

    #[test]
    fn digit_conversions_round_trip() {
        let mut rng = Rng(6);
        for _ in 0..50 {
            let x: [u64; 32] = core::array::from_fn(|_| rng.next());
            let d: [u64; 80] = to_digits(&x);
            assert!(d.iter().all(|&digit| digit <= DIGIT_MASK));
            assert_eq!(big_digits(&d), big(&x));
            assert_eq!(from_digits::<80, 32>(&d), x);
            let y: [u64; 16] = core::array::from_fn(|_| rng.next());
            let e: [u64; 44] = to_digits(&y);
            assert_eq!(big_digits(&e), big(&y));
            assert_eq!(from_digits::<44, 16>(&e), y);
        }
    }

    #[test]
    fn digit_products_against_num_bigint() {
        let mut rng = Rng(7);
        let telegram = BigUint::from_bytes_be(&super::super::dh::TELEGRAM_DH_PRIME);
        check_amm::<32, 80>(&telegram, &mut rng, 30);
        check_amm::<32, 80>(&((BigUint::one() << 2048) - 1u8), &mut rng, 10);
        for bits in [2048, 2047, 1100, 29, 2] {
            let m = rng.odd_modulus(bits);
            check_amm::<32, 80>(&m, &mut rng, 10);
        }
        for bits in [1024, 1023, 500, 28, 2] {
            let m = rng.odd_modulus(bits);
            check_amm::<16, 44>(&m, &mut rng, 10);
        }
        check_amm::<16, 44>(&BigUint::one(), &mut rng, 3);
    }

    fn edge_exponents(len: usize) -> Vec<Vec<u8>> {
        let mut one = vec![0u8; len];
        if let Some(last) = one.last_mut() {
            *last = 1;
        }
        let mut two = vec![0u8; len];
        if let Some(last) = two.last_mut() {
            *last = 2;
        }
        vec![
            vec![],
            vec![0],
            vec![0; len],
            vec![1],
            one,
            two,
            vec![0xff; len],
            vec![0x80; 1],
        ]
    }

    fn random_pows<const N: usize>(m: &BigUint, rng: &mut Rng, rounds: usize) {
        let m_bytes = m.to_bytes_be();
        let m_minus_1 = (m - 1u8).to_bytes_be();
        let mut bases = vec![
            vec![],
            vec![0],
            vec![1],
            vec![2],
            m_minus_1.clone(),
            m_bytes.clone(),
            (m + 1u8).to_bytes_be(),
            vec![0xff; 8 * N],
            vec![0xff; 8 * N + 5],
        ];
        let mut exps = edge_exponents(8 * N);
        exps.push(m_minus_1);
        exps.push(m_bytes);
        for _ in 0..rounds {
            let len = (rng.next() as usize) % (8 * N + 9);
            bases.push(rng.edge_bytes(len));
            let len = (rng.next() as usize) % (8 * N + 9);
            exps.push(rng.edge_bytes(len));
        }
        for (i, base) in bases.iter().enumerate() {
            for exp in exps.iter().skip(i % 3).step_by(3) {
                check_pow::<N>(m, base, exp);
            }
        }
    }

    #[test]
    fn limb_conversions() {
        assert_eq!(limbs_from_be_bytes::<2>(&[]), Some([0, 0]));
        assert_eq!(
            limbs_from_be_bytes::<2>(&[0, 0, 0, 1, 2]),
            Some([0x0102, 0])
        );
        let bytes: Vec<u8> = (1..=16).collect();
        let x = limbs_from_be_bytes::<2>(&bytes).unwrap();
        assert_eq!(x, [0x090a_0b0c_0d0e_0f10, 0x0102_0304_0506_0708]);
        assert_eq!(limbs_from_be_bytes::<2>(&[1; 17]), None);
        assert_eq!(
            limbs_from_be_bytes::<2>(&[&[0u8; 5][..], &[1; 16]].concat()),
            Some([0x0101_0101_0101_0101; 2])
        );
        let mut out = [0xaau8; 20];
        limbs_to_be_bytes(&x, &mut out);
        assert_eq!(&out[..4], &[0; 4]);
        assert_eq!(&out[4..], &bytes[..]);
        let mut short = [0u8; 3];
        limbs_to_be_bytes(&[0x01_0203, 0], &mut short);
        assert_eq!(short, [1, 2, 3]);
    }

    #[test]
    #[should_panic(expected = "does not fit")]
    fn limbs_to_short_buffer_panics() {
        limbs_to_be_bytes(&[0x0102_0304, 0], &mut [0u8; 3]);
    }

    #[test]
    fn even_moduli_are_refused() {
        assert!(MontyCtx::<2>::new(&[0, 0]).is_none());
        assert!(MontyCtx::<2>::new(&[2, 1]).is_none());
        assert!(MontyCtx::<2>::from_be_bytes(&[1; 17]).is_none());
        assert!(MontyCtx::<2>::new(&[1, 0]).is_some());
    }

    #[test]
    fn tiny_moduli() {
        let mut rng = Rng(1);
        for m in [1u32, 3, 5, 7, 9, 15, 255, 257, 65537, 0xffff_ffff] {
            let m = BigUint::from(m);
            check_modulus::<1>(&m, &mut rng, 20);
            check_modulus::<4>(&m, &mut rng, 5);
            random_pows::<1>(&m, &mut rng, 10);
            random_pows::<4>(&m, &mut rng, 4);
        }
        // Odd moduli of every size a limb or two can hold, including the top bit.
        for bits in 2..=128 {
            let m = rng.odd_modulus(bits);
            check_modulus::<2>(&m, &mut rng, 10);
            random_pows::<2>(&m, &mut rng, 3);
        }
        let m = BigUint::from(u64::MAX);
        check_modulus::<1>(&m, &mut rng, 50);
        random_pows::<1>(&m, &mut rng, 10);
    }

    #[test]
    fn moduli_of_1024_bits() {
        let mut rng = Rng(2);
        for bits in [1024, 1023, 1000, 600, 64, 3] {
            let m = rng.odd_modulus(bits);
            check_modulus::<16>(&m, &mut rng, 20);
            random_pows::<16>(&m, &mut rng, 6);
        }
        let m = (BigUint::one() << 1024) - 1u8;
        check_modulus::<16>(&m, &mut rng, 10);
        random_pows::<16>(&m, &mut rng, 3);
    }

    #[test]
    fn moduli_of_2048_bits() {
        let mut rng = Rng(3);
        let telegram = BigUint::from_bytes_be(&super::super::dh::TELEGRAM_DH_PRIME);
        check_modulus::<32>(&telegram, &mut rng, 20);
        random_pows::<32>(&telegram, &mut rng, 6);
        for bits in [2048, 2047, 1500, 65] {
            let m = rng.odd_modulus(bits);
            check_modulus::<32>(&m, &mut rng, 10);
            random_pows::<32>(&m, &mut rng, 3);
        }
        let m = (BigUint::one() << 2048) - 1u8;
        check_modulus::<32>(&m, &mut rng, 10);
        random_pows::<32>(&m, &mut rng, 2);
    }

    #[test]
    fn odd_widths() {
        let mut rng = Rng(4);
        for bits in [190, 192, 150] {
            let m = rng.odd_modulus(bits);
            check_modulus::<3>(&m, &mut rng, 20);
            random_pows::<3>(&m, &mut rng, 5);
        }
        let m = rng.odd_modulus(400);
        check_modulus::<7>(&m, &mut rng, 20);
        random_pows::<7>(&m, &mut rng, 5);
    }

    #[test]
    fn pow_of_full_width_exponents_against_num_bigint() {
        // Many random bases and full-length exponents, as the handshake uses them.
        let mut rng = Rng(5);
        let telegram = BigUint::from_bytes_be(&super::super::dh::TELEGRAM_DH_PRIME);
        for _ in 0..8 {
            check_pow::<32>(&telegram, &rng.edge_bytes(256), &rng.edge_bytes(256));
        }
        for _ in 0..8 {
            let m = rng.odd_modulus(1024);
            check_pow::<16>(&m, &rng.edge_bytes(256), &rng.edge_bytes(128));
        }
    }

    #[test]
    fn windows_read_the_right_bits() {
        let exp = [0b1010_0000u8, 0b0000_0110];
        assert_eq!(window_at(&exp, 0), 0b00110);
        assert_eq!(window_at(&exp, 1), 0b00011);
        assert_eq!(window_at(&exp, 11), 0b10100);
        assert_eq!(window_at(&exp, 13), 0b101);
        assert_eq!(window_at(&exp, 16), 0);
        assert_eq!(window_at(&[], 0), 0);
    }

    /// Checks fixed-base exponentiation of `base` mod `m`, with combs for exponents of up
    /// to `bits` bits, on edge and random exponents (some longer than the comb covers).
    /// Every comb is checked: the one this CPU picks, the limb comb, and the digit comb as
    /// portable code.
    fn check_fixed<const N: usize>(m: &BigUint, base: &[u8], bits: usize, rng: &mut Rng) {
        let ctx = MontyCtx::<N>::new(&limbs(m)).unwrap();
        let b = ctx.to_mont_be_bytes(base);
        let fixed = ctx.fixed_base(&b, bits);
        let limb_comb = Comb::build(&ctx, &b, bits);
        let digit_comb = Digits::new(&ctx);
        let mut exps = edge_exponents(bits / 8);
        exps.extend(edge_exponents(bits.div_ceil(8) + 3));
        for _ in 0..6 {
            let len = (rng.next() as usize) % (bits / 8 + 1);
            exps.push(rng.edge_bytes(len));
        }
        exps.push(rng.edge_bytes(bits / 8 + 2));
        for exp in &exps {
            let expect = BigUint::from_bytes_be(base).modpow(&BigUint::from_bytes_be(exp), m);
            let what = format!("base {base:02x?} exp {exp:02x?} bits {bits} mod {m:x}");
            assert_eq!(big(&ctx.pow_fixed_to_plain(&fixed, exp)), expect, "{what}");
            if !limb_comb.covers(exp.len()) {
                continue;
            }
            assert_eq!(
                big(&ctx.from_mont(&limb_comb.pow(&ctx, exp))),
                expect,
                "limbs: {what}"
            );
            let portable = match &digit_comb {
                Some(Digits::Lanes80(amm)) => {
                    Some(big(&amm.comb_pow_portable(&ctx, &b, bits, exp)))
                }
                Some(Digits::Lanes44(amm)) => {
                    Some(big(&amm.comb_pow_portable(&ctx, &b, bits, exp)))
                }
                None => None,
            };
            if let Some(got) = portable {
                assert_eq!(got, expect, "portable digits: {what}");
            }
        }
    }

    impl<const L: usize> Amm<L> {
        /// The digit comb built and run as portable code (no AVX2), for the tests.
        fn comb_pow_portable<const N: usize>(
            &self,
            ctx: &MontyCtx<N>,
            base: &[u64; N],
            bits: usize,
            exp: &[u8],
        ) -> [u64; N] {
            let base = self.mul(&to_digits(base), &self.from_limb_form);
            let comb = Comb::build(self, &base, bits);
            let mut one = [0u64; L];
            one[0] = 1;
            ctx.reduce_once(&from_digits(&self.mul(&comb.pow(self, exp), &one)), 0)
        }
    }

    #[test]
    fn fixed_bases_against_num_bigint() {
        let mut rng = Rng(5);
        let telegram = BigUint::from_bytes_be(&super::super::dh::TELEGRAM_DH_PRIME);
        for base in [
            vec![3u8],
            vec![],
            vec![1],
            (&telegram - 1u8).to_bytes_be(),
            rng.edge_bytes(256),
        ] {
            check_fixed::<32>(&telegram, &base, 2048, &mut rng);
        }
        check_fixed::<32>(&telegram, &[2], 64, &mut rng);
        let m = rng.odd_modulus(1024);
        check_fixed::<16>(&m, &rng.edge_bytes(128), 1024, &mut rng);
        check_fixed::<16>(&m, &[7], 13, &mut rng);
        let m = rng.odd_modulus(190);
        check_fixed::<3>(&m, &rng.edge_bytes(24), 192, &mut rng);
        check_fixed::<3>(&m, &[5], 1, &mut rng);
    }

    #[test]
    #[should_panic(expected = "another modulus")]
    fn a_fixed_base_is_tied_to_its_modulus() {
        let mut rng = Rng(6);
        let (m1, m2) = (rng.odd_modulus(190), rng.odd_modulus(190));
        let c1 = MontyCtx::<3>::new(&limbs(&m1)).unwrap();
        let c2 = MontyCtx::<3>::new(&limbs(&m2)).unwrap();
        let fixed = c1.fixed_base(&c1.one(), 64);
        c2.pow_fixed_to_plain(&fixed, &[1]);
    }
}
