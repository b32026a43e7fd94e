//! [`CognitoAuth`]: the verifier and the adapter's settings, registered as `app_data`.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, HttpResponseBuilder, web};
use cognito_verify::bearer::{Challenge, token_from_authorization};
use cognito_verify::{Error, Requirement, Verifier};

use crate::error::AuthError;

/// A function that writes the body of a refusal. See [`CognitoAuth::render_with`].
type Renderer = dyn Fn(&Challenge, &mut HttpResponseBuilder) -> HttpResponse + Send + Sync;

/// Where the token is read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TokenSource {
    /// The `Authorization: Bearer <token>` header (RFC 6750 §2.1). The default.
    #[default]
    AuthorizationHeader,
    /// A cookie with this name, holding the bare token. The `Authorization` header is then
    /// ignored.
    ///
    /// Browsers send cookies on cross-site requests too: protect state-changing routes against
    /// CSRF (a `SameSite=Strict` or `Lax` cookie, or a CSRF token) when you use this.
    Cookie(Cow<'static, str>),
}

/// The verifier plus the adapter's settings: realm, token source, body rendering.
///
/// Register it with [`App::app_data`](actix_web::App::app_data) (or as `web::Data<CognitoAuth>`);
/// every extractor and [`Authenticate`](crate::Authenticate) middleware of that app finds it
/// there. Cheap to clone (one reference count).
///
/// ```
/// use cognito_verify::{Pool, TokenUse, Verifier};
/// use cognito_verify_actix::{CognitoAuth, TokenSource};
///
/// # fn run() -> Result<(), cognito_verify::ConfigError> {
/// let verifier = Verifier::builder()
///     .pool(Pool::new("eu-west-1_AbCdEf123").client_id("1example23456789"))
///     .token_use(TokenUse::Access)
///     .build()?;
/// let auth = CognitoAuth::new(verifier)
///     .realm("orders-api")
///     .token_source(TokenSource::AuthorizationHeader)
///     .expose_detail(false);
/// # let _ = auth; Ok(()) }
/// ```
#[derive(Clone)]
pub struct CognitoAuth {
    inner: Arc<Settings>,
}

#[derive(Clone)]
struct Settings {
    verifier: Verifier,
    realm: Option<Arc<str>>,
    source: TokenSource,
    detail: bool,
    render: Option<Arc<Renderer>>,
}

impl fmt::Debug for CognitoAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuth")
            .field("verifier", &self.inner.verifier)
            .field("realm", &self.inner.realm)
            .field("source", &self.inner.source)
            .field("detail", &self.inner.detail)
            .field("render", &self.inner.render.is_some())
            .finish()
    }
}

impl From<Verifier> for CognitoAuth {
    fn from(verifier: Verifier) -> Self {
        CognitoAuth::new(verifier)
    }
}

impl CognitoAuth {
    /// Settings for this verifier: no realm, the `Authorization` header, the default JSON body
    /// without detail.
    pub fn new(verifier: Verifier) -> Self {
        CognitoAuth {
            inner: Arc::new(Settings {
                verifier,
                realm: None,
                source: TokenSource::AuthorizationHeader,
                detail: false,
                render: None,
            }),
        }
    }

    /// Whether both are the same settings (clones of one `CognitoAuth`).
    pub(crate) fn same_as(&self, other: &CognitoAuth) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn settings_mut(&mut self) -> &mut Settings {
        Arc::make_mut(&mut self.inner)
    }

    /// Sends `realm="…"` in every `WWW-Authenticate` challenge.
    #[must_use]
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.settings_mut().realm = Some(Arc::from(realm.into()));
        self
    }

    /// Reads the token from this source (default: the `Authorization` header).
    #[must_use]
    pub fn token_source(mut self, source: TokenSource) -> Self {
        self.settings_mut().source = source;
        self
    }

    /// Reads the token from the cookie with this name instead of the `Authorization` header.
    /// Shorthand for `.token_source(TokenSource::Cookie(name))`.
    #[must_use]
    pub fn token_from_cookie(self, name: impl Into<Cow<'static, str>>) -> Self {
        self.token_source(TokenSource::Cookie(name.into()))
    }

    /// Adds a human-readable `"message"` to the default JSON body (off by default). The message
    /// never contains the token, but it does tell a caller why their token was refused.
    /// `WWW-Authenticate` carries an `error_description` either way, as RFC 6750 intends.
    #[must_use]
    pub fn expose_detail(mut self, detail: bool) -> Self {
        self.settings_mut().detail = detail;
        self
    }

    /// Replaces the default JSON body of refusals.
    ///
    /// The builder already has the status, `WWW-Authenticate` and `Retry-After`; the function
    /// adds a body (and any other headers) and finishes it.
    ///
    /// ```
    /// # fn run(auth: cognito_verify_actix::CognitoAuth) {
    /// let auth = auth.render_with(|challenge, response| {
    ///     response.content_type("text/plain").body(format!("refused: {}", challenge.kind()))
    /// });
    /// # let _ = auth; }
    /// ```
    #[must_use]
    pub fn render_with<F>(mut self, render: F) -> Self
    where
        F: Fn(&Challenge, &mut HttpResponseBuilder) -> HttpResponse + Send + Sync + 'static,
    {
        self.settings_mut().render = Some(Arc::new(render));
        self
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

    /// Whether the default body includes a `"message"`.
    pub fn includes_detail(&self) -> bool {
        self.inner.detail
    }

    /// The refusal for `error`, answered with these settings (realm, body) exactly as the
    /// extractors and the middleware answer theirs. For checks of your own in a handler: e.g.
    /// `auth.refuse(Error::InsufficientGroup, Some(&required))`. Pass the requirement that was
    /// not met, if any, to name it in `WWW-Authenticate`.
    pub fn refuse(&self, error: Error, required: Option<&Requirement>) -> AuthError {
        AuthError::refused(self, error, required, None)
    }

    /// The response for a refusal: the challenge's status and headers, and the body.
    pub(crate) fn respond(&self, challenge: &Challenge) -> HttpResponse {
        let mut builder = crate::error::response_head(challenge);
        match &self.inner.render {
            Some(render) => render(challenge, &mut builder),
            None => builder.json(challenge.json_body(self.inner.detail)),
        }
    }

    /// The token of this request, from the configured source: `None` when there is none.
    pub(crate) fn token_of(&self, req: &HttpRequest) -> Option<Vec<u8>> {
        match &self.inner.source {
            TokenSource::AuthorizationHeader => req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|value| token_from_authorization(value.as_bytes()))
                .map(<[u8]>::to_vec),
            TokenSource::Cookie(name) => req
                .cookie(name)
                .map(|cookie| cookie.value().as_bytes().to_vec())
                .filter(|token| !token.is_empty()),
        }
    }

    /// The settings for this request: the ones an [`Authenticate`](crate::Authenticate)
    /// middleware with its own settings left in the request's extensions, else `app_data`.
    pub(crate) fn of_request(req: &HttpRequest) -> Option<CognitoAuth> {
        if let Some(auth) = req.extensions().get::<CognitoAuth>() {
            return Some(auth.clone());
        }
        req.app_data::<CognitoAuth>()
            .or_else(|| {
                req.app_data::<web::Data<CognitoAuth>>()
                    .map(|d| d.get_ref())
            })
            .cloned()
    }
}
