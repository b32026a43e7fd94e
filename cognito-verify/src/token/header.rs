//! The JOSE header: only `alg`, `kid` and `crit` matter.
//!
//! `jku`, `jwk`, `x5u` and `x5c` are ignored on purpose: keys come only from the configured JWKS
//! URI, never from a location the token names. `typ` is ignored (Cognito omits it, emulators
//! send `"JWT"`).

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::base64url;
use super::json::{Json, Object, Parsed, slot};

use super::algorithm::Algorithm;
use crate::defaults::MAX_KID_BYTES;
use crate::error::{Error, TokenPart};
use crate::jwks::Signed;

super::json::member_names!(
    /// The header members given slots when the header is parsed.
    pub(crate) NAMES = ["alg", "kid", "crit"]
);

/// The parts of a JOSE header the verifier acts on.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub(crate) alg: Algorithm,
    /// Shared with the memo's copy: a remembered header is handed out without an allocation.
    pub(crate) kid: Arc<str>,
    /// Whether this came from the [`HeaderMemo`] (so there is nothing to remember).
    remembered: bool,
}

impl Header {
    /// Reads the header object (parsed from `text`): `alg` first (an allowed algorithm), then
    /// `kid`, then `crit`.
    pub(crate) fn from_object(header: &Object, text: &str) -> Result<Self, Error> {
        let alg = match header.slot(slot!(NAMES, "alg")) {
            Some(Json::String(alg)) => Algorithm::from_header(alg.as_str(text))?,
            _ => return Err(Error::UnsupportedAlgorithm),
        };
        let kid = match header.slot(slot!(NAMES, "kid")) {
            Some(Json::String(kid))
                if !kid.as_str(text).is_empty() && kid.as_str(text).len() <= MAX_KID_BYTES =>
            {
                Arc::from(kid.as_str(text))
            }
            _ => return Err(Error::MissingKid),
        };
        if header.slot(slot!(NAMES, "crit")).is_some() {
            return Err(Error::UnsupportedCriticalHeader);
        }
        Ok(Header {
            alg,
            kid,
            remembered: false,
        })
    }
}

/// Decodes and parses a header (its base64url text).
fn parse(b64: &str) -> Result<Header, Error> {
    let json = base64url::decode_part(b64, TokenPart::Header)?;
    let parsed = Parsed::parse(json, TokenPart::Header, &NAMES)?;
    Header::from_object(&parsed.object, &parsed.text)
}

/// How many verified headers a [`HeaderMemo`] keeps: a pool signs with one key at a time, two
/// during a rotation; a verifier of several pools sees a few more.
const MEMO_HEADERS: usize = 4;

/// The headers of tokens that verified, with what they parse to: every token a pool signs with
/// one key carries the same header text, so a later token with exactly that text skips decoding
/// and parsing it (the result is a function of the text alone). Only headers of signed input are
/// remembered — [`remember`](Self::remember) takes the proof that a signature verified, and
/// reads the header from the signed text itself — so other input cannot fill or churn it. Read
/// with one `ArcSwap` load.
#[derive(Debug)]
pub(crate) struct HeaderMemo {
    recent: ArcSwap<Vec<(Box<str>, Header)>>,
}

impl Default for HeaderMemo {
    fn default() -> Self {
        HeaderMemo {
            recent: ArcSwap::from_pointee(Vec::new()),
        }
    }
}

impl HeaderMemo {
    /// The header of base64url text `b64`: remembered, or decoded and parsed.
    pub(crate) fn header(&self, b64: &str) -> Result<Header, Error> {
        let recent = self.recent.load();
        match recent.iter().find(|(text, _)| **text == *b64) {
            Some((_, header)) => Ok(header.clone()),
            None => parse(b64),
        }
    }

    /// Remembers the header of `signed`, a token whose signature verified, `header` being what
    /// [`header`](Self::header) gave for it (nothing to do when that came from the memo).
    pub(crate) fn remember(&self, header: &Header, signed: &Signed<'_>) {
        if header.remembered {
            return;
        }
        let Some((b64, _)) = signed.signing_input().split_once('.') else {
            return;
        };
        if self.recent.load().iter().any(|(text, _)| **text == *b64) {
            return;
        }
        // Parsed again from the signed text (only when it is new: once per signing key), so what
        // is remembered is exactly what that text parses to.
        let Ok(mut header) = parse(b64) else {
            return;
        };
        header.remembered = true;
        self.recent.rcu(|recent| {
            let mut next = Vec::with_capacity(MEMO_HEADERS);
            next.push((Box::from(b64), header.clone()));
            next.extend(
                recent
                    .iter()
                    .filter(|(text, _)| **text != *b64)
                    .take(MEMO_HEADERS - 1)
                    .cloned(),
            );
            Arc::new(next)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Malformed;
    use crate::jwks::KeySet;
    use crate::testing::{TestKey, b64};

    fn header_text(kid: &str) -> String {
        b64(serde_json::json!({ "kid": kid, "alg": "RS256" }).to_string())
    }

    #[test]
    fn remembers_recent_signed_headers_only() {
        let key = TestKey::generate_with_kid("k");
        let set = KeySet::parse(
            serde_json::json!({ "keys": [key.jwk()] })
                .to_string()
                .as_bytes(),
            std::time::SystemTime::UNIX_EPOCH,
        )
        .unwrap();
        let key_in_set = set.get("k").unwrap();
        // A token with this header, signed: the proof `remember` asks for.
        let sign = |header: &str| {
            let input: &'static str = format!("{header}.e30").leak();
            let signature = key.sign(input.as_bytes());
            let signed = key_in_set.verify(Algorithm::Rs256, input, &signature);
            signed.unwrap()
        };
        let memo = HeaderMemo::default();
        let a = header_text("a");
        let parsed = memo.header(&a).map(|h| h.kid);
        assert_eq!(parsed.as_deref(), Ok("a"));
        assert!(
            memo.recent.load().is_empty(),
            "parsing alone remembers nothing"
        );
        // A header parsed, not handed out by the memo: what `remember` is given for a new one.
        let parsed = parse(&a).unwrap();
        assert!(!parsed.remembered);
        memo.remember(&parsed, &sign(&a));
        memo.remember(&parsed, &sign(&a));
        assert_eq!(memo.recent.load().len(), 1);
        let handed_out = memo.header(&a).unwrap();
        assert!(handed_out.remembered, "handed out by the memo");
        for kid in ["b", "c", "d", "e"] {
            memo.remember(&parsed, &sign(&header_text(kid)));
        }
        // One handed out by the memo is not remembered again (nor moved to the front).
        memo.remember(&handed_out, &sign(&a));
        let kept: Vec<String> = memo
            .recent
            .load()
            .iter()
            .map(|(_, h)| h.kid.to_string())
            .collect();
        assert_eq!(kept, ["e", "d", "c", "b"]);
        // A signed header that does not parse is not remembered.
        memo.remember(&parsed, &sign("e30"));
        assert_eq!(memo.recent.load().len(), 4);
        assert!(memo.recent.load().iter().all(|(text, _)| &**text != "e30"));
        // Forgotten or never seen, a header is parsed again, with the same result and errors.
        assert_eq!(memo.header(&a).map(|h| h.kid).as_deref(), Ok("a"));
        assert_eq!(
            memo.header("").map(|h| h.kid),
            Err(Error::malformed(TokenPart::Header, Malformed::EmptyPart))
        );
        assert_eq!(
            memo.header("e30").map(|h| h.kid),
            Err(Error::UnsupportedAlgorithm)
        );
    }
}
