//! The HTTP policy every front end shares, on [`http`] crate types: where the token is read
//! from ([`TokenSource`]), the one-credential rule, route [`Requirements`], and how a refusal is
//! answered ([`Refusal`]: status, `WWW-Authenticate`, `Retry-After`, JSON body, log event).
//!
//! A front end (axum, actix-web, tonic, a Lambda authorizer) keeps one [`HttpAuth`] and only
//! reads its request into [`Parts`] and turns a [`Refusal`] into its own response:
//!
//! ```
//! use cognito_verify::http_auth::HttpAuth;
//! use cognito_verify::testing::TestIssuer;
//! use cognito_verify::{ErrorKind, TokenUse, Verifier};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = TestIssuer::new();
//! let verifier = Verifier::builder()
//!     .pool(issuer.pool().jwks_uri("http://127.0.0.1:9/jwks"))
//!     .token_use(TokenUse::Access)
//!     .build()?;
//! let auth = HttpAuth::new(verifier).realm("api");
//!
//! // Two Authorization headers: refused before any verification.
//! let request = http::Request::get("/")
//!     .header("authorization", "Bearer a.b.c")
//!     .header("authorization", "Bearer d.e.f")
//!     .body(())?;
//! let refusal = auth.authenticate(&request.into_parts().0).await.unwrap_err();
//! assert_eq!((refusal.status().as_u16(), refusal.kind()), (400, ErrorKind::InvalidRequest));
//! let response = auth.response(&refusal);
//! assert_eq!(response.headers()["www-authenticate"].to_str()?.split(',').next(), Some("Bearer realm=\"api\""));
//! # Ok(()) }
//! ```

mod parts;
mod refusal;
mod requirements;
#[cfg(feature = "tower")]
mod service;
mod source;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::request::Parts;

use crate::error::Error;
use crate::verifier::{Input, Waiting};
use crate::{Requirement, TryVerifyError, Verified, Verifier};

pub use parts::request_parts;
pub use refusal::{BearerError, Refusal};
pub use requirements::Requirements;
#[cfg(feature = "tower")]
pub use service::{Check, Gate, GateService, ResponseFuture};
pub use source::{Extractor, TokenSource, token_from_authorization};

/// A function that renders the response to a refusal; see [`HttpAuth::render_with`].
pub type Renderer = dyn Fn(&Refusal) -> http::Response<Vec<u8>> + Send + Sync;

/// The verifier and how to use it over HTTP: where the token is read from, the realm, whether
/// bodies carry a message, and how refusals are rendered. Build it once; cheap to clone (one
/// reference count).
#[derive(Clone)]
pub struct HttpAuth {
    inner: Arc<Settings>,
}

#[derive(Clone)]
struct Settings {
    verifier: Verifier,
    source: TokenSource,
    realm: Option<Arc<str>>,
    detail: bool,
    render: Option<Arc<Renderer>>,
}

impl fmt::Debug for HttpAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &*self.inner;
        f.debug_struct("HttpAuth")
            .field("verifier", &s.verifier)
            .field("source", &s.source)
            .field("realm", &s.realm)
            .field("detail", &s.detail)
            .field("render", &s.render.is_some())
            .finish()
    }
}

impl From<Verifier> for HttpAuth {
    fn from(verifier: Verifier) -> Self {
        HttpAuth::new(verifier)
    }
}

