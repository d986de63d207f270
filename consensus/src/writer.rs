//! The node's one database writer. Every write (log appends, vote, committed id, truncation,
//! purging, audit history and nodes, archive records) is a [`Request`] on one bounded queue; a
//! single task takes every request waiting, runs them in one transaction and commits it, so one
//! fsync carries all of them (group commit), then completes each request in order.
//!
//! Requests run in the order they were queued, which is what makes it safe not to wait for some
//! of them: once a later request is durable, so is every earlier one (the state machine waits on
//! an empty request before it writes a snapshot covering entries whose rows it did not wait for).
//!
//! A failed transaction fails every request in it and every later one: a node whose storage
//! broke stops taking writes rather than carry on with a gap.

use std::sync::Arc;

use prometheus::Histogram;
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

/// Requests waiting for the writer; senders wait when it is full.
const QUEUE_REQUESTS_MAX: usize = 4_096;
/// Requests in one transaction at most, so one commit never grows without bound.
const TRANSACTION_REQUESTS_MAX: usize = 1_024;
/// Rows merged into one insert at most (SQLite allows 32,766 parameters per statement).
const STATEMENT_ROWS_MAX: usize = 256;

/// A value bound to a statement parameter.
#[derive(Debug)]
pub enum Value {
    /// An SQLite integer.
    Integer(i64),
    /// SQLite text.
    Text(String),
    /// An SQLite blob.
    Blob(Vec<u8>),
    /// SQL NULL.
    Null,
}

/// One SQL statement and its parameters.
#[derive(Debug)]
pub struct Statement {
    /// The SQL, with `?` parameters; for a row, the `INSERT … VALUES` head without the row.
    sql: &'static str,
    /// The parameters, in order.
    values: Vec<Value>,
    /// Whether this is one row of a plain insert, which the writer may merge with the rows
    /// around it into one multi-row statement (far fewer round trips to SQLite).
    row: bool,
}

impl Statement {
    /// `sql` with `values` bound in order.
    pub fn new(sql: &'static str, values: Vec<Value>) -> Self {
        Self {
            sql,
            values,
            row: false,
        }
    }

    /// One row `values` of the plain insert `head` (`INSERT … INTO table (columns) VALUES`,
    /// with no clause after the rows).
    pub fn row(head: &'static str, values: Vec<Value>) -> Self {
        Self {
            sql: head,
            values,
            row: true,
        }
    }

    /// Whether `next` can join this row in one statement.
    fn joins(&self, next: &Statement) -> bool {
        self.row && next.row && self.sql == next.sql && self.values.len() == next.values.len()
    }
}

/// Why a write did not happen.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the database write failed: {0}")]
pub struct WriteError(Arc<str>);

/// Called once the request's transaction committed (or failed).
pub type Completion = Box<dyn FnOnce(Result<(), WriteError>) + Send>;

/// Statements to run in the next transaction, and who to tell.
struct Request {
    /// Run in order inside the transaction.
    statements: Vec<Statement>,
    /// Told the outcome after the commit; `None` when nobody waits.
    completion: Option<Completion>,
}

/// The handle to the node's writer task. Cloning shares the task.
#[derive(Debug, Clone)]
pub struct Writer {
    /// The queue the task drains.
    sender: mpsc::Sender<Request>,
}

impl Writer {
    /// Starts the writer task (on the current Tokio runtime), which takes one connection from
    /// `pool` and keeps it. It ends when the last handle is dropped.
    pub fn start(pool: SqlitePool) -> Self {
        Self::spawn(pool, None)
    }

    /// As [`Writer::start`], observing every transaction's seconds (its fsync included) in
    /// `commit_seconds`.
    pub fn measured(pool: SqlitePool, commit_seconds: Histogram) -> Self {
        Self::spawn(pool, Some(commit_seconds))
    }

    /// Starts the task.
    fn spawn(pool: SqlitePool, commit_seconds: Option<Histogram>) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_REQUESTS_MAX);
        tokio::spawn(run(pool, receiver, commit_seconds));
        Self { sender }
    }

    /// Queues `statements` and returns once they are queued; `completion` learns when they are
    /// durable.
    pub async fn submit(&self, statements: Vec<Statement>, completion: Option<Completion>) -> Result<(), WriteError> {
        self.sender
            .send(Request { statements, completion })
            .await
            .map_err(|_| WriteError(Arc::from("the database writer has stopped")))
    }

    /// Queues `statements` and returns once they are durable.
    pub async fn write(&self, statements: Vec<Statement>) -> Result<(), WriteError> {
        let (sender, receiver) = oneshot::channel();
        let completion: Completion = Box::new(move |result| {
            // The caller may have gone away; then nobody needs the outcome.
            let _ = sender.send(result);
        });
        self.submit(statements, Some(completion)).await?;
        receiver
            .await
            .map_err(|_| WriteError(Arc::from("the database writer has stopped")))?
    }
}

