//! The MTProto 2.0 wire format, shared by the client and the test DC.
//!
//! Nothing in here knows about FFI or about which program uses it: each piece is
//! parameterised by [`Side`] where the two directions differ.

pub mod cipher;
pub mod handshake;
pub mod login_token;
pub mod message;
pub mod random;
pub mod srp;
pub mod transport;

/// Which end of a connection the code runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The party that connects and sends requests.
    Client,
    /// The data center.
    Server,
}

impl Side {
    /// The other end.
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}
