//! Where a request's token is read from, and the rule that a request carries one credential.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use cookie::Cookie;
use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};
use http::request::Parts;

/// A function that reads the token from a request; see [`TokenSource::Custom`].
pub type Extractor = dyn Fn(&Parts) -> Option<String> + Send + Sync;

/// Where the token is read from.
///
/// Whatever the source, a request carrying more than one credential is refused with 400
/// `invalid_request` (RFC 6750 §3.1): two or more `Authorization` headers (any scheme), two or
/// more cookies with the configured name (in one or several `Cookie` headers), or a bearer
/// token in the `Authorization` header alongside a token from the cookie or the custom
/// function (unless the function returned that very token: it read it from the header).
/// A proxy or firewall judging the other credential could otherwise disagree with the service
/// about who is calling.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum TokenSource {
    /// `Authorization: Bearer <token>` (RFC 6750 §2.1). The default.
    #[default]
    Authorization,
    /// The cookie with this name, holding the bare token (surrounding double quotes are
    /// removed). Browsers send cookies on cross-site requests too: protect state-changing routes
    /// against CSRF (`SameSite` cookies, CSRF tokens) when you use this.
    Cookie(Cow<'static, str>),
    /// Your own function; `None` or an empty string means the request has no token.
    Custom(Arc<Extractor>),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Authorization => f.write_str("Authorization"),
            TokenSource::Cookie(name) => f.debug_tuple("Cookie").field(name).finish(),
            TokenSource::Custom(_) => f.write_str("Custom"),
        }
    }
}

/// The token in an `Authorization` header value of the form `Bearer <token>`.
///
/// The scheme is case-insensitive; one or more spaces may follow it. Returns `None` for any other
/// scheme or an empty token.
///
/// ```
/// use cognito_verify::http_auth::token_from_authorization;
/// assert_eq!(token_from_authorization(b"Bearer abc.def.ghi"), Some(&b"abc.def.ghi"[..]));
/// assert_eq!(token_from_authorization(b"bearer  x"), Some(&b"x"[..]));
/// assert_eq!(token_from_authorization(b"Basic dXNlcg=="), None);
/// ```
pub fn token_from_authorization(value: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"bearer ";
    if value.len() < SCHEME.len() || !value[..SCHEME.len()].eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    let token = value[SCHEME.len()..].trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// More than one credential: the request is refused with 400 `invalid_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ambiguous;

impl TokenSource {
    /// The request's one token (`None` when it has none), or [`Ambiguous`].
    pub(crate) fn find<'a>(&self, parts: &'a Parts) -> Result<Option<Cow<'a, [u8]>>, Ambiguous> {
        let mut values = parts.headers.get_all(AUTHORIZATION).into_iter();
        let header = values.next();
        if values.next().is_some() {
            return Err(Ambiguous);
        }
        let bearer = header.and_then(|v| token_from_authorization(v.as_bytes()));
        let token = match self {
            TokenSource::Authorization => return Ok(bearer.map(Cow::Borrowed)),
            TokenSource::Cookie(name) => cookie(&parts.headers, name)?.map(Cow::Owned),
            TokenSource::Custom(extract) => extract(parts)
                .filter(|t| !t.is_empty())
                .map(|t| Cow::Owned(t.into_bytes())),
        };
        match (bearer, token) {
            (Some(bearer), Some(token))
                if matches!(self, TokenSource::Cookie(_)) || bearer != &*token =>
            {
                Err(Ambiguous)
            }
            (_, token) => Ok(token),
        }
    }
}

