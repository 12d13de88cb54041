//! Throwaway PostgreSQL databases, so that runs never collide and leave
//! nothing behind.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use sqlx::{Connection, Executor, PgConnection};

/// The PostgreSQL server the tests and the bench use when
/// `TEST_POSTGRES_URL` is not set.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// `TEST_POSTGRES_URL`, or [`DEFAULT_POSTGRES_URL`].
pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// A fresh database, dropped (with force: open connections are cut) when
/// this is dropped, even when the test that made it fails.
#[derive(Debug)]
pub struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    /// A database named `api_test_…` on [`postgres_url`].
    pub async fn create() -> anyhow::Result<PgDatabase> {
        PgDatabase::create_on(&postgres_url(), "api_test").await
    }

    /// A database named `<prefix>_<pid>_<n>_<nanos>` on the server of
    /// `admin_url`, which it connects to to create and drop it.
    pub async fn create_on(admin_url: &str, prefix: &str) -> anyhow::Result<PgDatabase> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!(
            "{prefix}_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
        );
        let mut admin = PgConnection::connect(admin_url).await.with_context(|| {
            format!("PostgreSQL is not reachable at {admin_url}; set TEST_POSTGRES_URL")
        })?;
        admin
            .execute(format!(r#"create database "{name}""#).as_str())
            .await
            .with_context(|| format!("create database {name}"))?;
        Ok(PgDatabase {
            url: with_database(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    /// The database's URL: the admin URL's, query string and all, with
    /// this database's name.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the caller's runtime, which cannot be blocked on:
        // use a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = admin
                        .execute(
                            format!(r#"drop database if exists "{name}" with (force)"#).as_str(),
                        )
                        .await;
                }
            });
        })
        .join();
    }
}

/// `postgres://…/name?opts` with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let server = base.rsplit_once('/').map(|(s, _)| s).unwrap_or(base);
    format!("{server}/{name}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_database_keeps_the_server_and_the_query() {
        assert_eq!(
            with_database("postgres://u@h:5432/test?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h/test", "x"),
            "postgres://u@h/x"
        );
    }
}
