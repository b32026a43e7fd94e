//! The actix-web example app: the same routes, and the same answers, as the axum one
//! ([`axum_app`](crate::axum_app)); `examples/tests/parity.rs` checks that they agree.
//!
//! | route | needs | answer |
//! |---|---|---|
//! | `GET /public` | nothing | `{"public":true}` |
//! | `GET /me` | an access token | its claims |
//! | `GET /scoped` | an access token with the scope `api/read` | `{"scoped":true,"sub":…}` |
//! | `GET /admin` | an access token whose user is in the group `admin` | `{"admin":true,"sub":…}` |
//! | `GET /optional` | nothing, or a valid token | `{"authenticated":true,"sub":…}` or `{"authenticated":false}` |
//! | `GET /id` | an id token | its claims |
//!
//! The verifier accepts access and id tokens (`TokenUse::Either`); each route asks for the kind
//! it needs. Refusals are RFC 6750 answers (401 / 403 / 503, see
//! [`AuthError`](cognito_verify_actix::AuthError)).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpResponse, Route, guard, web};
use cognito_verify::{Requirement, Verifier};
use cognito_verify_actix::{
    AccessToken, Authenticate, Authenticated, CognitoAuth, IdToken, Optional,
};
use serde_json::json;

/// The scope `GET /scoped` requires.
pub const SCOPED_SCOPE: &str = "api/read";
/// The group `GET /admin` requires.
pub const ADMIN_GROUP: &str = "admin";

/// The adapter settings the app uses: the verifier, tokens from `Authorization: Bearer`.
pub fn auth(verifier: Verifier) -> CognitoAuth {
    CognitoAuth::new(verifier)
}

/// The whole app: the settings in `app_data`, then the routes of [`configure`].
///
/// ```no_run
/// # async fn run(verifier: cognito_verify::Verifier) -> std::io::Result<()> {
/// actix_web::HttpServer::new(move || cognito_verify_examples::actix_app::app(verifier.clone()))
///     .bind("127.0.0.1:3000")?
///     .run()
///     .await
/// # }
/// ```
pub fn app(
    verifier: Verifier,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    app_with(auth(verifier))
}

/// The app with these settings (e.g. tokens from a cookie).
pub fn app_with(
    auth: CognitoAuth,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new().app_data(auth).configure(configure)
}

/// The routes. They expect a [`CognitoAuth`] in `app_data` (see [`auth`]); [`app`] does both.
///
/// Each path is a resource answering `GET` and `HEAD`, so another method gets 405 (as axum answers), and the requirements
/// wrap the `GET` route only, so that 405 comes before any authentication (as axum's
/// `route_layer` does).
pub fn configure(cfg: &mut web::ServiceConfig) {
    let scoped_rule = Authenticate::required().require_scopes(Requirement::any_of([SCOPED_SCOPE]));
    let admin_rule = Authenticate::required().require_groups(Requirement::any_of([ADMIN_GROUP]));
    cfg.service(web::resource("/public").route(get().to(public)))
        .service(web::resource("/me").route(get().to(me)))
        .service(web::resource("/scoped").route(get().to(scoped).wrap(scoped_rule)))
        .service(web::resource("/admin").route(get().to(admin).wrap(admin_rule)))
        .service(web::resource("/optional").route(get().to(optional)))
        .service(web::resource("/id").route(get().to(id)));
}

/// `GET`, and `HEAD` answered like it without the body (as axum's `get` does).
fn get() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

async fn public() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "public": true }))
}

async fn me(AccessToken(claims): AccessToken) -> HttpResponse {
    HttpResponse::Ok().json(claims)
}

async fn scoped(user: Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "scoped": true, "sub": user.subject() }))
}

async fn admin(user: Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "admin": true, "sub": user.subject() }))
}

async fn optional(user: Optional<Authenticated>) -> HttpResponse {
    HttpResponse::Ok().json(match user.into_inner() {
        Some(user) => json!({ "authenticated": true, "sub": user.subject() }),
        None => json!({ "authenticated": false }),
    })
}

async fn id(IdToken(claims): IdToken) -> HttpResponse {
    HttpResponse::Ok().json(claims)
}
