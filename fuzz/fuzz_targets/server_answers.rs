//! TL decoding of every server answer the client reads, with `Deserializable::from_bytes`:
//! the API answers (auth.SentCode, then `tgauth::client::SentCode::from`; Config), the
//! service messages (bad_msg_notification / bad_server_salt, new_session_created, msgs_ack,
//! pong, future_salts, rpc_error) and the handshake answers (resPQ, server_DH_params,
//! set_client_DH_params_answer). None may panic, and whatever decodes must re-encode
//! stably (encode(decode(encode(x))) == encode(x)).
//!
//! The whole input is tried as each type: the constructor id picks the one that can match.
#![no_main]

use grammers_tl_types::{enums, Deserializable, Serializable};
use libfuzzer_sys::fuzz_target;
use tgauth::client::SentCode;
use tgauth::protocol::message::{self, constructor_of, RPC_ERROR};

fn stable<T: Deserializable + Serializable>(data: &[u8]) -> Option<T> {
    let value = T::from_bytes(data).ok()?;
    let bytes = value.to_bytes();
    let again = T::from_bytes(&bytes).expect("a re-encoded answer decodes");
    assert_eq!(again.to_bytes(), bytes, "re-encoding is not stable");
    Some(value)
}

fuzz_target!(|data: &[u8]| {
    if let Some(sent) = stable::<enums::auth::SentCode>(data) {
        let flat = SentCode::from(sent);
        assert!(flat.kind.is_some(), "SentCode::from left the kind unset");
        let _ = flat.code_type.map(|t| t.name());
        let _ = flat.next_type.map(|t| t.name());
    }
    let _ = stable::<enums::Config>(data);
    let _ = stable::<enums::BadMsgNotification>(data);
    let _ = stable::<enums::NewSession>(data);
    if let Some(enums::RpcError::Error(e)) = stable::<enums::RpcError>(data) {
        assert_eq!(constructor_of(data), Some(RPC_ERROR));
        let err = tgauth::client::Error::rpc(e.error_code, &e.error_message);
        let (name, value) = tgauth::client::error::split_rpc_name(&e.error_message);
        assert_eq!(err.name, name);
        assert_eq!(err.value, value.unwrap_or(-1));
    }
    let _ = stable::<enums::MsgsAck>(data);
    let _ = stable::<enums::Pong>(data);
    let _ = stable::<enums::FutureSalts>(data);
    let _ = stable::<enums::ResPq>(data);
    let _ = stable::<enums::ServerDhParams>(data);
    let _ = stable::<enums::SetClientDhParamsAnswer>(data);
    // The same decoders through the library's wrapper.
    let _ = message::decode::<enums::auth::SentCode>(data);
});
