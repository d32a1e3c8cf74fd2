//! `tgauth-testdc`: a local Telegram data center speaking the server side of MTProto 2.0.
//!
//! Several DCs, each on its own port, share one RSA key, one app registry and one
//! [`logic::LoginDesk`] (the login rules and the accounts, see `docs/testdc.md`). Auth keys,
//! and which account each is signed in to, are per DC, as on Telegram.

pub mod faults;
pub mod flaws;
pub mod logic;
mod push;
mod server;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use grammers_tl_types::{enums, types};
use parking_lot::Mutex;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::protocol::cipher::AuthKey;
use crate::protocol::handshake::rsa::RsaPrivateKey;
use crate::protocol::handshake::server::DhPool;
use faults::Faults;
use logic::{App, KeptCode, LoginDesk, LoginRulesConfig};

/// How a test DC is set up. `Default` is what `tgauth-testdc` does with no options.
#[derive(Clone, Debug)]
pub struct TestDcOptions {
    /// Address to listen on.
    pub host: String,
    /// First port; 0 takes free ports. DC n listens on `port + n - 1`.
    pub port: u16,
    /// How many DCs (ids 1..=dcs).
    pub dcs: i32,
    /// The private key (PEM); `None` makes a fresh RSA-2048 key.
    pub key_pem: Option<String>,
    /// Registered apps (`--app`); empty registers one random app.
    pub apps: Vec<(i32, String)>,
    /// Apps whose hash was published (`--published-app`): API_ID_PUBLISHED_FLOOD.
    pub published_apps: Vec<(i32, String)>,
    /// Codes per number per hour (0: no limit).
    pub code_limit: u32,
    /// Faults injected on purpose (`--faults`).
    pub faults: Faults,
    /// Tests only: break one security check in every answer (see [`flaws::Flaw`]).
    pub flaw: Option<flaws::Flaw>,
    /// `--dc ID=HOST:PORT`: when not empty, each DC listens at its own address (port 0: a
    /// free one) instead of `host`, `port` and `dcs`; the ids must be 1..=N, each once.
    pub places: Vec<DcAddress>,
    /// How long a phone_code_hash stays valid (`--code-ttl`).
    pub code_ttl: std::time::Duration,
}

impl Default for TestDcOptions {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
            dcs: 3,
            key_pem: None,
            apps: Vec::new(),
            published_apps: Vec::new(),
            code_limit: 5,
            faults: Faults::none(),
            flaw: None,
            code_ttl: logic::DEFAULT_CODE_TTL,
            places: Vec::new(),
        }
    }
}

/// One DC's address.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DcAddress {
    /// DC id.
    pub id: i32,
    /// Host it listens on.
    pub host: String,
    /// Port it listens on.
    pub port: u16,
}

/// What the ready line says.
#[derive(Clone, Debug, Serialize)]
pub struct TestDcInfo {
    /// Every DC.
    pub dcs: Vec<DcAddress>,
    /// PKCS#1 PEM of the public key.
    pub rsa_public_key: String,
    /// Its fingerprint, as resPQ lists it.
    pub fingerprint: i64,
    /// The first registered app.
    pub api_id: i32,
    /// Its hash.
    pub api_hash: String,
    /// The cloud password of the `99967X…` accounts.
    pub password: String,
    /// The token that signs in the test DC's bot (`ID:SECRET`).
    pub bot_token: String,
}

impl TestDcInfo {
    /// The one-line JSON that `tgauth-testdc` prints when ready.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }
}

/// An auth key the DC knows.
pub(crate) struct KeyEntry {
    pub key: AuthKey,
    /// A temporary key not yet bound with auth.bindTempAuthKey.
    pub unbound_temp: bool,
    /// The salt the handshake agreed, valid for the key's first session.
    pub first_salt: i64,
}

/// A session of an auth key on a DC.
#[derive(Default)]
pub(crate) struct SessionEntry {
    pub salt: i64,
    /// Layer from invokeWithLayer, once initConnection was seen.
    pub layer: Option<i32>,
    pub seq: crate::protocol::message::SeqNo,
    /// The last answers, by the request's msg_id: a request resent with the same msg_id
    /// (after a reconnect) gets the same answer and is not acted on twice.
    pub answered: AnswerCache,
}

