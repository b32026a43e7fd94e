//! Parsing of the token itself: JWS compact form, strict base64url, strict JSON, the header.
//!
//! Nothing here trusts anything: it only turns bytes into structures, refusing whatever is not
//! exactly the form RFC 7515 requires. Trust comes from the signature check in the verifier.

mod compact;
mod header;
mod json;

pub(crate) use compact::parse;
