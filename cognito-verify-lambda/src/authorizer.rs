//! API Gateway Lambda authorizers on the core's HTTP policy.
//!
//! An [`Authorizer`] reads the credential of an authorizer event the way the core reads an HTTP
//! request ([`HttpAuth::authenticate`]: the token source, the one-credential rule), checks the
//! [`Requirements`], and answers in the format API Gateway expects. The [`Decision`] is the same
//! for every event kind; only its rendering differs:
//!
//! | outcome (core status) | REST `TOKEN` / `REQUEST` (IAM policy) | HTTP API simple response |
//! |---|---|---|
//! | valid token, requirements met | `Allow` policy for the method ARN, `principalId` = `sub`, claims in `context` | `isAuthorized: true`, claims in `context` |
//! | valid token, a scope or group missing (403) | `Deny` policy for the method ARN, `principalId` = `sub` → 403 | `isAuthorized: false` → 403 |
//! | no token, invalid token (401), more than one credential (400) | the error `Unauthorized` → 401 | `isAuthorized: false` → 403 |
//! | keys unavailable (503), not configured (500) | an error → 500 | an error → 500 |
//!
//! Keys unavailable fails closed: API Gateway has no "503" answer for an authorizer, and a
//! `Deny` or `Unauthorized` would tell the client its token is bad (and a cached `Deny` would
//! outlast the outage), so the function fails and API Gateway answers 500
//! (`AUTHORIZER_FAILURE`). Map that gateway response to 503 with a `Retry-After` header in the
//! API's gateway responses if clients should retry. An answer that is an error is never cached
//! by API Gateway.
//!
//! `context` holds the token's claims with string, number and boolean values, as API Gateway
//! requires: arrays and objects (e.g. `cognito:groups`) are passed as their JSON text, `null`s
//! are left out. Integrations read them as `$context.authorizer.<claim>` (REST) or
//! `$context.authorizer.lambda.<claim>` (HTTP API), and [`GatewayClaims`](crate::GatewayClaims)
//! reads them back in a Lambda behind the gateway.

use std::fmt;

use cognito_verify::http_auth::{HttpAuth, Refusal, Requirements, token_from_authorization};
use cognito_verify::{ConfigError, ErrorKind, Verified, Verifier};
use http::header::COOKIE;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequest,
    ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayCustomAuthorizerResponse,
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use lambda_http::aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use lambda_http::lambda_runtime::Diagnostic;
use serde_json::{Map, Value};

/// The IAM policy language version of every policy document.
const POLICY_VERSION: &str = "2012-10-17";
/// The action an API Gateway authorizer policy allows or denies.
const INVOKE_ACTION: &str = "execute-api:Invoke";
/// The `principalId` of a `Deny` for a token whose claims are not at hand (a verifier built with
/// its own scope or group requirement refuses before returning claims): API Gateway needs one.
pub const UNKNOWN_PRINCIPAL: &str = "unknown";

/// What the authorizer decided, before it is rendered for an event kind.
#[derive(Debug)]
#[non_exhaustive]
pub enum Decision {
    /// A valid token that meets every requirement.
    Allow(Box<Verified>),
    /// A valid token short of a scope or group (the core's 403).
    Deny {
        /// The verified token, when the claims are at hand.
        verified: Option<Box<Verified>>,
        /// The core's refusal.
        refusal: Refusal,
    },
    /// No token, an invalid one, or more than one credential (the core's 401 or 400).
    Unauthorized(Refusal),
    /// The keys could not be fetched, or nothing to verify with (the core's 503 or 500).
    Unavailable(Refusal),
}

impl Decision {
    /// The core's refusal, `None` for [`Decision::Allow`].
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Decision::Allow(_) => None,
            Decision::Deny { refusal, .. }
            | Decision::Unauthorized(refusal)
            | Decision::Unavailable(refusal) => Some(refusal),
        }
    }

    /// The stable kind of the refusal, `None` for [`Decision::Allow`].
    pub fn kind(&self) -> Option<ErrorKind> {
        self.refusal().map(Refusal::kind)
    }
}

/// Why an authorizer event is answered with an error instead of a policy. Its `Display` is the
/// function's `errorMessage`: exactly `Unauthorized` for [`AuthorizerError::Unauthorized`], which
/// API Gateway answers with 401; any other error is a 500.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizerError {
    /// No token, an invalid one, or more than one credential (REST authorizers: 401).
    #[error("Unauthorized")]
    Unauthorized {
        /// The core's kind, for logs.
        kind: ErrorKind,
    },
    /// The signing keys could not be fetched (API Gateway: 500).
    #[error("the signing keys are unavailable ({kind})")]
    KeysUnavailable {
        /// The core's kind.
        kind: ErrorKind,
    },
    /// An event this authorizer does not take (API Gateway: 500).
    #[error("not an API Gateway authorizer event: {0}")]
    InvalidEvent(&'static str),
}

