//! [`Verifier`]: the order in which a token is judged.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use serde::de::DeserializeOwned;
use tracing::{Instrument as _, Span};

use crate::claims::{AccessClaims, CLAIM_NAMES, IdClaims, Verified};
use crate::clock::{Clock, unix_millis, unix_seconds};
use crate::config::VerifierBuilder;
use crate::error::{ConfigError, Error, ErrorKind, Malformed, TokenPart};
use crate::hook::VerifyHook;
use crate::jwks::{Key, KeySet, KeySource, Lookup};
use crate::observe;
use crate::pool::Pool;
use crate::pools::{Found, Pools};
use crate::rules::{self, Policy, issuer, time};
use crate::token::{self, HeaderMemo, ParsedToken, TokenBuffers};
use crate::token_cache::{Entry, TokenCache};

/// Verifies Cognito tokens. Cheap to clone; share one per service.
///
/// The order of judgement: size and form of the token; header (`alg` allowed, `kid` present);
/// payload parsed (once); `iss` chooses the pool, configured, added or answered by the
/// [`PoolResolver`](crate::PoolResolver) (no pool, no fetch); the key for `kid` (fetched
/// if needed); the signature; then, with the claims now trusted, token use, the type of every
/// claim its view carries (the claims table), app client, `exp` / `nbf` / `iat`; scopes and
/// groups; the user's hook.
///
/// ```no_run
/// use cognito_verify::{Pool, TokenUse, Verifier};
///
/// # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::builder()
///     .pool(Pool::new("eu-west-1_AbCdEf123").client_id("1example23456789"))
///     .token_use(TokenUse::Access)
///     .build()?;
/// verifier.prefetch().await?; // optional: fetch keys at start-up
///
/// let claims = verifier.verify_access(token).await?;
/// println!("hello {}", claims.username.as_deref().unwrap_or(&claims.sub));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    /// Every accepted issuer (a pool has one, or more with replication): configured, added and
    /// resolved.
    pools: Pools,
    clock: Arc<dyn Clock>,
    hook: Option<Arc<dyn VerifyHook>>,
    token_cache: Option<TokenCache>,
    /// Headers of verified tokens, parsed once.
    headers: HeaderMemo,
}

/// Size of the verified-token cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCacheStats {
    /// Tokens cached.
    pub entries: u64,
    /// Their estimated size in bytes (token text, claims and overhead).
    pub estimated_bytes: u64,
}

/// One accepted issuer of a pool, with its own keys, ready to verify. Cached tokens refer to it
/// (an `Arc`), so it is the same issuer however pools are added and removed around it.
#[derive(Debug)]
pub(crate) struct IssuerRuntime {
    /// The index of its pool: configuration order, then the order pools were added or resolved.
    pub(crate) pool: usize,
    pub(crate) user_pool_id: Arc<str>,
    pub(crate) issuer: String,
    /// The JWKS URI or discovery URL.
    pub(crate) keys_at: String,
    /// Its pool's effective policy (shared by the pool's issuers).
    pub(crate) policy: Arc<Policy>,
    pub(crate) keys: Arc<KeySource>,
    /// Cleared when its pool is removed: nothing it verified answers again.
    pub(crate) live: AtomicBool,
    /// When the answer that made it expires (a resolved pool), Unix milliseconds by the
    /// verifier's clock; `u64::MAX` for configured and added pools.
    pub(crate) expires_ms: u64,
}

impl IssuerRuntime {
    /// Whether it may still verify (and its cached tokens answer) at `now_ms`.
    pub(crate) fn is_current(&self, now_ms: u64) -> bool {
        now_ms < self.expires_ms && self.live.load(Ordering::Acquire)
    }

    /// Its pool was removed (or its resolved answer replaced).
    pub(crate) fn retire(&self) {
        self.live.store(false, Ordering::Release);
    }

