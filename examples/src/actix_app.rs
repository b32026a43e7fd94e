//! The actix-web example app (issue 4).
