//! Claims of a token API Gateway already verified, read from the event's `requestContext`.
//!
//! **This trusts the gateway.** Nothing here verifies a signature: the claims are whatever the
//! event says, and only API Gateway (its Cognito user pool authorizer, its JWT authorizer, or a
//! Lambda authorizer such as [`Authorizer`](crate::Authorizer)) can have put them there. Use it
//! only in a function that nothing but that API Gateway route can invoke (no function URL, no
//! other trigger, a resource policy naming the API), and only on routes that have the
//! authorizer. A function that can be reached any other way must verify the token itself (the
//! core's verifier, or the axum adapter under `lambda_http`).
//!
//! | authorizer | where the claims are | values |
//! |---|---|---|
//! | REST API, Cognito user pool authorizer | `requestContext.authorizer.claims` | strings |
//! | HTTP API, JWT authorizer | `requestContext.authorizer.jwt.claims` (and `.scopes`) | strings (arrays as `[a b]`) |
//! | a Lambda authorizer (REST or HTTP API) | `requestContext.authorizer` / `.authorizer.lambda` | its `context` |

use lambda_http::request::RequestContext;
use serde_json::{Map, Value};

/// Which gateway authorizer the claims come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimsSource {
    /// A REST API Cognito user pool authorizer (`authorizer.claims`).
    CognitoAuthorizer,
    /// An HTTP API JWT authorizer (`authorizer.jwt.claims`).
    JwtAuthorizer,
    /// A Lambda authorizer's `context` (it has a `sub`).
    LambdaAuthorizer,
}

/// Members of a REST Lambda authorizer's `requestContext.authorizer` that API Gateway adds and
/// that are not claims.
const GATEWAY_MEMBERS: [&str; 2] = ["principalId", "integrationLatency"];

/// The claims API Gateway put in the request context after verifying the token (see the
/// [module docs](self): this trusts the gateway).
///
/// ```
/// use cognito_verify_lambda::GatewayClaims;
/// use lambda_http::{Body, Error, Request, RequestExt, Response};
///
/// async fn handler(request: Request) -> Result<Response<Body>, Error> {
///     let Some(claims) = request.request_context_ref().and_then(GatewayClaims::from_request_context) else {
///         return Ok(Response::builder().status(401).body(Body::Empty)?);
///     };
///     Ok(Response::new(format!("hello {}", claims.subject().unwrap_or("?")).into()))
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayClaims {
    claims: Map<String, Value>,
    scopes: Option<Vec<String>>,
    source: ClaimsSource,
}

impl GatewayClaims {
    /// The claims in this request context; `None` when no authorizer put claims there (a route
    /// without an authorizer, an ALB event).
    pub fn from_request_context(context: &RequestContext) -> Option<Self> {
        match context {
            RequestContext::ApiGatewayV1(context) => {
                let fields = &context.authorizer.fields;
                if let Some(Value::Object(claims)) = fields.get("claims") {
                    return Some(Self::new(
                        claims.clone(),
                        None,
                        ClaimsSource::CognitoAuthorizer,
                    ));
                }
                let claims: Map<String, Value> = fields
                    .iter()
                    .filter(|(name, _)| !GATEWAY_MEMBERS.contains(&name.as_str()))
                    .map(|(name, value)| (name.clone(), value.clone()))
                    .collect();
                Self::lambda(claims)
            }
            RequestContext::ApiGatewayV2(context) => {
                let authorizer = context.authorizer.as_ref()?;
                if let Some(jwt) = &authorizer.jwt {
                    let claims = jwt
                        .claims
                        .iter()
                        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
                        .collect();
                    return Some(Self::new(
                        claims,
                        jwt.scopes.clone(),
                        ClaimsSource::JwtAuthorizer,
                    ));
                }
                let claims = authorizer
                    .fields
                    .iter()
                    .map(|(name, value)| (name.clone(), value.clone()))
                    .collect();
                Self::lambda(claims)
            }
            _ => None,
        }
    }

    /// The claims of the request context `lambda_http` put in these extensions.
    pub fn from_extensions(extensions: &http::Extensions) -> Option<Self> {
        extensions
            .get::<RequestContext>()
            .and_then(Self::from_request_context)
    }

    fn new(claims: Map<String, Value>, scopes: Option<Vec<String>>, source: ClaimsSource) -> Self {
        GatewayClaims {
            claims,
            scopes,
            source,
        }
    }

    /// A Lambda authorizer's context counts as claims when it names a subject.
    fn lambda(claims: Map<String, Value>) -> Option<Self> {
        claims
            .get("sub")
            .is_some_and(Value::is_string)
            .then(|| Self::new(claims, None, ClaimsSource::LambdaAuthorizer))
    }