    pub(crate) fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// A configured pool's issuer, for unit tests of what refers to one.
    #[cfg(test)]
    pub(crate) fn for_test() -> Arc<Self> {
        let verifier = Verifier::builder()
            .pool(Pool::new("us-east-1_Test").any_client())
            .token_use(crate::TokenUse::Access)
            .build()
            .unwrap();
        verifier.inner.pools.fixed().iter().next().cloned().unwrap()
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("issuers", &self.inner.pools.fixed().len())
            .field("resolver", &self.inner.pools.has_resolver())
            .field("hook", &self.inner.hook.is_some())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Starts configuring a verifier.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    pub(crate) fn from_parts(
        pools: Pools,
        clock: Arc<dyn Clock>,
        hook: Option<Arc<dyn VerifyHook>>,
        token_cache: Option<TokenCache>,
    ) -> Self {
        Verifier {
            inner: Arc::new(Inner {
                pools,
                clock,
                hook,
                token_cache,
                headers: HeaderMemo::default(),
            }),
        }
    }

    /// Verifies a token and returns its claims.
    ///
    /// A token verified before is answered from the verified-token cache after re-checking its
    /// expiry and that its key is still published; the hook runs every time.
    pub async fn verify(&self, token: &str) -> Result<Verified, Error> {
        self.verify_input(Input::Text(token)).await
    }

    /// [`verify`](Self::verify) of a token as given.
    async fn verify_input(&self, token: Input<'_>) -> Result<Verified, Error> {
        match self.start(token) {
            Ok(answer) => answer,
            // Boxed: waiting is rare (but for a hook), and inline its state would be part of (and
            // moved with) every verification's future, cache hits included.
            Err(waiting) => Box::pin(self.wait(token, waiting)).await,
        }
    }

    /// The part of [`verify`](Self::verify) that does not wait: its answer (recorded), or what is
    /// left to wait for (a key set, a pool, the hook).
    pub(crate) fn start(&self, token: Input<'_>) -> Result<Result<Verified, Error>, Waiting> {
        let span = observe::verification_span();
        let started = self.inner.clock.now();
        let answer = match span.in_scope(|| self.verify_held(token, started)) {
            Ok(Step::Done(verified)) if self.inner.hook.is_none() => Ok(verified),
            Err(error) => Err(error),
            Ok(step) => {
                return Err(Waiting {
                    span,
                    started,
                    step,
                });
            }
        };
        observe::verification(&span, answer.as_ref().err().map(Error::kind));
        Ok(answer)
    }

    /// The rest of a verification of `token` that [`start`](Self::start) left waiting: the key
    /// set or pool, then the hook; records the answer.
    pub(crate) async fn wait(&self, token: Input<'_>, waiting: Waiting) -> Result<Verified, Error> {
        let Waiting {
            span,
            started,
            step,
        } = waiting;
        let result = match step {
            Step::Done(verified) => Ok(verified),
            // The synchronous part read the token as text before it asked for keys or a pool.
            step => match token.text() {
                Ok(text) => {
                    self.fetch_then_verify(text, started, step)
                        .instrument(span.clone())
                        .await
                }
                Err(error) => Err(error),
            },
        };
        let result = match (result, &self.inner.hook) {
            (Ok(verified), Some(hook)) => {
                let checked = hook.check(&verified).instrument(span.clone()).await;
                checked.map(|()| verified).map_err(Error::Hook)
            }
            (result, _) => result,
        };
        observe::verification(&span, result.as_ref().err().map(Error::kind));
        result
    }

    /// Every check but the hook, at `now`, with what this verifier holds: the verified-token
    /// cache's answer, else a verification with the pools and keys held. Nothing here waits:
    /// a token that needs keys or a pool not held yet ends in the [`Step`] that says so. The
    /// cache is asked with the token's bytes (a hit is a text verified before); anything else
    /// needs the token as text ([`Input::text`]).
    fn verify_held(&self, token: Input<'_>, now: SystemTime) -> Result<Step, Error> {
        match self.cached(token.bytes(), now) {
            Some(verified) => Ok(Step::Done(verified)),
            None => self.verify_with(token.text()?, now, Given::Nothing),
        }
    }

    /// The cached verification of exactly this token, if it still holds at `now`: not expired
    /// (with its pool's leeway), and the key under its `kid` in its pool's usable key set still
    /// the very key that verified it.
    fn cached(&self, token: &[u8], now: SystemTime) -> Option<Verified> {
        let inner = &*self.inner;
        let cache = inner.token_cache.as_ref()?;
        // One conversion for both checks (whole seconds are the milliseconds' floor).
        let now_ms = unix_millis(now);
        observe::token_cache(cache.get(token, |entry| {
            let pool = &entry.issuer;
            pool.is_current(now_ms)
                && time::still_valid(entry.exp, now_ms / 1000, pool.policy.leeway_secs)
                && pool
                    .keys
                    .with_key(&entry.kid, now, |key| key.identity() == entry.key)
                    .unwrap_or(false)
        }))
    }

    /// After a synchronous part ([`verify_held`](Self::verify_held), at `started`) that ended
    /// needing a pool or a key set: asks the resolver for the pool, or fetches the key set, then
    /// verifies again with what came back.
    async fn fetch_then_verify(
        &self,
        token: &str,
        started: SystemTime,
        mut step: Step,
    ) -> Result<Verified, Error> {
        let resolved;
        if let Step::NeedPool { issuer } = step {
            // An issuer to ask the resolver about; then the token is verified again, with its pool.
            resolved = self.inner.pools.resolve(&issuer).await?;
            step = self.verify_with(token, started, Given::Pool(&resolved))?;
        }
        match step {
            Step::Done(verified) => Ok(verified),
            Step::NeedKeys { pool, kid, miss } => {
                let set = pool.keys.resolve(&kid, miss).await?;
                // The token is parsed again (only after a key fetch), now against that set.
                match self.verify_with(token, started, Given::Keys(&pool, &set))? {
                    Step::Done(verified) => Ok(verified),
                    Step::NeedKeys { .. } | Step::NeedPool { .. } => Err(Error::UnknownKid),
                }
            }
            Step::NeedPool { .. } => Err(Error::InvalidIssuer),
        }
    }

    /// Every check but the hook, at `started`, with the pool and key `given`, or found here:
    /// the pool by `iss` (one not held asks for the resolver: [`Step::NeedPool`]), the key in
    /// its current key set (a miss there asks for a fetch: [`Step::NeedKeys`]).
    fn verify_with(
        &self,
        token: &str,
        started: SystemTime,
        given: Given<'_>,
    ) -> Result<Step, Error> {
        let inner = &*self.inner;
        let mut buffers = TokenBuffers::new(&CLAIM_NAMES);
        let parsed = token::parse(token, &mut buffers, &inner.headers)?;
        let fixed = inner.pools.fixed();
        let found;
        let (pool, keys) = match given {
            Given::Nothing => {
                found =
                    issuer::select(parsed.payload, |iss| inner.pools.find(&fixed, iss, started))?;
                match &found {
                    Found::Fixed(pool) => (*pool, None),
                    Found::Resolved(pool) => (pool, None),
                    Found::Ask(issuer) => {
                        return Ok(Step::NeedPool {
                            issuer: issuer.clone(),
                        });
                    }
                }
            }
            Given::Pool(pool) => (issuer::confirm(parsed.payload, pool)?, None),
            Given::Keys(pool, set) => (issuer::confirm(parsed.payload, pool)?, Some(set)),
        };
        observe::pool_selected(&pool.user_pool_id);
        let (alg, kid) = (parsed.header.alg, &*parsed.header.kid);
        let (input, signature) = (parsed.signing_input, parsed.signature);

        let verify = |key: &Key| {
            key.verify(alg, input, signature)
                .map(|signed| (signed, key.identity()))
        };
        let (signed, key) = match keys {
            Some(set) => verify(set.get(kid).ok_or(Error::UnknownKid)?)?,
            None => match pool.keys.with_key(kid, started, verify) {
                Ok(verified) => verified?,
                Err(miss) => {
                    return Ok(Step::NeedKeys {
                        pool: pool.clone(),
                        kid: parsed.header.kid,
                        miss,
                    });
                }
            },
        };

        let ParsedToken {
            header, payload, ..
        } = parsed;
        let claims = rules::check_claims(payload, &pool.policy, unix_seconds(started))?;
        rules::check_requirements(&claims, &pool.policy)?;
        // A pool removed while this token was being verified accepts nothing more.
        if !pool.is_live() {
            return Err(Error::InvalidIssuer);
        }
        // Signed by the pool's key and issued for this verifier: the header is worth keeping.
        inner.headers.remember(&header, &signed);
        let exp = claims.exp();
        let verified = Verified::new(claims, pool.pool, pool.user_pool_id.clone());
        if let Some(cache) = &inner.token_cache {
            cache.insert(Entry::new(
                token,
                verified.clone(),
                pool.clone(),
                &header.kid,
                key,
                exp,
            ));
        }
        Ok(Step::Done(verified))
    }

    /// Verifies a token given as bytes (e.g. straight from a header); non-UTF-8 input is a
    /// malformed token.
    pub async fn verify_bytes(&self, token: &[u8]) -> Result<Verified, Error> {
        self.verify_input(Input::Bytes(token)).await
    }

    /// Verifies a token without waiting, for synchronous callers (a tonic `Interceptor`, a
    /// callback that cannot await): the same checks and the same answers as
    /// [`verify`](Self::verify), from the keys this verifier already holds.
    ///
    /// When `verify` would fetch keys (none held yet, keys past their maximum staleness, or a
    /// `kid` the held set lacks and the rules allow a refetch for), this answers
    /// [`TryVerifyError::WouldFetch`] and starts that fetch in the background (on the current
    /// Tokio runtime; without one nothing is fetched), so a later call can succeed. Where
    /// `verify` would refuse without fetching (an unknown `kid` within its cooldown, a
    /// back-off after failed fetches), this refuses alike. Call [`prefetch`](Self::prefetch)
    /// at start-up so that the keys are held before the first request.
    ///
    /// A [hook](crate::VerifyHook) is asynchronous and cannot run here: with one configured,
    /// every call answers [`TryVerifyError::AsyncHook`] (never a token accepted without it).
    ///
    /// ```
    /// use cognito_verify::testing::{JwksServer, TestIssuer};
    /// use cognito_verify::{TokenUse, TryVerifyError, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let issuer = TestIssuer::new();
    /// let jwks = JwksServer::start(issuer.jwks_json()).await?;
    /// let verifier = Verifier::builder()
    ///     .pool(issuer.pool().jwks_uri(jwks.url()))
    ///     .token_use(TokenUse::Access)
    ///     .build()?;
    /// let token = issuer.access_token().sign();
    ///
    /// // No keys held yet: no answer without a fetch (which has now started).
    /// assert!(matches!(verifier.try_verify(&token), Err(TryVerifyError::WouldFetch)));
    /// verifier.prefetch().await?; // joins that fetch
    /// assert!(verifier.try_verify(&token)?.access().is_some());
    /// assert!(matches!(verifier.try_verify("x.y.z"), Err(TryVerifyError::Refused(_))));
    /// # Ok(()) }
    /// ```
    pub fn try_verify(&self, token: &str) -> Result<Verified, TryVerifyError> {
        self.try_verify_input(Input::Text(token))
    }

    /// [`try_verify`](Self::try_verify) for a token given as bytes; non-UTF-8 input is a
    /// malformed token.
    pub fn try_verify_bytes(&self, token: &[u8]) -> Result<Verified, TryVerifyError> {
        self.try_verify_input(Input::Bytes(token))
    }

    /// [`try_verify`](Self::try_verify) of a token as given.
    fn try_verify_input(&self, token: Input<'_>) -> Result<Verified, TryVerifyError> {
        let span = observe::verification_span();
        let result = span.in_scope(|| self.try_verify_in_span(token));
        observe::verification(&span, result.as_ref().err().map(TryVerifyError::kind));
        result
    }

    /// [`try_verify`](Self::try_verify) inside its span.
    fn try_verify_in_span(&self, token: Input<'_>) -> Result<Verified, TryVerifyError> {
        if self.inner.hook.is_some() {
            return Err(TryVerifyError::AsyncHook);
        }
        match self.verify_held(token, self.inner.clock.now())? {
            Step::Done(verified) => Ok(verified),
            Step::NeedKeys { pool, kid, miss } => {
                pool.keys.fetch_in_background(&kid, miss)?;
                Err(TryVerifyError::WouldFetch)
            }
            Step::NeedPool { issuer } => {
                // Asks the resolver in the background (on the current Tokio runtime), so that a
                // later call finds the pool.
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    let verifier = self.clone();
                    drop(runtime.spawn(async move {
                        let _ = verifier.inner.pools.resolve(&issuer).await;
                    }));
                }
                Err(TryVerifyError::WouldFetch)
            }
        }
    }

