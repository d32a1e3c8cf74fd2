//! What every asynchronous call of the C ABI shares: the argument checks, the request ids
//! that `tg_cancel` knows, and the [`Completer`] that calls the user back exactly once.
//!
//! An exported call checks and copies its arguments, then hands [`spawn_request`] a future
//! of the client core and a `deliver` closure that turns its outcome into the borrowed C
//! structs of one callback. Whatever happens next (the result, an error, `tg_cancel`,
//! `tg_client_free`, a panic in the future) `deliver` runs exactly once.

use std::ffi::{c_char, c_void};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::client::tg_error;
use super::client::{tg_client, ClientShared};
use super::{c_string, string_arg, tg_result};
use crate::client::{runtime, Error, ErrorKind};

/// A user's `void *`, carried to a library thread. The caller promised (in the header)
/// that its callback may be called with it from another thread.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);

// SAFETY: only handed back to the user's own callbacks, as the header documents.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

impl UserData {
    /// The pointer (a method, so closures capture the whole `Send` wrapper).
    pub(crate) fn get(self) -> *mut c_void {
        self.0
    }
}

/// The client behind a handle, or INVALID_ARGUMENT for NULL.
///
/// # Safety
/// `client` is NULL or from `tg_client_new`, not freed.
pub(crate) unsafe fn client_arg<'a>(
    client: *const tg_client,
) -> Result<&'a Arc<ClientShared>, tg_result> {
    if client.is_null() {
        return Err(tg_result::TG_RESULT_INVALID_ARGUMENT);
    }
    // SAFETY: non-NULL and from tg_client_new, as the caller promises.
    Ok(unsafe { &(*client).shared })
}

/// A required callback, or INVALID_ARGUMENT for NULL.
pub(crate) fn callback_arg<F>(callback: Option<F>) -> Result<F, tg_result> {
    callback.ok_or(tg_result::TG_RESULT_INVALID_ARGUMENT)
}

/// A required string of 1..=`max` bytes that is not only white space (a phone number, a
/// phone_code_hash): refused at once otherwise.
///
/// # Safety
/// As [`string_arg`].
pub(crate) unsafe fn text_arg(ptr: *const c_char, max: usize) -> Result<String, tg_result> {
    match unsafe { string_arg(ptr, max) } {
        Ok(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(tg_result::TG_RESULT_INVALID_ARGUMENT),
    }
}

/// The app of a call: `api_id` 0 with `api_hash` NULL means the configuration's (or the
/// client's first call's); else both are the call's own and checked.
///
/// # Safety
/// `api_hash` is NULL or NUL-terminated.
pub(crate) unsafe fn app_arg(
    shared: &ClientShared,
    api_id: i32,
    api_hash: *const c_char,
    what: &str,
) -> Result<(i32, String), tg_result> {
    let call_hash = if api_id == 0 && api_hash.is_null() {
        None
    } else {
        Some(unsafe { string_arg(api_hash, super::config::MAX_API_HASH) }?)
    };
    shared
        .client
        .app_for(call_hash.is_some().then_some(api_id), call_hash.as_deref())
        .map_err(|e| {
            log::warn!("{what}: {e}");
            tg_result::from(e.kind)
        })
}

/// Writes a request id when the caller asked for it.
fn write_id(request_id_out: *mut u64, id: u64) {
    if !request_id_out.is_null() {
        // SAFETY: non-NULL and writable, as every call documents.
        unsafe { *request_id_out = id };
    }
}

/// What turns a request's outcome into its one callback.
type Deliver<T> = Box<dyn FnOnce(Result<T, Error>) + Send>;

/// Calls `deliver` exactly once: on [`Completer::complete`], or, if dropped first (the
/// future panicked, the runtime shut down), with an INTERNAL error. Either way the request
/// leaves `tg_cancel`'s map first, and `tg_client_free` learns when the callback returned.
pub(crate) struct Completer<T> {
    deliver: Option<Deliver<T>>,
    shared: Arc<ClientShared>,
    id: u64,
}

impl<T> Completer<T> {
    fn complete(mut self, result: Result<T, Error>) {
        self.finish(result);
    }

    fn finish(&mut self, result: Result<T, Error>) {
        let Some(deliver) = self.deliver.take() else {
            return;
        };
        self.shared.requests.lock().remove(&self.id);
        // The user's callback may unwind (C++): that must not cross into the runtime.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| deliver(result))).is_err() {
            log::error!("a callback unwound; the unwinding stopped at tgauth");
        }
        self.shared.callback_returned();
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        if self.deliver.is_some() {
            log::error!("a request ended without completing; reporting it as an internal error");
            self.finish(Err(Error::new(
                ErrorKind::Internal,
                "the request ended unexpectedly",
            )));
        }
    }
}

