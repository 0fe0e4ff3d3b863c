//! The encrypted object: a short header, then frames of AES-256-GCM ciphertext produced
//! by the STREAM construction (`aead-stream`, RustCrypto): each frame's nonce holds a
//! counter and a "last" flag, so frames cannot be reordered, dropped or truncated
//! without failing authentication. Each backup has its own random data key, so the
//! counter nonces never repeat under one key. Nothing here is home-made cryptography:
//! the framing only carries lengths.
//!
//! Frame: `flag (1 byte: 0 more, 1 last) ‖ length (u32, big endian) ‖ ciphertext`.

use aead_stream::{DecryptorBE32, EncryptorBE32, StreamBE32};
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{KeyInit, Payload};
use platform_tenancy::TenantId;
use platform_vault::DataKey;

use crate::BackupError;

/// Magic bytes at the start of every backup object.
pub const MAGIC: &[u8; 8] = b"PLATBK01";
/// Plaintext bytes per frame.
pub const CHUNK: usize = 1 << 20;
/// Bytes of the STREAM nonce prefix (AES-GCM's 12 less STREAM's 5).
pub const NONCE_LEN: usize = 7;
const FRAME_HEADER: usize = 5;
/// Largest frame we accept when reading (a chunk plus the tag, with room).
const MAX_FRAME: usize = CHUNK + 1024;

type Nonce = aead_stream::Nonce<Aes256Gcm, StreamBE32<Aes256Gcm>>;

/// The associated data of every frame: binds the object to its tenant and backup id.
fn frame_aad(tenant: TenantId, backup_id: &str) -> Vec<u8> {
    let mut aad = b"backup.frame\0".to_vec();
    aad.extend_from_slice(tenant.as_uuid().as_bytes());
    aad.extend_from_slice(backup_id.as_bytes());
    aad
}

/// The associated data of the wrapped data key.
pub fn key_aad(tenant: TenantId, backup_id: &str) -> Vec<u8> {
    let mut aad = b"backup.data_key\0".to_vec();
    aad.extend_from_slice(tenant.as_uuid().as_bytes());
    aad.extend_from_slice(backup_id.as_bytes());
    aad
}

fn cipher(key: &DataKey) -> Result<Aes256Gcm, BackupError> {
    Aes256Gcm::new_from_slice(key.expose())
        .map_err(|_| BackupError::Corrupt("bad data key length".to_owned()))
}

/// Encrypts a plaintext stream into frames, one [`CHUNK`] at a time.
pub struct FrameWriter {
    encryptor: Option<EncryptorBE32<Aes256Gcm>>,
    aad: Vec<u8>,
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl FrameWriter {
    /// Starts an object; `nonce` is random and recorded in the manifest.
    pub fn new(
        key: &DataKey,
        nonce: &[u8; NONCE_LEN],
        tenant: TenantId,
        backup_id: &str,
    ) -> Result<Self, BackupError> {
        let nonce = Nonce::try_from(&nonce[..])
            .map_err(|_| BackupError::Corrupt("bad nonce length".to_owned()))?;
        Ok(FrameWriter {
            encryptor: Some(EncryptorBE32::from_aead(cipher(key)?, &nonce)),
            aad: frame_aad(tenant, backup_id),
            pending: Vec::with_capacity(CHUNK),
            out: MAGIC.to_vec(),
        })
    }

    /// Adds plaintext; full chunks are encrypted at once.
    pub fn write(&mut self, mut data: &[u8]) -> Result<(), BackupError> {
        while !data.is_empty() {
            let room = CHUNK - self.pending.len();
            let take = room.min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() == CHUNK {
                // A full chunk is only "not last" once more data follows; encrypt it then.
                if !data.is_empty() {
                    self.seal_pending(false)?;
                }
            }
        }
        Ok(())
    }

    fn seal_pending(&mut self, last: bool) -> Result<(), BackupError> {
        let payload = Payload {
            msg: &self.pending,
            aad: &self.aad,
        };
        let sealed = if last {
            let encryptor = self
                .encryptor
                .take()
                .ok_or_else(|| BackupError::Corrupt("stream already finished".to_owned()))?;
            encryptor.encrypt_last(payload)
        } else {
            let encryptor = self
                .encryptor
                .as_mut()
                .ok_or_else(|| BackupError::Corrupt("stream already finished".to_owned()))?;
            encryptor.encrypt_next(payload)
        }
        .map_err(|_| BackupError::Corrupt("encryption failed".to_owned()))?;
        let len = u32::try_from(sealed.len())
            .map_err(|_| BackupError::Corrupt("frame too large".to_owned()))?;
        self.out.push(u8::from(last));
        self.out.extend_from_slice(&len.to_be_bytes());
        self.out.extend_from_slice(&sealed);
        self.pending.clear();
        Ok(())
    }

    /// Takes the ciphertext produced so far (to upload as a part).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Bytes of ciphertext waiting to be taken.
    pub fn output_len(&self) -> usize {
        self.out.len()
    }

    /// Seals the last frame (possibly empty) and returns the remaining ciphertext.
    pub fn finish(mut self) -> Result<Vec<u8>, BackupError> {
        if self.pending.len() == CHUNK {
            // Exactly full: it was held back in case more came; it is not the last.
            self.seal_pending(false)?;
        }
        self.seal_pending(true)?;
        Ok(self.out)
    }
}

/// Decrypts frames fed in arbitrary pieces (as they arrive from S3).
pub struct FrameReader {
    decryptor: Option<DecryptorBE32<Aes256Gcm>>,
    aad: Vec<u8>,
    buf: Vec<u8>,
    header_seen: bool,
    finished: bool,
}

impl FrameReader {
    /// Starts reading an object written by [`FrameWriter`] with the same parameters.
    pub fn new(
        key: &DataKey,
        nonce: &[u8],
        tenant: TenantId,
        backup_id: &str,
    ) -> Result<Self, BackupError> {
        let nonce = Nonce::try_from(nonce)
            .map_err(|_| BackupError::Corrupt("bad nonce length".to_owned()))?;
        Ok(FrameReader {
            decryptor: Some(DecryptorBE32::from_aead(cipher(key)?, &nonce)),
            aad: frame_aad(tenant, backup_id),
            buf: Vec::new(),
            header_seen: false,
            finished: false,
        })
    }

