//! The one tokio runtime every client shares.
//!
//! It is built on first use and never dropped: dropping a runtime from one of its own
//! threads panics, and a library cannot know which thread unloads it.
//!
//! Thread layout: the work on these threads is I/O and per-message crypto of a few
//! microseconds; the auth-key handshake's big-number work runs on the blocking pool. So
//! one worker per two CPUs (at least 1, at most 4) is enough, and fewer workers hand
//! tasks between threads less often: on a 2-core machine 1 worker gave about 1.5-2x the
//! warm throughput of 2 (BENCHMARKS.md). `TGAUTH_WORKER_THREADS` overrides the count
//! (1 to 4), read once when the runtime starts.

use once_cell::sync::Lazy;
use tokio::runtime::{Builder, Handle, Runtime};

static RUNTIME: Lazy<Runtime> = Lazy::new(|| {
    let workers = std::env::var("TGAUTH_WORKER_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get() / 2)
                .unwrap_or(1)
        })
        .clamp(1, 4);
    Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("tgauth")
        .enable_all()
        .build()
        .expect("tgauth could not start its runtime threads")
});

/// The shared runtime's handle.
pub fn handle() -> Handle {
    RUNTIME.handle().clone()
}

/// Whether the current thread is one of the runtime's (inside a callback, say).
pub fn on_runtime_thread() -> bool {
    Handle::try_current().is_ok()
}
