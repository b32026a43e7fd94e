//! Route requirements (scopes, groups, token use) of the middleware: access tokens only unless
//! id tokens are allowed, one credential per request, and an empty requirement stops the app
//! from starting.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::dev::{ServiceRequest, Transform as _, fn_service};
use actix_web::{App, HttpResponse};
use cognito_verify::Requirement;
use cognito_verify_actix::Authenticate;
use common::Pool;
use serde_json::Value;

/// Whether the middleware would start in front of a service.
async fn starts(middleware: Authenticate) -> bool {
    let service = fn_service(|req: ServiceRequest| async move {
        Ok::<_, actix_web::Error>(req.into_response(HttpResponse::Ok().finish()))
    });
    middleware.new_transform(service).await.is_ok()
}

#[actix_web::test]
async fn an_empty_requirement_stops_the_app_from_starting() {
    let empty = Requirement::any_of(Vec::<String>::new());
    assert!(!starts(Authenticate::required().require_scopes(empty.clone())).await);
    assert!(!starts(Authenticate::optional().require_groups(empty)).await);
    assert!(!starts(Authenticate::required().require_groups(Requirement::all_of(["a", ""]))).await);
    assert!(starts(Authenticate::required().require_groups(Requirement::all_of(["a"]))).await);
}

/// A middleware's requirements take access tokens (an id token is 401 `invalid_token_use`, even
/// with the group) unless the requirement allows id tokens; two `Authorization` headers are 400
/// `invalid_request` before anything is verified.
#[actix_web::test]
async fn access_only_requirements_and_one_credential_over_http() {
    use actix_web::web;

    let pool = Pool::start().await;
    let auth = pool.auth();
    let (base, handle) = common::serve(move || {
        let admins = Requirement::any_of(["admin"]);
        let ok = || web::get().to(|| async { HttpResponse::Ok().finish() });
        let api = Authenticate::required().require_groups(admins.clone());
        let staff = Authenticate::required().require_groups(admins.allow_id_tokens());
        App::new()
            .app_data(auth.clone())
            .service(web::resource("/api").wrap(api).route(ok()))
            .service(web::resource("/staff").wrap(staff).route(ok()))
    });
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let get = |path: &str, tokens: &[&str]| {
        let mut request = client.get(format!("{base}{path}"));
        for token in tokens {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.send()
    };

    let id = pool.issuer.id_token().groups(["admin"]).sign();
    let access = pool.issuer.access_token().groups(["admin"]).sign();
    let refused = get("/api", &[&id]).await.unwrap();
    assert_eq!(refused.status(), 401);
    let body: Value = serde_json::from_slice(&refused.bytes().await.unwrap()).unwrap();
    assert_eq!(body["kind"], "invalid_token_use");
    assert_eq!(get("/staff", &[&id]).await.unwrap().status(), 200);
    assert_eq!(get("/api", &[&access]).await.unwrap().status(), 200);

    let verified = pool.verifications();
    let twice = get("/api", &[&access, "garbage"]).await.unwrap();
    assert_eq!(twice.status(), 400);
    let www = twice.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        www.starts_with(r#"Bearer realm="test", error="invalid_request""#),
        "{www}"
    );
    assert_eq!(pool.verifications(), verified, "nothing was verified");
    handle.stop(true).await;
}
