//! Building an [`AlbVerifier`]: load balancer ARNs (one region), the IdP issuer, the app
//! clients, and the key fetching and caching settings.

use std::sync::Arc;
use std::time::Duration;

use crate::alb::defaults::{
    DEFAULT_KEY_COOLDOWN, DEFAULT_KEY_MAX_BODY_BYTES, DEFAULT_KEY_MAX_STALENESS,
    DEFAULT_KEY_REFRESH_INTERVAL, MAX_CACHED_KIDS,
};
use crate::alb::error::AlbConfigError;
use crate::alb::keys::{AlbCacheSettings, AlbKeys};
use crate::alb::{AlbVerifier, Clients, Inner};
use crate::clock::{Clock, SystemClock};
use crate::defaults::{DEFAULT_JWKS_CONNECT_TIMEOUT, DEFAULT_JWKS_TOTAL_TIMEOUT, DEFAULT_LEEWAY};
use crate::jwks::{FetchSettings, Fetcher};

/// Configures an [`AlbVerifier`]; start with [`AlbVerifier::builder`].
#[must_use]
pub struct AlbVerifierBuilder {
    arns: Vec<String>,
    issuer: Option<String>,
    clients: Vec<String>,
    any_client: bool,
    leeway: Duration,
    clock: Arc<dyn Clock>,
    key_base_url: Option<String>,
    fetch: FetchSettings,
    cache: AlbCacheSettings,
}

impl std::fmt::Debug for AlbVerifierBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlbVerifierBuilder")
            .field("arns", &self.arns)
            .field("issuer", &self.issuer)
            .field("clients", &self.clients)
            .field("any_client", &self.any_client)
            .finish_non_exhaustive()
    }
}

impl Default for AlbVerifierBuilder {
    fn default() -> Self {
        AlbVerifierBuilder {
            arns: Vec::new(),
            issuer: None,
            clients: Vec::new(),
            any_client: false,
            leeway: DEFAULT_LEEWAY,
            clock: Arc::new(SystemClock),
            key_base_url: None,
            fetch: FetchSettings {
                connect_timeout: DEFAULT_JWKS_CONNECT_TIMEOUT,
                total_timeout: DEFAULT_JWKS_TOTAL_TIMEOUT,
                max_body_bytes: DEFAULT_KEY_MAX_BODY_BYTES,
            },
            cache: AlbCacheSettings {
                refresh_interval: DEFAULT_KEY_REFRESH_INTERVAL,
                max_staleness: DEFAULT_KEY_MAX_STALENESS,
                cooldown: DEFAULT_KEY_COOLDOWN,
                max_kids: MAX_CACHED_KIDS,
            },
        }
    }
}

impl AlbVerifierBuilder {
    /// Accepts tokens signed by this load balancer (its full ARN, compared exactly with the
    /// token's `signer`). Call once per load balancer; all must be in one region.
    pub fn alb_arn(mut self, arn: impl Into<String>) -> Self {
        self.arns.push(arn.into());
        self
    }

    /// The issuer of the IdP the load balancer authenticates with, e.g.
    /// `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123` (required; compared
    /// exactly with the payload's `iss`, and the header's when present).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Accepts tokens for this app client (the header's `client`). Call once per client.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.clients.push(client_id.into());
        self
    }

    /// Accepts tokens for every app client (instead of [`client_id`](Self::client_id)).
    pub fn any_client(mut self) -> Self {
        self.any_client = true;
        self
    }

    /// Clock-skew leeway for `exp` (default [`DEFAULT_LEEWAY`]).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The clock for every time decision (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Fetches the key for kid `K` from `BASE_URL/K` instead of the region's AWS endpoint (for
    /// tests and the China regions). `http` is allowed here.
    pub fn key_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.key_base_url = Some(base_url.into());
        self
    }

    /// Time allowed to connect to the key endpoint (default
    /// [`DEFAULT_JWKS_CONNECT_TIMEOUT`]).
    pub fn key_connect_timeout(mut self, timeout: Duration) -> Self {
        self.fetch.connect_timeout = timeout;
        self
    }

    /// Deadline for a whole key fetch (default [`DEFAULT_JWKS_TOTAL_TIMEOUT`]).
    pub fn key_timeout(mut self, timeout: Duration) -> Self {
        self.fetch.total_timeout = timeout;
        self
    }

    /// Age after which a held key is fetched again in the background (default
    /// [`DEFAULT_KEY_REFRESH_INTERVAL`]).
    pub fn key_refresh_interval(mut self, interval: Duration) -> Self {
        self.cache.refresh_interval = interval;
        self
    }

    /// Age after which a held key that cannot be fetched again is no longer used (default
    /// [`DEFAULT_KEY_MAX_STALENESS`]).
    pub fn key_max_staleness(mut self, staleness: Duration) -> Self {
        self.cache.max_staleness = staleness;
        self
    }

    /// How long an unknown kid is remembered, the smallest interval between fetches for new
    /// kids, and the wait after a failed fetch (default [`DEFAULT_KEY_COOLDOWN`]).
    pub fn key_cooldown(mut self, cooldown: Duration) -> Self {
        self.cache.cooldown = cooldown;
        self
    }

    /// Builds the verifier. Fails on a missing or malformed ARN, ARNs of different regions, a
    /// missing issuer, a missing or conflicting client policy, an empty client id, or a bad key
    /// URL override.
    pub fn build(self) -> Result<AlbVerifier, AlbConfigError> {
        let mut region: Option<&str> = None;
        for arn in &self.arns {
            let this = region_of_arn(arn)
                .ok_or_else(|| AlbConfigError::InvalidArn { arn: arn.clone() })?;
            match region {
                Some(first) if first != this => {
                    return Err(AlbConfigError::MixedRegions {
                        first: first.to_owned(),
                        other: this.to_owned(),
                    });
                }
                _ => region = Some(this),
            }
        }
        let region = region.ok_or(AlbConfigError::NoLoadBalancer)?;
        let issuer = match self.issuer {
            Some(issuer) if !issuer.is_empty() => issuer,
            _ => return Err(AlbConfigError::MissingIssuer),
        };
        let clients = match (self.clients.is_empty(), self.any_client) {
            (true, false) => return Err(AlbConfigError::MissingClientPolicy),
            (false, true) => return Err(AlbConfigError::ConflictingClientPolicy),
            (true, true) => Clients::Any,
            (false, false) => {
                if self.clients.iter().any(String::is_empty) {
                    return Err(AlbConfigError::EmptyClientId);
                }
                Clients::Only(self.clients)
            }
        };
        let base_url = match self.key_base_url {
            Some(url) => check_base_url(url)?,
            None => key_base_url(region),
        };
        let fetcher = Fetcher::new(self.fetch).map_err(|_| AlbConfigError::HttpClient)?;
        let keys = AlbKeys::new(base_url, fetcher, self.clock.clone(), self.cache);
        Ok(AlbVerifier {
            inner: Arc::new(Inner {
                arns: self.arns,
                issuer,
                clients,
                leeway: self.leeway.as_secs(),
                clock: self.clock,
                keys: Arc::new(keys),
            }),
        })
    }
}

