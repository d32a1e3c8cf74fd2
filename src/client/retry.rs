//! What to do when a request fails: one pure decision for every method.
//!
//! The general request path (`Client::call`) asks [`RetryPolicy::decide`] after each failed
//! attempt and carries out the answer: follow a migration, sleep through a short flood
//! wait, try again after AUTH_RESTART or an internal server error, replace a key the DC
//! rejected, or give the error to the caller. Every counter is bounded, so no error loops.

use std::time::Duration;

use super::error::{Error, ErrorKind};

/// How many *_MIGRATE hops one request follows.
pub const MAX_MIGRATIONS: u32 = 3;
/// How many times AUTH_RESTART (or a 5xx) is retried.
pub const MAX_RESTARTS: u32 = 3;
/// How many flood waits one request sleeps through.
pub const MAX_FLOOD_SLEEPS: u32 = 1;
/// How many times a lost or duplicated key is replaced within one request.
pub const MAX_KEY_RESETS: u32 = 1;

/// What the request path does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Make this DC home (learning its address first if needed) and send again there.
    Migrate(i32),
    /// Sleep this long, then send again.
    Sleep(Duration),
    /// Send again at once.
    Retry,
    /// Forget the key of the DC the request went to, then send again (with a new key).
    ResetKey,
    /// Give this error to the caller.
    Fail(Error),
}

/// The bounds one request runs under, and what it used of them so far.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// FLOOD_WAIT up to this many seconds is slept through.
    pub flood_sleep_threshold: u32,
    /// Whether *_MIGRATE errors are followed (a signed-in user's requests follow them too;
    /// a caller may turn this off for a request bound to one DC).
    pub follow_migrations: bool,
    /// Whether the method needs a signed-in user: then AUTH_KEY_UNREGISTERED means "not
    /// signed in" and goes to the caller; for the login methods it means the DC lost the
    /// key, which is replaced.
    pub needs_user: bool,
    migrations: u32,
    restarts: u32,
    sleeps: u32,
    resets: u32,
}

impl RetryPolicy {
    /// A fresh policy for one request.
    pub fn new(flood_sleep_threshold: u32) -> Self {
        Self {
            flood_sleep_threshold,
            follow_migrations: true,
            needs_user: false,
            migrations: 0,
            restarts: 0,
            sleeps: 0,
            resets: 0,
        }
    }

    /// The next step after `err`, for a request sent to `dc` with `time_left` until its
    /// deadline.
    pub fn decide(&mut self, err: Error, dc: i32, time_left: Duration) -> Decision {
        if err.kind != ErrorKind::Rpc {
            return Decision::Fail(err);
        }
        match err.name.as_str() {
            "PHONE_MIGRATE" | "NETWORK_MIGRATE" | "USER_MIGRATE" | "FILE_MIGRATE"
            | "STATS_MIGRATE"
                if self.follow_migrations =>
            {
                let target = i32::try_from(err.value).unwrap_or(-1);
                if target == dc {
                    return Decision::Fail(Error {
                        message: format!("{} names the DC we are on (DC {dc})", err.name),
                        ..err
                    });
                }
                self.migrations += 1;
                if self.migrations > MAX_MIGRATIONS || target <= 0 {
                    return Decision::Fail(Error {
                        message: format!(
                            "gave up after {MAX_MIGRATIONS} DC migrations: {}",
                            err.message
                        ),
                        ..err
                    });
                }
                Decision::Migrate(target)
            }
            "FLOOD_WAIT" | "FLOOD_PREMIUM_WAIT" => {
                let secs = err.value.max(0) as u64;
                let wait = Duration::from_secs(secs);
                // Never sleep past the deadline: the caller would only see a timeout
                // instead of the flood wait, and never sleep through a long one.
                if secs > u64::from(self.flood_sleep_threshold)
                    || self.sleeps >= MAX_FLOOD_SLEEPS
                    || wait >= time_left
                {
                    return Decision::Fail(err);
                }
                self.sleeps += 1;
                Decision::Sleep(wait)
            }
            "AUTH_RESTART" => self.restart(err),
            _ if err.code >= 500 => self.restart(err),
            "AUTH_KEY_UNREGISTERED" if self.needs_user => Decision::Fail(err),
            "AUTH_KEY_DUPLICATED" | "AUTH_KEY_UNREGISTERED" if self.resets < MAX_KEY_RESETS => {
                self.resets += 1;
                Decision::ResetKey
            }
            _ => Decision::Fail(err),
        }
    }

