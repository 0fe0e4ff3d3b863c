//! Configuration from the environment, validated at start-up with errors that name the
//! variable at fault.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

/// A configuration problem, naming the variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{var} is not set")]
    Missing {
        /// The variable.
        var: String,
    },
    /// A variable is set but unusable.
    #[error("{var} is invalid: {reason}")]
    Invalid {
        /// The variable.
        var: String,
        /// Why (never the value: it may be a secret).
        reason: String,
    },
}

/// Reads variables under one prefix: `Env::new("APP_STOREFRONT").var("HTTPS_ADDR")` reads
/// `APP_STOREFRONT_HTTPS_ADDR`.
#[derive(Debug, Clone)]
pub struct Env {
    prefix: String,
    lookup: fn(&str) -> Option<String>,
}

fn from_process(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Env {
    /// Variables of the process environment under `prefix`.
    pub fn new(prefix: &str) -> Self {
        Env {
            prefix: prefix.trim_end_matches('_').to_owned(),
            lookup: from_process,
        }
    }

    /// The full name of a variable.
    pub fn name(&self, key: &str) -> String {
        format!("{}_{}", self.prefix, key)
    }

    /// An optional string (an empty value counts as unset).
    pub fn optional(&self, key: &str) -> Option<String> {
        (self.lookup)(&self.name(key)).filter(|v| !v.trim().is_empty())
    }

    /// A required string.
    pub fn required(&self, key: &str) -> Result<String, ConfigError> {
        self.optional(key).ok_or_else(|| ConfigError::Missing {
            var: self.name(key),
        })
    }

    /// A required value parsed with `FromStr`.
    pub fn parse<T>(&self, key: &str) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        let raw = self.required(key)?;
        raw.trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Invalid {
                var: self.name(key),
                reason: e.to_string(),
            })
    }

    /// An optional value parsed with `FromStr`, or `default` when unset.
    pub fn parse_or<T>(&self, key: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.optional(key) {
            None => Ok(default),
            Some(_) => self.parse(key),
        }
    }

    /// Like [`Env::file`], but the variable may be unset.
    pub fn optional_file(&self, key: &str) -> Result<Option<PathBuf>, ConfigError> {
        match self.optional(key) {
            Some(_) => self.file(key).map(Some),
            None => Ok(None),
        }
    }

    /// A secret read from the file named by `file_key` when that is set, else from the
    /// variable `value_key` itself; `load` reads it. A failure names whichever variable
    /// was used (never the value).
    pub fn secret_from_file_or_var<T, E: std::fmt::Display>(
        &self,
        file_key: &str,
        value_key: &str,
        load: impl FnOnce(Option<&std::path::Path>) -> Result<T, E>,
    ) -> Result<T, ConfigError> {
        let file = self.optional_file(file_key)?;
        load(file.as_deref()).map_err(|e| ConfigError::Invalid {
            var: self.name(if file.is_some() { file_key } else { value_key }),
            reason: e.to_string(),
        })
    }

    /// A path that must name an existing file.
    pub fn file(&self, key: &str) -> Result<PathBuf, ConfigError> {
        let path = PathBuf::from(self.required(key)?);
        if path.is_file() {
            Ok(path)
        } else {
            Err(ConfigError::Invalid {
                var: self.name(key),
                reason: format!("{} is not a readable file", path.display()),
            })
        }
    }
}

/// A host name, or every name under a domain (`*.shop.example`), that the service answers
/// for: the plain-HTTP listener redirects to these only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// Exactly this name (lower case, no port).
    Exact(String),
    /// Any one or more labels in front of this domain (not the domain itself).
    Under(String),
}

impl HostPattern {
    /// Whether `host` (lower case, no port) matches.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(name) => host == name,
            HostPattern::Under(domain) => host
                .strip_suffix(domain.as_str())
                .and_then(|front| front.strip_suffix('.'))
                .is_some_and(|front| !front.is_empty()),
        }
    }
}

impl FromStr for HostPattern {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        let (under, name) = match s.strip_prefix("*.") {
            Some(rest) => (true, rest.to_owned()),
            None => (false, s),
        };
        if !platform_domain::is_dns_name(&name) {
            return Err(format!("`{name}` is not a host name or `*.` and a domain"));
        }
        Ok(if under {
            HostPattern::Under(name)
        } else {
            HostPattern::Exact(name)
        })
    }
}

/// The plain-HTTP listener, which only redirects to HTTPS, and only for the service's own
/// host names: any other `Host` gets a 400 instead of a `Location` an attacker chose.
#[derive(Debug, Clone)]
pub struct HttpRedirect {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The host names redirected (at least one).
    pub hosts: Vec<HostPattern>,
}

