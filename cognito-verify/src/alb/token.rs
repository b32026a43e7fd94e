//! An ALB token split, decoded and parsed, not yet verified.
//!
//! ALB pads each base64url segment with `=` to a multiple of 4. That exact padding, or none, is
//! accepted here and nowhere else (the Cognito verifier's decoder stays strict): a part padded
//! any other way (too many or too few `=`, `=` inside) is malformed. The signature is checked
//! over the segments exactly as received.

use std::fmt;

use crate::alb::error::AlbError;
use crate::claims::{Date, Kind as _};
use crate::defaults::MAX_TOKEN_BYTES;
use crate::error::{ClaimProblem, Error, Malformed, TokenPart};
use crate::token::base64url;
use crate::token::json::{Json, Parsed, member_names, slot};

/// Length of an ES256 signature in JOSE form: `r || s`, 32 bytes each.
pub(crate) const ES256_SIGNATURE_BYTES: usize = 64;

member_names!(
    /// The header members the verifier reads.
    HEADER_NAMES = ["alg", "kid", "signer", "client", "iss", "exp", "crit"]
);

member_names!(
    /// The payload members the verifier reads (the whole payload is also kept as a map).
    PAYLOAD_NAMES = ["iss", "sub", "exp"]
);

/// A key id: a UUID (8-4-4-4-12 hex digits, either case), the only form ALB uses. Nothing but
/// hex digits and dashes can be in one, so it is safe as a URL path segment.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Kid(String);

impl Kid {
    /// The key id, if `text` is a UUID.
    pub(crate) fn parse(text: &str) -> Option<Kid> {
        let bytes = text.as_bytes();
        let is_uuid = bytes.len() == 36
            && bytes.iter().enumerate().all(|(i, &b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_hexdigit(),
            });
        is_uuid.then(|| Kid(text.to_owned()))
    }

    /// The key id as written in the token.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The header members the verifier checks.
#[derive(Debug)]
pub(crate) struct AlbHeader {
    pub(crate) kid: Kid,
    pub(crate) signer: String,
    pub(crate) client: String,
    pub(crate) iss: Option<String>,
    pub(crate) exp: Option<u64>,
}

/// The payload members the verifier checks, with the decoded payload's JSON text.
#[derive(Debug)]
pub(crate) struct AlbPayload {
    pub(crate) iss: Option<String>,
    pub(crate) sub: Option<String>,
    pub(crate) exp: Option<u64>,
    pub(crate) json: Vec<u8>,
}

/// A token split and decoded.
#[derive(Debug)]
pub(crate) struct AlbToken<'a> {
    /// `header "." payload`, exactly as received: the bytes the signature covers.
    pub(crate) signing_input: &'a str,
    pub(crate) header: AlbHeader,
    pub(crate) payload: AlbPayload,
    /// `r || s`.
    pub(crate) signature: [u8; ES256_SIGNATURE_BYTES],
}

/// Splits, decodes and parses a token. Checks, in order: size, three parts, the header (`alg`
/// ES256, no `crit`, `kid` a UUID, `signer` and `client` strings, `iss` and `exp` well-typed when
/// present), the payload (a strict JSON object; `iss`, `sub`, `exp` well-typed when present), the
/// signature (64 bytes).
pub(crate) fn parse(token: &str) -> Result<AlbToken<'_>, AlbError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(AlbError::TokenTooLarge {
            limit: MAX_TOKEN_BYTES,
        });
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AlbError::malformed(
            TokenPart::Header,
            Malformed::NotThreeParts,
        ));
    };
    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];

    let header_json = decode_part(header_b64, TokenPart::Header)?;
    let header = parse_header(&header_json)?;
    let payload = parse_payload(decode_part(payload_b64, TokenPart::Payload)?)?;
    let signature = decode_part(signature_b64, TokenPart::Signature)?;
    let signature = <[u8; ES256_SIGNATURE_BYTES]>::try_from(signature.as_slice())
        .map_err(|_| AlbError::InvalidSignature)?;
    Ok(AlbToken {
        signing_input,
        header,
        payload,
        signature,
    })
}

/// Decodes one part as ALB writes it: base64url padded with `=` to a multiple of 4, or
/// unpadded; strict otherwise (URL-safe alphabet, no stray bits).
pub(crate) fn decode_part(part: &str, which: TokenPart) -> Result<Vec<u8>, AlbError> {
    if part.is_empty() {
        return Err(AlbError::malformed(which, Malformed::EmptyPart));
    }
    let unpadded = part.trim_end_matches('=');
    let padding = part.len() - unpadded.len();
    if padding > 0 && (unpadded.is_empty() || padding != (4 - unpadded.len() % 4) % 4) {
        return Err(AlbError::malformed(which, Malformed::Base64));
    }
    base64url::decode_to_vec(unpadded).map_err(|_| AlbError::malformed(which, Malformed::Base64))
}

