//! Arbitrary bytes as a token: `verify_bytes` on verifiers with the pool's keys preloaded.
//! Never panics; accepts only what the independent oracle confirms (see `src/lib.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cognito_verify_fuzz::verify_and_check(data);
});
