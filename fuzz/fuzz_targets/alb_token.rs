//! ALB user-claims tokens (`x-amzn-oidc-data`) through `AlbVerifier::verify`, with the fixed
//! key held in its cache. The first byte chooses the form of the rest:
//! - even: the rest is the token text (non-UTF-8 input is skipped: the API takes `&str`);
//! - odd: the rest is `header JSON 0xFF payload JSON`, signed with the fixed key (padded when
//!   bit 1 of the first byte is clear), so the header and claim rules are what gets fuzzed.
//!
//! Never panics; accepts only what the independent oracle confirms (see `src/alb.rs`).
#![no_main]

use cognito_verify_fuzz::alb::{mint_alb, verify_alb_and_check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(token) = std::str::from_utf8(rest) {
            verify_alb_and_check(token);
        }
    } else {
        let (header, payload) = match rest.iter().position(|&b| b == 0xff) {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, &[][..]),
        };
        verify_alb_and_check(&mint_alb(header, payload, mode & 2 == 0));
    }
});