    /// Whether a [hook](crate::VerifyHook) is configured (then [`try_verify`](Self::try_verify)
    /// cannot be used: front ends built on it refuse such a verifier when they are built).
    pub fn has_hook(&self) -> bool {
        self.inner.hook.is_some()
    }

    /// Verifies an access token and returns its typed claims. An id token is refused with
    /// `invalid_token_use` even when the verifier accepts either.
    pub async fn verify_access(&self, token: &str) -> Result<AccessClaims, Error> {
        self.verify(token).await?.access_claims().cloned()
    }

    /// Verifies an id token and returns its typed claims. An access token is refused with
    /// `invalid_token_use` even when the verifier accepts either.
    pub async fn verify_id(&self, token: &str) -> Result<IdClaims, Error> {
        self.verify(token).await?.id_claims().cloned()
    }

    /// Verifies a token and deserializes its claims into your own type.
    pub async fn verify_as<T: DeserializeOwned>(&self, token: &str) -> Result<T, Error> {
        self.verify(token).await?.deserialize()
    }

    /// Fetches the keys of every pool held (configured, added, resolved) now, joining fetches
    /// in flight. Call it at start-up so the first requests do not wait; a failure is not
    /// fatal, later requests fetch again.
    pub async fn prefetch(&self) -> Result<(), Error> {
        let pools = self.inner.pools.all();
        let fetches = pools.iter().map(|p| p.keys.prefetch());
        for result in futures_util::future::join_all(fetches).await {
            result.map_err(Error::KeysUnavailable)?;
        }
        Ok(())
    }

