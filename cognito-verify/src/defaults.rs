//! Every default of the library, each with the reason it has the value it has.
//!
//! All of them can be changed on [`VerifierBuilder`](crate::VerifierBuilder) (the resolver's
//! on [`ResolverSettings`](crate::ResolverSettings)) except the hard
//! limits on hostile input (token size, JSON depth, `kid` length, keys kept from one JWKS, the
//! longest `Retry-After` honoured), which are not knobs: they are far above anything Cognito
//! produces and exist only to bound the work an attacker (or a broken key endpoint) can cause.
//! The verified-token cache's internal tuning (segments, per-thread front, idle timeout) is not a
//! setting either; it lives, with its reasons, in the cache itself.

use std::time::Duration;

/// Largest token accepted, in bytes, checked before any decoding.
///
/// Cognito tokens are 1–4 KiB; an id token with many groups and custom attributes stays well
/// under 12 KiB. 16 KiB leaves room for that while bounding the base64 and JSON work a hostile
/// client can make one request cost.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Deepest nesting of JSON arrays/objects accepted in a token header or payload.
///
/// Cognito claims nest at most two levels (`cognito:groups` inside the payload). 16 is generous
/// and keeps recursion far below any stack limit.
pub const MAX_JSON_DEPTH: usize = 16;

/// Longest `kid` header value accepted, in bytes.
///
/// Cognito kids are 44 characters (base64 of a SHA-256). A `kid` is only ever a lookup key, so a
/// long one is noise an attacker pays nothing for; 256 bytes covers every issuer seen in practice.
pub const MAX_KID_BYTES: usize = 256;

/// Default clock-skew leeway applied to `exp`, `nbf` and `iat`.
///
/// Cognito and most AWS hosts are NTP-synchronised, so skew is small; 30 s absorbs a drifting
/// container clock without meaningfully extending a stolen token's life (60 min by default).
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// Time allowed to open a TCP+TLS connection to the JWKS endpoint.
///
/// The Cognito endpoint answers in tens of milliseconds from inside AWS; 3 s covers a cold DNS
/// lookup and TLS handshake across regions while failing fast on a black-holed address.
pub const DEFAULT_JWKS_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Total deadline for one JWKS fetch: connect, headers and the whole body.
///
/// It is a deadline, not an idle timeout, so an endpoint that trickles a byte at a time is cut off
/// too. With it, a request waiting on a stalled key endpoint is answered within 5 s (the issue's
/// bound is 10 s).
pub const DEFAULT_JWKS_TOTAL_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest JWKS response body accepted, in bytes.
///
/// A Cognito JWKS is about 1 KiB (two RSA-2048 keys). 64 KiB holds dozens of keys, and bounds
/// the memory a broken or hostile endpoint can make us allocate.
pub const DEFAULT_JWKS_MAX_BODY_BYTES: usize = 64 * 1024;

/// Most keys kept from one JWKS; the rest are skipped with a log event.
///
/// Cognito publishes two. 32 leaves room for any rotation scheme while bounding the key-parsing
/// work of one fetch.
pub const MAX_KEYS_PER_SET: usize = 32;

/// Age after which a held key set is refreshed in the background.
///
/// Cognito rotates keys rarely and unknown `kid`s trigger an immediate refetch anyway, so this
/// only bounds how long a key *removed* from the JWKS keeps verifying: one hour.
pub const DEFAULT_KEY_REFRESH_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Age after which held keys stop being used when they cannot be refreshed.
///
/// While the key endpoint is down, tokens keep verifying with the keys held (availability); past
/// this age the verifier stops trusting them and answers "keys unavailable" (so a key removed
/// during a long outage is not trusted forever). Six hours rides out a regional incident.
pub const DEFAULT_KEY_MAX_STALENESS: Duration = Duration::from_secs(6 * 60 * 60);

/// Minimum time between two refetches caused by unknown `kid`s.
///
/// The first unknown `kid` refetches at once (the set may have rotated since it was cached). After
/// that, a flood of random kids costs at most one fetch per cooldown, while a genuine new key is
/// still picked up within it.
pub const DEFAULT_UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(5);

/// First wait after a failed fetch before the next attempt.
///
/// Short, so a one-off blip costs only a second of "keys unavailable" on a cold verifier.
pub const DEFAULT_FETCH_BACKOFF_INITIAL: Duration = Duration::from_secs(1);

