use std::fmt;
use std::marker::PhantomData;

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgQueryResult, PgRow, PgStatement};
use sqlx::{Describe, Either, Execute, Executor, PgPool, Postgres, SqlStr, Transaction};

use crate::{TenancyError, TenantId, check_statement};

/// A Postgres pool seen through the tenancy rules. Cloning is cheap (the pool is shared).
///
/// There is deliberately no accessor for the inner pool: every statement goes through a
/// [`ScopedTx`], either scoped to a tenant or explicitly platform-level.
#[derive(Clone)]
pub struct TenantDb {
    pool: PgPool,
}

impl fmt::Debug for TenantDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantDb")
            .field("size", &self.pool.size())
            .finish()
    }
}

impl TenantDb {
    /// Wraps a pool connected as a service role (never the owner or a superuser).
    pub fn new(pool: PgPool) -> Self {
        TenantDb { pool }
    }

    /// A lazy pool of at most `max` connections as the role of `options`: a service starts
    /// while Postgres is down and its `/readyz` tells; a request waits at most five
    /// seconds for a connection.
    ///
    /// A connection taken from the pool is checked with a round trip only when it sat
    /// idle for more than [`IDLE_BEFORE_CHECK`] (after a database restart, say): sqlx's
    /// default checks every one, which cost a round trip per transaction on the busy
    /// paths (docs/benchmarks.md, issue 15). sqlx still checks each connection when it
    /// goes back to the pool.
    pub fn connect_lazy(options: sqlx::postgres::PgConnectOptions, max: u32) -> Self {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > IDLE_BEFORE_CHECK {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(options);
        TenantDb { pool }
    }

    /// Statements that run alone, each in its own implicit transaction, with no tenant in
    /// scope: tenant tables read as empty through them, except inside the SQL functions
    /// that scope themselves (they take the shop as an argument, set it for their own
    /// query only and put back what was there; migration `…031`). One round trip where a
    /// [`ScopedTx`] takes three, for the hottest reads. Every statement passes the same
    /// guard as in a transaction, so none can set a tenant itself.
    pub fn self_scoping(&self) -> SelfScoping<'_> {
        SelfScoping { pool: &self.pool }
    }

    /// Opens a transaction scoped to `tenant`: its first statement sets `app.tenant_id`
    /// transaction-locally, so row-level security shows and accepts only that tenant's rows.
    ///
    /// `BEGIN` and `set_config` travel in one round trip. The tenant id is interpolated,
    /// which is safe only because a [`TenantId`] prints as a hyphenated UUID and nothing
    /// else.
    #[tracing::instrument(name = "db.begin_tenant", skip_all, fields(tenant_id = %tenant))]
    pub async fn begin(&self, tenant: TenantId) -> Result<ScopedTx<TenantScope>, TenancyError> {
        self.begin_as(tenant, "begin").await
    }

    /// Like [`TenantDb::begin`], but a read-only, repeatable-read snapshot: every statement
    /// sees the tenant as of the first one (consistent exports).
    #[tracing::instrument(name = "db.begin_tenant_snapshot", skip_all, fields(tenant_id = %tenant))]
    pub async fn begin_snapshot(
        &self,
        tenant: TenantId,
    ) -> Result<ScopedTx<TenantScope>, TenancyError> {
        self.begin_as(tenant, "begin isolation level repeatable read read only")
            .await
    }

    async fn begin_as(
        &self,
        tenant: TenantId,
        begin: &'static str,
    ) -> Result<ScopedTx<TenantScope>, TenancyError> {
        let statement = format!("{begin}; select set_config('app.tenant_id', '{tenant}', true)");
        let tx = self.pool.begin_with(sqlx::AssertSqlSafe(statement)).await?;
        Ok(ScopedTx {
            tx,
            scope: TenantScope(tenant),
        })
    }

    /// Opens a transaction scoped to `tenant` that acts for one platform operator: beside
    /// `app.tenant_id`, it sets `app.platform_staff`, which the grant policies of the
    /// `processor` schema read (only the access-control service's role has any).
    #[tracing::instrument(name = "db.begin_operator", skip_all, fields(tenant_id = %tenant))]
    pub async fn begin_operator(
        &self,
        tenant: TenantId,
        operator: uuid::Uuid,
    ) -> Result<ScopedTx<TenantScope>, TenancyError> {
        // Both interpolated values print as hyphenated UUIDs and nothing else.
        let statement = format!(
            "begin; select set_config('app.tenant_id', '{tenant}', true), \
             set_config('app.platform_staff', '{}', true)",
            operator.hyphenated()
        );
        let tx = self.pool.begin_with(sqlx::AssertSqlSafe(statement)).await?;
        Ok(ScopedTx {
            tx,
            scope: TenantScope(tenant),
        })
    }

