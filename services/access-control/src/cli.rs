//! The command line: `serve` (the default) and `bootstrap`, which creates the first
//! security officer of an empty platform (every other member is then created by a
//! security officer in the console).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

use crate::Config;
use crate::app::AppState;
use crate::app::staff::{self, NewMember};

/// access-control.
#[derive(Debug, Parser)]
#[command(
    name = "access-control",
    about = "The platform's processor-side access control"
)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the console and API.
    Serve,
    /// Create the first security officer.
    Bootstrap(BootstrapArgs),
}

/// The first security officer.
#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// Login name.
    #[arg(long)]
    pub login: String,
    /// Name.
    #[arg(long)]
    pub name: String,
    /// Employing entity.
    #[arg(long)]
    pub entity: String,
    /// Their client certificate (PEM), issued by the platform staff CA.
    #[arg(long)]
    pub certificate: PathBuf,
    /// A file holding the first password (never on the command line).
    #[arg(long)]
    pub password_file: PathBuf,
    /// Where to write the authenticator key (base32, mode 0600); without it the
    /// `otpauth://` URL is printed.
    #[arg(long)]
    pub totp_out: Option<PathBuf>,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// Which.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate file holds no certificate.
    #[error("{0}: not a PEM certificate")]
    Certificate(PathBuf),
    /// The service refused, or failed.
    #[error("{}", .0.describe().2)]
    Refused(#[source] crate::ApiError),
    /// Starting failed.
    #[error(transparent)]
    Start(#[from] platform_auth::AuthError),
}

fn read(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::File {
        path: path.clone(),
        source,
    })
}

/// Creates the first security officer.
pub async fn bootstrap(config: Config, args: BootstrapArgs) -> Result<(), CliError> {
    let state = AppState::new(&config)?;
    let cert = read(&args.certificate)?;
    let cert_fingerprint = platform_web::tls::fingerprint_pem(&cert)
        .ok_or_else(|| CliError::Certificate(args.certificate.clone()))?;
    let password = String::from_utf8_lossy(&read(&args.password_file)?)
        .trim_end_matches(['\r', '\n'])
        .to_owned();
    let created = staff::bootstrap(
        &state,
        NewMember {
            login: args.login,
            name: args.name,
            entity: args.entity,
            password: SecretString::from(password),
            cert_fingerprint,
            roles: platform_domain::PlatformRoles::EMPTY,
        },
    )
    .await
    .map_err(CliError::Refused)?;
    match args.totp_out {
        Some(path) => {
            write_private(&path, created.totp.secret_base32().as_bytes())?;
            println!(
                "security officer created; authenticator key in {}",
                path.display()
            );
        }
        None => println!(
            "security officer created; authenticator: {}",
            created.totp.url()
        ),
    }
    Ok(())
}

fn write_private(path: &PathBuf, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|source| CliError::File {
        path: path.clone(),
        source,
    })?;
    file.write_all(bytes).map_err(|source| CliError::File {
        path: path.clone(),
        source,
    })
}