    /// Feeds ciphertext; calls `sink` with each decrypted chunk, in order.
    pub fn feed(
        &mut self,
        data: &[u8],
        sink: &mut dyn FnMut(&[u8]) -> Result<(), BackupError>,
    ) -> Result<(), BackupError> {
        self.buf.extend_from_slice(data);
        let mut at = 0;
        if !self.header_seen {
            if self.buf.len() < MAGIC.len() {
                return Ok(());
            }
            if &self.buf[..MAGIC.len()] != MAGIC {
                return Err(BackupError::Corrupt("not a backup object".to_owned()));
            }
            at = MAGIC.len();
            self.header_seen = true;
        }
        while self.buf.len() - at >= FRAME_HEADER {
            if self.finished {
                return Err(BackupError::Corrupt("data after the last frame".to_owned()));
            }
            let last = match self.buf[at] {
                0 => false,
                1 => true,
                _ => return Err(BackupError::Corrupt("bad frame flag".to_owned())),
            };
            let mut len = [0u8; 4];
            len.copy_from_slice(&self.buf[at + 1..at + FRAME_HEADER]);
            let len = usize::try_from(u32::from_be_bytes(len))
                .map_err(|_| BackupError::Corrupt("bad frame length".to_owned()))?;
            if len > MAX_FRAME {
                return Err(BackupError::Corrupt("frame too large".to_owned()));
            }
            if self.buf.len() - at - FRAME_HEADER < len {
                break;
            }
            let body = &self.buf[at + FRAME_HEADER..at + FRAME_HEADER + len];
            let payload = Payload {
                msg: body,
                aad: &self.aad,
            };
            let plain = if last {
                self.finished = true;
                self.decryptor
                    .take()
                    .ok_or_else(|| BackupError::Corrupt("stream already finished".to_owned()))?
                    .decrypt_last(payload)
            } else {
                self.decryptor
                    .as_mut()
                    .ok_or_else(|| BackupError::Corrupt("stream already finished".to_owned()))?
                    .decrypt_next(payload)
            }
            .map_err(|_| BackupError::Corrupt("a frame failed authentication".to_owned()))?;
            sink(&plain)?;
            at += FRAME_HEADER + len;
        }
        self.buf.drain(..at);
        Ok(())
    }

    /// Checks that the stream ended with its last frame (no truncation).
    pub fn finish(self) -> Result<(), BackupError> {
        if self.finished && self.buf.is_empty() {
            Ok(())
        } else {
            Err(BackupError::Corrupt("the object is truncated".to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(plain: &[u8], piece: usize) -> Vec<u8> {
        let key = DataKey::generate();
        let tenant = TenantId::random();
        let nonce = [7u8; NONCE_LEN];
        let mut w = FrameWriter::new(&key, &nonce, tenant, "b1").unwrap();
        w.write(plain).unwrap();
        let object = w.finish().unwrap();
        let mut r = FrameReader::new(&key, &nonce, tenant, "b1").unwrap();
        let mut out = Vec::new();
        for part in object.chunks(piece) {
            r.feed(part, &mut |c| {
                out.extend_from_slice(c);
                Ok(())
            })
            .unwrap();
        }
        r.finish().unwrap();
        out
    }

    #[test]
    fn frames_round_trip_at_every_boundary() {
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK] {
            let plain: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
            assert_eq!(round_trip(&plain, 65_537), plain, "{n}");
        }
    }

    #[test]
    fn truncation_reordering_and_other_backups_fail() {
        let key = DataKey::generate();
        let tenant = TenantId::random();
        let nonce = [1u8; NONCE_LEN];
        let mut w = FrameWriter::new(&key, &nonce, tenant, "b1").unwrap();
        w.write(&vec![42u8; 2 * CHUNK + 10]).unwrap();
        let object = w.finish().unwrap();
        let frame = FRAME_HEADER + CHUNK + 16;
        // Cut after the first frame: no last frame, so finish refuses.
        let mut r = FrameReader::new(&key, &nonce, tenant, "b1").unwrap();
        r.feed(&object[..MAGIC.len() + frame], &mut |_| Ok(()))
            .unwrap();
        assert!(r.finish().is_err());
        // Another backup id (the AAD): the first frame fails.
        let mut r = FrameReader::new(&key, &nonce, tenant, "b2").unwrap();
        assert!(r.feed(&object, &mut |_| Ok(())).is_err());
        // Mark the first frame "last": authentication fails.
        let mut forged = object.clone();
        forged[MAGIC.len()] = 1;
        let mut r = FrameReader::new(&key, &nonce, tenant, "b1").unwrap();
        assert!(r.feed(&forged, &mut |_| Ok(())).is_err());
    }
}
