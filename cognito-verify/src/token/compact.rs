//! JWS compact serialization: `BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::{DecodeSliceError, Engine as _};

use super::header::{self, Header};
use super::json::{Object, parse_object};
use crate::defaults::MAX_TOKEN_BYTES;
use crate::error::{Error, Malformed, TokenPart};

/// A token split, decoded and parsed, not yet verified.
#[derive(Debug)]
pub(crate) struct ParsedToken<'a> {
    /// `header "." payload`, exactly as received: the bytes the signature covers.
    pub(crate) signing_input: &'a str,
    pub(crate) header: Header,
    /// The claims, parsed (members with a claim name in [`CLAIM_NAMES`] in slots).
    pub(crate) claims: Object,
    /// The decoded payload: the claims' JSON text, kept for `raw_claims` and user types.
    pub(crate) payload: Vec<u8>,
    signature: [u8; MAX_SIGNATURE_BYTES],
    signature_len: usize,
}

/// The largest signature accepted, in bytes: RSA-8192's. A longer one cannot verify.
const MAX_SIGNATURE_BYTES: usize = 1024;

/// The claims given slots when the payload is parsed: those the rules and the typed claims read.
pub(crate) const CLAIM_NAMES: &[&str] = &[
    "iss",
    "sub",
    "token_use",
    "client_id",
    "aud",
    "scope",
    "cognito:groups",
    "username",
    "cognito:username",
    "exp",
    "nbf",
    "iat",
    "auth_time",
    "jti",
    "origin_jti",
    "event_id",
    "version",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "nonce",
];

impl ParsedToken<'_> {
    /// The decoded signature.
    pub(crate) fn signature(&self) -> &[u8] {
        &self.signature[..self.signature_len]
    }
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

    let header_json = decode(header_b64, TokenPart::Header)?;
    let header = Header::from_object(parse_object(
        &header_json,
        TokenPart::Header,
        header::NAMES,
    )?)?;
    let payload = decode(payload_b64, TokenPart::Payload)?;
    let claims = parse_object(&payload, TokenPart::Payload, CLAIM_NAMES)?;
    if signature_b64.is_empty() {
        return Err(Error::malformed(TokenPart::Signature, Malformed::EmptyPart));
    }
    let mut signature = [0; MAX_SIGNATURE_BYTES];
    let signature_len = match URL_SAFE_NO_PAD.decode_slice(signature_b64, &mut signature) {
        Ok(len) => len,
        Err(DecodeSliceError::OutputSliceTooSmall) => return Err(Error::InvalidSignature),
        Err(DecodeSliceError::DecodeError(_)) => {
            return Err(Error::malformed(TokenPart::Signature, Malformed::Base64));
        }
    };
    Ok(ParsedToken {
        signing_input,
        header,
        claims,
        payload,
        signature,
        signature_len,
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
