//! [`CognitoInterceptor`]: the synchronous check, for tonic's `Interceptor`.

use std::sync::Arc;

use cognito_verify::http_auth::{HttpAuth, Refusal, Requirements};
use cognito_verify::{ConfigError, Verified};
use tonic::Status;
use tonic::metadata::MetadataMap;
use tonic::service::Interceptor;

use crate::status::{Mark, refuse};

/// A tonic [`Interceptor`] that lets through only calls with a valid token and puts its
/// [`Verified`] into the request extensions, like [`CognitoAuthLayer`](crate::CognitoAuthLayer)
/// but synchronous: it verifies with
/// [`Verifier::try_verify`](cognito_verify::Verifier::try_verify), from the keys the verifier
/// already holds.
///
/// **Which to use.** The layer always works: it waits for a key fetch when one is needed
/// (first call, key rotation, keys past their staleness) and supports per-method requirements.
/// The interceptor fits where only an interceptor can go (`HealthServer::with_interceptor`,
/// a client-style `InterceptedService`); it cannot wait, so a call whose keys are not held is
/// refused with `UNAVAILABLE` (and `retry-after`) while the keys are fetched in the background.
/// Call [`Verifier::prefetch`](cognito_verify::Verifier::prefetch) at start-up so that they are
/// held from the first call. An interceptor does not see the method path, so its requirements
/// apply to the whole service it wraps.
///
/// A verifier with a [hook](cognito_verify::VerifyHook) is refused when the interceptor is
/// built ([`ConfigError::AsyncHook`]): the hook is asynchronous and is never skipped.
#[derive(Debug, Clone)]
pub struct CognitoInterceptor {
    guard: Arc<(HttpAuth, Requirements)>,
}

impl CognitoInterceptor {
    /// An interceptor requiring a valid token with these settings; [`ConfigError::AsyncHook`]
    /// when the verifier has a hook.
    pub fn new(auth: impl Into<HttpAuth>) -> Result<Self, ConfigError> {
        let auth = auth.into();
        if auth.verifier().has_hook() {
            return Err(ConfigError::AsyncHook);
        }
        let guard = Arc::new((auth, Requirements::new()));
        Ok(CognitoInterceptor { guard })
    }

    /// Every call must also meet these requirements (replacing earlier ones). An empty
    /// requirement is refused ([`ConfigError::EmptyRequirement`]).
    pub fn require(self, requirements: Requirements) -> Result<Self, ConfigError> {
        requirements.validate()?;
        let guard = Arc::new((self.guard.0.clone(), requirements));
        Ok(CognitoInterceptor { guard })
    }

    /// The settings.
    pub fn auth(&self) -> &HttpAuth {
        &self.guard.0
    }

    fn check(&self, parts: &http::request::Parts) -> Result<Option<Verified>, Refusal> {
        let (auth, requirements) = &*self.guard;
        // An outer layer has verified the token: only the requirements remain.
        if let Some(verified) = parts.extensions.get::<Verified>() {
            return requirements.check(auth, verified).map(|()| None);
        }
        let verified = auth
            .try_authenticate(parts)?
            .ok_or_else(|| auth.missing_token())?;
        requirements.check(auth, &verified)?;
        Ok(Some(verified))
    }
}

impl Interceptor for CognitoInterceptor {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        // The core reads `http` request parts: move the metadata in and out (no copy).
        let (metadata, extensions, ()) = request.into_parts();
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.headers = metadata.into_headers();
        parts.extensions = extensions;
        match self.check(&parts) {
            Ok(verified) => {
                if let Some(verified) = verified {
                    parts.extensions.insert(verified);
                    parts.extensions.insert(Mark(self.guard.0.clone()));
                }
                let metadata = MetadataMap::from_headers(parts.headers);
                Ok(tonic::Request::from_parts(metadata, parts.extensions, ()))
            }
            Err(refusal) => Err(refuse(&refusal, self.guard.0.includes_detail(), None)),
        }
    }
}