fn parse_header(json: &[u8]) -> Result<AlbHeader, AlbError> {
    let parsed = Parsed::parse(json.to_vec(), TokenPart::Header, &HEADER_NAMES)
        .map_err(from_core(TokenPart::Header))?;
    let (header, text) = (&parsed.object, parsed.text.as_str());
    match header.slot(slot!(HEADER_NAMES, "alg")) {
        Some(Json::String(alg)) if alg.as_str(text) == "ES256" => {}
        _ => return Err(AlbError::UnsupportedAlgorithm),
    }
    if header.slot(slot!(HEADER_NAMES, "crit")).is_some() {
        return Err(AlbError::UnsupportedCriticalHeader);
    }
    let kid = match header.slot(slot!(HEADER_NAMES, "kid")) {
        Some(Json::String(kid)) => Kid::parse(kid.as_str(text)).ok_or(AlbError::InvalidKid)?,
        _ => return Err(AlbError::MissingKid),
    };
    let string = |slot, claim| optional_string(header.slot(slot), text, claim);
    let required =
        |slot, claim: &'static str| string(slot, claim)?.ok_or(AlbError::MissingClaim { claim });
    Ok(AlbHeader {
        kid,
        signer: required(slot!(HEADER_NAMES, "signer"), "signer")?,
        client: required(slot!(HEADER_NAMES, "client"), "client")?,
        iss: string(slot!(HEADER_NAMES, "iss"), "iss")?,
        exp: numeric_date(header.slot(slot!(HEADER_NAMES, "exp")), text)?,
    })
}

fn parse_payload(json: Vec<u8>) -> Result<AlbPayload, AlbError> {
    let parsed = Parsed::parse(json, TokenPart::Payload, &PAYLOAD_NAMES)
        .map_err(from_core(TokenPart::Payload))?;
    let (payload, text) = (&parsed.object, parsed.text.as_str());
    let iss = optional_string(payload.slot(slot!(PAYLOAD_NAMES, "iss")), text, "iss")?;
    let sub = optional_string(payload.slot(slot!(PAYLOAD_NAMES, "sub")), text, "sub")?;
    let exp = numeric_date(payload.slot(slot!(PAYLOAD_NAMES, "exp")), text)?;
    Ok(AlbPayload {
        iss,
        sub,
        exp,
        json: parsed.text.into_bytes(),
    })
}

/// A member that must be a string when present.
fn optional_string(
    value: Option<&Json>,
    text: &str,
    claim: &'static str,
) -> Result<Option<String>, AlbError> {
    match value {
        None => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.as_str(text).to_owned())),
        Some(_) => Err(AlbError::InvalidClaim {
            claim,
            problem: ClaimProblem::WrongType,
        }),
    }
}

/// An `exp` member, when present: a NumericDate under the claims table's one rule.
fn numeric_date(value: Option<&Json>, text: &str) -> Result<Option<u64>, AlbError> {
    value
        .map(|json| {
            Date::read(json.clone(), text).map_err(|problem| AlbError::InvalidClaim {
                claim: "exp",
                problem,
            })
        })
        .transpose()
}

/// The core's strict JSON parser answers with its errors; these are the same refusals of an ALB
/// token. (It only ever answers `Malformed`; any other error is still a refusal, as a malformed
/// part.)
fn from_core(part: TokenPart) -> impl Fn(Error) -> AlbError {
    move |error| match error {
        Error::Malformed { part, reason } => AlbError::Malformed { part, reason },
        _ => AlbError::malformed(part, Malformed::Json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(part: &str) -> Result<Vec<u8>, AlbError> {
        decode_part(part, TokenPart::Payload)
    }

    #[test]
    fn padding_is_exactly_albs_or_absent() {
        // 1, 2 and 3 bytes: two, one and no padding characters.
        for (bytes, padded) in [(&b"a"[..], "YQ=="), (b"ab", "YWI="), (b"abc", "YWJj")] {
            assert_eq!(decode(padded).as_deref(), Ok(bytes), "{padded}");
            let unpadded = padded.trim_end_matches('=');
            assert_eq!(decode(unpadded).as_deref(), Ok(bytes), "{unpadded}");
        }
        let bad = |reason| Err(AlbError::malformed(TokenPart::Payload, reason));
        for wrong in [
            "YQ=", "YQ===", "YWI==", "YWJj=", "YWJj====", "=", "====", "Y=Q=", "YQ==YQ==", "YR==",
        ] {
            assert_eq!(decode(wrong), bad(Malformed::Base64), "{wrong}");
        }
        assert_eq!(decode(""), bad(Malformed::EmptyPart));
        // The standard alphabet is not base64url.
        assert_eq!(decode("+/8="), bad(Malformed::Base64));
        assert_eq!(decode("-_8=").as_deref(), Ok(&[0xfb, 0xff][..]));
    }

    #[test]
    fn kids_are_uuids_of_either_case() {
        for ok in [
            "a1b2c3d4-0000-4000-8000-00000000000f",
            "A1B2C3D4-0000-4000-8000-00000000000F",
        ] {
            assert_eq!(Kid::parse(ok).as_ref().map(Kid::as_str), Some(ok));
        }
        for bad in [
            "",
            "../x",
            "%2e%2e",
            "a1b2c3d4-0000-4000-8000-00000000000",
            "a1b2c3d4-0000-4000-8000-00000000000f0",
            "a1b2c3d400000-4000-8000-00000000000f",
            "a1b2c3d4-0000-4000-8000-00000000000g",
            "a1b2c3d4-0000-4000-8000-0000000000/f",
            "a1b2c3d4-0000-4000-8000-00000000000\u{e9}",
            "{a1b2c3d4-0000-4000-8000-00000000000f}",
        ] {
            assert_eq!(Kid::parse(bad), None, "{bad}");
        }
    }
}
