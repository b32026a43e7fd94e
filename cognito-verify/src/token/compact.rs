//! JWS compact serialization: `BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::header::Header;
use super::json::parse_object;
use crate::defaults::MAX_TOKEN_BYTES;
use crate::error::{Error, Malformed, TokenPart};

/// A token split, decoded and parsed, not yet verified.
#[derive(Debug)]
pub(crate) struct ParsedToken<'a> {
    /// `header "." payload`, exactly as received: the bytes the signature covers.
    pub(crate) signing_input: &'a str,
    pub(crate) header: Header,
    pub(crate) claims: Map<String, Value>,
    pub(crate) signature: Vec<u8>,
}

/// Splits and decodes a token. Checks, in order: size, three parts, header (so `alg` and `kid`
/// are judged before anything else is decoded), payload, signature.
pub(crate) fn parse(token: &str) -> Result<ParsedToken<'_>, Error> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Error::TokenTooLarge {
            limit: MAX_TOKEN_BYTES,
        });
    }
    let (signing_input, signature_b64) = token.rsplit_once('.').ok_or(Error::malformed(
        TokenPart::Header,
        Malformed::NotThreeParts,
    ))?;
    let (header_b64, payload_b64) = signing_input.split_once('.').ok_or(Error::malformed(
        TokenPart::Header,
        Malformed::NotThreeParts,
    ))?;
    if payload_b64.contains('.') {
        return Err(Error::malformed(
            TokenPart::Payload,
            Malformed::NotThreeParts,
        ));
    }

    let header = Header::from_object(decode_object(header_b64, TokenPart::Header)?)?;
    let claims = decode_object(payload_b64, TokenPart::Payload)?;
    let signature = decode(signature_b64, TokenPart::Signature)?;
    Ok(ParsedToken {
        signing_input,
        header,
        claims,
        signature,
    })
}

/// Strict base64url: the URL-safe alphabet, no padding, no whitespace, no stray trailing bits.
fn decode(part: &str, which: TokenPart) -> Result<Vec<u8>, Error> {
    if part.is_empty() {
        return Err(Error::malformed(which, Malformed::EmptyPart));
    }
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Error::malformed(which, Malformed::Base64))
}

fn decode_object(part: &str, which: TokenPart) -> Result<Map<String, Value>, Error> {
    parse_object(&decode(part, which)?, which)
}
