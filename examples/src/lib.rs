//! The example apps, as library code so the examples and the tests share them.

pub mod actix_app;
pub mod axum_app;
pub mod config;
pub mod grpc_app;
pub mod metrics;
