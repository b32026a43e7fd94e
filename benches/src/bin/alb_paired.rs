//! ALB tokens measured in pairs, as `paired` measures Cognito tokens: the bare aws-lc-rs ES256
//! verify (`ParsedPublicKey::verify_sig` with `ECDSA_P256_SHA256_FIXED`, key parsed once, of the
//! token's signing input and decoded signature) and `AlbVerifier::verify` of the same token
//! alternate in short batches in one process; each round gives one ratio.
//!
//! ```text
//! alb_paired [ROUNDS] [BATCH]      (defaults: 200 rounds, batches of 200 verifications)
//! ```
//!
//! The verifier's key is fetched once, at set-up, from the test kit's key server on loopback;
//! after that every `verify` completes on its first poll (driven with `now_or_never`, no runtime
//! in the measurement). The ALB verifier has no verified-token cache: every call is the full
//! path (split, base64url with padding, strict JSON header and payload, every check, key
//! lookup, signature, the payload as a JSON map).

use std::hint::black_box;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_verify::alb::AlbVerifier;
use cognito_verify::testing::alb::{AlbKeyServer, TestAlb};
use cognito_verify_benches::{SetupError, micros, quantile, time};
use futures_util::FutureExt as _;

fn main() -> Result<(), SetupError> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map_or(Ok(200), |n| n.parse())?;
    let batch: usize = args.next().map_or(Ok(200), |n| n.parse())?;

    let alb = TestAlb::new();
    let token = alb
        .token()
        .claim("email", "jane.doe@example.com")
        .claim("name", "Jane Doe")
        .claim("cognito:groups", serde_json::json!(["admin", "ops"]))
        .sign();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (_server, verifier) = runtime.block_on(async {
        let server = AlbKeyServer::start().await?;
        server.add_key(alb.signing_key());
        let verifier = alb.verifier_builder(&server.base_url()).build()?;
        verifier.verify(&token).await?;
        Ok::<_, SetupError>((server, verifier))
    })?;

    let (input, signature) = token.rsplit_once('.').ok_or("not a JWS")?;
    let signature = URL_SAFE_NO_PAD.decode(signature.trim_end_matches('='))?;
    let der = alb.signing_key().public_key_der();
    let bare = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, der).map_err(|_| "not a key")?;
    let bare_ok = || {
        bare.verify_sig(black_box(input.as_bytes()), black_box(&signature))
            .is_ok()
    };
    let full_ok = || full(&verifier, black_box(&token));
    if !bare_ok() || !full_ok() {
        return Err("the token is refused".into());
    }

    println!(
        "ALB token ({} characters): {rounds} rounds, batches of {batch}; ratio = full validation / bare ES256 verify throughput",
        token.len()
    );
    println!(
        "| token | bare, µs (median) | full, µs (median) | ratio: median | lower quartile | upper quartile |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let (mut bares, mut fulls, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (b, f) = if round % 2 == 0 {
            let b = time(batch, bare_ok)?;
            (b, time(batch, full_ok)?)
        } else {
            let f = time(batch, full_ok)?;
            (time(batch, bare_ok)?, f)
        };
        bares.push(micros(b, batch));
        fulls.push(micros(f, batch));
        ratios.push(b.as_secs_f64() / f.as_secs_f64());
    }
    println!(
        "| alb (ES256) | {:.2} | {:.2} | {:.3}× | {:.3}× | {:.3}× |",
        quantile(&mut bares, 0.5),
        quantile(&mut fulls, 0.5),
        quantile(&mut ratios, 0.5),
        quantile(&mut ratios, 0.25),
        quantile(&mut ratios, 0.75),
    );
    Ok(())
}

fn full(verifier: &AlbVerifier, token: &str) -> bool {
    matches!(verifier.verify(token).now_or_never(), Some(Ok(claims)) if !black_box(&claims).sub().is_empty())
}
