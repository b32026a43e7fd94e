use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{TokenUse, Verifier};

#[tokio::test]
async fn smoke() {
    let issuer = TestIssuer::new();
    let server = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let v = Verifier::builder()
        .pool(issuer.pool().jwks_uri(server.url()))
        .token_use(TokenUse::Either)
        .build()
        .unwrap();
    let t = issuer.access_token().sign();
    let c = v.verify_access(&t).await.unwrap();
    assert_eq!(c.username.as_deref(), Some("test-user"));
    let id = v.verify_id(&issuer.id_token().sign()).await.unwrap();
    assert_eq!(id.email_verified, Some(true));
    assert_eq!(server.fetch_count(), 1);
    for last in ['A', 'B', 'Q', 'g', 'w', '_'] {
        let mut bad = t.clone();
        let orig = bad.pop().unwrap();
        bad.push(last);
        println!("{orig}->{last}: {:?}", v.verify(&bad).await.map(drop));
    }
    let mid = t.len() - 20;
    let mut bad = t.clone().into_bytes();
    bad[mid] = if bad[mid] == b'a' { b'b' } else { b'a' };
    println!("mid: {:?}", v.verify(std::str::from_utf8(&bad).unwrap()).await.map(drop));
}