    /// Which authorizer put the claims there.
    pub fn source(&self) -> ClaimsSource {
        self.source
    }

    /// Every claim, as the gateway passed it.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// One claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// One claim that is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// `sub`.
    pub fn subject(&self) -> Option<&str> {
        self.get_str("sub")
    }

    /// `token_use` (`access` or `id`).
    pub fn token_use(&self) -> Option<&str> {
        self.get_str("token_use")
    }

    /// The scopes: the JWT authorizer's list, else the space-separated `scope` claim.
    pub fn scopes(&self) -> Vec<&str> {
        match &self.scopes {
            Some(scopes) => scopes.iter().map(String::as_str).collect(),
            None => self
                .get_str("scope")
                .map(|s| s.split_ascii_whitespace().collect())
                .unwrap_or_default(),
        }
    }

    /// `cognito:groups`, in any of the forms gateways pass it: a JSON array, its JSON text
    /// (this crate's authorizer), `[a b]` (HTTP API JWT authorizer) or `a,b`.
    pub fn groups(&self) -> Vec<String> {
        match self.get("cognito:groups") {
            Some(Value::Array(groups)) => strings(groups),
            Some(Value::String(text)) => {
                if let Ok(Value::Array(groups)) = serde_json::from_str::<Value>(text) {
                    return strings(&groups);
                }
                text.trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|g| !g.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            _ => Vec::new(),
        }
    }
}

fn strings(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

#[cfg(feature = "axum")]
mod axum_extractor {
    use axum::extract::FromRequestParts;
    use http::StatusCode;
    use http::request::Parts;

    use super::GatewayClaims;

    /// Reads the claims the gateway verified (see the [module docs](super): this trusts the
    /// gateway); a request without them is refused with 401.
    impl<S: Send + Sync> FromRequestParts<S> for GatewayClaims {
        type Rejection = (StatusCode, &'static str);

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
            GatewayClaims::from_extensions(&parts.extensions).ok_or((
                StatusCode::UNAUTHORIZED,
                "no claims from an API Gateway authorizer",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(event: Value) -> RequestContext {
        match serde_json::from_value(event) {
            Ok(context) => context,
            Err(error) => unreachable!("not a request context: {error}"),
        }
    }

    #[test]
    fn rest_cognito_authorizer_claims() {
        let context = context(serde_json::json!({
            "accountId": "123456789012", "resourceId": "abc", "stage": "prod", "requestId": "r",
            "identity": {}, "resourcePath": "/me", "httpMethod": "GET", "apiId": "api",
            "authorizer": {"claims": {"sub": "u1", "cognito:groups": "admin,ops", "scope": "a b"}}
        }));
        let claims = GatewayClaims::from_request_context(&context);
        let claims = claims.as_ref();
        assert_eq!(
            claims.map(GatewayClaims::source),
            Some(ClaimsSource::CognitoAuthorizer)
        );
        assert_eq!(claims.and_then(GatewayClaims::subject), Some("u1"));
        assert_eq!(
            claims.map(GatewayClaims::groups),
            Some(vec!["admin".into(), "ops".into()])
        );
        assert_eq!(claims.map(GatewayClaims::scopes), Some(vec!["a", "b"]));
    }

    #[test]
    fn http_api_jwt_authorizer_claims() {
        let context = context(serde_json::json!({
            "routeKey": "GET /me", "accountId": "1", "stage": "$default", "requestId": "r",
            "apiId": "api", "domainName": "d", "domainPrefix": "d", "time": "t", "timeEpoch": 1,
            "http": {"method": "GET", "path": "/me", "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4", "userAgent": "x"},
            "authorizer": {"jwt": {"claims": {"sub": "u2", "cognito:groups": "[admin ops]"}, "scopes": ["api/read"]}}
        }));
        let claims = GatewayClaims::from_request_context(&context);
        let claims = claims.as_ref();
        assert_eq!(
            claims.map(GatewayClaims::source),
            Some(ClaimsSource::JwtAuthorizer)
        );
        assert_eq!(claims.and_then(GatewayClaims::subject), Some("u2"));
        assert_eq!(
            claims.map(GatewayClaims::groups),
            Some(vec!["admin".into(), "ops".into()])
        );
        assert_eq!(claims.map(GatewayClaims::scopes), Some(vec!["api/read"]));
    }

    #[test]
    fn no_authorizer_no_claims() {
        let context = context(serde_json::json!({
            "accountId": "123456789012", "resourceId": "abc", "stage": "prod", "requestId": "r",
            "identity": {}, "resourcePath": "/me", "httpMethod": "GET", "apiId": "api"
        }));
        assert_eq!(GatewayClaims::from_request_context(&context), None);
    }
}
