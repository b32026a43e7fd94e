//! The axum example app (issue 3).
