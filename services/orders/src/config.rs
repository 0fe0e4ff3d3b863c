//! The orders service's configuration, from the environment (`APP_ORDERS_*`, `PLATFORM_KEK*`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use platform_msgsign::Keypair;
use platform_processor_api::PARTNER_KEY_ID;
use platform_vault::{KeyEncryptionKey, LocalKek};
use platform_web::{ConfigError, Env, ServerConfig};
use sqlx::postgres::PgConnectOptions;

/// The environment prefix of this service's variables.
pub const ENV_PREFIX: &str = "APP_ORDERS";

/// Who calls the orders service unless `APP_ORDERS_CALLERS` says otherwise.
pub const DEFAULT_CALLERS: &str = "storefront,tenant-admin";

/// Everything the orders service needs to start.
pub struct Config {
    /// Listeners and TLS; client certificates are required.
    pub server: ServerConfig,
    /// Postgres as the `orders` role.
    pub database: PgConnectOptions,
    /// The key-encryption key that wraps each shop's and buyer's data keys.
    pub kek: Arc<dyn KeyEncryptionKey>,
    /// The services (names in their client certificates) that may call the API.
    pub callers: Arc<[String]>,
    /// How often unpaid orders whose hold ran out are cancelled and their stock returned.
    pub hold_sweep_every: Duration,
    /// The mail outbox's relay; none sends no mail (rows wait in the outbox).
    pub mail: Option<MailConfig>,
    /// The payment processor; none takes no payments (orders wait unpaid).
    pub processor: Option<ProcessorConfig>,
    /// The carrier; none books no shipments (staff type the tracking number).
    pub carrier: Option<CarrierConfig>,
    /// Data-subject requests.
    pub privacy: PrivacyConfig,
}

/// How orders books shipments.
pub struct CarrierConfig {
    /// The carrier's API origin.
    pub url: String,
    /// The CA of the carrier's certificate.
    pub ca: PathBuf,
    /// The platform's token at the carrier.
    pub token: secrecy::SecretString,
    /// Whether the carrier needs the buyer's phone number to deliver.
    pub requires_phone: bool,
}

/// How orders meets the payment processor.
pub struct ProcessorConfig {
    /// The processor's API origin (`https://pay.localhost:8446`).
    pub url: String,
    /// The CA of the processor's certificate (pinned: nothing else is trusted for it).
    pub ca: PathBuf,
    /// The platform's partner key, which publishes the shops' key sets.
    pub partner_key: Keypair,
    /// The public webhook listener: HTTPS, no client certificates, one route.
    pub webhook: ServerConfig,
    /// The address the processor posts to (by default
    /// `https://localhost:<bound port>/v1/processor/webhooks`).
    pub webhook_public_url: Option<String>,
    /// How long a rotated-out key stays accepted.
    pub key_overlap: Duration,
}

impl std::fmt::Debug for ProcessorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessorConfig")
            .field("url", &self.url)
            .field("webhook_public_url", &self.webhook_public_url)
            .finish_non_exhaustive()
    }
}

/// Data-subject requests: where links in their mail point, and the key that signs
/// erasure certificates.
pub struct PrivacyConfig {
    /// The platform's certificate signing key (Ed25519).
    pub certificate_key: platform_audit::AuditKey,
    /// The storefront's public HTTPS port (443 in production), for links in mail.
    pub storefront_port: u16,
}

impl std::fmt::Debug for PrivacyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivacyConfig")
            .field("certificate_key", &self.certificate_key.key_id())
            .field("storefront_port", &self.storefront_port)
            .finish()
    }
}

/// Where the outbox's mail goes.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The SMTP relay (`smtp://127.0.0.1:1025`).
    pub smtp_url: String,
    /// The sender address; the shop's name is its display name.
    pub from: String,
    /// How often the outbox is read.
    pub every: Duration,
}