    /// A platform-level transaction (no tenant) that acts for one platform operator: the
    /// operator's own grants across shops are visible, nothing else of any shop.
    #[tracing::instrument(name = "db.begin_operator_platform", skip_all)]
    pub async fn operator(
        &self,
        operator: uuid::Uuid,
    ) -> Result<ScopedTx<PlatformScope>, TenancyError> {
        let statement = format!(
            "begin; select set_config('app.platform_staff', '{}', true)",
            operator.hyphenated()
        );
        let tx = self.pool.begin_with(sqlx::AssertSqlSafe(statement)).await?;
        Ok(ScopedTx {
            tx,
            scope: PlatformScope(()),
        })
    }

    /// Opens a platform-level transaction (tables such as `tenants`). No tenant is set, so
    /// every tenant table reads as empty and refuses inserts.
    #[tracing::instrument(name = "db.begin_platform", skip_all)]
    pub async fn platform(&self) -> Result<ScopedTx<PlatformScope>, TenancyError> {
        let tx = self.pool.begin().await?;
        Ok(ScopedTx {
            tx,
            scope: PlatformScope(()),
        })
    }

    /// Checks that the database answers (for readiness probes).
    pub async fn ping(&self) -> Result<(), TenancyError> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// How long a pooled connection may sit idle before it is checked when taken.
pub const IDLE_BEFORE_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// See [`TenantDb::self_scoping`]: an [`Executor`] (as `&SelfScoping`) for single
/// statements outside any transaction and without a tenant.
#[derive(Debug, Clone, Copy)]
pub struct SelfScoping<'a> {
    pool: &'a PgPool,
}

/// The scope of a [`ScopedTx`] bound to one tenant.
#[derive(Debug, Clone, Copy)]
pub struct TenantScope(TenantId);

/// The scope of a [`ScopedTx`] on platform-level tables only.
#[derive(Debug, Clone, Copy)]
pub struct PlatformScope(());

/// A transaction opened by [`TenantDb`]. `&mut ScopedTx` is a sqlx [`Executor`] that runs
/// every statement through [`check_statement`] first. Dropping it without
/// [`commit`](ScopedTx::commit) rolls back.
pub struct ScopedTx<S> {
    tx: Transaction<'static, Postgres>,
    scope: S,
}

impl<S: fmt::Debug> fmt::Debug for ScopedTx<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedTx")
            .field("scope", &self.scope)
            .finish()
    }
}

impl ScopedTx<TenantScope> {
    /// The tenant this transaction is scoped to.
    pub fn tenant(&self) -> TenantId {
        self.scope.0
    }
}

