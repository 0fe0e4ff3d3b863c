//! Grandfather-father-son retention (O16), a pure function of the backups' times, the
//! shop's policy and nothing else (the clock is the caller's).
//!
//! Rule: sort backups newest first. Keep the newest backup of each of the `daily` most
//! recent calendar days (UTC) that have a backup, of each of the `weekly` most recent ISO
//! weeks, and of each of the `monthly` most recent months. The newest backup is always
//! kept. Periods are counted among those that *have* backups, so a pause in backups never
//! makes retention delete the last good copies.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

/// Platform bounds of a shop's policy (a shop chooses within them).
pub const DAILY_RANGE: std::ops::RangeInclusive<u32> = 1..=31;
/// Weekly bound.
pub const WEEKLY_RANGE: std::ops::RangeInclusive<u32> = 0..=52;
/// Monthly bound.
pub const MONTHLY_RANGE: std::ops::RangeInclusive<u32> = 0..=36;

/// How many of each period to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Days.
    pub daily: u32,
    /// ISO weeks.
    pub weekly: u32,
    /// Months.
    pub monthly: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            daily: 7,
            weekly: 4,
            monthly: 12,
        }
    }
}

impl Policy {
    /// The longest a backup can be kept under this policy, in days: the days, weeks or
    /// months it keeps, whichever reaches furthest back (a month counted as 31 days). A
    /// shop that no longer takes backups (a closed one) loses each backup this long after
    /// it was made.
    pub fn horizon_days(self) -> u32 {
        self.daily.max(self.weekly * 7).max(self.monthly * 31)
    }

    /// The policy clamped into the platform bounds (the database checks them too).
    pub fn bounded(self) -> Self {
        Policy {
            daily: self.daily.clamp(*DAILY_RANGE.start(), *DAILY_RANGE.end()),
            weekly: self
                .weekly
                .clamp(*WEEKLY_RANGE.start(), *WEEKLY_RANGE.end()),
            monthly: self
                .monthly
                .clamp(*MONTHLY_RANGE.start(), *MONTHLY_RANGE.end()),
        }
    }
}

/// The period a time falls in (year and day, week or month).
type PeriodOf = fn(&DateTime<Utc>) -> (i32, u32);

/// Indices (into `times`) of the backups to keep.
pub fn keep(times: &[DateTime<Utc>], policy: Policy) -> BTreeSet<usize> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|a, b| times[*b].cmp(&times[*a]));
    let mut kept = BTreeSet::new();
    if let Some(newest) = order.first() {
        kept.insert(*newest);
    }
    let periods: [(u32, PeriodOf); 3] = [
        (policy.daily, |t| (t.year(), t.ordinal())),
        (policy.weekly, |t| {
            let w = t.iso_week();
            (w.year(), w.week())
        }),
        (policy.monthly, |t| (t.year(), t.month())),
    ];
    for (count, period) in periods {
        let mut seen = Vec::new();
        for &i in &order {
            let p = period(&times[i]);
            if seen.last() != Some(&p) {
                if seen.len() == count as usize {
                    break;
                }
                seen.push(p);
                kept.insert(i);
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate, TimeZone};

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.from_utc_datetime(
            &NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(2, 0, 0)
                .unwrap(),
        )
    }

    /// A year of nightly backups, pruned every night as the worker does: exactly the
    /// expected grandfather-father-son set survives.
    #[test]
    fn o16_a_simulated_year_of_nightly_backups_keeps_exactly_the_gfs_set() {
        let start = at(2026, 1, 1);
        let mut stored: Vec<DateTime<Utc>> = Vec::new();
        for day in 0..365 {
            stored.push(start + Duration::days(day));
            let keep = keep(&stored, Policy::default());
            stored = keep.iter().map(|i| stored[*i]).collect();
        }
        stored.sort();
        let expected: Vec<DateTime<Utc>> = vec![
            // Monthly: the last backup of each month, Jan…Nov (December's is the newest).
            at(2026, 1, 31),
            at(2026, 2, 28),
            at(2026, 3, 31),
            at(2026, 4, 30),
            at(2026, 5, 31),
            at(2026, 6, 30),
            at(2026, 7, 31),
            at(2026, 8, 31),
            at(2026, 9, 30),
            at(2026, 10, 31),
            at(2026, 11, 30),
            // Weekly: the last backup (Sunday) of ISO weeks 50 and 51; week 52 ends on
            // the 27th and week 53 on the 31st, both already kept as daily backups.
            at(2026, 12, 13),
            at(2026, 12, 20),
            // Daily: the last seven days (the newest is also December's monthly).
            at(2026, 12, 25),
            at(2026, 12, 26),
            at(2026, 12, 27),
            at(2026, 12, 28),
            at(2026, 12, 29),
            at(2026, 12, 30),
            at(2026, 12, 31),
        ];
        assert_eq!(stored, expected);
    }

    #[test]
    fn the_newest_backup_survives_even_a_minimal_policy_and_a_long_pause() {
        let times = vec![at(2024, 1, 1), at(2026, 6, 1)];
        let policy = Policy {
            daily: 1,
            weekly: 0,
            monthly: 0,
        };
        assert_eq!(keep(&times, policy), BTreeSet::from([1]));
        // A pause: old backups are still the latest days that have backups.
        let times = vec![at(2026, 1, 1), at(2026, 1, 2), at(2026, 1, 3)];
        assert_eq!(keep(&times, Policy::default()).len(), 3);
    }

    #[test]
    fn policies_are_bounded() {
        let p = Policy {
            daily: 0,
            weekly: 99,
            monthly: 99,
        }
        .bounded();
        assert_eq!((p.daily, p.weekly, p.monthly), (1, 52, 36));
    }
}
