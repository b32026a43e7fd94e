//! The README's "AWS Lambda" section shows `lambda_authorizer` and `lambda_app` whole: the code
//! of each binary (from its first `use`) must appear there verbatim, so the copy a reader takes
//! is the program that is compiled and tested.

use std::path::Path;

fn program(file: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join(file)).unwrap_or_default();
    let start = source.find("\nuse ").map_or(source.len(), |i| i + 1);
    source[start..].trim_end().to_owned()
}

#[test]
fn the_readme_shows_the_lambda_programs_as_compiled() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md")).unwrap_or_default();
    for file in ["lambda_authorizer.rs", "lambda_app.rs"] {
        let code = program(file);
        assert!(code.contains("async fn main"), "{file}: no program found");
        assert!(
            readme.contains(&format!("```rust,ignore\n{code}\n```")),
            "README.md does not show {file} as it is; copy its code from the first `use`"
        );
    }
}