/// The region of an Application Load Balancer ARN,
/// `arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID`.
fn region_of_arn(arn: &str) -> Option<&str> {
    let mut fields = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("elasticloadbalancing"), Some(region), Some(account)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return None;
    };
    let resource = fields.next()?;
    let lower = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let (name, id) = resource
        .strip_prefix("loadbalancer/app/")?
        .split_once('/')?;
    let ok = lower(partition)
        && lower(region)
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then_some(region)
}

/// AWS's key endpoint for a region (the GovCloud regions publish theirs on S3).
fn key_base_url(region: &str) -> String {
    match region {
        "us-gov-west-1" | "us-gov-east-1" => {
            format!("https://s3-{region}.amazonaws.com/aws-elb-public-keys-prod-{region}")
        }
        _ => format!("https://public-keys.auth.elb.{region}.amazonaws.com"),
    }
}

fn check_base_url(url: String) -> Result<String, AlbConfigError> {
    let parsed = reqwest::Url::parse(&url).ok();
    let ok = parsed.as_ref().is_some_and(|u| {
        matches!(u.scheme(), "https" | "http")
            && u.host_str().is_some()
            && u.query().is_none()
            && u.fragment().is_none()
    });
    if ok {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(AlbConfigError::InvalidKeyUrl { url })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188";

    #[test]
    fn arns_name_their_region() {
        assert_eq!(region_of_arn(ARN), Some("eu-west-1"));
        for bad in [
            "",
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/my-nlb/50dc6c495c0c9188",
            "arn:aws:elasticloadbalancing:eu-west-1:12345678901:loadbalancer/app/my-alb/50dc6c495c0c9188",
            "arn:aws:elasticloadbalancing::123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188",
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/",
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc/x",
            "arn:aws:elasticloadbalancing:EU-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188",
            "arn:aws:elasticloadbalancing:eu-west-1/x:123456789012:loadbalancer/app/a/1",
            "arn:aws:ec2:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188",
        ] {
            assert_eq!(region_of_arn(bad), None, "{bad}");
        }
    }

    #[test]
    fn key_urls_are_the_regions() {
        assert_eq!(
            key_base_url("eu-west-1"),
            "https://public-keys.auth.elb.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            key_base_url("us-gov-west-1"),
            "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1"
        );
    }

    #[test]
    fn builds_refuse_bad_configurations() {
        let base = || {
            AlbVerifier::builder()
                .alb_arn(ARN)
                .issuer("https://issuer.example")
        };
        let kind = |b: AlbVerifierBuilder| b.build().err().map(|e| e.kind().as_str());
        assert_eq!(kind(base().client_id("c")), None);
        assert_eq!(kind(base().any_client()), None);
        assert_eq!(kind(base()), Some("missing_client_policy"));
        assert_eq!(
            kind(base().client_id("c").any_client()),
            Some("conflicting_client_policy")
        );
        assert_eq!(kind(base().client_id("")), Some("empty_client_id"));
        assert_eq!(
            kind(AlbVerifier::builder().issuer("i").any_client()),
            Some("no_load_balancer")
        );
        assert_eq!(
            kind(AlbVerifier::builder().alb_arn(ARN).any_client()),
            Some("missing_issuer")
        );
        assert_eq!(
            kind(base().any_client().alb_arn("arn:aws:s3:::bucket")),
            Some("invalid_arn")
        );
        assert_eq!(
            kind(
                base()
                    .any_client()
                    .alb_arn(ARN.replace("eu-west-1", "us-east-1"))
            ),
            Some("mixed_regions")
        );
        // Two load balancers of one region are fine.
        assert_eq!(
            kind(base().any_client().alb_arn(ARN.replace("my-alb", "other"))),
            None
        );
        for bad in ["ftp://x/keys", "/keys", "http://x/keys?a=1", "not a url"] {
            assert_eq!(
                kind(base().any_client().key_base_url(bad)),
                Some("invalid_url"),
                "{bad}"
            );
        }
    }
}
