//! [`Authenticate`]: a middleware that protects an `App`, a `scope`, a resource or a route.

use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{HttpMessage as _, HttpRequest};
use cognito_verify::{Requirement, Verified};
use futures_util::future::{LocalBoxFuture, Ready, ready};

use crate::authenticate::authenticate;
use crate::config::CognitoAuth;
use crate::error::AuthError;

/// Middleware that verifies the request's token before the handler runs.
///
/// It answers refusals itself (see [`AuthError`] for the responses) and, on success, leaves the
/// [`Verified`] token in the request's extensions, where the extractors ([`AccessToken`],
/// [`Authenticated`], …) and `web::ReqData<Verified>` find it: the token is verified once per
/// request, however many middlewares and extractors ask (for the same [`CognitoAuth`]).
///
/// Requirements on scopes and groups apply wherever the middleware is: wrap an `App`, a
/// `web::scope`, a `web::resource` or a single `Route`. A refusal is 403 with
/// `WWW-Authenticate: Bearer error="insufficient_scope", …, scope="<the required names>"`.
///
/// ```
/// use actix_web::{App, HttpResponse, web};
/// use cognito_verify::Requirement;
/// use cognito_verify_actix::{AccessToken, Authenticate};
///
/// async fn list(AccessToken(claims): AccessToken) -> HttpResponse {
///     HttpResponse::Ok().body(claims.sub)
/// }
///
/// # fn app(auth: cognito_verify_actix::CognitoAuth) {
/// let app = App::new().app_data(auth).service(
///     web::scope("/orders")
///         .wrap(Authenticate::required().require_scopes(Requirement::any_of(["orders/read"])))
///         .route("", web::get().to(list))
///         .route(
///             "/all",
///             web::get()
///                 .to(list)
///                 .wrap(Authenticate::required().require_groups(Requirement::all_of(["admin"]))),
///         ),
/// );
/// # let _ = app; }
/// ```
///
/// [`AccessToken`]: crate::AccessToken
/// [`Authenticated`]: crate::Authenticated
#[derive(Debug, Clone)]
pub struct Authenticate {
    rules: Arc<Rules>,
}

#[derive(Debug, Clone)]
struct Rules {
    optional: bool,
    scopes: Option<Requirement>,
    groups: Option<Requirement>,
    auth: Option<CognitoAuth>,
}

impl Authenticate {
    /// Every request must carry a valid token (401 when it carries none).
    pub fn required() -> Self {
        Authenticate::new(false)
    }

    /// Requests without a token pass through (handlers see no [`Verified`]); a token that is
    /// present must be valid, and meet the requirements, or the request is refused. Pair it with
    /// [`Optional`](crate::Optional) extractors.
    pub fn optional() -> Self {
        Authenticate::new(true)
    }

    fn new(optional: bool) -> Self {
        Authenticate {
            rules: Arc::new(Rules {
                optional,
                scopes: None,
                groups: None,
                auth: None,
            }),
        }
    }

    fn rules_mut(&mut self) -> &mut Rules {
        Arc::make_mut(&mut self.rules)
    }

    /// Requires these scopes (replacing an earlier scope requirement of this middleware). An
    /// id token has no scopes, so it never meets one. An empty requirement is refused when the
    /// app starts.
    #[must_use]
    pub fn require_scopes(mut self, required: Requirement) -> Self {
        self.rules_mut().scopes = Some(required);
        self
    }

    /// Requires membership of these groups (`cognito:groups`; replacing an earlier group
    /// requirement of this middleware). An empty requirement is refused when the app starts.
    #[must_use]
    pub fn require_groups(mut self, required: Requirement) -> Self {
        self.rules_mut().groups = Some(required);
        self
    }

    /// Uses these settings instead of the [`CognitoAuth`] in `app_data`, for the requests it
    /// sees: extractors behind it use them too.
    #[must_use]
    pub fn with_auth(mut self, auth: CognitoAuth) -> Self {
        self.rules_mut().auth = Some(auth);
        self
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
        let rules = &self.rules;
        let empty = [&rules.scopes, &rules.groups]
            .into_iter()
            .flatten()
            .any(Requirement::is_empty);
        if empty {
            tracing::error!(
                "Authenticate: a scope or group requirement is empty or names an empty string; \
                 it could never be met"
            );
            return ready(Err(()));
        }
        ready(Ok(AuthenticateMiddleware {
            service: Rc::new(service),
            rules: Arc::clone(&self.rules),
        }))
    }
}

/// The service made by [`Authenticate`]; you do not use it directly.
pub struct AuthenticateMiddleware<S> {
    service: Rc<S>,
    rules: Arc<Rules>,
}

impl<S> std::fmt::Debug for AuthenticateMiddleware<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticateMiddleware")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
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
        let service = Rc::clone(&self.service);
        let rules = Arc::clone(&self.rules);
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
            None => {
                CognitoAuth::of_request(req).ok_or_else(|| AuthError::not_configured(Some(req)))?
            }
        };
        let Some(verified) = authenticate(req, &auth).await? else {
            return match self.optional {
                true => Ok(()),
                false => Err(AuthError::missing_token(&auth, Some(req))),
            };
        };
        self.check(&verified, &auth, req)
    }

    fn check(
        &self,
        verified: &Verified,
        auth: &CognitoAuth,
        req: &HttpRequest,
    ) -> Result<(), AuthError> {
        if let Some(required) = &self.scopes {
            verified
                .require_scopes(required)
                .map_err(|e| AuthError::refused(auth, e, Some(required), Some(req)))?;
        }
        if let Some(required) = &self.groups {
            verified
                .require_groups(required)
                .map_err(|e| AuthError::refused(auth, e, Some(required), Some(req)))?;
        }
        Ok(())
    }
}