/// Longest wait between fetch attempts while the endpoint keeps failing (the back-off doubles up
/// to this).
///
/// Bounds how long recovery takes once the endpoint is back (at most this long) while keeping a
/// fleet of verifiers from hammering a sick endpoint.
pub const DEFAULT_FETCH_BACKOFF_MAX: Duration = Duration::from_secs(30);

/// Longest `Retry-After` honoured from a 429 or 503 answer of the key endpoint.
///
/// The endpoint may ask us to wait; we do, but never longer than this, so a wrong header cannot
/// lock the verifier out for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(5 * 60);

/// Memory budget of the verified-token cache (token text plus claims, estimated), in bytes.
///
/// A hit answers in well under a microsecond instead of an RSA verify (~17 µs). A Cognito access
/// token costs about 3 KiB here, so 8 MiB holds a few thousand active tokens: the working set of
/// a busy service, while staying small. Set 0 to disable the cache.
pub const DEFAULT_TOKEN_CACHE_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// How long a pool a [`PoolResolver`](crate::PoolResolver) answered is used before the resolver
/// is asked again, by the verifier's clock.
///
/// Tenants sign up and leave rarely, and a leaving tenant is best removed at once with
/// [`Verifier::remove_pool`](crate::Verifier::remove_pool); this bounds how long a pool the
/// resolver no longer answers is still accepted when nobody did. One hour matches the key
/// refresh interval: each held pool costs one resolver call and one key fetch an hour.
pub const DEFAULT_RESOLVED_POOL_TTL: Duration = Duration::from_secs(60 * 60);

/// How long an issuer the resolver refused stays refused without asking again, by the
/// verifier's clock.
///
/// A made-up issuer sent again and again costs one resolver call a minute; a tenant whose
/// tokens came before its sign-up reached the resolver waits at most a minute (or not at all,
/// with [`Verifier::add_pool`](crate::Verifier::add_pool)).
pub const DEFAULT_UNKNOWN_ISSUER_TTL: Duration = Duration::from_secs(60);

/// Longest wait for one answer of the resolver.
///
/// The same deadline as a key fetch ([`DEFAULT_JWKS_TOTAL_TIMEOUT`]): a request waiting on a
/// stalled tenant store is answered (503) within it, like one waiting on a stalled key endpoint.
pub const DEFAULT_POOL_RESOLVER_TIMEOUT: Duration = Duration::from_secs(5);

/// Most resolved pools held with their keys; the least used beyond it are evicted.
///
/// A pool with its two RSA keys holds about 5.5 KB (benches' memory report), so 10,000
/// tenants cost about 55 MB at most. An evicted pool costs one resolver call and one key fetch when its
/// next token comes.
pub const DEFAULT_MAX_RESOLVED_POOLS: u64 = 10_000;

/// How long a resolved pool whose keys verify nothing is kept.
///
/// Cognito tokens live an hour and clients present new ones as they refresh: a tenant none of
/// whose users brought a new token for 30 minutes is idle, and its keys are memory better used
/// for others. (Its tokens already cached keep answering until they expire or go idle.)
pub const DEFAULT_RESOLVED_POOL_IDLE: Duration = Duration::from_secs(30 * 60);

/// Most refused issuers remembered.
///
/// About 200 bytes each (the issuer and the cache's bookkeeping): 10,000 cost about 2 MiB. A
/// flood of distinct made-up issuers is bounded by the budget below, not by this.
pub const DEFAULT_MAX_UNKNOWN_ISSUERS: u64 = 10_000;

/// Resolver calls per second for issuers the verifier holds no answer for, once the burst is
/// spent.
///
/// Each call is a lookup in the service's tenant store (and, for a real pool, one key fetch).
/// 50 a second is a load any such store takes, and it is all a flood of made-up issuers can
/// cost: the tokens beyond it are refused (503, retry in a second) without a call.
pub const DEFAULT_POOL_RESOLUTIONS_PER_SECOND: u32 = 50;

/// Resolver calls allowed at once before the per-second rate applies.
///
/// A restart with hundreds of active tenants resolves 200 of them at once and the rest within
/// seconds; their clients are asked to retry after a second meanwhile.
pub const DEFAULT_POOL_RESOLUTION_BURST: u32 = 200;