/// How many answers a session remembers for resent requests.
pub(crate) const ANSWERS_KEPT: usize = 512;

/// The last [`ANSWERS_KEPT`] answers of a session, by request msg_id, oldest evicted first.
#[derive(Default)]
pub(crate) struct AnswerCache {
    order: std::collections::VecDeque<i64>,
    by_id: HashMap<i64, Vec<u8>>,
}

impl AnswerCache {
    /// The answer given to `msg_id`, if it is still remembered.
    pub fn get(&self, msg_id: i64) -> Option<&Vec<u8>> {
        self.by_id.get(&msg_id)
    }

    /// Remembers the first answer given to `msg_id` (a later one does not replace it).
    pub fn remember(&mut self, msg_id: i64, answer: &[u8]) {
        if self.by_id.contains_key(&msg_id) {
            return;
        }
        if self.order.len() == ANSWERS_KEPT {
            if let Some(oldest) = self.order.pop_front() {
                self.by_id.remove(&oldest);
            }
        }
        self.order.push_back(msg_id);
        self.by_id.insert(msg_id, answer.to_vec());
    }
}

/// State one DC keeps.
#[derive(Default)]
pub(crate) struct DcState {
    pub keys: Mutex<HashMap<i64, Arc<KeyEntry>>>,
    /// By (auth_key_id, session_id); ordered so a key's sessions are one range.
    pub sessions: Mutex<std::collections::BTreeMap<(i64, i64), SessionEntry>>,
    /// Connections open now (bounded by the server).
    pub open_connections: std::sync::atomic::AtomicUsize,
}

/// State the whole test DC shares.
pub(crate) struct Shared {
    pub info: TestDcInfo,
    pub key: Arc<RsaPrivateKey>,
    pub desk: LoginDesk,
    /// Live connections, for server pushes.
    pub pushes: push::Pushes,
    pub dcs: HashMap<i32, DcState>,
    pub faults: Faults,
    pub flaw: Option<flaws::Flaw>,
    pub stats: Mutex<Stats>,
    /// `(a, g_a)` made ahead of the handshakes that need them.
    pub dh_pool: Arc<DhPool>,
    /// Handshake steps running on the blocking pool: one per CPU.
    pub crypto_slots: Arc<tokio::sync::Semaphore>,
}

/// How many `(a, g_a)` pairs the test DC keeps ready: enough for a burst of logins, and
/// 8 exponentiations (a few ms each) of work at start-up.
const DH_POOL_PAIRS: usize = 8;

/// Counters a test can read.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Auth keys created by handshakes, all DCs.
    pub auth_keys_created: u64,
    /// Connections accepted.
    pub connections: u64,
    /// auth.sendCode calls answered.
    pub send_code_calls: u64,
    /// Faults injected on purpose (`--faults`).
    pub faults_injected: u64,
    /// Handshakes whose `(a, g_a)` were computed ahead of time, off their critical path.
    pub dh_pairs_ready_made: u64,
}

/// A running test DC. Dropping it stops it.
pub struct TestDc {
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    json: String,
}