impl Config {
    /// Reads `APP_ORDERS_*` (`CALLERS`: comma-separated service names, default
    /// `storefront,tenant-admin`; `HOLD_SWEEP_SECS`, default 30; `SMTP_URL` with
    /// `MAIL_FROM` and `MAIL_EVERY_SECS`, none by default) and the platform KEK
    /// (`PLATFORM_KEK_FILE`, else `PLATFORM_KEK`). Refuses to start without
    /// client-certificate authentication.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        let server = ServerConfig::from_env(&env)?;
        if !server.require_client_cert {
            return Err(ConfigError::Invalid {
                var: env.name("REQUIRE_CLIENT_CERT"),
                reason: "the orders service is internal: it only runs with client \
                         certificates required (set it to true and name the CA in \
                         APP_ORDERS_CLIENT_CA)"
                    .to_owned(),
            });
        }
        let sweep: u64 = env.parse_or("HOLD_SWEEP_SECS", 30)?;
        if sweep == 0 {
            return Err(ConfigError::Invalid {
                var: env.name("HOLD_SWEEP_SECS"),
                reason: "must be at least 1".to_owned(),
            });
        }
        let processor = match env.optional("PROCESSOR_URL") {
            None => None,
            Some(url) => Some(processor_from_env(&env, url, &server)?),
        };
        let carrier = match env.optional("CARRIER_URL") {
            None => None,
            Some(url) => Some(CarrierConfig {
                url,
                ca: env.file("CARRIER_CA")?,
                token: {
                    let file = env.file("CARRIER_TOKEN_FILE")?;
                    let text =
                        std::fs::read_to_string(&file).map_err(|e| ConfigError::Invalid {
                            var: env.name("CARRIER_TOKEN_FILE"),
                            reason: e.to_string(),
                        })?;
                    secrecy::SecretString::from(text.trim().to_owned())
                },
                requires_phone: env.parse_or("CARRIER_REQUIRES_PHONE", false)?,
            }),
        };
        Ok(Config {
            carrier,
            server,
            database: env.parse("DATABASE_URL")?,
            callers: env
                .optional("CALLERS")
                .as_deref()
                .unwrap_or(DEFAULT_CALLERS)
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
            kek: Arc::new(Env::new("PLATFORM").secret_from_file_or_var(
                "KEK_FILE",
                "KEK",
                LocalKek::from_file_or_platform_env,
            )?),
            hold_sweep_every: Duration::from_secs(sweep),
            mail: match env.optional("SMTP_URL") {
                None => None,
                Some(smtp_url) => Some(MailConfig {
                    smtp_url,
                    from: env
                        .optional("MAIL_FROM")
                        .unwrap_or_else(|| "orders@localhost".to_owned()),
                    every: Duration::from_secs(env.parse_or("MAIL_EVERY_SECS", 2)?),
                }),
            },
            processor,
            privacy: PrivacyConfig {
                certificate_key: env.secret_from_file_or_var(
                    "CERTIFICATE_KEY_FILE",
                    "CERTIFICATE_KEY",
                    |path| {
                        let text = match path {
                            Some(path) => {
                                std::fs::read_to_string(path).map_err(|e| e.to_string())?
                            }
                            None => env.optional("CERTIFICATE_KEY").ok_or_else(|| {
                                "set the certificate signing key (a base64url Ed25519 seed)"
                                    .to_owned()
                            })?,
                        };
                        platform_audit::AuditKey::from_seed_text_named("certificate", &text)
                            .map_err(|e| e.to_string())
                    },
                )?,
                storefront_port: env.parse_or("STOREFRONT_PORT", 443)?,
            },
        })
    }
}

/// `PROCESSOR_CA`, `PARTNER_KEY_FILE` (the partner seed, base64url), `WEBHOOK_ADDR`,
/// `WEBHOOK_PUBLIC_URL` and `KEY_OVERLAP_SECS` (default a day). The webhook listener uses
/// the service's certificate without client certificates.
fn processor_from_env(
    env: &Env,
    url: String,
    server: &ServerConfig,
) -> Result<ProcessorConfig, ConfigError> {
    let key_file = env.file("PARTNER_KEY_FILE")?;
    let invalid = |reason: &str| ConfigError::Invalid {
        var: env.name("PARTNER_KEY_FILE"),
        reason: reason.to_owned(),
    };
    let text = std::fs::read_to_string(&key_file).map_err(|e| invalid(&e.to_string()))?;
    let seed = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        text.trim(),
    )
    .map_err(|_| invalid("not base64url"))?;
    let partner_key =
        Keypair::from_seed(PARTNER_KEY_ID, &seed).map_err(|_| invalid("not a 32-byte seed"))?;
    let overlap: u64 = env.parse_or("KEY_OVERLAP_SECS", 86_400)?;
    Ok(ProcessorConfig {
        url,
        ca: env.file("PROCESSOR_CA")?,
        partner_key,
        webhook: ServerConfig {
            https_addr: env.parse("WEBHOOK_ADDR")?,
            http_redirect: None,
            public_https_port: None,
            tls_cert: server.tls_cert.clone(),
            tls_key: server.tls_key.clone(),
            client_ca: None,
            require_client_cert: false,
        },
        webhook_public_url: env.optional("WEBHOOK_PUBLIC_URL"),
        key_overlap: Duration::from_secs(overlap),
    })
}
