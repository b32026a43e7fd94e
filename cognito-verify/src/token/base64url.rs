//! Strict base64url (RFC 4648 §5, as JWS and JWK use it): the URL-safe alphabet, no padding, no
//! whitespace, no length of 1 mod 4, and no stray bits in the last character (so every byte
//! string has exactly one accepted encoding).
//!
//! Decoding is on every verification's hot path (header, payload, signature), so it uses
//! `base64-simd` (runtime-detected SSSE3/AVX2/NEON; the AWS Rust SDK's own base64 crate). Its
//! strict, non-forgiving mode is exactly the rule above; a differential test below checks it
//! against the `base64` crate's `URL_SAFE_NO_PAD` engine, which this crate used before.

use std::mem::MaybeUninit;

use base64_simd::{Out, URL_SAFE_NO_PAD};

use crate::error::{Error, Malformed, TokenPart};

/// Why a part did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// Not strict base64url.
    Invalid,
    /// Valid, but longer than the output buffer.
    TooLong,
}

/// Decodes one part of a token; an empty part and a part that is not strict base64url are
/// malformed tokens, each with its own reason.
pub(crate) fn decode_part(part: &str, which: TokenPart) -> Result<Vec<u8>, Error> {
    if part.is_empty() {
        return Err(Error::malformed(which, Malformed::EmptyPart));
    }
    decode_to_vec(part).map_err(|_| Error::malformed(which, Malformed::Base64))
}

/// Decodes `text` into a new vector.
pub(crate) fn decode_to_vec(text: &str) -> Result<Vec<u8>, DecodeError> {
    URL_SAFE_NO_PAD
        .decode_to_vec(text)
        .map_err(|_| DecodeError::Invalid)
}

/// Decodes `text` into `buf` (which needs no initialising), returning the decoded bytes.
pub(crate) fn decode_into<'b>(
    text: &str,
    buf: &'b mut [MaybeUninit<u8>],
) -> Result<&'b [u8], DecodeError> {
    let len = URL_SAFE_NO_PAD
        .decoded_length(text.as_bytes())
        .map_err(|_| DecodeError::Invalid)?;
    let out = buf.get_mut(..len).ok_or(DecodeError::TooLong)?;
    URL_SAFE_NO_PAD
        .decode(text.as_bytes(), Out::from_uninit_slice(out))
        .map(|decoded| &*decoded)
        .map_err(|_| DecodeError::Invalid)
}

/// Encodes `bytes` (used by the test kit to mint tokens and JWKs).
#[cfg(feature = "testing")]
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode_to_string(bytes)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as REFERENCE;

    use super::*;

    /// Both decoders agree on acceptance and on the bytes.
    fn agree(text: &str) {
        let ours = decode_to_vec(text).ok();
        let reference = REFERENCE.decode(text).ok();
        assert_eq!(ours, reference, "disagreement on {text:?}");
        let mut buf = [MaybeUninit::uninit(); 64];
        let into = decode_into(text, &mut buf).ok().map(<[u8]>::to_vec);
        if text.len() <= 80 {
            assert_eq!(into, reference, "decode_into disagrees on {text:?}");
        }
    }

    #[test]
    fn agrees_with_the_reference_on_every_short_string() {
        // The alphabet, padding, the standard alphabet's extra characters, and separators.
        let symbols: Vec<char> = ('A'..='Z')
            .chain('a'..='z')
            .chain('0'..='9')
            .chain("-_=+/. \n\0é".chars())
            .collect();
        agree("");
        for a in &symbols {
            agree(&a.to_string());
            for b in &symbols {
                agree(&format!("{a}{b}"));
                for c in &symbols {
                    agree(&format!("{a}{b}{c}"));
                }
            }
        }
    }

    #[test]
    fn agrees_with_the_reference_on_longer_strings() {
        // A deterministic walk over lengths 4..300, with one character changed per case, so the
        // SIMD blocks and every tail length are covered.
        let valid = REFERENCE.encode((0..=255u8).cycle().take(225).collect::<Vec<u8>>());
        let odd = ['=', '+', '/', ' ', '.', 'é', '\n'];
        for len in 4..valid.len() {
            let base = &valid[..len];
            agree(base);
            for (i, bad) in odd.iter().enumerate() {
                let at = (len * 7 + i * 13) % len;
                let mut text: String = base.chars().take(at).collect();
                text.push(*bad);
                text.extend(base.chars().skip(at + 1));
                agree(&text);
            }
            // Stray bits in the last character: flip its lowest bit.
            let mut bytes = base.as_bytes().to_vec();
            if let Some(last) = bytes.last_mut() {
                *last = match *last {
                    b'A' => b'B',
                    b'B' => b'A',
                    other => other ^ 1,
                };
            }
            if let Ok(text) = String::from_utf8(bytes) {
                agree(&text);
            }
        }
    }

    #[test]
    fn decode_into_reports_a_short_buffer() {
        let text = REFERENCE.encode([7u8; 40]);
        let mut small = [MaybeUninit::uninit(); 39];
        assert_eq!(decode_into(&text, &mut small), Err(DecodeError::TooLong));
        let mut exact = [MaybeUninit::uninit(); 40];
        assert_eq!(decode_into(&text, &mut exact), Ok(&[7u8; 40][..]));
    }
}
