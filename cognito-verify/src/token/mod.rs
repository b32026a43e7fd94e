//! Parsing of the token itself: JWS compact form, strict base64url, strict JSON, the header.
//!
//! Nothing here trusts anything: it only turns bytes into structures, refusing whatever is not
//! exactly the form RFC 7515 requires. Trust comes from the signature check in the verifier.

pub(crate) mod algorithm;
pub(crate) mod base64url;
mod compact;
mod header;
pub(crate) mod json;

pub(crate) use compact::{CLAIM_NAMES, ParsedToken, TokenBuffers, parse};
pub(crate) use header::HeaderMemo;
pub(crate) use json::{Json, Object};

/// Test helper: a JSON value parsed as a payload (its text leaked, so the object can borrow it
/// for as long as a test needs).
#[cfg(test)]
pub(crate) fn test_object(v: &serde_json::Value) -> Object<'static> {
    json::parse_object(
        v.to_string().leak().as_bytes(),
        crate::error::TokenPart::Payload,
        &CLAIM_NAMES,
    )
    .expect("test JSON is an object")
}
