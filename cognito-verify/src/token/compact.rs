//! JWS compact serialization: `BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)`.

use std::mem::MaybeUninit;

use super::base64url::{self, DecodeError};
use super::header::{Header, HeaderMemo};
use super::json::{Object, parse_into};
use crate::defaults::MAX_TOKEN_BYTES;
use crate::error::{Error, Malformed, TokenPart};

/// A token split, decoded and parsed, not yet verified.
#[derive(Debug)]
pub(crate) struct ParsedToken<'a> {
    /// `header "." payload`, exactly as received: the bytes the signature covers.
    pub(crate) signing_input: &'a str,
    /// The header's base64url text (for [`HeaderMemo::remember`]).
    pub(crate) header_b64: &'a str,
    pub(crate) header: Header,
    /// The decoded signature, in the caller's [`SignatureBuf`].
    pub(crate) signature: &'a [u8],
}

/// The largest signature accepted, in bytes: RSA-8192's. A longer one cannot verify.
const MAX_SIGNATURE_BYTES: usize = 1024;

/// Room for a decoded signature, on the caller's stack (left uninitialised: only the decoded
/// bytes are ever read).
pub(crate) type SignatureBuf = [MaybeUninit<u8>; MAX_SIGNATURE_BYTES];

/// An empty [`SignatureBuf`].
pub(crate) const fn signature_buf() -> SignatureBuf {
    [MaybeUninit::uninit(); MAX_SIGNATURE_BYTES]
}

super::json::member_names!(
    /// The claims given slots when the payload is parsed: those the rules and the typed claims
    /// read.
    pub(crate) CLAIM_NAMES = [
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
    ]
);

/// Splits and decodes a token. Checks, in order: size, at least three parts, header (so `alg` and
/// `kid` are judged before anything else is decoded), payload (where a fourth part shows),
/// signature (decoded into `signature`). The decoded payload (the claims' JSON text, which the
/// verified token keeps) is left in `payload`, and parsed into `claims`, an empty object of
/// [`CLAIM_NAMES`] (the caller's, so the large object is never moved).
pub(crate) fn parse<'a>(
    token: &'a str,
    signature: &'a mut SignatureBuf,
    payload: &'a mut Vec<u8>,
    claims: &mut Object<'a>,
    headers: &HeaderMemo,
) -> Result<ParsedToken<'a>, Error> {
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

    let header = headers.header(header_b64)?;
    // A fourth part would leave a '.' in the payload, which base64url refuses; it is told apart
    // only then, so a valid token's payload is scanned once, by the decoder.
    *payload = base64url::decode_part(payload_b64, TokenPart::Payload).map_err(|e| {
        if payload_b64.contains('.') {
            Error::malformed(TokenPart::Payload, Malformed::NotThreeParts)
        } else {
            e
        }
    })?;
    parse_into(payload, TokenPart::Payload, claims)?;
    if signature_b64.is_empty() {
        return Err(Error::malformed(TokenPart::Signature, Malformed::EmptyPart));
    }
    let signature = match base64url::decode_into(signature_b64, signature) {
        Ok(decoded) => decoded,
        Err(DecodeError::TooLong) => return Err(Error::InvalidSignature),
        Err(DecodeError::Invalid) => {
            return Err(Error::malformed(TokenPart::Signature, Malformed::Base64));
        }
    };
    Ok(ParsedToken {
        signing_input,
        header_b64,
        header,
        signature,
    })
}
