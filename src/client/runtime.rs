//! The one tokio runtime every client shares.
//!
//! It is built on first use and never dropped: dropping a runtime from one of its own
//! threads panics, and a library cannot know which thread unloads it.

use once_cell::sync::Lazy;
use tokio::runtime::{Builder, Handle, Runtime};

static RUNTIME: Lazy<Runtime> = Lazy::new(|| {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
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
