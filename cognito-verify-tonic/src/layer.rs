//! The tower [`Layer`]s and the [`Service`] that authenticate gRPC calls: each layer is the
//! [`Gate`] of the core's [`GateService`], which the service wraps for its [`NamedService`] name.

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};

use cognito_verify::alb::AlbAuth;
use cognito_verify::http_auth::{
    Check, Gate, GateService, HttpAuth, Refusal, Requirements, Started,
};
use cognito_verify::{ConfigError, Verified};
use futures_util::future::BoxFuture;
use http::Request;
use http::request::Parts;
use tonic::Status;
use tonic::server::NamedService;
use tower_layer::Layer;
use tower_service::Service;

use crate::status::{Mark, refuse};

/// A [`Layer`] that lets through only gRPC calls with a valid token (`authorization: Bearer …`
/// metadata, or the [`HttpAuth`]'s other token source), puts its [`Verified`] into the request
/// extensions (read it with [`RequestExt`](crate::RequestExt)), and answers every other call
/// with a gRPC status ([`code`](crate::code)): the service is not called.
///
/// Requirements ([`Requirements`]: scopes, groups) can apply to every call
/// ([`require`](Self::require)), to the calls of one service
/// ([`require_service`](Self::require_service)) or of one method
/// ([`require_method`](Self::require_method)); a call must meet every one that applies. When a
/// [`Verified`] is already in the extensions (an outer layer verified the token), only the
/// requirements are checked.
///
/// Use it with `tonic::transport::Server::builder().layer(…)` for every service, or wrap one
/// service (`add_service(layer.layer(service))`: the wrapped service keeps its
/// [`NamedService`] name).
#[derive(Debug, Clone)]
pub struct CognitoAuthLayer {
    guard: Arc<Guard>,
}

#[derive(Debug, Clone)]
struct Guard {
    auth: HttpAuth,
    every: Requirements,
    /// By service name (`package.Service`).
    services: HashMap<Box<str>, Requirements>,
    /// By method path (`/package.Service/Method`).
    methods: HashMap<Box<str>, Requirements>,
}

impl CognitoAuthLayer {
    /// A layer that requires a valid token of every call, with these settings (a
    /// [`Verifier`](cognito_verify::Verifier) or a configured [`HttpAuth`]: realm, detail in
    /// the status message, token source; its body renderer is for HTTP and is not used here).
    pub fn new(auth: impl Into<HttpAuth>) -> Self {
        let guard = Arc::new(Guard {
            auth: auth.into(),
            every: Requirements::new(),
            services: HashMap::new(),
            methods: HashMap::new(),
        });
        CognitoAuthLayer { guard }
    }

    /// The layer with `requirements` (an empty one is refused) put in place by `place`.
    fn edit(
        mut self,
        requirements: Requirements,
        place: impl FnOnce(&mut Guard, Requirements),
    ) -> Result<Self, ConfigError> {
        requirements.validate()?;
        place(Arc::make_mut(&mut self.guard), requirements);
        Ok(self)
    }

    /// Every call must meet these requirements (replacing earlier ones for every call). An empty
    /// requirement is refused ([`ConfigError::EmptyRequirement`]).
    pub fn require(self, requirements: Requirements) -> Result<Self, ConfigError> {
        self.edit(requirements, |g, r| g.every = r)
    }

    /// The calls of the service `package.Service` must also meet these requirements.
    pub fn require_service(
        self,
        service: &str,
        requirements: Requirements,
    ) -> Result<Self, ConfigError> {
        if !is_name(service) {
            return Err(invalid(service));
        }
        self.edit(requirements, |g, r| {
            g.services.insert(service.into(), r);
        })
    }

    /// The calls of the method `/package.Service/Method` (the path of the call, as tonic's
    /// generated code names it) must also meet these requirements.
    pub fn require_method(
        self,
        path: &str,
        requirements: Requirements,
    ) -> Result<Self, ConfigError> {
        let well_formed = path
            .strip_prefix('/')
            .and_then(|p| p.split_once('/'))
            .is_some_and(|(service, method)| is_name(service) && is_name(method));
        if !well_formed {
            return Err(invalid(path));
        }
        self.edit(requirements, |g, r| {
            g.methods.insert(path.into(), r);
        })
    }

    /// The settings.
    pub fn auth(&self) -> &HttpAuth {
        &self.guard.auth
    }
}

/// A gRPC name part: not empty, no `/`, no white space.
fn is_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(|c: char| c == '/' || c.is_whitespace())
}

fn invalid(name: &str) -> ConfigError {
    ConfigError::InvalidGrpcName { name: name.into() }
}

/// A [`Layer`] (used like [`CognitoAuthLayer`]) that lets through only calls whose ALB metadata
/// the [`AlbAuth`] accepts, puts their [`AlbClaims`](cognito_verify::alb::AlbClaims) into the
/// request extensions ([`RequestExt::alb_claims`](crate::RequestExt::alb_claims)) and answers
/// every other call with a gRPC status ([`code`](crate::code); the message is the kind, followed
/// by its description when the `AlbAuth` [exposes detail](AlbAuth::expose_detail)).
#[derive(Debug, Clone)]
pub struct AlbAuthLayer(AlbAuth);

impl AlbAuthLayer {
    /// A layer with these settings (an [`AlbAuth`], or an `AlbVerifier` with the default ones).
    pub fn new(auth: impl Into<AlbAuth>) -> Self {
        AlbAuthLayer(auth.into())
    }
}