impl HttpAuth {
    /// Reads `Authorization: Bearer <token>`, sends no realm, answers with the default JSON
    /// body without a message.
    pub fn new(verifier: Verifier) -> Self {
        HttpAuth {
            inner: Arc::new(Settings {
                verifier,
                source: TokenSource::Authorization,
                realm: None,
                detail: false,
                render: None,
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Settings)) -> Self {
        f(Arc::make_mut(&mut self.inner));
        self
    }

    /// Reads the token from this source.
    #[must_use]
    pub fn token_source(self, source: TokenSource) -> Self {
        self.edit(|s| s.source = source)
    }

    /// Reads the token from the cookie with this name ([`TokenSource::Cookie`]).
    #[must_use]
    pub fn token_from_cookie(self, name: impl Into<Cow<'static, str>>) -> Self {
        self.token_source(TokenSource::Cookie(name.into()))
    }

    /// Reads the token with your own function ([`TokenSource::Custom`]).
    ///
    /// ```
    /// # fn f(auth: cognito_verify::http_auth::HttpAuth) -> cognito_verify::http_auth::HttpAuth {
    /// auth.token_from(|parts| parts.headers.get("x-access-token")?.to_str().ok().map(str::to_owned))
    /// # }
    /// ```
    #[must_use]
    pub fn token_from<F>(self, extract: F) -> Self
    where
        F: Fn(&Parts) -> Option<String> + Send + Sync + 'static,
    {
        self.token_source(TokenSource::Custom(Arc::new(extract)))
    }

    /// Sends `realm="<realm>"` in every challenge.
    #[must_use]
    pub fn realm(self, realm: impl Into<String>) -> Self {
        let realm: Arc<str> = realm.into().into();
        self.edit(|s| s.realm = Some(realm))
    }

    /// Adds a human-readable `"message"` to the default JSON body. Off by default: it says which
    /// check failed, which helps an attacker as much as a developer. It never contains the
    /// token; `WWW-Authenticate` carries an `error_description` either way (RFC 6750 §3).
    #[must_use]
    pub fn expose_detail(self, detail: bool) -> Self {
        self.edit(|s| s.detail = detail)
    }

    /// Renders refusals with your function instead of the default JSON body. The status,
    /// `WWW-Authenticate` and `Retry-After` are set afterwards ([`Refusal::apply`]), so the
    /// function chooses the body and any other headers.
    ///
    /// ```
    /// # fn f(auth: cognito_verify::http_auth::HttpAuth) -> cognito_verify::http_auth::HttpAuth {
    /// auth.render_with(|refusal| http::Response::new(format!("denied: {}", refusal.kind()).into_bytes()))
    /// # }
    /// ```
    #[must_use]
    pub fn render_with<F>(self, render: F) -> Self
    where
        F: Fn(&Refusal) -> http::Response<Vec<u8>> + Send + Sync + 'static,
    {
        let render: Arc<Renderer> = Arc::new(render);
        self.edit(|s| s.render = Some(render))
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.inner.verifier
    }

    /// The realm sent in challenges, if any.
    pub fn realm_name(&self) -> Option<&str> {
        self.inner.realm.as_deref()
    }

    /// Where the token is read from.
    pub fn source(&self) -> &TokenSource {
        &self.inner.source
    }

    /// Whether the default body carries a `"message"`.
    pub fn includes_detail(&self) -> bool {
        self.inner.detail
    }

    /// Whether both are clones of one `HttpAuth` (so a verification by one holds for the other).
    pub fn same_as(&self, other: &HttpAuth) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The request's one token, `Ok(None)` when it has none, or the 400 `invalid_request`
    /// refusal when it carries more than one credential (see [`TokenSource`]).
    pub fn find_token<'a>(&self, parts: &'a Parts) -> Result<Option<Cow<'a, [u8]>>, Refusal> {
        self.inner
            .source
            .find(parts)
            .map_err(|_| Refusal::ambiguous(self.realm_name()))
    }

    /// Verifies a token found by [`find_token`](Self::find_token).
    pub async fn verify(&self, token: &[u8]) -> Result<Verified, Refusal> {
        self.inner
            .verifier
            .verify_bytes(token)
            .await
            .map_err(|e| self.refuse(e, None))
    }

    /// [`verify`](Self::verify) without a future where nothing has to be waited for: most
    /// tokens (verified-token cache hits, tokens whose pool and key are held, with no hook) are
    /// answered here ([`Started::Answered`]); the rest are [`Started::Waiting`], a verification
    /// that owns what it needs (a copy of the token) and can be finished where the request is no
    /// longer borrowed. Either way the answer is `verify`'s, and it is recorded (logs, metrics)
    /// once. For front ends whose check is otherwise a boxed future holding a copy of the token
    /// for every request (the axum and tonic layers).
    ///
    /// ```
    /// use cognito_verify::http_auth::{HttpAuth, Started};
    /// use cognito_verify::testing::TestIssuer;
    /// use cognito_verify::{TokenUse, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let issuer = TestIssuer::new();
    /// let verifier = Verifier::builder()
    ///     .pool(issuer.pool().static_jwks(issuer.jwks_json()))
    ///     .token_use(TokenUse::Access)
    ///     .build()?;
    /// let auth = HttpAuth::new(verifier);
    /// let token = issuer.access_token().sign();
    /// let verified = match auth.start(token.as_bytes()) {
    ///     // The keys are held and there is no hook: answered without a future.
    ///     Started::Answered(answer) => answer?,
    ///     Started::Waiting(pending) => pending.finish().await?,
    /// };
    /// assert!(verified.access().is_some());
    /// # Ok(()) }
    /// ```
    pub fn start(&self, token: &[u8]) -> Started {
        match self.inner.verifier.start(Input::Bytes(token)) {
            Ok(answer) => Started::Answered(answer.map_err(|e| self.refuse(e, None))),
            Err(waiting) => Started::Waiting(Pending {
                auth: self.clone(),
                token: token.into(),
                waiting,
            }),
        }
    }

