//! Reading a backup object back: S3 body → frames → zstd, in bounded pieces, with the
//! per-table checks of sizes, rows and checksums.

use super::*;

/// Plaintext out of the object: S3 body → frames → zstd.
pub(super) struct PlainSource {
    pub(super) body: platform_objects::ByteStream,
    pub(super) reader: Option<FrameReader>,
    pub(super) decoder: Option<zstd::stream::write::Decoder<'static, Vec<u8>>>,
}

impl PlainSource {
    /// The next piece of plaintext; `None` at the end of the object.
    pub(super) async fn next(&mut self) -> Result<Option<Vec<u8>>, BackupError> {
        let zerr = |e: std::io::Error| BackupError::Corrupt(format!("zstd: {e}"));
        loop {
            let (Some(reader), Some(decoder)) = (self.reader.as_mut(), self.decoder.as_mut())
            else {
                return Ok(None);
            };
            match self.body.next().await {
                Some(piece) => {
                    let piece = piece.map_err(|e| {
                        BackupError::S3(platform_objects::ObjectsError::S3 {
                            what: "read object",
                            cause: Box::new(e),
                        })
                    })?;
                    reader.feed(&piece, &mut |plain| decoder.write_all(plain).map_err(zerr))?;
                    let out = std::mem::take(decoder.get_mut());
                    if !out.is_empty() {
                        return Ok(Some(out));
                    }
                }
                None => {
                    if let Some(reader) = self.reader.take() {
                        reader.finish()?;
                    }
                    let Some(mut decoder) = self.decoder.take() else {
                        return Ok(None);
                    };
                    decoder.flush().map_err(zerr)?;
                    let out = decoder.into_inner();
                    return Ok(if out.is_empty() { None } else { Some(out) });
                }
            }
        }
    }
}

/// Plaintext read from the source but not yet handed to a table.
#[derive(Default)]
pub(super) struct Pending {
    data: Vec<u8>,
    at: usize,
}

impl Pending {
    pub(super) async fn fill(&mut self, source: &mut PlainSource) -> Result<(), BackupError> {
        while self.at == self.data.len() {
            match source.next().await? {
                Some(data) => {
                    self.data = data;
                    self.at = 0;
                }
                None => {
                    return Err(BackupError::Corrupt(
                        "the data ends before the manifest says".to_owned(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Hands exactly `bytes` bytes to `sink`, in owned pieces, pulling from the source as needed.
    pub(super) async fn drain<F>(
        &mut self,
        source: &mut PlainSource,
        mut bytes: u64,
        mut sink: F,
    ) -> Result<(), BackupError>
    where
        F: AsyncFnMut(Vec<u8>) -> Result<(), BackupError>,
    {
        while bytes > 0 {
            self.fill(source).await?;
            let take = usize::try_from(bytes)
                .unwrap_or(usize::MAX)
                .min(self.data.len() - self.at);
            sink(self.data[self.at..self.at + take].to_vec()).await?;
            self.at += take;
            bytes -= take as u64;
        }
        Ok(())
    }

    /// Checks that nothing follows the last table and the object ended properly.
    pub(super) async fn expect_end(mut self, mut source: PlainSource) -> Result<(), BackupError> {
        if self.at < self.data.len() {
            return Err(BackupError::Corrupt(
                "more data than the manifest says".to_owned(),
            ));
        }
        self.data.clear();
        match source.next().await? {
            None => Ok(()),
            Some(_) => Err(BackupError::Corrupt(
                "more data than the manifest says".to_owned(),
            )),
        }
    }
}

#[derive(Default)]
pub(super) struct TableCheck {
    hasher: Sha256,
    rows: u64,
    bytes: u64,
}

impl TableCheck {
    pub(super) fn add(&mut self, slice: &[u8]) {
        self.hasher.update(slice);
        self.rows += newlines(slice);
        self.bytes += slice.len() as u64;
    }

    pub(super) fn expect(self, entry: &TableEntry) -> Result<(), BackupError> {
        let sha = hex::encode(self.hasher.finalize());
        if sha != entry.sha256 || self.rows != entry.rows || self.bytes != entry.bytes {
            return Err(BackupError::Corrupt(format!(
                "table {} does not match its manifest entry",
                entry.name
            )));
        }
        Ok(())
    }
}