impl TestDc {
    /// Binds every DC and starts serving on the current tokio runtime.
    pub async fn start(mut options: TestDcOptions) -> std::io::Result<TestDc> {
        let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
        if !options.places.is_empty() {
            options.places.sort_by_key(|p| p.id);
            let n = options.places.len() as i32;
            if options.places.iter().zip(1..).any(|(p, id)| p.id != id) {
                return Err(invalid(format!(
                    "--dc ids must be 1..={n}, each once (as Telegram numbers its DCs)"
                )));
            }
            options.dcs = n;
        }
        if !(1..=16).contains(&options.dcs) {
            return Err(invalid(format!("dcs must be 1..=16, not {}", options.dcs)));
        }
        let key = match &options.key_pem {
            Some(pem) => RsaPrivateKey::from_pem(pem).map_err(|e| invalid(e.to_string()))?,
            None => tokio::task::spawn_blocking(|| RsaPrivateKey::generate(2048))
                .await
                .map_err(|e| invalid(e.to_string()))?
                .map_err(|e| invalid(e.to_string()))?,
        };
        let public = key.public_key();
        let mut apps: Vec<App> = options
            .apps
            .iter()
            .map(|(id, hash)| App {
                id: *id,
                hash: hash.clone(),
                published: false,
            })
            .collect();
        if apps.is_empty() {
            let random = crate::protocol::handshake::random::<20>();
            let id =
                10_000 + (u32::from_le_bytes(random[..4].try_into().unwrap()) % 1_000_000) as i32;
            let hash: String = random[4..].iter().map(|b| format!("{b:02x}")).collect();
            apps.push(App {
                id,
                hash,
                published: false,
            });
        }
        let first_app = apps[0].clone();
        apps.extend(options.published_apps.iter().map(|(id, hash)| App {
            id: *id,
            hash: hash.clone(),
            published: true,
        }));

        let mut listeners = Vec::new();
        let mut addresses = Vec::new();
        for dc in 1..=options.dcs {
            let listener = match options.places.get(dc as usize - 1) {
                Some(place) => {
                    let host = place.host.trim_start_matches('[').trim_end_matches(']');
                    TcpListener::bind((host, place.port)).await?
                }
                None => {
                    let port = if options.port == 0 {
                        0
                    } else {
                        options
                            .port
                            .checked_add((dc - 1) as u16)
                            .ok_or_else(|| invalid("port overflow".into()))?
                    };
                    TcpListener::bind((options.host.as_str(), port)).await?
                }
            };
            let local: SocketAddr = listener.local_addr()?;
            addresses.push(DcAddress {
                id: dc,
                host: local.ip().to_string(),
                port: local.port(),
            });
            listeners.push((dc, listener));
        }
        let desk = LoginDesk::new(LoginRulesConfig {
            dc_count: options.dcs,
            apps,
            code_limit: options.code_limit,
        })
        .with_code_ttl(options.code_ttl);
        let info = TestDcInfo {
            dcs: addresses,
            rsa_public_key: public.to_pkcs1_pem(),
            fingerprint: public.fingerprint(),
            api_id: first_app.id,
            api_hash: first_app.hash.clone(),
            password: logic::PASSWORD.to_owned(),
            bot_token: desk.bot_token().to_owned(),
        };
        let json = info.to_json();
        let shared = Arc::new(Shared {
            info,
            key: Arc::new(key),
            desk,
            pushes: push::Pushes::default(),
            dcs: (1..=options.dcs)
                .map(|dc| (dc, DcState::default()))
                .collect(),
            faults: options.faults.clone(),
            flaw: options.flaw,
            stats: Mutex::new(Stats::default()),
            dh_pool: DhPool::start(DH_POOL_PAIRS),
            crypto_slots: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        for (dc, listener) in listeners {
            tokio::spawn(server::serve(
                listener,
                dc,
                shared.clone(),
                shutdown_rx.clone(),
            ));
        }
        Ok(TestDc {
            shared,
            shutdown,
            json,
        })
    }

    /// Addresses, key and app, as the ready line prints them.
    pub fn info(&self) -> &TestDcInfo {
        &self.shared.info
    }

    /// The ready line (one line of JSON).
    pub fn info_json(&self) -> &str {
        &self.json
    }

    /// Every code sent to a number, oldest first.
    pub fn codes_for(&self, phone_number: &str) -> Vec<KeptCode> {
        self.shared.desk.codes_for(phone_number)
    }

    /// Accepts a QR login token (raw base64url, or a `tg://login?token=…` URL) as the
    /// account of `phone`, as auth.acceptLoginToken from a signed-in key of that account
    /// would: the exporting connection gets `updateShort(updateLoginToken)`.
    pub fn accept_login_token(&self, token_or_url: &str, phone: &str) -> Result<(), String> {
        let token = logic::parse_login_token(token_or_url)?;
        let now = std::time::SystemTime::now();
        let (dc, key) = self
            .shared
            .desk
            .accept_login_token_as(phone, &token, now)
            .map_err(|e| format!("{} {}", e.code, e.message))?;
        self.shared
            .pushes
            .push(dc, key, &logic::qr::login_token_update(now));
        Ok(())
    }

    /// Counters, for tests.
    pub fn stats(&self) -> Stats {
        let mut stats = self.shared.stats.lock().clone();
        stats.dh_pairs_ready_made = self.shared.dh_pool.hits();
        stats
    }

    /// Stops accepting and closes every connection.
    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for TestDc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The help.getConfig answer of a test DC: its DCs as dc_options, at the addresses they
/// listen on (flagged `ipv6` when the address is), `this_dc` the one asked.
pub fn config_answer(dcs: &[DcAddress], this_dc: i32, now: i32) -> enums::Config {
    let dc_options = dcs
        .iter()
        .map(|dc| {
            enums::DcOption::Option(types::DcOption {
                ipv6: dc.host.parse::<std::net::Ipv6Addr>().is_ok(),
                media_only: false,
                tcpo_only: false,
                cdn: false,
                r#static: false,
                this_port_only: false,
                id: dc.id,
                ip_address: dc.host.clone(),
                port: dc.port as i32,
                secret: None,
            })
        })
        .collect();
    enums::Config::Config(types::Config {
        default_p2p_contacts: false,
        preload_featured_stickers: false,
        revoke_pm_inbox: true,
        blocked_mode: false,
        force_try_ipv6: false,
        date: now,
        expires: now + 3600,
        test_mode: true,
        this_dc,
        dc_options,
        dc_txt_domain_name: "localhost".into(),
        chat_size_max: 200,
        megagroup_size_max: 200_000,
        forwarded_count_max: 100,
        online_update_period_ms: 210_000,
        offline_blur_timeout_ms: 5_000,
        offline_idle_timeout_ms: 30_000,
        online_cloud_timeout_ms: 300_000,
        notify_cloud_delay_ms: 30_000,
        notify_default_delay_ms: 1_500,
        push_chat_period_ms: 60_000,
        push_chat_limit: 2,
        edit_time_limit: 172_800,
        revoke_time_limit: i32::MAX,
        revoke_pm_time_limit: i32::MAX,
        rating_e_decay: 2_419_200,
        stickers_recent_limit: 200,
        channels_read_media_period: 604_800,
        tmp_sessions: None,
        call_receive_timeout_ms: 20_000,
        call_ring_timeout_ms: 90_000,
        call_connect_timeout_ms: 30_000,
        call_packet_timeout_ms: 10_000,
        me_url_prefix: "https://t.me/".into(),
        autoupdate_url_prefix: None,
        gif_search_username: None,
        venue_search_username: None,
        img_search_username: None,
        static_maps_provider: None,
        caption_length_max: 1024,
        message_length_max: 4096,
        webfile_dc_id: 4.min(dcs.len() as i32),
        suggested_lang_code: None,
        lang_pack_version: None,
        base_lang_pack_version: None,
        reactions_default: None,
        autologin_token: None,
    })
}

#[cfg(test)]
mod answer_cache_tests {
    use super::{AnswerCache, ANSWERS_KEPT};

    #[test]
    fn keeps_the_first_answer_and_evicts_the_oldest() {
        let mut cache = AnswerCache::default();
        cache.remember(4, b"first");
        cache.remember(4, b"second");
        assert_eq!(cache.get(4).map(Vec::as_slice), Some(&b"first"[..]));
        for id in 1..ANSWERS_KEPT as i64 {
            cache.remember(4 + 4 * id, b"x");
        }
        assert!(cache.get(4).is_some(), "full, nothing evicted yet");
        cache.remember(1_000_000, b"new");
        assert_eq!(cache.get(4), None, "the oldest goes first");
        assert!(cache.get(8).is_some());
        assert_eq!(cache.get(1_000_000).map(Vec::as_slice), Some(&b"new"[..]));
        assert_eq!(cache.order.len(), ANSWERS_KEPT);
        assert_eq!(cache.by_id.len(), ANSWERS_KEPT);
    }
}
