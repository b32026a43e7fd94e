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
/// A refusal is a token rejection of kind `hook_rejected` (401).
///
/// Closures work too, through [`hook_fn`]:
///
/// ```
/// use cognito_verify::{HookRejection, hook_fn};
///
/// let deny_list = std::sync::Arc::new(std::collections::HashSet::<String>::new());
/// let hook = hook_fn(move |token| {
///     let deny_list = deny_list.clone();
///     async move {
///         let origin = token.access().and_then(|c| c.origin_jti.clone()).unwrap_or_default();
///         if deny_list.contains(&origin) {
///             return Err(HookRejection::new("session signed out"));
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
