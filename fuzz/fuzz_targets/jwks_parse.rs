//! Arbitrary bytes as a JWKS document: the builder parses it as a preloaded key set, then fixed
//! tokens signed by keys A and B are verified against whatever keys it yielded.
//!
//! Invariants: building either succeeds or says `invalid_static_jwks`; a token verifies only if
//! the document really publishes, under the token's `kid`, the RSA key that signed it (checked
//! independently on the document with serde_json); nothing is ever "keys unavailable".
#![no_main]

use std::sync::OnceLock;

use cognito_verify::{ManualClock, Pool, TokenUse, Verifier};
use cognito_verify_fuzz::{KID, KID_B, NOW, POOL_ID, access_claims, header, mint, now, publishes};
use libfuzzer_sys::fuzz_target;

/// Access tokens signed by key A (kid A) and key B (kid B).
fn tokens() -> &'static [(&'static str, String); 2] {
    static T: OnceLock<[(&'static str, String); 2]> = OnceLock::new();
    T.get_or_init(|| {
        let claims = access_claims().to_string();
        [
            (
                KID,
                mint(KID, header(KID).to_string().as_bytes(), claims.as_bytes()),
            ),
            (
                KID_B,
                mint(
                    KID_B,
                    header(KID_B).to_string().as_bytes(),
                    claims.as_bytes(),
                ),
            ),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let document = String::from_utf8_lossy(data);
    let built = Verifier::builder()
        .pool(
            Pool::new(POOL_ID)
                .any_client()
                .static_jwks(document.clone()),
        )
        .token_use(TokenUse::Access)
        .clock(ManualClock::at_unix(NOW))
        .token_cache_max_bytes(0)
        .build();
    let verifier = match built {
        Ok(v) => v,
        Err(e) => {
            assert_eq!(e.kind().as_str(), "invalid_static_jwks", "{e}");
            return;
        }
    };
    for (kid, token) in tokens() {
        match now(verifier.verify(token)) {
            Ok(_) => assert!(
                publishes(&document, kid),
                "verified a token for kid {kid} the document does not publish"
            ),
            Err(e) => assert!(
                matches!(
                    e.kind().as_str(),
                    "unknown_kid" | "algorithm_mismatch" | "invalid_signature"
                ),
                "unexpected refusal {}",
                e.kind()
            ),
        }
    }
});