/// The value of the one cookie named `name` in every `Cookie` header (`None` when absent or
/// empty), parsed by the `cookie` crate; two cookies with that name are [`Ambiguous`].
fn cookie(headers: &HeaderMap, name: &str) -> Result<Option<Vec<u8>>, Ambiguous> {
    let mut found = None;
    let cookies = headers
        .get_all(COOKIE)
        .into_iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .flatten();
    for cookie in cookies.filter(|c| c.name() == name) {
        if found.is_some() {
            return Err(Ambiguous);
        }
        found = Some(cookie.value_trimmed().as_bytes().to_vec());
    }
    Ok(found.filter(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn parts(headers: &[(&'static str, &'static str)]) -> Parts {
        let mut request = http::Request::new(());
        for (name, value) in headers {
            request
                .headers_mut()
                .append(*name, HeaderValue::from_static(value));
        }
        request.into_parts().0
    }

    fn find(
        source: &TokenSource,
        headers: &[(&'static str, &'static str)],
    ) -> Result<Option<String>, Ambiguous> {
        let parts = parts(headers);
        source
            .find(&parts)
            .map(|t| t.map(|t| String::from_utf8_lossy(&t).into_owned()))
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(token_from_authorization(b"BEARER t"), Some(&b"t"[..]));
        assert_eq!(token_from_authorization(b"Bearer "), None);
        assert_eq!(token_from_authorization(b"Bearer"), None);
        assert_eq!(token_from_authorization(b"Bearerx t"), None);
        assert_eq!(token_from_authorization(b""), None);
    }

    #[test]
    fn the_authorization_header() {
        let source = TokenSource::Authorization;
        let ok = |t: &str| Ok(Some(t.to_owned()));
        assert_eq!(find(&source, &[("authorization", "Bearer a")]), ok("a"));
        assert_eq!(find(&source, &[("authorization", "Basic a")]), Ok(None));
        assert_eq!(find(&source, &[("cookie", "tok=a")]), Ok(None));
        let two = [("authorization", "Bearer a"), ("authorization", "Bearer a")];
        assert_eq!(find(&source, &two), Err(Ambiguous));
        let other = [("authorization", "Bearer a"), ("authorization", "Basic b")];
        assert_eq!(find(&source, &other), Err(Ambiguous));
    }

    #[test]
    fn a_cookie() {
        let source = TokenSource::Cookie("tok".into());
        let ok = |t: &str| Ok(Some(t.to_owned()));
        assert_eq!(
            find(&source, &[("cookie", "a=1; tok=x.y.z; b=2")]),
            ok("x.y.z")
        );
        assert_eq!(
            find(&source, &[("cookie", "x=1"), ("cookie", "tok=\"q\"")]),
            ok("q")
        );
        assert_eq!(find(&source, &[("cookie", "to=x")]), Ok(None));
        assert_eq!(find(&source, &[("cookie", "tok=")]), Ok(None));
        assert_eq!(find(&source, &[("cookie", " tok = v ;")]), ok("v"));
        assert_eq!(find(&source, &[("cookie", "tok=a; tok=a")]), Err(Ambiguous));
        assert_eq!(
            find(&source, &[("cookie", "tok=a"), ("cookie", "tok=b")]),
            Err(Ambiguous)
        );
        let both = [("cookie", "tok=a"), ("authorization", "Bearer a")];
        assert_eq!(find(&source, &both), Err(Ambiguous));
        // Another scheme is not a bearer credential.
        assert_eq!(
            find(
                &source,
                &[("cookie", "tok=a"), ("authorization", "Basic b")]
            ),
            ok("a")
        );
    }

    #[test]
    fn a_custom_function() {
        let source = TokenSource::Custom(Arc::new(|parts: &Parts| {
            let value = parts.headers.get("x-token")?;
            value.to_str().ok().map(str::to_owned)
        }));
        let ok = |t: &str| Ok(Some(t.to_owned()));
        assert_eq!(find(&source, &[("x-token", "a")]), ok("a"));
        assert_eq!(find(&source, &[("x-token", "")]), Ok(None));
        let both = [("x-token", "a"), ("authorization", "Bearer b")];
        assert_eq!(find(&source, &both), Err(Ambiguous));
        let from_header = TokenSource::Custom(Arc::new(|parts: &Parts| {
            let value = parts.headers.get(AUTHORIZATION)?.as_bytes();
            token_from_authorization(value).map(|t| String::from_utf8_lossy(t).into_owned())
        }));
        assert_eq!(
            find(&from_header, &[("authorization", "Bearer a")]),
            ok("a")
        );
    }
}
