//! [`Authenticate`]: a middleware that protects an `App`, a `scope`, a resource or a route.

use std::rc::Rc;
use std::sync::Arc;

use actix_web::HttpMessage as _;
use actix_web::HttpRequest;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use cognito_verify::Requirement;
use cognito_verify::http_auth::Requirements;
use futures_util::future::{LocalBoxFuture, Ready, ready};

use crate::CognitoAuth;
use crate::error::{AuthError, auth_of, authenticate};

/// Middleware that verifies the request's token before the handler runs, answers refusals
/// itself, and leaves the [`Verified`](cognito_verify::Verified) token in the extensions for
/// the extractors and `web::ReqData<Verified>` (verified once per request).
///
/// Scope and group requirements take **access** tokens only (an id token is 401
/// `invalid_token`, kind `invalid_token_use`) unless the requirement
/// [allows id tokens](Requirement::allow_id_tokens); an unmet one is 403 `insufficient_scope`
/// naming it. An empty requirement is refused when the app starts (the core's
/// [`Requirements::validate`]). See the crate example.
#[derive(Debug, Clone)]
pub struct Authenticate {
    rules: Arc<Rules>,
}

#[derive(Debug, Clone, Default)]
struct Rules {
    optional: bool,
    requirements: Requirements,
    auth: Option<CognitoAuth>,
}

impl Authenticate {
    /// Every request must carry a valid token (401 when it carries none).
    pub fn required() -> Self {
        Authenticate::new(false)
    }

    /// Requests without a token pass (handlers see no token); a token that is present must be
    /// valid and meet the requirements. Pair it with [`Optional`](crate::Optional) extractors.
    pub fn optional() -> Self {
        Authenticate::new(true)
    }

    fn new(optional: bool) -> Self {
        let rules = Arc::<Rules>::default();
        Authenticate { rules }.edit(|r| r.optional = optional)
    }

    fn edit(mut self, f: impl FnOnce(&mut Rules)) -> Self {
        f(Arc::make_mut(&mut self.rules));
        self
    }

    /// Requires these scopes (replacing an earlier scope requirement of this middleware).
    #[must_use]
    pub fn require_scopes(self, required: Requirement) -> Self {
        self.edit(|r| r.requirements = r.requirements.clone().scopes(required))
    }

    /// Requires these groups (`cognito:groups`; replacing an earlier group requirement).
    #[must_use]
    pub fn require_groups(self, required: Requirement) -> Self {
        self.edit(|r| r.requirements = r.requirements.clone().groups(required))
    }

    /// Uses these settings instead of the [`CognitoAuth`] in `app_data`, for the requests it
    /// sees: extractors behind it use them too.
    #[must_use]
    pub fn with_auth(self, auth: CognitoAuth) -> Self {
        self.edit(|r| r.auth = Some(auth))
    }
}

impl<S, B> Transform<S, ServiceRequest> for Authenticate
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = AuthenticateMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        if let Err(error) = self.rules.requirements.validate() {
            let kind = error.kind().as_str();
            tracing::error!(kind, "Authenticate: {error}; it could never be met");
            return ready(Err(()));
        }
        let (service, rules) = (Rc::new(service), Arc::clone(&self.rules));
        ready(Ok(AuthenticateMiddleware { service, rules }))
    }
}

/// The service made by [`Authenticate`]; you do not use it directly.
pub struct AuthenticateMiddleware<S> {
    service: Rc<S>,
    rules: Arc<Rules>,
}

impl<S, B> Service<ServiceRequest> for AuthenticateMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let (service, rules) = (Rc::clone(&self.service), Arc::clone(&self.rules));
        Box::pin(async move {
            match rules.admit(req.request()).await {
                Ok(()) => service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_left_body),
                Err(refusal) => Ok(req.error_response(refusal).map_into_right_body()),
            }
        })
    }
}

impl Rules {
    /// `Ok` when the request may go on to the handler.
    async fn admit(&self, req: &HttpRequest) -> Result<(), AuthError> {
        let auth = match &self.auth {
            Some(auth) => {
                req.extensions_mut().insert(auth.clone());
                auth.clone()
            }
            None => auth_of(req)?,
        };
        let refusal = match authenticate(req, &auth).await? {
            Some(verified) => match self.requirements.check(&auth, &verified) {
                Ok(()) => return Ok(()),
                Err(refusal) => refusal,
            },
            None if self.optional => return Ok(()),
            None => auth.missing_token(),
        };
        Err(AuthError::new(refusal, Some(&auth), Some(req)))
    }
}
