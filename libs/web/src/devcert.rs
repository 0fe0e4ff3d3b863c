//! The development certificate authority (feature `devcert`).
//!
//! `cargo xtask` keeps one CA under `target/dev/certs/` and issues from it a server
//! certificate for `localhost`, `*.shop.localhost` and the loopback addresses, and client
//! certificates for service-to-service mutual TLS. Development only: the CA key sits on
//! disk (mode 0600) and is not protected further.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// Errors of the dev CA.
#[derive(Debug, thiserror::Error)]
pub enum DevCertError {
    /// Certificate generation failed.
    #[error("certificate generation: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// Reading or writing files failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DevCertError + '_ {
    move |source| DevCertError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The dev CA: its certificate (PEM) and an issuer that signs with its key.
pub struct DevCa {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca_params() -> Result<CertificateParams, DevCertError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params
        .distinguished_name
        .push(DnType::CommonName, "Commerce Platform Development CA");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Commerce Platform (dev)");
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

/// Writes `contents` to `path`, readable by the owner only when `private`.
pub fn write_file(path: &Path, contents: &str, private: bool) -> Result<(), DevCertError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    if private {
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io(path))?;
    file.write_all(contents.as_bytes()).map_err(io(path))
}

impl DevCa {
    /// A new CA in memory.
    pub fn generate() -> Result<Self, DevCertError> {
        let key = KeyPair::generate()?;
        let params = ca_params()?;
        let cert_pem = params.self_signed(&key)?.pem();
        Ok(DevCa {
            cert_pem,
            issuer: Issuer::new(params, key),
        })
    }

    /// Loads the CA from `dir` (`ca.pem`, `ca-key.pem`), creating it when absent.
    pub fn load_or_create(dir: &Path) -> Result<Self, DevCertError> {
        let (cert_path, key_path) = (dir.join("ca.pem"), dir.join("ca-key.pem"));
        if cert_path.is_file() && key_path.is_file() {
            let cert_pem = fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
            let key_pem = fs::read_to_string(&key_path).map_err(io(&key_path))?;
            let key = KeyPair::from_pem(&key_pem)?;
            // Same subject and key as the stored certificate, so what it signs chains to it.
            return Ok(DevCa {
                cert_pem,
                issuer: Issuer::new(ca_params()?, key),
            });
        }
        let ca = Self::generate()?;
        write_file(&key_path, &ca.issuer.key().serialize_pem(), true)?;
        write_file(&cert_path, &ca.cert_pem, false)?;
        Ok(ca)
    }

    /// The CA certificate (PEM), to trust in clients.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Issues a server certificate for `names` (DNS names or IP literals): (cert, key) PEM.
    pub fn issue_server(&self, names: &[&str]) -> Result<(String, String), DevCertError> {
        self.issue(names, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// Issues a client certificate whose common name is `name` (a service): (cert, key) PEM.
    pub fn issue_client(&self, name: &str) -> Result<(String, String), DevCertError> {
        self.issue(&[name], ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn issue(
        &self,
        names: &[&str],
        usage: ExtendedKeyUsagePurpose,
    ) -> Result<(String, String), DevCertError> {
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
        if let Some(first) = names.first() {
            params.distinguished_name.push(DnType::CommonName, *first);
        }
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// Issues the standard dev server certificate into `dir` (`server.pem`,
    /// `server-key.pem`) for `localhost`, `*.shop.localhost` (every dev shop), the
    /// loopback addresses and `extra` names. Not `*.localhost`: certificate verifiers
    /// (webpki, browsers) refuse a wildcard directly under a top-level name.
    pub fn write_server_cert(
        &self,
        dir: &Path,
        extra: &[&str],
    ) -> Result<(PathBuf, PathBuf), DevCertError> {
        let mut names = vec!["localhost", "*.shop.localhost", "127.0.0.1", "::1"];
        names.extend_from_slice(extra);
        let (cert, key) = self.issue_server(&names)?;
        let (cert_path, key_path) = (dir.join("server.pem"), dir.join("server-key.pem"));
        write_file(&cert_path, &cert, false)?;
        write_file(&key_path, &key, true)?;
        Ok((cert_path, key_path))
    }

    /// Issues a client certificate for the service `name` into `dir` (`<name>-client.pem`,
    /// `<name>-client-key.pem`): its identity when it calls another service over mTLS.
    pub fn write_client_cert(
        &self,
        dir: &Path,
        name: &str,
    ) -> Result<(PathBuf, PathBuf), DevCertError> {
        let (cert, key) = self.issue_client(name)?;
        let cert_path = dir.join(format!("{name}-client.pem"));
        let key_path = dir.join(format!("{name}-client-key.pem"));
        write_file(&cert_path, &cert, false)?;
        write_file(&key_path, &key, true)?;
        Ok((cert_path, key_path))
    }
}