    /// Adds a user pool to this live verifier (a tenant signs up), as if it had been configured:
    /// its keys are fetched when its first token comes (or preloaded). Other pools, their keys
    /// and their cached tokens are untouched; in-flight verifications go on. A pool with an
    /// issuer this verifier already has is refused (`duplicate_issuer`), as at build time.
    ///
    /// Each call copies the table of configured pools (one hash map entry per issuer), so
    /// thousands of pools are better given at build time or found by a
    /// [`PoolResolver`](crate::PoolResolver).
    ///
    /// ```
    /// use cognito_verify::{Pool, TokenUse, Verifier};
    ///
    /// # fn main() -> Result<(), cognito_verify::ConfigError> {
    /// let verifier = Verifier::builder()
    ///     .pool(Pool::new("eu-west-1_Tenant1").client_id("client1"))
    ///     .token_use(TokenUse::Access)
    ///     .build()?;
    /// verifier.add_pool(Pool::new("eu-west-1_Tenant2").client_id("client2"))?;
    /// assert_eq!(verifier.issuers().len(), 2);
    /// assert!(verifier.remove_pool("eu-west-1_Tenant1"));
    /// assert_eq!(verifier.issuers(), ["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Tenant2"]);
    /// # Ok(()) }
    /// ```
    pub fn add_pool(&self, pool: Pool) -> Result<(), ConfigError> {
        self.inner.pools.add(&pool)
    }

