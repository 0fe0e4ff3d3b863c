//! The storefront's configuration, from the environment (`APP_STOREFRONT_*`).

use std::path::PathBuf;

use platform_web::{ConfigError, Env, ServerConfig};
use sqlx::postgres::PgConnectOptions;

/// Environment prefix.
pub const ENV_PREFIX: &str = "APP_STOREFRONT";

/// Everything the storefront needs to start.
pub struct Config {
    /// Listeners and TLS.
    pub server: ServerConfig,
    /// Postgres as the `storefront` role.
    pub database: PgConnectOptions,
    /// Base URL of the cart service (`https://localhost:8445`).
    pub cart_url: String,
    /// Base URL of the orders service (`https://localhost:8447`); reached with the same
    /// CA and client certificate as the cart (both are internal platform services).
    pub orders_url: String,
    /// CA that signs the cart service's certificate.
    pub cart_ca: PathBuf,
    /// The storefront's client certificate and key for the cart service (mTLS).
    pub cart_identity: (PathBuf, PathBuf),
    /// Form posts (cart changes) one client network may make per minute.
    pub posts_per_network_per_minute: u32,
    /// The payment processor's origin (`https://pay.localhost:8446`): checkout forms may
    /// end there. None: the shop takes orders without online payment.
    pub payment_origin: Option<String>,
    /// Where product pictures are kept (`IMAGES_BUCKET`, `IMAGES_S3_*`); none: pictures
    /// answer 404 and pages show plain boxes.
    pub images: Option<platform_images::S3Config>,
}

impl Config {
    /// Reads `APP_STOREFRONT_*`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        Ok(Config {
            server: ServerConfig::from_env(&env)?,
            database: env.parse("DATABASE_URL")?,
            cart_url: env.required("CART_URL")?,
            orders_url: env.required("ORDERS_URL")?,
            cart_ca: env.file("CART_CA")?,
            cart_identity: (env.file("CART_CLIENT_CERT")?, env.file("CART_CLIENT_KEY")?),
            posts_per_network_per_minute: env.parse_or("POSTS_PER_NETWORK_PER_MINUTE", 120)?,
            images: platform_images::config_from_env(&env)?,
            payment_origin: match env.optional("PAYMENT_ORIGIN") {
                None => None,
                Some(origin) => {
                    if platform_web::csp_with_form_target(&origin).is_none() {
                        return Err(ConfigError::Invalid {
                            var: env.name("PAYMENT_ORIGIN"),
                            reason: "must be an https origin such as https://pay.localhost:8446"
                                .to_owned(),
                        });
                    }
                    Some(origin)
                }
            },
        })
    }
}