/// At once or after verifying a token: the call to pass on, or the status refusing it (boxed).
type Gated<B> = Check<B, Box<Status>, BoxFuture<'static, Checked<B>>>;
type Checked<B> = Result<Request<B>, Box<Status>>;

impl CognitoAuthLayer {
    /// The check of a call: synchronous where it can be.
    fn check_call<B: Send + 'static>(&self, request: Request<B>) -> Gated<B> {
        let (guard, (parts, body)) = (&self.guard, request.into_parts());
        let path = parts.uri.path();
        // An outer layer has verified the token: only the requirements remain.
        if let Some(verified) = parts.extensions.get::<Verified>() {
            return Check::Now(match guard.requirements_met(path, verified) {
                Ok(()) => Ok(Request::from_parts(parts, body)),
                Err(refusal) => guard.refuse(&refusal, path),
            });
        }
        let started = match guard.auth.find_token(&parts) {
            Ok(Some(token)) => guard.auth.start(&token),
            Ok(None) => return Check::Now(guard.refuse(&guard.auth.missing_token(), path)),
            Err(refusal) => return Check::Now(guard.refuse(&refusal, path)),
        };
        match started {
            Started::Answered(answer) => Check::Now(guard.admit(answer, parts, body)),
            Started::Waiting(pending) => {
                let guard = guard.clone();
                Check::Later(Box::pin(async move {
                    guard.admit(pending.finish().await, parts, body)
                }))
            }
        }
    }
}

impl AlbAuthLayer {
    /// The check of a call, after verifying its ALB metadata.
    fn check_call<B: Send + 'static>(&self, request: Request<B>) -> Gated<B> {
        let (auth, (mut parts, body)) = (self.0.clone(), request.into_parts());
        Check::Later(Box::pin(async move {
            let claims = auth.authenticate(&parts).await;
            let detail = auth.includes_detail();
            let refused = |r| Box::new(refuse(&r, detail, Some(parts.uri.path())));
            parts.extensions.insert(claims.map_err(refused)?);
            Ok(Request::from_parts(parts, body))
        }))
    }
}

/// Each layer wraps a service in a [`CognitoAuthService`] whose gate it is: its check, and a
/// refusal as a trailers-only gRPC response (HTTP 200, `grpc-status` and the metadata).
macro_rules! gates {
    ($($layer:ty),+) => {$(
        impl<S> Layer<S> for $layer {
            type Service = CognitoAuthService<S, $layer>;

            fn layer(&self, inner: S) -> Self::Service {
                CognitoAuthService(GateService::new(inner, self.clone()))
            }
        }

        impl<B: Send + 'static, ResBody: Default> Gate<B, http::Response<ResBody>> for $layer {
            type Response = http::Response<ResBody>;
            type Refusal = Box<Status>;
            type Later = BoxFuture<'static, Checked<B>>;

            fn check(&self, request: Request<B>) -> Gated<B> {
                self.check_call(request)
            }

            fn refused(status: Box<Status>) -> Self::Response {
                status.into_http()
            }

            fn passed(response: Self::Response) -> Self::Response {
                response
            }
        }
    )+};
}
gates!(CognitoAuthLayer, AlbAuthLayer);

/// The [`Service`] made by [`CognitoAuthLayer`] and by [`AlbAuthLayer`] (`L`, the layer).
#[derive(Debug, Clone)]
pub struct CognitoAuthService<S, L = CognitoAuthLayer>(GateService<S, L>);

/// The response future of [`CognitoAuthService`]: the check, then the inner service.
pub type ResponseFuture<S, B, L = CognitoAuthLayer> =
    cognito_verify::http_auth::ResponseFuture<S, B, L>;

impl<S: NamedService, L> NamedService for CognitoAuthService<S, L> {
    const NAME: &'static str = S::NAME;
}

impl Guard {
    /// Every requirement that applies to the call with this path.
    fn requirements_met(&self, path: &str, verified: &Verified) -> Result<(), Refusal> {
        self.every.check(&self.auth, verified)?;
        let service = path.strip_prefix('/').and_then(|p| p.split_once('/'));
        if let Some(required) = service.and_then(|(service, _)| self.services.get(service)) {
            required.check(&self.auth, verified)?;
        }
        match self.methods.get(path) {
            Some(required) => required.check(&self.auth, verified),
            None => Ok(()),
        }
    }

    fn refuse<B>(&self, refusal: &Refusal, path: &str) -> Checked<B> {
        let detail = self.auth.includes_detail();
        Err(Box::new(refuse(refusal, detail, Some(path))))
    }

    /// The call with its verified token, if the requirements for its path are met; else the
    /// status refusing it.
    fn admit<B>(&self, answer: Result<Verified, Refusal>, mut parts: Parts, body: B) -> Checked<B> {
        let path = parts.uri.path();
        let verified = match answer.and_then(|v| self.requirements_met(path, &v).map(|()| v)) {
            Ok(verified) => verified,
            Err(refusal) => return self.refuse(&refusal, path),
        };
        parts.extensions.insert(verified);
        parts.extensions.insert(Mark(self.auth.clone()));
        Ok(Request::from_parts(parts, body))
    }
}

/// Calls go to the wrapped [`GateService`], with its bounds and its types.
impl<S, L, B> Service<Request<B>> for CognitoAuthService<S, L>
where
    GateService<S, L>: Service<Request<B>>,
{
    type Response = <GateService<S, L> as Service<Request<B>>>::Response;
    type Error = <GateService<S, L> as Service<Request<B>>>::Error;
    type Future = <GateService<S, L> as Service<Request<B>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        self.0.call(request)
    }
}