impl AuthorizerError {
    /// A stable name of the error, the function's `errorType`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthorizerError::Unauthorized { .. } => "Unauthorized",
            AuthorizerError::KeysUnavailable { .. } => "KeysUnavailable",
            AuthorizerError::InvalidEvent(_) => "InvalidEvent",
        }
    }
}

impl From<AuthorizerError> for Diagnostic {
    fn from(error: AuthorizerError) -> Self {
        Diagnostic {
            error_type: error.as_str().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// An API Gateway Lambda authorizer: the core's [`HttpAuth`] and the [`Requirements`] every
/// request must meet. Build it once (outside the handler); cheap to clone.
///
/// ```no_run
/// use cognito_verify::{Pool, TokenUse, Verifier};
/// use cognito_verify_lambda::Authorizer;
/// use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
///
/// #[tokio::main]
/// async fn main() -> Result<(), lambda_runtime::Error> {
///     let verifier = Verifier::builder()
///         .pool(Pool::new("eu-west-1_AbCdEf123").client_id("1example23456789"))
///         .token_use(TokenUse::Access)
///         .build()?;
///     let authorizer = &Authorizer::new(verifier);
///     lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| async move {
///         authorizer.handle(event.payload).await
///     }))
///     .await
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Authorizer {
    auth: HttpAuth,
    requirements: Requirements,
}

impl From<Verifier> for Authorizer {
    fn from(verifier: Verifier) -> Self {
        Authorizer::new(verifier)
    }
}

impl From<HttpAuth> for Authorizer {
    fn from(auth: HttpAuth) -> Self {
        Authorizer::new(auth)
    }
}

impl Authorizer {
    /// An authorizer without requirements beyond a valid token (the verifier's token use: build
    /// it with [`TokenUse::Access`](cognito_verify::TokenUse::Access) for an API).
    pub fn new(auth: impl Into<HttpAuth>) -> Self {
        Authorizer {
            auth: auth.into(),
            requirements: Requirements::new(),
        }
    }

    /// Requires these scopes and groups of every token; an empty requirement is an error.
    pub fn require(mut self, requirements: Requirements) -> Result<Self, ConfigError> {
        requirements.validate()?;
        self.requirements = requirements;
        Ok(self)
    }

    /// The HTTP settings (token source, realm).
    pub fn http_auth(&self) -> &HttpAuth {
        &self.auth
    }

    /// Decides on a request's credential (found as [`HttpAuth::find_token`] finds it: the
    /// token source and the one-credential rule).
    pub async fn decide(&self, parts: &Parts) -> Decision {
        match self.auth.find_token(parts) {
            Ok(token) => self.decide_token(token.as_deref()).await,
            Err(refusal) => refused(refusal, None),
        }
    }

    /// Decides on a token found by other means (`None`: there is none).
    pub async fn decide_token(&self, token: Option<&[u8]>) -> Decision {
        let Some(token) = token else {
            return Decision::Unauthorized(self.auth.missing_token());
        };
        let verified = match self.auth.verify(token).await {
            Ok(verified) => verified,
            Err(refusal) => return refused(refusal, None),
        };
        match self.requirements.check(&self.auth, &verified) {
            Ok(()) => Decision::Allow(Box::new(verified)),
            Err(refusal) => refused(refusal, Some(verified)),
        }
    }

    /// Answers an event of any authorizer kind: HTTP API payload 2.0 (`"version": "2.0"`) with
    /// a simple response, REST `TOKEN` and `REQUEST` (and HTTP API payload 1.0) with an IAM
    /// policy.
    pub async fn handle(&self, event: Value) -> Result<Value, AuthorizerError> {
        let version = event.get("version").and_then(Value::as_str);
        let kind = event.get("type").and_then(Value::as_str);
        let answer = match (version, kind) {
            (Some("2.0"), _) => to_value(&self.simple_event(parse(event)?).await?),
            (_, Some("TOKEN")) => to_value(&self.token_event(parse(event)?).await?),
            (_, Some("REQUEST")) => to_value(&self.request_event(parse(event)?).await?),
            _ => return Err(AuthorizerError::InvalidEvent("no TOKEN or REQUEST type")),
        };
        answer.ok_or(AuthorizerError::InvalidEvent(
            "the answer does not serialize",
        ))
    }

    /// Answers a REST API `TOKEN` authorizer event. Its identity source is one header (configure
    /// `method.request.header.Authorization`): `authorizationToken` is read as an
    /// `Authorization` value, `Bearer <token>`. API Gateway passes only one value of the header;
    /// use a `REQUEST` authorizer to refuse requests with two.
    pub async fn token_event(
        &self,
        event: ApiGatewayCustomAuthorizerRequest,
    ) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
        let token = event
            .authorization_token
            .as_deref()
            .and_then(|value| token_from_authorization(value.as_bytes()));
        policy_answer(self.decide_token(token).await, event.method_arn)
    }

    /// Answers a REST API `REQUEST` authorizer event (or an HTTP API payload 1.0 one) from its
    /// headers: `headers` and `multiValueHeaders` list the same headers (the latter with every
    /// value), so they are read as one set of headers, case-insensitively; a header given twice
    /// is two values, and two `Authorization` values are refused like two headers.
    pub async fn request_event(
        &self,
        event: ApiGatewayCustomAuthorizerRequestTypeRequest,
    ) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
        let mut parts = empty_parts();
        parts.headers = merged_headers(event.headers, event.multi_value_headers);
        policy_answer(self.decide(&parts).await, event.method_arn)
    }

    /// Answers an HTTP API payload 2.0 authorizer event with the simple response format
    /// (`isAuthorized`, `context`); the event's `cookies` are read as its `Cookie` header.
    pub async fn simple_event(
        &self,
        event: ApiGatewayV2CustomAuthorizerV2Request,
    ) -> Result<ApiGatewayV2CustomAuthorizerSimpleResponse, AuthorizerError> {
        let mut parts = empty_parts();
        parts.headers = event.headers;
        if !event.cookies.is_empty() {
            parts.headers.remove(COOKIE);
            if let Ok(value) = HeaderValue::from_str(&event.cookies.join("; ")) {
                parts.headers.insert(COOKIE, value);
            }
        }
        let decision = self.decide(&parts).await;
        let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
        match decision {
            Decision::Allow(verified) => {
                response.is_authorized = true;
                response.context = Value::Object(claims_context(verified.raw_claims()));
            }
            Decision::Deny { .. } | Decision::Unauthorized(_) => {
                response.is_authorized = false;
                response.context = Value::Object(Map::new());
            }
            Decision::Unavailable(refusal) => return Err(unavailable(&refusal)),
        }
        Ok(response)
    }
}

/// The decision for a refusal of the core, by its status.
fn refused(refusal: Refusal, verified: Option<Verified>) -> Decision {
    match refusal.status() {
        StatusCode::FORBIDDEN => Decision::Deny {
            verified: verified.map(Box::new),
            refusal,
        },
        status if status.is_server_error() => Decision::Unavailable(refusal),
        _ => Decision::Unauthorized(refusal),
    }
}

fn unavailable(refusal: &Refusal) -> AuthorizerError {
    refusal.log(None, None);
    AuthorizerError::KeysUnavailable {
        kind: refusal.kind(),
    }
}

/// A REST answer: a policy for `Allow` and `Deny`, else the error.
fn policy_answer(
    decision: Decision,
    method_arn: Option<String>,
) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
    let (effect, principal, context) = match decision {
        Decision::Allow(verified) => (
            IamPolicyEffect::Allow,
            verified.subject().to_owned(),
            claims_context(verified.raw_claims()),
        ),
        Decision::Deny { verified, refusal } => {
            let mut context = Map::new();
            context.insert("error".into(), refusal.kind().as_str().into());
            let principal =
                verified.map_or(UNKNOWN_PRINCIPAL.to_owned(), |v| v.subject().to_owned());
            (IamPolicyEffect::Deny, principal, context)
        }
        Decision::Unauthorized(refusal) => {
            tracing::debug!(kind = %refusal.kind(), "authorizer: unauthorized");
            return Err(AuthorizerError::Unauthorized {
                kind: refusal.kind(),
            });
        }
        Decision::Unavailable(refusal) => return Err(unavailable(&refusal)),
    };
    let resource = method_arn.ok_or(AuthorizerError::InvalidEvent("no methodArn"))?;
    Ok(policy(effect, principal, resource, context))
}

