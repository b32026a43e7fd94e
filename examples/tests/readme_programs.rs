//! The READMEs show whole programs that are compiled here: the workspace README the two quick
//! starts and the two Lambda functions, each adapter's README its quick start. The code of each
//! program (from its first `use`) must appear in its README verbatim, so the copy a reader takes
//! is the program that is compiled (and, for the Lambda functions, tested under the emulator).

use std::path::Path;

/// Each README (relative to this package) and the programs it shows.
const SHOWN: &[(&str, &[&str])] = &[
    (
        "../README.md",
        &[
            "quickstart_axum.rs",
            "quickstart_actix.rs",
            "lambda_authorizer.rs",
            "lambda_app.rs",
        ],
    ),
    ("../cognito-verify-axum/README.md", &["quickstart_axum.rs"]),
    (
        "../cognito-verify-actix/README.md",
        &["quickstart_actix.rs"],
    ),
];

fn read(file: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join(file)).unwrap_or_default()
}

fn program(file: &str) -> String {
    let source = read(file);
    let start = source.find("\nuse ").map_or(source.len(), |i| i + 1);
    source[start..].trim_end().to_owned()
}

#[test]
fn the_readmes_show_the_programs_as_compiled() {
    for (readme, files) in SHOWN {
        let text = read(readme);
        assert!(!text.is_empty(), "{readme} not found");
        for file in *files {
            let code = program(file);
            assert!(code.contains("async fn main"), "{file}: no program found");
            assert!(
                text.contains(&format!("```rust,ignore\n{code}\n```")),
                "{readme} does not show {file} as it is; copy its code from the first `use`"
            );
        }
    }
}
