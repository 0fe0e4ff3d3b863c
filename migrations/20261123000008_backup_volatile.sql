-- Sessions are backed up like every tenant table, but a restore must not revive a
-- session revoked since the backup: the marker makes a restore empty the table (every
-- staff member of the restored shop logs in again). See services/backup (db.rs).
comment on table staff_sessions is
    'Staff sessions: SHA-256 of tokens, CSRF tokens, times. backup:volatile';