/// The writer task: one transaction per turn over every request waiting, on a connection it
/// keeps for its whole life (readers never make it wait for a pooled connection).
async fn run(pool: SqlitePool, mut receiver: mpsc::Receiver<Request>, commit_seconds: Option<Histogram>) {
    let mut failure: Option<WriteError> = None;
    let mut connection = match pool.acquire().await {
        Ok(connection) => Some(connection),
        Err(error) => {
            let error = WriteError(Arc::from(format!("no database connection for the writer: {error}")));
            tracing::error!(%error, "the database writer cannot start");
            failure = Some(error);
            None
        }
    };
    let mut statements = Vec::new();
    let mut completions = Vec::new();
    while let Some(first) = receiver.recv().await {
        let mut next = Some(first);
        let mut requests = 0;
        while let Some(request) = next.take() {
            statements.extend(request.statements);
            completions.extend(request.completion);
            requests += 1;
            if requests < TRANSACTION_REQUESTS_MAX {
                next = receiver.try_recv().ok();
            }
        }
        let timer = commit_seconds.as_ref().map(Histogram::start_timer);
        let result = match (&failure, connection.as_mut()) {
            (None, Some(connection)) => commit(connection, &statements).await,
            (Some(error), _) => Err(error.clone()),
            (None, None) => Err(WriteError(Arc::from("the database writer has no connection"))),
        };
        drop(timer);
        if let Err(error) = &result {
            if failure.is_none() {
                tracing::error!(%error, "the database writer stops taking writes");
            }
            failure = Some(error.clone());
        }
        statements.clear();
        for completion in completions.drain(..) {
            completion(result.clone());
        }
    }
}

/// Runs `statements` in one transaction and commits it, consecutive rows of one insert as one
/// statement.
async fn commit(connection: &mut SqliteConnection, statements: &[Statement]) -> Result<(), WriteError> {
    let failed = |error: sqlx::Error| WriteError(Arc::from(error.to_string()));
    let mut transaction = sqlx::Connection::begin(connection).await.map_err(failed)?;
    let mut rest = statements;
    while let Some((first, _)) = rest.split_first() {
        let rows = rest
            .iter()
            .take(STATEMENT_ROWS_MAX)
            .take_while(|statement| first.joins(statement) || std::ptr::eq(*statement, first))
            .count();
        let (group, after) = rest.split_at(rows);
        rest = after;
        // Safe to build: a fixed head and `?` placeholders, every value bound.
        let sql = if first.row {
            let placeholders = vec!["?"; first.values.len()].join(", ");
            let rows = vec![format!("({placeholders})"); group.len()].join(", ");
            format!("{} {rows}", first.sql)
        } else {
            first.sql.to_owned()
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in group.iter().flat_map(|statement| &statement.values) {
            query = match value {
                Value::Integer(integer) => query.bind(*integer),
                Value::Text(text) => query.bind(text.as_str()),
                Value::Blob(blob) => query.bind(blob.as_slice()),
                Value::Null => query.bind(None::<i64>),
            };
        }
        query.execute(&mut *transaction).await.map_err(failed)?;
    }
    transaction.commit().await.map_err(failed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::sync::Mutex;

    use sqlx::Row;

    use super::*;

    async fn writer() -> (tempfile::TempDir, SqlitePool, Writer) {
        let folder = tempfile::tempdir().unwrap();
        let pool = crate::database::open(&folder.path().join("node.sqlite")).await.unwrap();
        let writer = Writer::start(pool.clone());
        (folder, pool, writer)
    }

    fn meta_row(index: u64) -> Statement {
        Statement::row(
            "INSERT INTO raft_meta (name, value) VALUES",
            vec![Value::Text(format!("row-{index:04}")), Value::Text(index.to_string())],
        )
    }

    #[tokio::test]
    async fn rows_merge_across_the_statement_bound_and_other_statements_keep_their_place() {
        let (_folder, pool, writer) = writer().await;
        // 600 rows (more than two statements' worth), an update of row 5 in the middle, then
        // more rows: the update must see row 5 and later rows must not be lost.
        let mut statements: Vec<Statement> = (0..300).map(meta_row).collect();
        statements.push(Statement::new(
            "UPDATE raft_meta SET value = 'updated' WHERE name = ?",
            vec![Value::Text("row-0005".into())],
        ));
        statements.extend((300..600).map(meta_row));
        writer.write(statements).await.unwrap();
        let count: i64 = sqlx::query("SELECT COUNT(*) AS count FROM raft_meta WHERE name LIKE 'row-%'")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get("count");
        assert_eq!(count, 600);
        let value: String = sqlx::query("SELECT value FROM raft_meta WHERE name = 'row-0005'")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get("value");
        assert_eq!(value, "updated");
    }

    #[tokio::test]
    async fn completions_come_in_queue_order_and_a_failure_stops_every_later_write() {
        let (_folder, pool, writer) = writer().await;
        let order = Arc::new(Mutex::new(Vec::new()));
        for index in 0..50u64 {
            let order = Arc::clone(&order);
            let completion: Completion = Box::new(move |result| {
                assert!(result.is_ok());
                order.lock().unwrap().push(index);
            });
            writer.submit(vec![meta_row(index)], Some(completion)).await.unwrap();
        }
        writer.write(Vec::new()).await.unwrap();
        assert_eq!(*order.lock().unwrap(), (0..50).collect::<Vec<_>>());

        // A statement SQLite refuses fails its transaction and every later request.
        let failed = writer
            .write(vec![Statement::new(
                "INSERT INTO no_such_table (x) VALUES (?)",
                vec![Value::Integer(1)],
            )])
            .await;
        assert!(failed.is_err());
        let later = writer.write(vec![meta_row(999)]).await;
        assert!(later.unwrap_err().to_string().contains("no_such_table"));
        let written: Option<String> = sqlx::query("SELECT value FROM raft_meta WHERE name = 'row-0999'")
            .fetch_optional(&pool)
            .await
            .unwrap()
            .map(|row| row.get("value"));
        assert_eq!(written, None, "nothing is written after a failure");
    }
}
