//! The defaults of the ALB verifier, each with the reason it has the value it has.
//!
//! Network timeouts are the Cognito verifier's
//! ([`DEFAULT_JWKS_CONNECT_TIMEOUT`](crate::defaults::DEFAULT_JWKS_CONNECT_TIMEOUT),
//! [`DEFAULT_JWKS_TOTAL_TIMEOUT`](crate::defaults::DEFAULT_JWKS_TOTAL_TIMEOUT): a key fetch ends
//! within 5 s), and so are the token size limit and the leeway.

use std::time::Duration;

/// Largest key endpoint answer accepted, in bytes.
///
/// A P-256 public key PEM is 178 bytes; 2 KiB leaves room for line-ending variations and
/// bounds what a broken or hostile endpoint can make us read.
pub const DEFAULT_KEY_MAX_BODY_BYTES: usize = 2 * 1024;

/// Age after which a held key is fetched again in the background.
///
/// The key at a kid's URL never changes; refetching only finds out whether AWS has withdrawn
/// it (404), so a withdrawn key keeps verifying for at most an hour, as with the Cognito key set.
pub const DEFAULT_KEY_REFRESH_INTERVAL: Duration = crate::defaults::DEFAULT_KEY_REFRESH_INTERVAL;

/// Age after which a held key is no longer used when it cannot be fetched again.
///
/// While the endpoint is down, held keys keep verifying (stale-if-error); six hours rides out a
/// regional incident, as with the Cognito key set.
pub const DEFAULT_KEY_MAX_STALENESS: Duration = crate::defaults::DEFAULT_KEY_MAX_STALENESS;

/// How long a kid the endpoint answered 404 or 403 for is refused without a fetch, the smallest
/// interval between two fetches for kids without a held key (all kids together), and the wait
/// after a failed fetch before that kid is fetched again.
///
/// AWS's own library fetches the key of every new kid it sees, so a flood of random kids is a
/// flood of fetches. Here it costs at most one fetch per cooldown, while a genuinely new key
/// (ALB rotates them) is picked up within one. Five seconds, as for Cognito's unknown kids.
pub const DEFAULT_KEY_COOLDOWN: Duration = crate::defaults::DEFAULT_UNKNOWN_KID_COOLDOWN;

/// Most kids whose key (or whose absence) is remembered.
///
/// ALB signs with a handful of keys per region at a time; unknown kids enter the cache at most
/// one per cooldown. 256 entries of about 300 bytes each hold every real key with room to
/// spare; past that the least useful entries are dropped.
pub const MAX_CACHED_KIDS: u64 = 256;
