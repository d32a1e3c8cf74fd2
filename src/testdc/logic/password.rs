//! account.getPassword and auth.checkPassword (SRP, core.telegram.org/api/srp).

use std::collections::HashMap;

use parking_lot::Mutex;

/// One account.getPassword answer waiting for its auth.checkPassword.
#[derive(Clone, Debug)]
pub(super) struct SrpRound {}

/// Salts and verifiers of the 2FA accounts, by number.
#[derive(Default)]
pub(super) struct VerifierCache {
    _by_number: Mutex<HashMap<String, ()>>,
}
