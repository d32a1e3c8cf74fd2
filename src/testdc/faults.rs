//! Faults the test DC injects on purpose (`--faults drop=0.05,delay=0.1,...`).

use std::fmt;
use std::str::FromStr;

/// One kind of fault, applied per message with its own probability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Close the connection instead of answering.
    Drop,
    /// Answer late, by up to 2 s.
    Delay,
    /// Answer bad_server_salt and change the salt.
    BadSalt,
    /// Forget the session: new_session_created before the answer.
    NewSession,
    /// Answer bad_msg_notification 16/17 as if the client's clock were off.
    TimeSkew,
    /// Flip a byte of one encrypted frame.
    Corrupt,
    /// Transport error -404 and the auth key is forgotten.
    ForgetKey,
    /// 500 INTERNAL_SERVER_ERROR instead of the answer.
    Rpc500,
    /// Wrap answers in msg_container with acks.
    Container,
    /// Answer gzip_packed.
    Gzip,
}

impl Fault {
    /// Every fault, in spec order.
    pub const ALL: [Fault; 10] = [
        Fault::Drop,
        Fault::Delay,
        Fault::BadSalt,
        Fault::NewSession,
        Fault::TimeSkew,
        Fault::Corrupt,
        Fault::ForgetKey,
        Fault::Rpc500,
        Fault::Container,
        Fault::Gzip,
    ];

    /// The name used in `--faults`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Drop => "drop",
            Fault::Delay => "delay",
            Fault::BadSalt => "bad-salt",
            Fault::NewSession => "new-session",
            Fault::TimeSkew => "time-skew",
            Fault::Corrupt => "corrupt",
            Fault::ForgetKey => "forget-key",
            Fault::Rpc500 => "rpc-500",
            Fault::Container => "container",
            Fault::Gzip => "gzip",
        }
    }
}

/// The probabilities of every fault; all zero by default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    probability: [f64; 10],
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// The probability of one fault.
    pub fn probability(&self, fault: Fault) -> f64 {
        self.probability[Fault::ALL.iter().position(|f| *f == fault).expect("listed")]
    }

    /// Whether any fault is enabled.
    pub fn any(&self) -> bool {
        self.probability.iter().any(|p| *p > 0.0)
    }

    /// Draws whether `fault` happens to this message.
    pub fn roll(&self, fault: Fault) -> bool {
        let p = self.probability(fault);
        if p <= 0.0 {
            return false;
        }
        let r = crate::protocol::random::array::<8>();
        let x = (u64::from_le_bytes(r) >> 11) as f64 / (1u64 << 53) as f64;
        x < p
    }
}

/// Why a `--faults` spec was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpecError(pub String);

impl fmt::Display for FaultSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid --faults: {}", self.0)
    }
}

impl std::error::Error for FaultSpecError {}

impl FromStr for Faults {
    type Err = FaultSpecError;

    /// Parses `NAME=PROBABILITY[,NAME=PROBABILITY...]`; an empty string means no faults.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut faults = Faults::none();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, p) = item
                .split_once('=')
                .ok_or_else(|| FaultSpecError(format!("`{item}` is not NAME=PROBABILITY")))?;
            let index = Fault::ALL
                .iter()
                .position(|f| f.name() == name.trim())
                .ok_or_else(|| {
                    let names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
                    FaultSpecError(format!(
                        "unknown fault `{name}` (known: {})",
                        names.join(", ")
                    ))
                })?;
            let p: f64 = p
                .trim()
                .parse()
                .map_err(|_| FaultSpecError(format!("`{p}` is not a probability")))?;
            if !(0.0..=1.0).contains(&p) {
                return Err(FaultSpecError(format!("{p} is not within 0..1")));
            }
            faults.probability[index] = p;
        }
        Ok(faults)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_name_and_refuses_junk() {
        let spec: Vec<String> = Fault::ALL
            .iter()
            .map(|f| format!("{}=0.5", f.name()))
            .collect();
        let faults: Faults = spec.join(",").parse().unwrap();
        for f in Fault::ALL {
            assert_eq!(faults.probability(f), 0.5);
        }
        assert!("".parse::<Faults>().unwrap() == Faults::none());
        assert!("drop".parse::<Faults>().is_err());
        assert!("drop=2".parse::<Faults>().is_err());
        assert!("explode=0.1".parse::<Faults>().is_err());
    }

    #[test]
    fn roll_follows_probability() {
        let always: Faults = "drop=1".parse().unwrap();
        let never = Faults::none();
        assert!((0..100).all(|_| always.roll(Fault::Drop)));
        assert!((0..100).all(|_| !never.roll(Fault::Drop)));
        let half: Faults = "gzip=0.5".parse().unwrap();
        let hits = (0..10_000).filter(|_| half.roll(Fault::Gzip)).count();
        assert!((4_000..6_000).contains(&hits), "{hits}");
    }
}
