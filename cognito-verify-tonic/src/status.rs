//! A refusal as a gRPC [`Status`], and the verified token as a handler reads it.

use cognito_verify::alb::AlbClaims;
use cognito_verify::http_auth::{HttpAuth, Refusal};
use cognito_verify::{AccessClaims, Verified};
use http::StatusCode;
use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::{Code, Status};

/// The settings a call was authenticated with, kept in its extensions so that a handler's own
/// refusals ([`RequestExt::access_claims`]) answer like the layer's.
#[derive(Clone)]
pub(crate) struct Mark(pub(crate) HttpAuth);

/// The gRPC code of a refusal: the code whose HTTP mapping (in `google.rpc.Code`) is the HTTP
/// status the core chose.
///
/// | refusal | HTTP | gRPC |
/// |---|---|---|
/// | no token, or an invalid one (`invalid_token`) | 401 | `UNAUTHENTICATED` (16) |
/// | a scope or group missing, or a hook's denial (`insufficient_scope`) | 403 | `PERMISSION_DENIED` (7) |
/// | signing keys unavailable (or not held, for the interceptor) | 503 | `UNAVAILABLE` (14) |
/// | more than one credential (`invalid_request`) | 400 | `INVALID_ARGUMENT` (3) |
/// | not configured (no settings, a hook on the interceptor) | 500 | `INTERNAL` (13) |
///
/// Two `authorization` (or ALB data) entries are a malformed call rather than bad credentials:
/// `INVALID_ARGUMENT`, as the 400 they get over HTTP: a client that retries with one entry may
/// succeed, one that retries unchanged never will; the challenge says `invalid_request`.
pub fn code(refusal: &Refusal) -> Code {
    match refusal.status() {
        StatusCode::BAD_REQUEST => Code::InvalidArgument,
        StatusCode::UNAUTHORIZED => Code::Unauthenticated,
        StatusCode::FORBIDDEN => Code::PermissionDenied,
        StatusCode::SERVICE_UNAVAILABLE => Code::Unavailable,
        _ => Code::Internal,
    }
}

/// The gRPC status answering a refusal with these settings: [`code`]; the message is the
/// refusal's stable kind (e.g. `expired`), followed by its description when the settings
/// [expose detail](HttpAuth::expose_detail); never the token. Metadata: the RFC 6750 challenge
/// in `www-authenticate` (as over HTTP, with `error_description`), and when keys are
/// unavailable `retry-after` (seconds) and `grpc-retry-pushback-ms` (for gRPC retry policies).
pub fn status(auth: &HttpAuth, refusal: &Refusal) -> Status {
    answer(refusal, auth.includes_detail())
}

fn answer(refusal: &Refusal, detail: bool) -> Status {
    let message = match detail {
        true => format!("{}: {}", refusal.kind(), refusal.description()),
        false => refusal.kind().as_str().to_owned(),
    };
    let mut metadata = MetadataMap::new();
    // The challenge is printable ASCII (the core quotes it so), which is valid ASCII metadata.
    let challenge = refusal.www_authenticate().map(|v| v.as_bytes());
    if let Some(value) = challenge.and_then(|v| AsciiMetadataValue::try_from(v).ok()) {
        metadata.insert("www-authenticate", value);
    }
    if let Some(secs) = refusal.retry_after_secs() {
        metadata.insert("retry-after", AsciiMetadataValue::from(secs));
        let millis = secs.saturating_mul(1000);
        metadata.insert("grpc-retry-pushback-ms", AsciiMetadataValue::from(millis));
    }
    Status::with_metadata(code(refusal), message, metadata)
}

/// Logs a refusal (its one `tracing` event, with the gRPC method path) and answers its status.
pub(crate) fn refuse(refusal: &Refusal, detail: bool, path: Option<&str>) -> Status {
    refusal.log(None, path);
    answer(refusal, detail)
}

/// The verified token of a call, for handlers: put in the request extensions by
/// [`CognitoAuthLayer`](crate::CognitoAuthLayer) and [`CognitoInterceptor`](crate::CognitoInterceptor).
///
/// ```
/// use cognito_verify_tonic::RequestExt as _;
///
/// fn who(request: &tonic::Request<()>) -> Result<String, tonic::Status> {
///     Ok(request.access_claims()?.sub.clone())
/// }
/// // Without a layer in front, a handler is told so (INTERNAL), never given claims.
/// assert_eq!(who(&tonic::Request::new(())).unwrap_err().code(), tonic::Code::Internal);
/// let alb = tonic::Request::new(()).alb_claims().map(|claims| claims.sub().to_owned());
/// assert_eq!(alb.unwrap_err().code(), tonic::Code::Internal);
/// ```
pub trait RequestExt {
    /// The call's verified token (`request.extensions().get::<Verified>()`), `None` when no
    /// layer or interceptor verified it.
    fn verified(&self) -> Option<&Verified>;

    /// The claims of the call's access token: `UNAUTHENTICATED` (kind `invalid_token_use`) for
    /// an id token, `INTERNAL` (kind `not_configured`) when no layer or interceptor verified the
    /// call.
    fn access_claims(&self) -> Result<&AccessClaims, Status>;

    /// The claims of the call's ALB token (`x-amzn-oidc-data`), verified by an
    /// [`AlbAuthLayer`](crate::AlbAuthLayer); `INTERNAL` (kind `not_configured`) without one.
    fn alb_claims(&self) -> Result<&AlbClaims, Status>;
}

impl<T> RequestExt for tonic::Request<T> {
    fn verified(&self) -> Option<&Verified> {
        self.extensions().get::<Verified>()
    }

    fn access_claims(&self) -> Result<&AccessClaims, Status> {
        let mark = self.extensions().get::<Mark>();
        let (verified, Some(Mark(auth))) = (self.verified(), mark) else {
            return Err(answer(&Refusal::not_configured(), false));
        };
        let verified = verified.ok_or_else(|| status(auth, &auth.missing_token()))?;
        verified
            .access_claims()
            .map_err(|e| status(auth, &auth.refuse(e, None)))
    }

    fn alb_claims(&self) -> Result<&AlbClaims, Status> {
        let claims = self.extensions().get();
        claims.ok_or_else(|| answer(&Refusal::not_configured(), false))
    }
}
