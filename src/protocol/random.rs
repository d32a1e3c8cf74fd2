//! Where random bytes come from.
//!
//! Two sources, by what the bytes protect:
//!
//! - [`secret`] reads the operating system's CSPRNG (`getrandom`) directly. It is for
//!   long-lived secrets: handshake nonces, DH exponents, RSA padding, the test DC's keys.
//!   A call is a system call, about 0.5 µs.
//! - [`fill`] and [`array`] use a per-thread CSPRNG (rand's `ThreadRng`: ChaCha12, seeded
//!   from the OS and reseeded as it goes). It is for per-message values: the padding of
//!   each encrypted message and transport frame, session ids, salts, the test DC's
//!   `phone_code_hash`. A call costs tens of nanoseconds, which matters at 100k messages a
//!   second (the warm-path profiles in BENCHMARKS.md showed `getrandom` as 2 system calls
//!   per request in the test DC).
//!
//! The per-thread state is not reseeded across `fork()`. The library's threads do not
//! survive a fork, so a child never encrypts with a state copied from its parent.

use rand::Rng;

/// Fills `buf` from the per-thread CSPRNG.
pub fn fill(buf: &mut [u8]) {
    rand::rng().fill_bytes(buf);
}

/// `N` bytes from the per-thread CSPRNG.
pub fn array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill(&mut out);
    out
}

/// A random `i64` from the per-thread CSPRNG.
pub fn i64() -> i64 {
    i64::from_le_bytes(array())
}

/// Fills `buf` from the operating system's CSPRNG.
///
/// # Panics
///
/// If the operating system cannot give random bytes, which leaves nothing safe to do.
pub fn secret(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the OS random source failed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_differ() {
        // 2^-128 chance of a false failure.
        assert_ne!(array::<16>(), array::<16>());
        let mut a = [0u8; 16];
        let mut b = [0u8; 16];
        secret(&mut a);
        secret(&mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn every_byte_value_shows_up() {
        let mut buf = vec![0u8; 64 * 1024];
        fill(&mut buf);
        let mut seen = [false; 256];
        for b in buf {
            seen[b as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