/// Where and how a service listens.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The HTTPS listener (port 0 picks a free port: tests).
    pub https_addr: SocketAddr,
    /// The plain-HTTP listener that only redirects to HTTPS; none when unset.
    pub http_redirect: Option<HttpRedirect>,
    /// The port to put in redirects (what clients reach; behind a proxy it differs
    /// from the bound port). Defaults to the bound HTTPS port.
    pub public_https_port: Option<u16>,
    /// PEM certificate chain.
    pub tls_cert: PathBuf,
    /// PEM private key.
    pub tls_key: PathBuf,
    /// PEM CA whose client certificates are accepted (mutual TLS, O7); none = no client auth.
    pub client_ca: Option<PathBuf>,
    /// With `client_ca`: refuse connections without a client certificate.
    pub require_client_cert: bool,
}

impl ServerConfig {
    /// Reads `<PREFIX>_HTTPS_ADDR`, `_HTTP_ADDR` with `_REDIRECT_HOSTS` (comma-separated
    /// names and `*.domain` patterns, required with `_HTTP_ADDR`), `_PUBLIC_HTTPS_PORT`,
    /// `_TLS_CERT`, `_TLS_KEY`, `_CLIENT_CA` and `_REQUIRE_CLIENT_CERT`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let client_ca = match env.optional("CLIENT_CA") {
            Some(_) => Some(env.file("CLIENT_CA")?),
            None => None,
        };
        let require_client_cert = env.parse_or("REQUIRE_CLIENT_CERT", false)?;
        if require_client_cert && client_ca.is_none() {
            return Err(ConfigError::Invalid {
                var: env.name("REQUIRE_CLIENT_CERT"),
                reason: format!("needs {} to be set", env.name("CLIENT_CA")),
            });
        }
        Ok(ServerConfig {
            https_addr: env.parse("HTTPS_ADDR")?,
            http_redirect: match env.optional("HTTP_ADDR") {
                Some(_) => Some(HttpRedirect {
                    addr: env.parse("HTTP_ADDR")?,
                    hosts: redirect_hosts(env)?,
                }),
                None => None,
            },
            public_https_port: match env.optional("PUBLIC_HTTPS_PORT") {
                Some(_) => Some(env.parse("PUBLIC_HTTPS_PORT")?),
                None => None,
            },
            tls_cert: env.file("TLS_CERT")?,
            tls_key: env.file("TLS_KEY")?,
            client_ca,
            require_client_cert,
        })
    }
}

fn redirect_hosts(env: &Env) -> Result<Vec<HostPattern>, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        var: env.name("REDIRECT_HOSTS"),
        reason,
    };
    let raw = env.required("REDIRECT_HOSTS")?;
    let hosts = raw
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(str::parse)
        .collect::<Result<Vec<HostPattern>, _>>()
        .map_err(invalid)?;
    if hosts.is_empty() {
        return Err(invalid("names no host".into()));
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(name: &str) -> Option<String> {
        match name {
            "T_HTTPS_ADDR" => Some("127.0.0.1:0".into()),
            "T_HTTP_ADDR" => Some("not an address".into()),
            "T_TLS_CERT" => Some("/definitely/missing.pem".into()),
            "T_EMPTY" => Some("  ".into()),
            _ => None,
        }
    }

    fn env() -> Env {
        Env {
            prefix: "T".into(),
            lookup: fake,
        }
    }

    #[test]
    fn errors_name_the_variable() {
        let e = env();
        assert_eq!(
            e.required("NOPE"),
            Err(ConfigError::Missing {
                var: "T_NOPE".into()
            })
        );
        assert!(e.required("EMPTY").is_err());
        let err = e.parse::<SocketAddr>("HTTP_ADDR").unwrap_err().to_string();
        assert!(err.starts_with("T_HTTP_ADDR is invalid"), "{err}");
        let err = e.file("TLS_CERT").unwrap_err().to_string();
        assert!(err.contains("T_TLS_CERT"), "{err}");
        let err = ServerConfig::from_env(&e).unwrap_err().to_string();
        assert!(
            err.contains("T_HTTPS_ADDR")
                || err.contains("T_HTTP_ADDR")
                || err.contains("T_TLS_CERT"),
            "{err}"
        );
        assert_eq!(e.parse_or("MISSING", 7u32), Ok(7));
    }

    #[test]
    fn redirect_host_patterns_match_own_names_only() {
        let exact: HostPattern = "Localhost".parse().unwrap();
        let under: HostPattern = "*.shop.localhost".parse().unwrap();
        assert!(exact.matches("localhost"));
        assert!(!exact.matches("evil.localhost"));
        assert!(under.matches("alpine.shop.localhost"));
        assert!(under.matches("a.b.shop.localhost"));
        for other in [
            "shop.localhost",
            "evilshop.localhost",
            "example.com",
            ".shop.localhost",
        ] {
            assert!(!under.matches(other), "{other}");
        }
        for bad in [
            "",
            "*.",
            "exa mple.com",
            "a..b",
            "-a.b",
            "evil.com/x",
            "*.*.a",
        ] {
            assert!(bad.parse::<HostPattern>().is_err(), "{bad:?}");
        }
    }
}