impl<S> ScopedTx<S> {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), TenancyError> {
        Ok(self.tx.commit().await?)
    }

    /// Rolls the transaction back.
    pub async fn rollback(self) -> Result<(), TenancyError> {
        Ok(self.tx.rollback().await?)
    }

    /// Marks a savepoint, so that a step which may fail on a constraint can be undone
    /// without losing the transaction (see [`rollback_to_savepoint`]). The scope was set
    /// when the transaction began, before any savepoint, so rolling back to one never
    /// changes it. Request code cannot spell `SAVEPOINT` itself (the guard refuses it).
    ///
    /// [`rollback_to_savepoint`]: ScopedTx::rollback_to_savepoint
    pub async fn savepoint(&mut self) -> Result<(), TenancyError> {
        sqlx::raw_sql("savepoint scoped_step")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Keeps what was done since the last [`savepoint`](ScopedTx::savepoint).
    pub async fn release_savepoint(&mut self) -> Result<(), TenancyError> {
        sqlx::raw_sql("release savepoint scoped_step")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Undoes what was done since the last [`savepoint`](ScopedTx::savepoint) (and
    /// clears a failed statement's error state); the transaction goes on.
    pub async fn rollback_to_savepoint(&mut self) -> Result<(), TenancyError> {
        sqlx::raw_sql("rollback to savepoint scoped_step; release savepoint scoped_step")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Runs `COPY … TO STDOUT` inside this transaction (row-level security applies to
    /// the query's tables as to any select) and streams the raw COPY data: bulk export
    /// with bounded memory. The statement passes the same guard as every other one.
    pub async fn copy_out(
        &mut self,
        statement: &str,
    ) -> Result<BoxStream<'_, Result<bytes::Bytes, sqlx::Error>>, TenancyError> {
        check_statement(statement)?;
        Ok(self.tx.copy_out_raw(statement).await?)
    }

    /// Runs `COPY … FROM STDIN` inside this transaction. Postgres refuses `COPY FROM`
    /// into a table under row-level security, so bulk loads target a temporary table
    /// and move rows on with `insert … select`, where the policies' `WITH CHECK` applies.
    pub async fn copy_in(
        &mut self,
        statement: &str,
    ) -> Result<sqlx::postgres::PgCopyIn<&mut sqlx::PgConnection>, TenancyError> {
        check_statement(statement)?;
        Ok(self.tx.copy_in_raw(statement).await?)
    }
}

/// A statement that passed the guard, re-packed for the inner connection.
struct Checked<'q> {
    sql: SqlStr,
    arguments: Option<PgArguments>,
    persistent: bool,
    _query: PhantomData<&'q ()>,
}

impl<'q> Execute<'q, Postgres> for Checked<'q> {
    fn sql(self) -> SqlStr {
        self.sql
    }

    fn statement(&self) -> Option<&PgStatement> {
        None
    }

    fn take_arguments(&mut self) -> Result<Option<PgArguments>, BoxDynError> {
        Ok(self.arguments.take())
    }

    fn persistent(&self) -> bool {
        self.persistent
    }
}

fn refused(err: TenancyError) -> sqlx::Error {
    sqlx::Error::Configuration(Box::new(err))
}

fn checked<'q, E: Execute<'q, Postgres>>(mut query: E) -> Result<Checked<'q>, sqlx::Error> {
    let arguments = query.take_arguments().map_err(sqlx::Error::Encode)?;
    let persistent = query.persistent();
    let sql = query.sql();
    check_statement(sql.as_str()).map_err(refused)?;
    Ok(Checked {
        sql,
        arguments,
        persistent,
        _query: PhantomData,
    })
}

/// An [`Executor`] that passes every statement through the guard before `$inner`
/// (an expression of `self`) runs it.
macro_rules! guarded_executor {
    ($target:ty, [$($generics:tt)*], |$this:ident| $inner:expr) => {
        impl<$($generics)*> Executor<'c> for $target {
            type Database = Postgres;

            fn fetch_many<'e, 'q, E>(
                self,
                query: E,
            ) -> BoxStream<'e, Result<Either<PgQueryResult, PgRow>, sqlx::Error>>
            where
                'c: 'e,
                E: Execute<'q, Postgres>,
                'q: 'e,
                E: 'q,
            {
                let $this = self;
                match checked(query) {
                    Ok(query) => $inner.fetch_many(query),
                    Err(err) => stream::once(async move { Err(err) }).boxed(),
                }
            }

            fn fetch_optional<'e, 'q, E>(
                self,
                query: E,
            ) -> BoxFuture<'e, Result<Option<PgRow>, sqlx::Error>>
            where
                'c: 'e,
                E: Execute<'q, Postgres>,
                'q: 'e,
                E: 'q,
            {
                let $this = self;
                match checked(query) {
                    Ok(query) => $inner.fetch_optional(query),
                    Err(err) => Box::pin(async move { Err(err) }),
                }
            }

            fn prepare_with<'e>(
                self,
                sql: SqlStr,
                parameters: &'e [sqlx::postgres::PgTypeInfo],
            ) -> BoxFuture<'e, Result<PgStatement, sqlx::Error>>
            where
                'c: 'e,
            {
                let $this = self;
                match check_statement(sql.as_str()) {
                    Ok(()) => $inner.prepare_with(sql, parameters),
                    Err(err) => Box::pin(async move { Err(refused(err)) }),
                }
            }

            fn describe<'e>(
                self,
                sql: SqlStr,
            ) -> BoxFuture<'e, Result<Describe<Postgres>, sqlx::Error>>
            where
                'c: 'e,
            {
                let $this = self;
                match check_statement(sql.as_str()) {
                    Ok(()) => $inner.describe(sql),
                    Err(err) => Box::pin(async move { Err(refused(err)) }),
                }
            }
        }
    };
}

guarded_executor!(&'c mut ScopedTx<S>, ['c, S: Send + Sync + fmt::Debug], |this| (&mut *this.tx));
guarded_executor!(&'c SelfScoping<'a>, ['c, 'a: 'c], |this| this.pool);
