//! Arbitrary bytes as a JWKS document, straight into the core's `KeySet::parse` (compiled from
//! the core's source, see `mirror` in `src/lib.rs`): the fast twin of `jwks_parse`, which goes
//! through `Verifier::build()` and so runs at about 60 executions a second.
//!
//! Invariants: no panic; a kid verifies a signature by fuzz key A or B only if the document
//! publishes that key's modulus and exponent under that kid (checked independently).
#![no_main]

use cognito_verify_fuzz::{KID, KID_B, MirrorKeySet, mirror_keyset, publishes};
use libfuzzer_sys::fuzz_target;

const MESSAGE: &[u8] = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmdXp6In0";

fuzz_target!(|data: &[u8]| {
    if let MirrorKeySet::Parsed { keys, verified } = mirror_keyset(data, &[KID, KID_B], MESSAGE) {
        assert!(keys <= cognito_verify::defaults::MAX_KEYS_PER_SET);
        for (kid, outcome) in [KID, KID_B].iter().zip(verified) {
            if outcome == Some(true) {
                assert!(
                    publishes(&String::from_utf8_lossy(data), kid),
                    "kid {kid} verified with a key the document does not publish"
                );
            }
        }
    }
});
