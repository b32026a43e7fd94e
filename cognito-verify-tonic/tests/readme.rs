//! The workspace README's gRPC program is this crate README's, which compiles as a doctest of
//! this crate (the workspace README's own doctests run in the core, which has no tonic).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The code of the first block fenced with `fence` after `heading` (or from the start).
fn block<'a>(text: &'a str, heading: &str, fence: &str) -> &'a str {
    let text = &text[text.find(heading).unwrap()..];
    let start = text.find(fence).unwrap() + fence.len();
    let end = start + text[start..].find("```\n").unwrap();
    &text[start..end]
}

#[test]
fn the_workspace_readme_shows_the_compiled_program() {
    let crate_readme = include_str!("../README.md");
    let workspace_readme = include_str!("../../README.md");
    let compiled = block(crate_readme, "# cognito-verify-tonic", "```rust,no_run\n");
    let shown = block(workspace_readme, "## gRPC (tonic)", "```rust,ignore\n");
    assert!(compiled.contains("async fn main()"), "a complete program");
    assert_eq!(shown, compiled);
}
