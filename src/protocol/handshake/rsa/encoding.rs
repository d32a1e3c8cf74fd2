//! PEM armour and the DER structures of RSA keys, through RustCrypto's `der` (with its
//! `pem-rfc7468`), `pkcs1`, `pkcs8` and `spki`.
//!
//! The DER readers are strict (definite minimal lengths, minimal non-negative INTEGERs, no
//! trailing bytes). The PEM reader is as lenient as before on layout only: a document that
//! RFC 7468's strict form refuses (CRLF mixed with LF, lines of any width, the whole body on
//! one line) is re-wrapped to 64-character lines and read again; headers (encrypted keys)
//! are refused either way.

use der::asn1::UintRef;
use der::pem::{self, LineEnding};
use der::{Decode as _, Encode as _};
use num_bigint::BigUint;
use zeroize::Zeroizing;

use super::RsaError;

/// Decodes a PEM document whose label is one of `labels`, returning the label and DER.
/// Only whitespace may surround the armour.
pub(super) fn pem_decode<'l>(
    pem: &str,
    labels: &[&'l str],
) -> Result<(&'l str, Zeroizing<Vec<u8>>), RsaError> {
    let text = pem.trim();
    let strict = pem::decode_vec(text.as_bytes());
    let (label, der) = match strict {
        Ok((label, der)) => (label.to_owned(), der),
        Err(_) => {
            let rewrapped = rewrap(text)?;
            let (label, der) = pem::decode_vec(rewrapped.as_bytes()).map_err(pem_error)?;
            (label.to_owned(), der)
        }
    };
    let der = Zeroizing::new(der);
    let label = *labels
        .iter()
        .find(|l| **l == label)
        .ok_or(RsaError::Pem("unexpected PEM label"))?;
    if der.is_empty() {
        return Err(RsaError::Pem("empty PEM body"));
    }
    Ok((label, der))
}

/// The document with its base64 body on 64-character LF-terminated lines, so that the
/// strict decoder reads it; explains what is wrong with the armour otherwise.
fn rewrap(text: &str) -> Result<Zeroizing<String>, RsaError> {
    let rest = text
        .strip_prefix("-----BEGIN ")
        .ok_or(RsaError::Pem("no -----BEGIN line"))?;
    let (label, rest) = rest
        .split_once("-----")
        .ok_or(RsaError::Pem("unterminated BEGIN line"))?;
    let end = format!("-----END {label}-----");
    let body = rest
        .strip_suffix(end.as_str())
        .ok_or(RsaError::Pem("no matching -----END line"))?;
    if body.contains(':') || body.contains('-') {
        return Err(RsaError::Pem(
            "PEM headers (encrypted keys) are not supported",
        ));
    }
    let compact: Zeroizing<Vec<u8>> =
        Zeroizing::new(body.bytes().filter(|b| !b.is_ascii_whitespace()).collect());
    let mut out = Zeroizing::new(String::with_capacity(compact.len() * 65 / 64 + 80));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in compact.chunks(64) {
        // Not base64 at all: the strict decoder would only say so less clearly.
        let line = std::str::from_utf8(line).map_err(|_| RsaError::Base64)?;
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&end);
    out.push('\n');
    Ok(out)
}

fn pem_error(e: pem::Error) -> RsaError {
    match e {
        pem::Error::Base64(_) => RsaError::Base64,
        pem::Error::HeaderDisallowed => {
            RsaError::Pem("PEM headers (encrypted keys) are not supported")
        }
        _ => RsaError::Pem("malformed PEM armour"),
    }
}

/// Encodes DER as PEM with 64-character lines and a trailing newline.
pub(super) fn pem_encode(label: &str, der: &[u8]) -> String {
    pem::encode_string(label, LineEnding::LF, der).expect("a known label and DER encode")
}

/// Reads a DER PKCS#1 `RSAPublicKey` into `(n, e)`.
pub(super) fn public_from_pkcs1(der: &[u8]) -> Result<(BigUint, BigUint), RsaError> {
    let key = pkcs1::RsaPublicKeyRef::from_der(der)?;
    Ok((uint(key.modulus), uint(key.public_exponent)))
}

/// Reads a DER SubjectPublicKeyInfo holding an rsaEncryption key into `(n, e)`.
pub(super) fn public_from_spki(der: &[u8]) -> Result<(BigUint, BigUint), RsaError> {
    let spki = spki::SubjectPublicKeyInfoRef::from_der(der)?;
    check_rsa_algorithm(&spki.algorithm)?;
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or(RsaError::Der("public key BIT STRING has unused bits"))?;
    public_from_pkcs1(key)
}

/// Writes `(n, e)` as a DER PKCS#1 `RSAPublicKey`.
pub(super) fn public_to_pkcs1(n: &BigUint, e: &BigUint) -> Vec<u8> {
    let (n, e) = (n.to_bytes_be(), e.to_bytes_be());
    pkcs1::RsaPublicKeyRef {
        modulus: UintRef::new(&n).expect("a modulus is a valid INTEGER"),
        public_exponent: UintRef::new(&e).expect("an exponent is a valid INTEGER"),
    }
    .to_der()
    .expect("a public key encodes")
}

/// Reads a DER PKCS#1 `RSAPrivateKey`, refusing multi-prime keys.
pub(super) fn private_from_pkcs1(der: &[u8]) -> Result<pkcs1::RsaPrivateKeyRef<'_>, RsaError> {
    let key = pkcs1::RsaPrivateKeyRef::from_der(der)?;
    if key.version() != pkcs1::Version::TwoPrime {
        return Err(RsaError::Der(
            "only two-prime (version 0) RSA keys are supported",
        ));
    }
    Ok(key)
}

/// The PKCS#1 key inside a DER PKCS#8 `PrivateKeyInfo` holding an rsaEncryption key.
pub(super) fn pkcs8_inner(der: &[u8]) -> Result<&[u8], RsaError> {
    let info = pkcs8::PrivateKeyInfoRef::from_der(der)?;
    check_rsa_algorithm(&info.algorithm)?;
    Ok(info.private_key.as_bytes())
}

/// `AlgorithmIdentifier { rsaEncryption, NULL }` (the NULL may be absent).
fn check_rsa_algorithm(alg: &spki::AlgorithmIdentifierRef<'_>) -> Result<(), RsaError> {
    if alg.oid != pkcs1::ALGORITHM_OID {
        return Err(RsaError::Der("algorithm is not rsaEncryption"));
    }
    match alg.parameters {
        Some(params) if !params.is_null() => {
            Err(RsaError::Der("rsaEncryption parameters are not NULL"))
        }
        _ => Ok(()),
    }
}

/// A DER INTEGER already checked non-negative and minimal, as a `BigUint`.
fn uint(x: UintRef<'_>) -> BigUint {
    BigUint::from_bytes_be(x.as_bytes())
}
