//! Only queries run. Every statement is checked before planning, and planning itself runs with
//! DDL, DML and `SET` switched off, so nothing typed into trailscope can write.

use datafusion::sql::parser::{DFParser, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{SetExpr, Statement};

use super::EngineError;

/// Refuses anything that is not one read-only query, with a sentence that says why.
pub fn check(sql: &str) -> Result<(), EngineError> {
    let statements = DFParser::parse_sql(sql).map_err(EngineError::from_datafusion)?;
    match statements.len() {
        0 => Err(EngineError::Refused("there is no SQL statement to run".into())),
        1 => check_statement(&statements[0]),
        n => Err(EngineError::Refused(format!(
            "run one statement at a time (this text holds {n})"
        ))),
    }
}

fn check_statement(statement: &DfStatement) -> Result<(), EngineError> {
    match statement {
        DfStatement::Statement(inner) => match inner.as_ref() {
            Statement::Query(query) => match query.body.as_ref() {
                SetExpr::Select(select) if select.into.is_some() => Err(refuse("SELECT … INTO")),
                // `WITH … INSERT` and kin: a query whose body writes.
                SetExpr::Insert(_) => Err(refuse("INSERT")),
                SetExpr::Update(_) => Err(refuse("UPDATE")),
                SetExpr::Delete(_) => Err(refuse("DELETE")),
                SetExpr::Merge(_) => Err(refuse("MERGE")),
                _ => Ok(()),
            },
            Statement::ExplainTable { .. } | Statement::ShowColumns { .. } | Statement::ShowTables { .. } => Err(EngineError::Refused(
                "trailscope runs only queries (SELECT, WITH, VALUES, EXPLAIN); to see the events table's columns, run `trailscope schema`".into(),
            )),
            Statement::Explain { statement, .. } => check_statement(&DfStatement::Statement(statement.clone())),
            other => Err(refuse(&keyword(&other.to_string()))),
        },
        DfStatement::Explain(explain) => check_statement(&explain.statement),
        DfStatement::CreateExternalTable(_) => Err(refuse("CREATE EXTERNAL TABLE")),
        DfStatement::CopyTo(_) => Err(refuse("COPY … TO")),
        DfStatement::Reset(_) => Err(refuse("RESET")),
    }
}

fn refuse(what: &str) -> EngineError {
    EngineError::Refused(format!(
        "trailscope runs only queries (SELECT, WITH, VALUES, EXPLAIN); {what} is refused because the audit archive is read-only"
    ))
}

/// The statement's leading keywords, for the message (`CREATE TABLE`, `INSERT`).
fn keyword(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().take(3).collect();
    // The second word only when it is a keyword (`DROP TABLE`), not a name (`TRUNCATE events`).
    let second = words.get(1).map(|w| w.to_ascii_uppercase()).unwrap_or_default();
    let take = if [
        "TABLE", "VIEW", "INDEX", "SCHEMA", "DATABASE", "FUNCTION", "EXTERNAL", "CATALOG",
    ]
    .contains(&second.as_str())
    {
        2
    } else {
        1
    };
    words
        .iter()
        .take(take)
        .map(|w| w.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(sql: &str) -> String {
        match check(sql) {
            Err(EngineError::Refused(m)) => m,
            other => panic!("{sql} was not refused: {other:?}"),
        }
    }

    #[test]
    fn queries_pass() {
        for sql in [
            "SELECT * FROM events",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "VALUES (1)",
            "EXPLAIN SELECT 1",
            "EXPLAIN ANALYZE SELECT count(*) FROM events",
            "select 1 union all select 2",
        ] {
            check(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }

    #[test]
    fn every_statement_that_could_write_or_change_the_session_is_refused() {
        let cases = [
            ("CREATE TABLE t AS SELECT 1", "CREATE TABLE"),
            (
                "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '/tmp/x'",
                "CREATE EXTERNAL TABLE",
            ),
            ("CREATE VIEW v AS SELECT 1", "CREATE VIEW"),
            ("DROP TABLE events", "DROP TABLE"),
            ("INSERT INTO events VALUES (1)", "INSERT"),
            ("UPDATE events SET principal = 'x'", "UPDATE"),
            ("DELETE FROM events", "DELETE"),
            ("COPY (SELECT 1) TO '/tmp/out.csv'", "COPY … TO"),
            ("COPY events TO '/tmp/out.parquet' STORED AS PARQUET", "COPY … TO"),
            ("SET datafusion.execution.batch_size = 1", "SET"),
            ("RESET datafusion.execution.batch_size", "RESET"),
            ("PREPARE p AS SELECT 1", "PREPARE"),
            ("EXECUTE p", "EXECUTE"),
            ("SELECT 1 INTO t", "SELECT … INTO"),
            ("EXPLAIN INSERT INTO events VALUES (1)", "INSERT"),
            ("TRUNCATE TABLE events", "TRUNCATE TABLE"),
            ("TRUNCATE events", "TRUNCATE is refused"),
            ("WITH a AS (SELECT 1) INSERT INTO events SELECT * FROM events", "INSERT"),
        ];
        for (sql, what) in cases {
            let message = refused(sql);
            assert!(message.contains(what), "{sql}: {message}");
            assert!(message.contains("read-only"), "{sql}: {message}");
        }
        assert!(refused("SELECT 1; DROP TABLE events").contains("one statement at a time"));
        assert!(refused("").contains("no SQL statement"));
    }
}