    /// Removes a user pool from this live verifier (a tenant leaves): every issuer of the pool,
    /// configured, added or resolved. Once this returns, no token of the pool is accepted: not
    /// from the verified-token cache (its entries are dropped), not by a verification in
    /// flight. Other pools are untouched. Returns whether the pool was known.
    ///
    /// With a [`PoolResolver`](crate::PoolResolver), make it stop answering the pool first:
    /// otherwise the pool's next token asks it again and is accepted.
    pub fn remove_pool(&self, user_pool_id: &str) -> bool {
        let removed = self.inner.pools.remove(user_pool_id);
        if removed && let Some(cache) = &self.inner.token_cache {
            cache.forget_retired();
        }
        removed
    }

    /// The issuers of the configured and added pools, in the order they were configured or
    /// added (resolved pools are not listed).
    pub fn issuers(&self) -> Vec<String> {
        self.inner
            .pools
            .fixed()
            .iter()
            .map(|p| p.issuer.clone())
            .collect()
    }

    /// Where each issuer's keys are fetched from (a JWKS URI, or the discovery document's URL),
    /// in the order of [`issuers`](Self::issuers).
    pub fn jwks_uris(&self) -> Vec<String> {
        self.inner
            .pools
            .fixed()
            .iter()
            .map(|p| p.keys_at.clone())
            .collect()
    }

