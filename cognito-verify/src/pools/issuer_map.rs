//! The issuers of configured and added pools: a hash map from `iss` to its issuer, never changed
//! in place. Adding or removing a pool builds a new map and swaps it in, so a verification reads
//! one map with one atomic load and no lock, whatever happens meanwhile.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::ConfigError;
use crate::verifier::IssuerRuntime;

/// One immutable generation of the map.
#[derive(Clone, Default)]
pub(crate) struct IssuerMap {
    by_issuer: HashMap<Arc<str>, Arc<IssuerRuntime>, foldhash::fast::RandomState>,
    /// The same issuers in the order their pools were configured or added.
    order: Vec<Arc<IssuerRuntime>>,
}

impl IssuerMap {
    /// The issuer whose `iss` is exactly this: one hash lookup, whatever the number of pools.
    pub(crate) fn get(&self, iss: &str) -> Option<&Arc<IssuerRuntime>> {
        self.by_issuer.get(iss)
    }

    /// Adds the issuers of one pool, all or none: an issuer already present is a duplicate.
    pub(crate) fn insert_pool(
        &mut self,
        runtimes: &[Arc<IssuerRuntime>],
    ) -> Result<(), ConfigError> {
        for (at, runtime) in runtimes.iter().enumerate() {
            let twice = runtimes[..at].iter().any(|r| r.issuer == runtime.issuer);
            if twice || self.by_issuer.contains_key(runtime.issuer.as_str()) {
                return Err(ConfigError::DuplicateIssuer {
                    issuer: runtime.issuer.clone(),
                });
            }
        }
        for runtime in runtimes {
            self.by_issuer
                .insert(runtime.issuer.as_str().into(), runtime.clone());
            self.order.push(runtime.clone());
        }
        Ok(())
    }

    /// Removes every issuer of the pool `user_pool_id` and returns them.
    pub(crate) fn remove_pool(&mut self, user_pool_id: &str) -> Vec<Arc<IssuerRuntime>> {
        let (removed, kept) = std::mem::take(&mut self.order)
            .into_iter()
            .partition::<Vec<_>, _>(|r| &*r.user_pool_id == user_pool_id);
        self.order = kept;
        for runtime in &removed {
            self.by_issuer.remove(runtime.issuer.as_str());
        }
        removed
    }

    /// Every issuer, in the order their pools were configured or added.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<IssuerRuntime>> {
        self.order.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}