    /// Finds and verifies the request's token: `Ok(None)` when it has none.
    pub async fn authenticate(&self, parts: &Parts) -> Result<Option<Verified>, Refusal> {
        match self.find_token(parts)? {
            Some(token) => self.verify(&token).await.map(Some),
            None => Ok(None),
        }
    }

    /// Verifies a token from the keys held, without waiting, for synchronous front ends (a
    /// tonic interceptor): [`Verifier::try_verify`]. When the keys are not held the token is
    /// refused like keys unavailable (503, `Retry-After`) while they are fetched in the
    /// background; a verifier with a hook is refused as not configured (500).
    pub fn try_verify(&self, token: &[u8]) -> Result<Verified, Refusal> {
        self.inner
            .verifier
            .try_verify_bytes(token)
            .map_err(|e| match e {
                TryVerifyError::Refused(e) => self.refuse(e, None),
                TryVerifyError::WouldFetch => Refusal::keys_not_held(),
                TryVerifyError::AsyncHook => Refusal::async_hook(),
            })
    }

    /// [`authenticate`](Self::authenticate) without waiting ([`try_verify`](Self::try_verify)).
    pub fn try_authenticate(&self, parts: &Parts) -> Result<Option<Verified>, Refusal> {
        match self.find_token(parts)? {
            Some(token) => self.try_verify(&token).map(Some),
            None => Ok(None),
        }
    }

    /// The refusal of a request without a token (401, challenge without `error`).
    pub fn missing_token(&self) -> Refusal {
        Refusal::missing_token(self.realm_name())
    }

    /// The refusal for `error` with these settings; pass the requirement that was not met, if
    /// any, to name it in `WWW-Authenticate`. For checks of your own in a handler.
    pub fn refuse(&self, error: Error, required: Option<&Requirement>) -> Refusal {
        Refusal::new(error, self.realm_name(), required)
    }

    /// The response to a refusal: the renderer's (or the default JSON body), with the status,
    /// `WWW-Authenticate` and `Retry-After` of the refusal.
    pub fn response(&self, refusal: &Refusal) -> http::Response<Vec<u8>> {
        match &self.inner.render {
            Some(render) => {
                let mut response = render(refusal);
                refusal.apply(&mut response);
                response
            }
            None => refusal.default_response(self.inner.detail),
        }
    }
}

/// A verification begun by [`HttpAuth::start`]: answered at once, or waiting.
#[derive(Debug)]
#[must_use]
pub enum Started {
    /// The answer, as [`HttpAuth::verify`] gives it.
    Answered(Result<Verified, Refusal>),
    /// A key set to fetch, a pool to ask the resolver about, or the hook to run first.
    Waiting(Pending),
}

/// A verification that has to wait before it answers; it owns the token and the settings, so it
/// borrows nothing from the request.
#[must_use]
pub struct Pending {
    auth: HttpAuth,
    token: Box<[u8]>,
    waiting: Waiting,
}

impl Pending {
    /// Waits for what is missing and answers, as [`HttpAuth::verify`] would have.
    pub async fn finish(self) -> Result<Verified, Refusal> {
        let Pending {
            auth,
            token,
            waiting,
        } = self;
        let answer = auth
            .inner
            .verifier
            .wait(Input::Bytes(&token), waiting)
            .await;
        answer.map_err(|e| auth.refuse(e, None))
    }
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token.
        f.debug_struct("Pending").finish_non_exhaustive()
    }
}
