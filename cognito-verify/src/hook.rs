//! The user's own checks, run after every built-in one.

use std::future::Future;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;

use crate::claims::Verified;
use crate::error::HookRejection;

/// A custom check run after all built-in rules pass, on every verification (including answers
/// from the verified-token cache, so a deny-list takes effect at once).
///
/// Typical uses: a deny-list of signed-out sessions keyed by `origin_jti`, or a tenant rule.
/// A refusal is either a token rejection, [`HookRejection::unauthorized`] (kind `hook_rejected`,
/// 401), or a denial of a valid token, [`HookRejection::forbidden`] (kind `hook_forbidden`, 403,
/// e.g. a tenant or role rule). [`Verified::user_pool_id`] and [`Verified::pool_index`] say which
/// pool accepted the token.
///
/// Closures work too, through [`hook_fn`]:
///
/// ```
/// use cognito_verify::{HookRejection, hook_fn};
///
/// let deny_list = std::sync::Arc::new(std::collections::HashSet::<String>::new());
/// let suspended_pools = std::sync::Arc::new(std::collections::HashSet::<String>::new());
/// let hook = hook_fn(move |token| {
///     let (deny_list, suspended_pools) = (deny_list.clone(), suspended_pools.clone());
///     async move {
///         let origin = token.access().and_then(|c| c.origin_jti.clone()).unwrap_or_default();
///         if deny_list.contains(&origin) {
///             // 401: the token itself is no longer good.
///             return Err(HookRejection::unauthorized("session signed out"));
///         }
///         if suspended_pools.contains(token.user_pool_id()) {
///             // 403: a valid token of a tenant that may not use this service now.
///             return Err(HookRejection::forbidden("tenant suspended"));
///         }
///         Ok(())
///     }
/// });
/// # let _ = hook;
/// ```
pub trait VerifyHook: Send + Sync + 'static {
    /// Accepts or refuses a token that passed every built-in rule.
    fn check(&self, token: &Verified) -> BoxFuture<'static, Result<(), HookRejection>>;
}

/// A [`VerifyHook`] from an async closure that takes the verified token by value.
pub fn hook_fn<F, Fut>(f: F) -> impl VerifyHook
where
    F: Fn(Verified) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HookRejection>> + Send + 'static,
{
    HookFn(f)
}

struct HookFn<F>(F);

impl<F, Fut> VerifyHook for HookFn<F>
where
    F: Fn(Verified) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HookRejection>> + Send + 'static,
{
    fn check(&self, token: &Verified) -> BoxFuture<'static, Result<(), HookRejection>> {
        (self.0)(token.clone()).boxed()
    }
}