/// A policy document with one statement: `effect` on `execute-api:Invoke` of `resource`.
pub fn policy(
    effect: IamPolicyEffect,
    principal_id: String,
    resource: String,
    context: Map<String, Value>,
) -> ApiGatewayCustomAuthorizerResponse {
    let mut statement = IamPolicyStatement::default();
    statement.action = vec![INVOKE_ACTION.to_owned()];
    statement.effect = effect;
    statement.resource = vec![resource];
    let mut document = ApiGatewayCustomAuthorizerPolicy::default();
    document.version = Some(POLICY_VERSION.to_owned());
    document.statement = vec![statement];
    let mut response = ApiGatewayCustomAuthorizerResponse::default();
    response.principal_id = Some(principal_id);
    response.policy_document = document;
    response.context = Value::Object(context);
    response
}

/// The claims as an authorizer `context`: strings, numbers and booleans as they are, arrays and
/// objects as their JSON text, `null`s left out (API Gateway takes no other values).
pub fn claims_context(claims: &Map<String, Value>) -> Map<String, Value> {
    claims
        .iter()
        .filter_map(|(name, value)| {
            let value = match value {
                Value::Null => return None,
                Value::String(_) | Value::Number(_) | Value::Bool(_) => value.clone(),
                Value::Array(_) | Value::Object(_) => Value::String(value.to_string()),
            };
            Some((name.clone(), value))
        })
        .collect()
}

