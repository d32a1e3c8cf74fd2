//! A misbehaving test DC, for tests only: each [`Flaw`] breaks one check of the security
//! guidelines on purpose, so a test can show that the client refuses it.
//!
//! Handshake flaws are applied by the protocol's server handshake (see
//! [`crate::protocol::handshake::server::HandshakeFlaw`]); session flaws are applied here
//! to every encrypted answer to an API call.

use crate::protocol::handshake::server::HandshakeFlaw;

/// One deliberate violation. The number is the item of the security checklist
/// (`PROTOCOL.md`) it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flaw {
    /// A handshake flaw (items 1-11).
    Handshake(HandshakeFlaw),
    /// 13: the answer carries another auth_key_id.
    WrongAuthKeyId,
    /// 13: the encrypted frame is not a multiple of 16 after its header.
    FrameLengthNotAligned,
    /// 14: a byte of msg_key flipped.
    BadMsgKey,
    /// 15: message_data_length points past the end of the plaintext.
    DataLengthPastEnd,
    /// 15: more than 1024 bytes of padding.
    PaddingTooLong,
    /// 16: another session_id.
    WrongSessionId,
    /// 17: an even msg_id (a server's are odd).
    EvenMsgId,
    /// 17: the same answer twice under the same msg_id (the first is used, the second not).
    DuplicateMsgId,
    /// 17: a msg_id 400 s in the past.
    MsgIdTooOld,
    /// 17: a msg_id 60 s in the future.
    MsgIdTooNew,
    /// 18: a container inside a container.
    NestedContainer,
    /// 18: a container whose msg_id is not above its messages'.
    ContainerIdNotGreater,
    /// 18: a container of 1025 messages.
    ContainerTooLarge,
    /// 18: a msgs_ack listing 8193 ids.
    HugeAckList,
    /// 19: a bad_server_salt for a msg_id the client never sent (to be ignored).
    BadSaltForUnknownId,
    /// 19: a bad_msg_notification 16 for a msg_id the client never sent (to be ignored).
    BadMsgForUnknownId,
}

impl Flaw {
    /// Whether a client that follows the guidelines still gets its answer (it ignores the
    /// bad message, or uses only the good one), rather than failing with SECURITY.
    pub fn answer_still_usable(self) -> bool {
        matches!(
            self,
            Flaw::DuplicateMsgId | Flaw::BadSaltForUnknownId | Flaw::BadMsgForUnknownId
        )
    }

    /// Every flaw, for tests that try them all.
    pub fn all() -> Vec<Flaw> {
        let mut all: Vec<Flaw> = HandshakeFlaw::ALL
            .iter()
            .map(|f| Flaw::Handshake(*f))
            .collect();
        all.extend([
            Flaw::WrongAuthKeyId,
            Flaw::FrameLengthNotAligned,
            Flaw::BadMsgKey,
            Flaw::DataLengthPastEnd,
            Flaw::PaddingTooLong,
            Flaw::WrongSessionId,
            Flaw::EvenMsgId,
            Flaw::DuplicateMsgId,
            Flaw::MsgIdTooOld,
            Flaw::MsgIdTooNew,
            Flaw::NestedContainer,
            Flaw::ContainerIdNotGreater,
            Flaw::ContainerTooLarge,
            Flaw::HugeAckList,
            Flaw::BadSaltForUnknownId,
            Flaw::BadMsgForUnknownId,
        ]);
        all
    }
}
