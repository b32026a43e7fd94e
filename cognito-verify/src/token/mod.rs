//! Parsing of the token itself: JWS compact form, strict base64url, strict JSON, the header.
//!
//! Nothing here trusts anything: it only turns bytes into structures, refusing whatever is not
//! exactly the form RFC 7515 requires. Trust comes from the signature check in the verifier.

pub(crate) mod algorithm;
pub(crate) mod base64url;
mod compact;
mod header;
pub(crate) mod json;

pub(crate) use compact::{ParsedToken, TokenBuffers, parse};
pub(crate) use header::HeaderMemo;
pub(crate) use json::{Json, Object, Parsed, Text};

/// Test helper: a JSON value parsed as a payload.
#[cfg(test)]
pub(crate) fn test_payload(v: &serde_json::Value) -> Parsed {
    Parsed::parse(
        v.to_string().into_bytes(),
        crate::error::TokenPart::Payload,
        &crate::claims::CLAIM_NAMES,
    )
    .expect("test JSON is an object")
}