/// One set of headers from a REST event's `headers` and `multiValueHeaders`: every value of
/// `multiValueHeaders`, and the headers only `headers` has.
pub fn merged_headers(headers: HeaderMap, multi_value_headers: HeaderMap) -> HeaderMap {
    let mut merged = multi_value_headers;
    let mut only_single = HeaderMap::new();
    for (name, value) in &headers {
        if !merged.contains_key(name) {
            only_single.append(name.clone(), value.clone());
        }
    }
    for (name, value) in &only_single {
        merged.append(name.clone(), value.clone());
    }
    merged
}

fn empty_parts() -> Parts {
    http::Request::new(()).into_parts().0
}

fn parse<T: serde::de::DeserializeOwned>(event: Value) -> Result<T, AuthorizerError> {
    serde_json::from_value(event)
        .map_err(|_| AuthorizerError::InvalidEvent("the event does not match its type"))
}

fn to_value(answer: &impl serde::Serialize) -> Option<Value> {
    serde_json::to_value(answer).ok()
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allow(verified) => write!(f, "allow {}", verified.subject()),
            Decision::Deny { refusal, .. } => write!(f, "deny ({})", refusal.kind()),
            Decision::Unauthorized(refusal) => write!(f, "unauthorized ({})", refusal.kind()),
            Decision::Unavailable(refusal) => write!(f, "unavailable ({})", refusal.kind()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::AUTHORIZATION;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap_or(AUTHORIZATION),
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("x")),
            );
        }
        map
    }

    #[test]
    fn a_header_in_both_lists_is_one_header() {
        let merged = merged_headers(
            headers(&[("Authorization", "Bearer a"), ("x-only-single", "1")]),
            headers(&[("authorization", "Bearer a")]),
        );
        assert_eq!(merged.get_all(AUTHORIZATION).iter().count(), 1);
        assert_eq!(merged.get_all("x-only-single").iter().count(), 1);
    }

    #[test]
    fn two_values_stay_two() {
        let merged = merged_headers(
            headers(&[("authorization", "Bearer b")]),
            headers(&[("Authorization", "Bearer a"), ("authorization", "Bearer b")]),
        );
        assert_eq!(merged.get_all(AUTHORIZATION).iter().count(), 2);
    }

    #[test]
    fn context_values_are_strings_numbers_and_booleans() {
        let claims = serde_json::json!({
            "sub": "u", "exp": 5, "email_verified": true, "gone": null,
            "cognito:groups": ["admin", "ops"], "address": {"country": "x"}
        });
        let context = claims_context(claims.as_object().unwrap_or(&Map::new()));
        assert_eq!(
            Value::Object(context),
            serde_json::json!({
                "sub": "u", "exp": 5, "email_verified": true,
                "cognito:groups": "[\"admin\",\"ops\"]", "address": "{\"country\":\"x\"}"
            })
        );
    }

    #[test]
    fn unauthorized_is_the_message_api_gateway_answers_401_for() {
        let error = AuthorizerError::Unauthorized {
            kind: ErrorKind::MissingToken,
        };
        let diagnostic = Diagnostic::from(error);
        assert_eq!(diagnostic.error_message, "Unauthorized");
    }
}
