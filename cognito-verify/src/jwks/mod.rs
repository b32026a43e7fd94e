//! Signing keys: parsing a JWKS once per fetch, fetching it over HTTP, and the per-URI cache
//! that refreshes, coalesces and rate-limits fetches.

mod fetch;
mod keyset;
mod source;

pub(crate) use fetch::{FetchSettings, Fetcher};
pub(crate) use keyset::{Key, KeyIdentity, KeySet, Signed};
pub(crate) use source::{CacheSettings, KeySource, Lookup};
