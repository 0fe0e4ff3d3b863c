//! The object store (S3), shared by the backup worker and the audit log's checkpoints.
//!
//! Through `aws-sdk-s3` only: endpoint, region, credentials and
//! path-style addressing come from configuration, so the same code talks to Garage in
//! development and to AWS S3 or MinIO in production.
//!
//! Garage (and some other S3 servers) reject the SDK's default streaming checksums
//! (`x-amz-checksum-*` trailers on every upload), so request checksum calculation and
//! response checksum validation are set to `WhenRequired`. Integrity does not rest on
//! them: every frame of a backup is authenticated (AES-GCM) and every table checksummed, and
//! every audit checkpoint is signed.
//!
//! What this crate must never do: print the secret access key.

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use secrecy::{ExposeSecret, SecretString};

pub use aws_sdk_s3::primitives::ByteStream;

/// Why an object-store call failed.
#[derive(Debug, thiserror::Error)]
pub enum ObjectsError {
    /// The object store failed.
    #[error("object store: {what}")]
    S3 {
        /// The operation that failed.
        what: &'static str,
        /// Why (the SDK's whole chain).
        #[source]
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The object store answered something this client cannot use.
    #[error("object store: {0}")]
    Protocol(&'static str),
}

/// Where objects go.
#[derive(Clone)]
pub struct S3Config {
    /// Endpoint URL (`http://127.0.0.1:3900` for the dev Garage); `None` for AWS itself.
    pub endpoint: Option<String>,
    /// Region (`garage` in dev).
    pub region: String,
    /// Bucket name.
    pub bucket: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: SecretString,
    /// Path-style addressing (`endpoint/bucket/key`), as Garage and MinIO expect.
    pub path_style: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .field("path_style", &self.path_style)
            .finish()
    }
}

/// One object in a listing.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

fn s3_err(what: &'static str, err: impl std::error::Error + Send + Sync + 'static) -> ObjectsError {
    // The SDK's Display is terse ("service error"); the kept source chain says why.
    ObjectsError::S3 {
        what,
        cause: Box::new(err),
    }
}

/// A bucket of the object store.
#[derive(Clone, Debug)]
pub struct ObjectStore {
    client: Client,
    bucket: String,
}

impl ObjectStore {
    /// A client for `config` (no request is made yet).
    pub fn new(config: &S3Config) -> Self {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http)
            .region(Region::new(config.region.clone()))
            .credentials_provider(Credentials::new(
                config.access_key_id.clone(),
                config.secret_access_key.expose_secret().to_owned(),
                None,
                None,
                "platform-config",
            ))
            .force_path_style(config.path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        ObjectStore {
            client: Client::from_conf(builder.build()),
            bucket: config.bucket.clone(),
        }
    }

    /// Creates the bucket when it does not exist yet.
    pub async fn ensure_bucket(&self) -> Result<(), ObjectsError> {
        if self
            .client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .is_ok()
        {
            return Ok(());
        }
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => {
                // Created concurrently by another process: fine.
                let owned = err
                    .as_service_error()
                    .is_some_and(|e| e.is_bucket_already_owned_by_you());
                if owned {
                    Ok(())
                } else {
                    Err(s3_err("create bucket", err))
                }
            }
        }
    }

    /// Writes a small object in one request.
    pub async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), ObjectsError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| s3_err("put object", e))?;
        Ok(())
    }

    /// Reads a whole (small) object; `None` when it does not exist.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, ObjectsError> {
        match self.open(key).await? {
            None => Ok(None),
            Some(body) => {
                let data = body.collect().await.map_err(|e| s3_err("read object", e))?;
                Ok(Some(data.into_bytes().to_vec()))
            }
        }
    }

    /// Opens an object as a stream; `None` when it does not exist.
    pub async fn open(&self, key: &str) -> Result<Option<ByteStream>, ObjectsError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out.body)),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
            Err(err) => Err(s3_err("get object", err)),
        }
    }

    /// Every object under `prefix`.
    pub async fn list(&self, prefix: &str) -> Result<Vec<Listed>, ObjectsError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| s3_err("list objects", e))?;
            for object in page.contents() {
                if let Some(key) = object.key() {
                    out.push(Listed {
                        key: key.to_owned(),
                        size: object
                            .size()
                            .and_then(|s| u64::try_from(s).ok())
                            .unwrap_or(0),
                    });
                }
            }
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Deletes an object (no error when it is already gone).
    pub async fn delete(&self, key: &str) -> Result<(), ObjectsError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| s3_err("delete object", e))?;
        Ok(())
    }

    /// Starts a multipart upload.
    pub async fn start_upload(&self, key: &str) -> Result<Upload, ObjectsError> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| s3_err("create multipart upload", e))?;
        let upload_id = out
            .upload_id()
            .ok_or_else(|| ObjectsError::Protocol("no upload id in the answer"))?
            .to_owned();
        Ok(Upload {
            store: self.clone(),
            key: key.to_owned(),
            upload_id,
            parts: Vec::new(),
            bytes: 0,
        })
    }
}

/// A multipart upload in progress. Parts but the last must be at least 5 MiB.
pub struct Upload {
    store: ObjectStore,
    key: String,
    upload_id: String,
    parts: Vec<CompletedPart>,
    bytes: u64,
}

impl Upload {
    /// Smallest part S3 accepts (but for the last).
    pub const MIN_PART: usize = 5 << 20;

    /// Uploads the next part.
    pub async fn part(&mut self, body: Vec<u8>) -> Result<(), ObjectsError> {
        let number = i32::try_from(self.parts.len() + 1)
            .map_err(|_| ObjectsError::Protocol("too many parts"))?;
        self.bytes += body.len() as u64;
        let out = self
            .store
            .client
            .upload_part()
            .bucket(&self.store.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| s3_err("upload part", e))?;
        self.parts.push(
            CompletedPart::builder()
                .set_e_tag(out.e_tag().map(str::to_owned))
                .part_number(number)
                .build(),
        );
        Ok(())
    }

    /// Bytes uploaded so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Completes the upload: only now does the object exist.
    pub async fn complete(self) -> Result<u64, ObjectsError> {
        self.store
            .client
            .complete_multipart_upload()
            .bucket(&self.store.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(self.parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| s3_err("complete multipart upload", e))?;
        Ok(self.bytes)
    }

    /// Abandons the upload (its parts are discarded by the server).
    pub async fn abort(self) {
        let result = self
            .store
            .client
            .abort_multipart_upload()
            .bucket(&self.store.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .send()
            .await;
        if let Err(err) = result {
            tracing::warn!(error = %err, "abort multipart upload failed");
        }
    }
}
