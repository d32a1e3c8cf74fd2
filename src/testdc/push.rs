//! Server pushes: messages the DC sends a connection on its own (updates), by auth key.
//!
//! Each connection registers a channel once its auth key is known; its run loop selects on
//! that channel and sends what arrives in the current session, as a content message.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use tokio::sync::mpsc::UnboundedSender;

/// A connection's entry, to give back when it closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Registration {
    key: (i32, i64),
    id: u64,
}

/// The live connections of every DC, by (DC, auth_key_id).
#[derive(Default)]
pub(crate) struct Pushes {
    next_id: AtomicU64,
    by_key: Mutex<HashMap<(i32, i64), Vec<(u64, UnboundedSender<Vec<u8>>)>>>,
}

impl Pushes {
    pub fn register(
        &self,
        dc_id: i32,
        auth_key_id: i64,
        tx: UnboundedSender<Vec<u8>>,
    ) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let key = (dc_id, auth_key_id);
        self.by_key.lock().entry(key).or_default().push((id, tx));
        Registration { key, id }
    }

    pub fn unregister(&self, registration: Registration) {
        let mut by_key = self.by_key.lock();
        if let Some(list) = by_key.get_mut(&registration.key) {
            list.retain(|(id, _)| *id != registration.id);
            if list.is_empty() {
                by_key.remove(&registration.key);
            }
        }
    }

    /// Sends `body` to every open connection of that auth key; how many took it.
    pub fn push(&self, dc_id: i32, auth_key_id: i64, body: &[u8]) -> usize {
        let by_key = self.by_key.lock();
        by_key.get(&(dc_id, auth_key_id)).map_or(0, |list| {
            list.iter()
                .filter(|(_, tx)| tx.send(body.to_vec()).is_ok())
                .count()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_reach_the_key_s_connections_only() {
        let pushes = Pushes::default();
        let (a, mut a_rx) = tokio::sync::mpsc::unbounded_channel();
        let (b, mut b_rx) = tokio::sync::mpsc::unbounded_channel();
        let ra = pushes.register(2, 7, a);
        let _rb = pushes.register(3, 7, b);
        assert_eq!(pushes.push(2, 7, b"x"), 1);
        assert_eq!(a_rx.try_recv().unwrap(), b"x");
        assert!(b_rx.try_recv().is_err());
        pushes.unregister(ra);
        assert_eq!(pushes.push(2, 7, b"y"), 0);
        assert_eq!(pushes.push(1, 1, b"y"), 0);
    }
}
