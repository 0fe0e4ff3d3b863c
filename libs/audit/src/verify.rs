//! Verification of a shop's chain against itself and its signed checkpoints.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use platform_tenancy::TenantTx;
use serde::Serialize;

use crate::AuditError;
use crate::chain::{Filter, GENESIS, list};
use crate::checkpoint::{SignedCheckpoint, VerifyingKey, stored_checkpoints};

/// Something wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The row's fields no longer give its hash: it was edited (or moved to another
    /// position, which is part of what is hashed).
    Edited {
        /// Its position.
        seq: i64,
    },
    /// The row does not follow the row before it (`prev_hash` differs): a row before it
    /// was removed, replaced or the rows were reordered.
    Broken {
        /// Its position.
        seq: i64,
    },
    /// Positions jump: rows between were removed.
    Gap {
        /// The position that should come next.
        expected: i64,
        /// The position found.
        found: i64,
    },
    /// A signed checkpoint names a head beyond the chain's end: its newest rows were
    /// removed.
    TailMissing {
        /// The checkpoint's head position.
        checkpoint_seq: i64,
        /// The chain's last position.
        head_seq: i64,
    },
    /// A signed checkpoint's head hash differs from the chain's row at that position.
    CheckpointMismatch {
        /// The position.
        seq: i64,
    },
    /// A checkpoint's signature does not verify with any known key (it was forged or
    /// altered); it is ignored otherwise.
    BadSignature {
        /// When it claims to be from.
        at: DateTime<Utc>,
    },
}

/// What verification found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Events read.
    pub events: i64,
    /// Valid checkpoints compared.
    pub checkpoints: usize,
    /// The newest valid checkpoint's position and time.
    pub last_checkpoint: Option<(i64, DateTime<Utc>)>,
    /// Everything wrong, in chain order.
    pub problems: Vec<Problem>,
}

impl Report {
    /// No problem found.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies the transaction's shop: every row against its hash and its predecessor,
/// positions without gaps, and every checkpoint (those in `outside`, from S3, and those
/// in the database) signed by one of `keys` and matching the chain.
pub async fn verify(
    tx: &mut TenantTx,
    outside: &[SignedCheckpoint],
    keys: &[VerifyingKey],
) -> Result<Report, AuditError> {
    let tenant = tx.tenant();
    let records = list(tx, &Filter::default()).await?;
    let mut problems = Vec::new();
    let mut hashes: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
    let (mut expected, mut prev) = (1_i64, GENESIS.to_vec());
    for r in &records {
        if r.seq != expected {
            problems.push(Problem::Gap {
                expected,
                found: r.seq,
            });
        }
        if r.prev_hash != prev {
            problems.push(Problem::Broken { seq: r.seq });
        }
        if r.computed_hash(tenant)[..] != r.hash[..] {
            problems.push(Problem::Edited { seq: r.seq });
        }
        hashes.insert(r.seq, r.hash.clone());
        prev = r.hash.clone();
        expected = r.seq + 1;
    }
    let head_seq = records.last().map_or(0, |r| r.seq);

    let mut all: Vec<SignedCheckpoint> = stored_checkpoints(tx).await?;
    all.extend(outside.iter().cloned());
    all.sort_by_key(|c| (c.at, c.seq));
    all.dedup();
    let mut checked = 0;
    let mut last_checkpoint = None;
    for cp in all.iter().filter(|c| c.tenant_id == tenant.as_uuid()) {
        if !cp.verifies(keys) {
            problems.push(Problem::BadSignature { at: cp.at });
            continue;
        }
        checked += 1;
        last_checkpoint = Some((cp.seq, cp.at));
        if cp.seq > head_seq {
            let p = Problem::TailMissing {
                checkpoint_seq: cp.seq,
                head_seq,
            };
            if !problems.contains(&p) {
                problems.push(p);
            }
        } else if hashes.get(&cp.seq).is_none_or(|h| *h != cp.head_bytes()) {
            problems.push(Problem::CheckpointMismatch { seq: cp.seq });
        }
    }
    Ok(Report {
        events: records.len() as i64,
        checkpoints: checked,
        last_checkpoint,
        problems,
    })
}
