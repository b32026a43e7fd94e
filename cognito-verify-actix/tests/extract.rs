//! The extractors in handlers: refusals answered like the middleware's, and `AuthError`'s kind
//! and source.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::test;
use actix_web::{App, HttpResponse, web};
use cognito_verify::{Error, ErrorKind, Requirement};
use cognito_verify_actix::{AuthError, Authenticated, CognitoAuth};
use common::{Credential, Pool, answer, request};
use serde_json::json;

/// Refuses a caller without groups (403, the group `auditors` required), rendered with the
/// settings from `web::Data<CognitoAuth>`.
async fn auditors_only(
    a: Authenticated,
    auth: web::Data<CognitoAuth>,
) -> Result<HttpResponse, AuthError> {
    let required = Requirement::all_of(["auditors"]);
    if a.groups().is_empty() {
        return Err(AuthError::refused(
            &auth,
            Error::InsufficientGroup,
            Some(&required),
        ));
    }
    Ok(HttpResponse::Ok().finish())
}

#[actix_web::test]
async fn refusals_in_handlers_answer_like_the_middleware() {
    let pool = Pool::start().await;
    let app = test::init_service(
        App::new()
            .app_data(pool.auth())
            .route("/", web::get().to(auditors_only)),
    )
    .await;
    // `web::Data<CognitoAuth>` is not registered: only the extractor's `app_data` is. Register
    // both to use the settings in a handler.
    let credential = Credential::Bearer(pool.access());
    let response = test::call_service(&app, request("/", &credential).to_request()).await;
    assert_eq!(response.status(), 500);

    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(pool.auth()))
            .route("/", web::get().to(auditors_only)),
    )
    .await;
    let response = test::call_service(&app, request("/", &credential).to_request()).await;
    let answer = answer(response).await;
    assert_eq!(answer.status, 403);
    common::Www::InsufficientScope("auditors").check("handler", answer.www_authenticate.as_deref());
    assert_eq!(
        answer.body,
        json!({ "error": "insufficient_scope", "kind": "insufficient_group" })
    );
}

#[actix_web::test]
async fn auth_error_reports_its_kind_and_source() {
    let pool = Pool::start().await;
    let auth = pool.auth();
    let refused = AuthError::refused(&auth, Error::Expired, None);
    assert_eq!(refused.kind(), ErrorKind::Expired);
    assert_eq!(refused.refusal().error(), Some(&Error::Expired));
    assert_eq!(
        refused.to_string(),
        "request refused (expired): token has expired"
    );
    assert!(std::error::Error::source(&refused).is_some());
    assert_eq!(refused.refusal().status(), 401);
    assert_eq!(
        actix_web::ResponseError::status_code(&refused),
        actix_web::http::StatusCode::UNAUTHORIZED
    );
    let debug = format!("{refused:?}");
    assert!(debug.contains("expired"), "{debug}");
}
