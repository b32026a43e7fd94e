//! Prints the results of the last `cargo bench --bench verify` as a Markdown table with the
//! ratios the README's performance table reports, read from criterion's `estimates.json` files (medians).
//!
//! ```text
//! cargo run -p cognito-verify-benches --bin bench_table [-- CRITERION_DIR]
//! ```
//!
//! `CRITERION_DIR` defaults to where criterion writes: `$CARGO_TARGET_DIR/criterion`, a relative
//! `CARGO_TARGET_DIR` being taken from this package's folder (criterion runs there), else the
//! workspace's `target/criterion`.

use std::path::{Path, PathBuf};

use cognito_verify_benches::SetupError;
use serde_json::Value;

/// A bench, what it is compared with, and how the comparison reads.
struct Row {
    id: &'static str,
    what: &'static str,
    reference: Option<&'static str>,
    /// The issue's target for this row (ratios are throughput over the reference's).
    target: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        id: "rs256/bare_aws_lc/access",
        what: "bare aws-lc-rs RSA-2048 verify, key parsed once (access token input)",
        reference: None,
        target: "reference",
    },
    Row {
        id: "rs256/full_uncached/access",
        what: "full validation, access token, cache off",
        reference: Some("rs256/bare_aws_lc/access"),
        target: "≥ 0.92×",
    },
    Row {
        id: "rs256/bare_aws_lc/id",
        what: "bare aws-lc-rs verify (id token input)",
        reference: None,
        target: "reference",
    },
    Row {
        id: "rs256/full_uncached/id",
        what: "full validation, id token, cache off",
        reference: Some("rs256/bare_aws_lc/id"),
        target: "≥ 0.92×",
    },
    Row {
        id: "rs256/bare_aws_lc/m2m",
        what: "bare aws-lc-rs verify (M2M token input)",
        reference: None,
        target: "reference",
    },
    Row {
        id: "rs256/full_uncached/m2m",
        what: "full validation, M2M access token, cache off",
        reference: Some("rs256/bare_aws_lc/m2m"),
        target: "(≥ 0.92×)",
    },
    Row {
        id: "rs256/cached_hit/access",
        what: "cache hit, access token",
        reference: Some("rs256/bare_aws_lc/access"),
        target: "≤ 1 µs",
    },
    Row {
        id: "rs256/cached_hit/id",
        what: "cache hit, id token",
        reference: Some("rs256/bare_aws_lc/id"),
        target: "≤ 1 µs",
    },
    Row {
        id: "threads/bare_aws_lc/1t",
        what: "bare verify, 1 thread",
        reference: None,
        target: "reference",
    },
    Row {
        id: "threads/bare_aws_lc/2t",
        what: "bare verify, 2 threads (total)",
        reference: Some("threads/bare_aws_lc/1t"),
        target: "(≥ 1.9×)",
    },
    Row {
        id: "threads/full_uncached/1t",
        what: "full validation (access, cache off), 1 thread",
        reference: None,
        target: "reference",
    },
    Row {
        id: "threads/full_uncached/2t",
        what: "full validation (access, cache off), 2 threads (total)",
        reference: Some("threads/full_uncached/1t"),
        target: "≥ 1.9×",
    },
    Row {
        id: "threads/cached_hit/1t",
        what: "cache hit (access), 1 thread",
        reference: None,
        target: "reference",
    },
    Row {
        id: "threads/cached_hit/2t",
        what: "cache hit (access), 2 threads (total), both on the same token",
        reference: Some("threads/cached_hit/1t"),
        target: "(worst case: one shared entry)",
    },
    Row {
        id: "threads/cached_hit_users/1t",
        what: "cache hit (access), 1 thread cycling through 32 users' tokens",
        reference: None,
        target: "reference",
    },
    Row {
        id: "threads/cached_hit_users/2t",
        what: "cache hit (access), 2 threads (total), each through its own 32 users' tokens",
        reference: Some("threads/cached_hit_users/1t"),
        target: "≥ 1.9×",
    },
    Row {
        id: "threads/moka_get_users/1t",
        what: "moka `get` alone (configured as the core's cache), 1 thread",
        reference: None,
        target: "reference",
    },
    Row {
        id: "threads/moka_get_users/2t",
        what: "moka `get` alone, 2 threads (total), each on its own users' tokens",
        reference: Some("threads/moka_get_users/1t"),
        target: "(information)",
    },
    Row {
        id: "floor/base64_decode_3_parts",
        what: "floor: base64url-decode the 3 parts of the access token",
        reference: None,
        target: "(information)",
    },
    Row {
        id: "floor/json_payload_to_map",
        what: "floor: payload JSON to an owned `serde_json::Map`",
        reference: None,
        target: "(information)",
    },
    Row {
        id: "floor/json_payload_to_borrowed_struct",
        what: "floor: payload JSON to a borrowed typed struct (≈ the core's parse)",
        reference: None,
        target: "(information)",
    },
    Row {
        id: "middleware/plain_router",
        what: "axum Router, no layer (oneshot, in-process)",
        reference: None,
        target: "reference",
    },
    Row {
        id: "middleware/layer_cached_hit",
        what: "same Router + CognitoAuth layer, cache hit",
        reference: Some("middleware/plain_router"),
        target: "(in-process view of target 4)",
    },
    Row {
        id: "middleware/layer_uncached",
        what: "same Router + CognitoAuth layer, cache off",
        reference: Some("middleware/plain_router"),
        target: "(information)",
    },
];

/// Median time of one iteration in ns, and elements per iteration.
fn load(dir: &Path, id: &str) -> Result<(f64, f64), SetupError> {
    let base = dir.join(id).join("new");
    let estimates: Value =
        serde_json::from_str(&std::fs::read_to_string(base.join("estimates.json"))?)?;
    let median = estimates["median"]["point_estimate"]
        .as_f64()
        .ok_or("no median in estimates.json")?;
    let benchmark: Value =
        serde_json::from_str(&std::fs::read_to_string(base.join("benchmark.json"))?)?;
    let elements = benchmark["throughput"]["Elements"].as_f64().unwrap_or(1.0);
    Ok((median, elements))
}

fn time(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn main() -> Result<(), SetupError> {
    let dir = match std::env::args().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let package = Path::new(env!("CARGO_MANIFEST_DIR"));
            match std::env::var_os("CARGO_TARGET_DIR") {
                Some(dir) => package.join(dir).join("criterion"),
                None => package.join("../target/criterion"),
            }
        }
    };
    println!(
        "| bench | what | median time / iteration | throughput | ratio vs reference | target |"
    );
    println!("|---|---|---:|---:|---:|---|");
    for row in ROWS {
        let Ok((ns, elements)) = load(&dir, row.id) else {
            println!(
                "| `{}` | {} | (not run) | | | {} |",
                row.id, row.what, row.target
            );
            continue;
        };
        let per_sec = elements * 1e9 / ns;
        let ratio = match row.reference.map(|r| load(&dir, r)) {
            Some(Ok((ref_ns, ref_elements))) => {
                format!("{:.3}×", per_sec / (ref_elements * 1e9 / ref_ns))
            }
            Some(Err(_)) => "(reference not run)".into(),
            None => "1×".into(),
        };
        println!(
            "| `{}` | {} | {} | {:.0}/s | {} | {} |",
            row.id,
            row.what,
            time(ns),
            per_sec,
            ratio,
            row.target
        );
    }
    Ok(())
}
