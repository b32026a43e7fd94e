//! JWS compact serialization: `BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)`.

use std::mem::MaybeUninit;

use super::base64url::{self, DecodeError};
use super::header::{Header, HeaderMemo};
use super::json::{Names, Parsed};
use crate::defaults::MAX_TOKEN_BYTES;
use crate::error::{Error, Malformed, TokenPart};

/// A token split, decoded and parsed, not yet verified. Borrows the token and the
/// [`TokenBuffers`] its signature was decoded into.
#[derive(Debug)]
pub(crate) struct ParsedToken<'a> {
    /// `header "." payload`, exactly as received: the bytes the signature covers.
    pub(crate) signing_input: &'a str,
    pub(crate) header: Header,
    /// The payload, strictly parsed, with its text: the claims named by the caller in their
    /// slots, every other member kept in order.
    pub(crate) payload: &'a mut Parsed,
    /// The decoded signature.
    pub(crate) signature: &'a [u8],
}

/// The largest signature accepted, in bytes: RSA-8192's. A longer one cannot verify.
const MAX_SIGNATURE_BYTES: usize = 1024;

/// What parsing a token decodes into: room for the signature (left uninitialised: only the
/// decoded bytes are ever read) and the parsed payload. The caller keeps it on its stack, so the
/// parsed token borrows from it without copies.
pub(crate) struct TokenBuffers {
    signature: [MaybeUninit<u8>; MAX_SIGNATURE_BYTES],
    payload: Parsed,
}

impl TokenBuffers {
    /// Empty buffers, the payload's members named in `claim_names` to get slots.
    pub(crate) fn new(claim_names: &'static Names) -> Self {
        TokenBuffers {
            signature: [MaybeUninit::uninit(); MAX_SIGNATURE_BYTES],
            payload: Parsed::empty(claim_names),
        }
    }
}

/// `text` split around the `.` found at byte `dot` (what `split_once`/`rsplit_once` give, with
/// the dot found by SIMD search).
fn split_at_dot(text: &str, dot: Option<usize>) -> Option<(&str, &str)> {
    let dot = dot?;
    Some((text.get(..dot)?, text.get(dot + 1..)?))
}

/// Splits, decodes and parses a token into `buffers`. Checks, in order: size, at least three parts,
/// header (so `alg` and `kid` are judged before anything else is decoded), payload (where a
/// fourth part shows), signature.
pub(crate) fn parse<'a>(
    token: &'a str,
    buffers: &'a mut TokenBuffers,
    headers: &HeaderMemo,
) -> Result<ParsedToken<'a>, Error> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Error::TokenTooLarge {
            limit: MAX_TOKEN_BYTES,
        });
    }
    let not_three_parts = || Error::malformed(TokenPart::Header, Malformed::NotThreeParts);
    let (signing_input, signature_b64) =
        split_at_dot(token, memchr::memrchr(b'.', token.as_bytes())).ok_or_else(not_three_parts)?;
    let (header_b64, payload_b64) = split_at_dot(
        signing_input,
        memchr::memchr(b'.', signing_input.as_bytes()),
    )
    .ok_or_else(not_three_parts)?;

    let header = headers.header(header_b64)?;
    // A fourth part would leave a '.' in the payload, which base64url refuses; it is told apart
    // only then, so a valid token's payload is scanned once, by the decoder.
    let payload = base64url::decode_part(payload_b64, TokenPart::Payload).map_err(|e| {
        if payload_b64.contains('.') {
            Error::malformed(TokenPart::Payload, Malformed::NotThreeParts)
        } else {
            e
        }
    })?;
    let TokenBuffers {
        signature: signature_buf,
        payload: parsed,
    } = buffers;
    parsed.parse_into(payload, TokenPart::Payload)?;
    if signature_b64.is_empty() {
        return Err(Error::malformed(TokenPart::Signature, Malformed::EmptyPart));
    }
    let signature = match base64url::decode_into(signature_b64, signature_buf) {
        Ok(decoded) => decoded,
        Err(DecodeError::TooLong) => return Err(Error::InvalidSignature),
        Err(DecodeError::Invalid) => {
            return Err(Error::malformed(TokenPart::Signature, Malformed::Base64));
        }
    };
    Ok(ParsedToken {
        signing_input,
        header,
        payload: parsed,
        signature,
    })
}