    fn restart(&mut self, err: Error) -> Decision {
        self.restarts += 1;
        if self.restarts > MAX_RESTARTS {
            Decision::Fail(err)
        } else {
            Decision::Retry
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(3600);

    fn rpc(code: i32, raw: &str) -> Error {
        Error::rpc(code, raw)
    }

    #[test]
    fn migrations_are_followed_a_bounded_number_of_times() {
        let mut p = RetryPolicy::new(60);
        assert_eq!(
            p.decide(rpc(303, "PHONE_MIGRATE_2"), 1, LONG),
            Decision::Migrate(2)
        );
        assert_eq!(
            p.decide(rpc(303, "USER_MIGRATE_3"), 2, LONG),
            Decision::Migrate(3)
        );
        assert_eq!(
            p.decide(rpc(303, "NETWORK_MIGRATE_1"), 3, LONG),
            Decision::Migrate(1)
        );
        let Decision::Fail(e) = p.decide(rpc(303, "PHONE_MIGRATE_2"), 1, LONG) else {
            panic!("a fourth hop must fail");
        };
        assert!(e.is_rpc("PHONE_MIGRATE") && e.message.contains("gave up after 3"));
    }

    #[test]
    fn a_migration_to_the_dc_we_are_on_fails() {
        let mut p = RetryPolicy::new(60);
        let Decision::Fail(e) = p.decide(rpc(303, "PHONE_MIGRATE_2"), 2, LONG) else {
            panic!("must fail");
        };
        assert_eq!((e.code, e.value), (303, 2));
        assert!(e.message.contains("the DC we are on"));
    }

    #[test]
    fn migrations_can_be_turned_off() {
        let mut p = RetryPolicy::new(60);
        p.follow_migrations = false;
        assert!(matches!(
            p.decide(rpc(303, "USER_MIGRATE_3"), 2, LONG),
            Decision::Fail(e) if e.value == 3
        ));
    }

    #[test]
    fn short_flood_waits_are_slept_once_and_long_ones_returned() {
        let mut p = RetryPolicy::new(60);
        assert_eq!(
            p.decide(rpc(420, "FLOOD_WAIT_2"), 2, LONG),
            Decision::Sleep(Duration::from_secs(2))
        );
        // The second one in the same request goes to the caller.
        assert!(matches!(
            p.decide(rpc(420, "FLOOD_WAIT_2"), 2, LONG),
            Decision::Fail(_)
        ));
        let mut p = RetryPolicy::new(60);
        assert!(matches!(
            p.decide(rpc(420, "FLOOD_WAIT_77000"), 2, LONG),
            Decision::Fail(e) if e.value == 77000
        ));
        // Not past the deadline either.
        let mut p = RetryPolicy::new(60);
        assert!(matches!(
            p.decide(rpc(420, "FLOOD_WAIT_5"), 2, Duration::from_secs(4)),
            Decision::Fail(_)
        ));
    }

    #[test]
    fn restarts_and_server_errors_are_retried_three_times() {
        let mut p = RetryPolicy::new(60);
        for _ in 0..3 {
            assert_eq!(p.decide(rpc(500, "AUTH_RESTART"), 2, LONG), Decision::Retry);
        }
        assert!(matches!(
            p.decide(rpc(500, "AUTH_RESTART"), 2, LONG),
            Decision::Fail(_)
        ));
        let mut p = RetryPolicy::new(60);
        assert_eq!(
            p.decide(rpc(500, "INTERNAL_SERVER_ERROR"), 2, LONG),
            Decision::Retry
        );
    }

    #[test]
    fn a_rejected_key_is_replaced_once() {
        let mut p = RetryPolicy::new(60);
        assert_eq!(
            p.decide(rpc(406, "AUTH_KEY_DUPLICATED"), 2, LONG),
            Decision::ResetKey
        );
        assert!(matches!(
            p.decide(rpc(406, "AUTH_KEY_DUPLICATED"), 2, LONG),
            Decision::Fail(_)
        ));
    }

    #[test]
    fn an_unregistered_key_is_not_signed_in_for_user_methods() {
        let mut p = RetryPolicy::new(60);
        p.needs_user = true;
        assert!(matches!(
            p.decide(rpc(401, "AUTH_KEY_UNREGISTERED"), 2, LONG),
            Decision::Fail(e) if e.code == 401
        ));
        let mut p = RetryPolicy::new(60);
        assert_eq!(
            p.decide(rpc(401, "AUTH_KEY_UNREGISTERED"), 2, LONG),
            Decision::ResetKey
        );
    }

    #[test]
    fn everything_else_goes_to_the_caller_untouched() {
        let mut p = RetryPolicy::new(60);
        for (code, raw) in [
            (400, "PHONE_CODE_INVALID"),
            (401, "SESSION_PASSWORD_NEEDED"),
            (400, "PASSWORD_HASH_INVALID"),
        ] {
            assert_eq!(
                p.decide(rpc(code, raw), 2, LONG),
                Decision::Fail(rpc(code, raw))
            );
        }
        let net = Error::new(ErrorKind::Network, "gone");
        assert_eq!(p.decide(net.clone(), 2, LONG), Decision::Fail(net));
    }
}
