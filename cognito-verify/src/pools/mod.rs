//! Many pools: the issuers a verifier knows, found by `iss` in one hash lookup; pools added and
//! removed on a live verifier; and pools found at run time by the user's [`PoolResolver`].
//!
//! Where a token's `iss` is looked for, in order:
//! 1. the configured and added pools ([`IssuerMap`], copy-on-write behind an `ArcSwap`: one
//!    atomic load and one hash lookup, no lock);
//! 2. with a resolver, the answers it gave, held ([`Resolved`]);
//! 3. with a resolver and an `iss` of a pool's shape, the resolver itself (asynchronously, after
//!    the token's shape checks and before any key fetch).
//!
//! An issuer is an `Arc<IssuerRuntime>`: cached tokens refer to it, not to a position, so adding
//! and removing pools never changes what another pool's cached token refers to. Removing a pool
//! retires its issuers (a flag every cache hit checks) and drops its cached tokens.

mod budget;
mod factory;
mod issuer_map;
mod resolved;
mod resolver;
mod settings;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use arc_swap::{ArcSwap, Guard};

pub(crate) use factory::{NEVER, PoolFactory};
pub(crate) use issuer_map::IssuerMap;
pub(crate) use resolved::{Held, Resolved};
pub use resolver::{PoolResolver, ResolverError, UnknownIssuer, resolver_fn};
pub use settings::ResolverSettings;

use crate::error::{ConfigError, Error};
use crate::pool::Pool;
use crate::verifier::IssuerRuntime;

/// Every pool a verifier knows.
pub(crate) struct Pools {
    fixed: ArcSwap<IssuerMap>,
    /// Serializes adds and removes (copy, change, swap); the read path never takes it.
    writer: Mutex<()>,
    resolved: Option<Resolved>,
    factory: PoolFactory,
}

/// Where the read path found an issuer.
pub(crate) enum Found<'a> {
    /// A configured or added pool (borrowed from the map loaded).
    Fixed(&'a Arc<IssuerRuntime>),
    /// A resolved pool.
    Resolved(Arc<IssuerRuntime>),
    /// Not held: ask the resolver (asynchronously).
    Ask(Arc<str>),
}

impl Pools {
    pub(crate) fn new(fixed: IssuerMap, resolved: Option<Resolved>, factory: PoolFactory) -> Self {
        Pools {
            fixed: ArcSwap::from_pointee(fixed),
            writer: Mutex::new(()),
            resolved,
            factory,
        }
    }

    /// The configured and added pools as they are now.
    pub(crate) fn fixed(&self) -> Guard<Arc<IssuerMap>> {
        self.fixed.load()
    }

    /// The read path: the issuer `iss` in `fixed` (from [`fixed`](Self::fixed)), else among the
    /// resolved pools, else whether the resolver is to be asked. An `iss` the resolver may not
    /// be asked about is `invalid_issuer`.
    pub(crate) fn find<'a>(
        &self,
        fixed: &'a IssuerMap,
        iss: &str,
        now: SystemTime,
    ) -> Result<Found<'a>, Error> {
        if let Some(runtime) = fixed.get(iss) {
            return Ok(Found::Fixed(runtime));
        }
        let resolved = self.resolved.as_ref().ok_or(Error::InvalidIssuer)?;
        match resolved.held(iss, now) {
            Held::Pool(runtime) => Ok(Found::Resolved(runtime)),
            Held::Refused(error) => Err(error),
            Held::Ask { .. } => {
                let iss: Arc<str> = iss.into();
                match resolved.may_ask(&iss) {
                    Some(_) => Ok(Found::Ask(iss)),
                    None => Err(Error::InvalidIssuer),
                }
            }
        }
    }

    /// The pool of `iss`, from the resolver if need be (see [`Resolved::resolve`]).
    pub(crate) async fn resolve(&self, iss: &Arc<str>) -> Result<Arc<IssuerRuntime>, Error> {
        if let Some(runtime) = self.fixed().get(iss) {
            return Ok(runtime.clone());
        }
        match &self.resolved {
            Some(resolved) => resolved.resolve(&self.factory, iss).await,
            None => Err(Error::InvalidIssuer),
        }
    }

    /// Adds a pool (its issuers must be new).
    pub(crate) fn add(&self, pool: &Pool) -> Result<(), ConfigError> {
        let runtimes = self.factory.runtimes(pool, NEVER)?;
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut map = IssuerMap::clone(&self.fixed.load());
        map.insert_pool(&runtimes)?;
        self.fixed.store(Arc::new(map));
        if let Some(resolved) = &self.resolved {
            for runtime in &runtimes {
                resolved.forget_issuer(&runtime.issuer);
            }
        }
        Ok(())
    }

    /// Removes the pool `user_pool_id` (configured, added or resolved): its issuers are retired.
    /// Returns whether it was known.
    pub(crate) fn remove(&self, user_pool_id: &str) -> bool {
        let removed = {
            let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            let mut map = IssuerMap::clone(&self.fixed.load());
            let removed = map.remove_pool(user_pool_id);
            if !removed.is_empty() {
                self.fixed.store(Arc::new(map));
            }
            removed
        };
        for runtime in &removed {
            runtime.retire();
        }
        let resolved = self
            .resolved
            .as_ref()
            .is_some_and(|resolved| resolved.forget(user_pool_id));
        !removed.is_empty() || resolved
    }

    /// Every issuer held now: configured and added ones in order, then resolved ones.
    pub(crate) fn all(&self) -> Vec<Arc<IssuerRuntime>> {
        let mut all: Vec<_> = self.fixed().iter().cloned().collect();
        if let Some(resolved) = &self.resolved {
            all.extend(resolved.pools());
        }
        all
    }

    /// Whether a resolver is configured.
    pub(crate) fn has_resolver(&self) -> bool {
        self.resolved.is_some()
    }

    /// How many times the resolver has been called (0 without one).
    pub(crate) fn resolver_calls(&self) -> u64 {
        self.resolved.as_ref().map_or(0, Resolved::calls)
    }
}