    /// How many times the [`PoolResolver`](crate::PoolResolver) has been called (for metrics
    /// and tests); 0 without one.
    pub fn resolver_calls(&self) -> u64 {
        self.inner.pools.resolver_calls()
    }

    /// Size of the verified-token cache, `None` when it is disabled.
    pub fn token_cache_stats(&self) -> Option<TokenCacheStats> {
        let (entries, estimated_bytes) = self.inner.token_cache.as_ref()?.usage();
        Some(TokenCacheStats {
            entries,
            estimated_bytes,
        })
    }

    /// How many JWKS fetches the pools this verifier holds have started (for metrics and
    /// tests); a pool removed or evicted takes its count with it.
    pub fn key_fetch_count(&self) -> u64 {
        self.inner
            .pools
            .all()
            .iter()
            .map(|p| p.keys.fetch_count())
            .sum()
    }

    /// Waits until every key fetch this verifier has started has finished.
    #[cfg(feature = "testing")]
    pub(crate) async fn key_fetches_finished(&self) {
        for issuer in self.inner.pools.all() {
            issuer.keys.fetches_finished().await;
        }
    }
}

/// A token as given: text, or bytes (from a header) not yet read as text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Input<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
}

impl<'a> Input<'a> {
    /// Its bytes, what the verified-token cache is asked with.
    fn bytes(self) -> &'a [u8] {
        match self {
            Input::Text(text) => text.as_bytes(),
            Input::Bytes(bytes) => bytes,
        }
    }

    /// The token as text; non-UTF-8 input is a malformed token.
    fn text(self) -> Result<&'a str, Error> {
        match self {
            Input::Text(text) => Ok(text),
            Input::Bytes(bytes) => std::str::from_utf8(bytes)
                .map_err(|_| Error::malformed(TokenPart::Header, Malformed::NotUtf8)),
        }
    }
}

/// Why [`Verifier::try_verify`] gave no verified token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TryVerifyError {
    /// Refused, as [`Verifier::verify`] would refuse it.
    #[error(transparent)]
    Refused(#[from] Error),
    /// Judging the token needs keys this verifier does not hold; the fetch `verify` would wait
    /// for has started in the background (when a Tokio runtime is running).
    #[error("signing keys are unavailable: the key for this token is not held yet")]
    WouldFetch,
    /// The verifier has a hook, which is asynchronous: a synchronous verification cannot run it
    /// and does not skip it.
    #[error("the verifier has an asynchronous hook, which a synchronous verification cannot run")]
    AsyncHook,
}

impl TryVerifyError {
    /// The stable kind: the refusal's, `keys_unavailable` (would fetch) or `not_configured`
    /// (a hook).
    pub const fn kind(&self) -> ErrorKind {
        match self {
            TryVerifyError::Refused(error) => error.kind(),
            TryVerifyError::WouldFetch => ErrorKind::KeysUnavailable,
            TryVerifyError::AsyncHook => ErrorKind::NotConfigured,
        }
    }
}

/// A verification that [`Verifier::start`] could not answer without waiting: its span, its clock
/// reading, and what it waits for ([`Step::Done`] when only the hook is left).
pub(crate) struct Waiting {
    span: Span,
    started: SystemTime,
    step: Step,
}

/// What the synchronous part of a verification is given.
#[derive(Clone, Copy)]
enum Given<'a> {
    /// Nothing: the pool is found by `iss`, the key in its current set.
    Nothing,
    /// The pool (just resolved); its current key set.
    Pool(&'a Arc<IssuerRuntime>),
    /// The pool and the key set just fetched for it.
    Keys(&'a Arc<IssuerRuntime>, &'a KeySet),
}

/// How the synchronous part of a verification ends.
enum Step {
    /// Verified.
    Done(Verified),
    /// The issuing pool's key set at hand has no usable key `kid`: resolve it, then verify again.
    NeedKeys {
        pool: Arc<IssuerRuntime>,
        kid: Arc<str>,
        miss: Lookup,
    },
    /// No pool held has this issuer, which the resolver may be asked about: ask, then verify
    /// again with its pool.
    NeedPool { issuer: Arc<str> },
}