/// Starts a request on the shared runtime: gives it an id (written to `request_id_out`
/// when not NULL) that `tg_cancel` and `tg_client_free` know, runs `future`, and hands its
/// outcome, or CANCELLED, to `deliver`, exactly once, on a library thread. Always
/// TG_RESULT_OK: the arguments were checked before.
pub(crate) fn spawn_request<T: Send + 'static>(
    shared: &Arc<ClientShared>,
    request_id_out: *mut u64,
    future: impl Future<Output = Result<T, Error>> + Send + 'static,
    deliver: impl FnOnce(Result<T, Error>) + Send + 'static,
) -> tg_result {
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let (cancel_tx, cancel_rx) = oneshot::channel::<()>();
    shared.requests.lock().insert(id, cancel_tx);
    *shared.outstanding.lock() += 1;
    let completer = Completer {
        deliver: Some(Box::new(deliver)),
        shared: shared.clone(),
        id,
    };
    write_id(request_id_out, id);
    runtime::handle().spawn(async move {
        let result = tokio::select! {
            // A cancellation wins over a result that is ready in the same poll.
            biased;
            _ = cancel_rx => Err(Error::cancelled()),
            r = future => r,
        };
        completer.complete(result);
    });
    tg_result::TG_RESULT_OK
}

/// Runs `f` with a borrowed `tg_error` describing `err`.
pub(crate) fn with_error<R>(err: &Error, f: impl FnOnce(&tg_error) -> R) -> R {
    let name = c_string(&err.name);
    let message = c_string(&err.message);
    f(&tg_error {
        result: err.kind.into(),
        code: err.code,
        name: name.as_ptr(),
        value: err.value,
        message: message.as_ptr(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Client, ClientConfig};
    use std::sync::mpsc;
    use std::time::Duration;

    fn shared() -> Arc<ClientShared> {
        let client = Client::new(ClientConfig::default()).expect("a client needs no network");
        Arc::new(ClientShared::new(client, Duration::from_secs(10)))
    }

    /// Starts `future`; returns its id and what its one delivery received.
    fn start(
        shared: &Arc<ClientShared>,
        future: impl Future<Output = Result<u32, Error>> + Send + 'static,
    ) -> (u64, mpsc::Receiver<Result<u32, Error>>) {
        let (tx, rx) = mpsc::channel();
        let mut id = 0u64;
        let r = spawn_request(shared, &mut id, future, move |result| {
            tx.send(result).expect("the test waits");
        });
        assert_eq!(r, tg_result::TG_RESULT_OK);
        (id, rx)
    }

    fn settled(shared: &ClientShared) -> bool {
        (0..200).any(|_| {
            let done = *shared.outstanding.lock() == 0 && shared.requests.lock().is_empty();
            if !done {
                std::thread::sleep(Duration::from_millis(5));
            }
            done
        })
    }

    #[test]
    fn a_result_is_delivered_once() {
        let shared = shared();
        let (id, rx) = start(&shared, async { Ok(7) });
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), Ok(7));
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
        assert!(settled(&shared));
        assert!(!shared.requests.lock().contains_key(&id));
    }

    #[test]
    fn a_panicking_request_is_delivered_once_as_internal() {
        let shared = shared();
        let (_, rx) = start(&shared, async { panic!("a bug in a request") });
        let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(got.unwrap_err().kind, ErrorKind::Internal);
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
        assert!(settled(&shared));
    }

    #[test]
    fn a_cancelled_request_is_delivered_once_as_cancelled() {
        let shared = shared();
        let (id, rx) = start(&shared, std::future::pending());
        let cancel = shared.requests.lock().remove(&id).expect("in flight");
        cancel.send(()).unwrap();
        let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(got.unwrap_err().kind, ErrorKind::Cancelled);
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
        assert!(settled(&shared));
    }
}
