//! A request's [`Parts`] from raw method, URI and headers, for front ends whose requests are not
//! `http` 1 types.

use http::request::Parts;
use http::{HeaderName, HeaderValue, Method, Request, Uri};

/// The [`Parts`] the policy reads (method, URI, headers) of a request given as text and bytes:
/// for front ends on another version of the `http` crate (actix-web 4 is on `http` 0.2) or on
/// none. Every header is kept, repeated ones included, so the one-credential rule sees them all;
/// a header name or value `http` 1 does not accept is left out (every one `http` 0.2 accepted
/// is valid here too), and a method or URI it does not accept becomes `GET` or `/` (they only
/// appear in log events).
///
/// ```
/// let headers = [(&b"authorization"[..], &b"Bearer a.b.c"[..]), (b"authorization", b"Bearer d.e.f")];
/// let parts = cognito_verify::http_auth::request_parts(b"POST", "/orders?x=1", headers);
/// assert_eq!((parts.method.as_str(), parts.uri.path()), ("POST", "/orders"));
/// assert_eq!(parts.headers.get_all("authorization").iter().count(), 2);
/// ```
pub fn request_parts<'a>(
    method: &[u8],
    uri: &str,
    headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> Parts {
    let mut request = Request::new(());
    *request.method_mut() = Method::from_bytes(method).unwrap_or_default();
    *request.uri_mut() = uri.parse::<Uri>().unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            request.headers_mut().append(name, value);
        }
    }
    request.into_parts().0
}
