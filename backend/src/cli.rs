//! The command line: `serve` (the default), `create-user`,
//! `flush-expired-tokens`, `import-django-users`.

use std::io::{BufRead, Write};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::accounts::{AccountError, DEMO_USERS, create_user, ensure_demo_users};
use crate::clock::Clock;
use crate::config::{ServeArgs, Settings};
use crate::domain::NewUser;
use crate::server::App;
use crate::store::{self, Db};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "JWT authentication backend",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags of `serve`, which runs when no command is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

// Parsed once at start-up: the size of `serve`'s flags costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (and the built frontend, if there is one).
    Serve(ServeArgs),
    /// Create a user; the password is read from BACKEND_PASSWORD or stdin.
    CreateUser(CreateUserArgs),
    /// Delete refresh-token rows past their expiry (the server also does this periodically).
    FlushExpiredTokens(FlushArgs),
    /// Create users from the JSON of Django's `manage.py dumpdata auth.user`,
    /// with their ids and password hashes; existing usernames are skipped.
    ImportDjangoUsers(ImportArgs),
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// `sqlite://path` or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = crate::config::DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Debug, Args)]
pub struct FlushArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// The login throttle's window, in seconds: windows older than it (or
    /// than the registrations' hour) are deleted.
    #[arg(long, env = "LOGIN_WINDOW_SECS", default_value_t = crate::config::DEFAULT_LOGIN_WINDOW_SECS)]
    pub login_window_secs: u64,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The output of `manage.py dumpdata auth.user`, or `-` for standard input.
    pub file: std::path::PathBuf,
    /// The model label of the user entries: a custom `AUTH_USER_MODEL` with
    /// the fields of Django's own (any other entry is refused).
    #[arg(long, default_value = crate::import::DJANGO_USER_MODEL)]
    pub model: String,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct CreateUserArgs {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub first_name: Option<String>,
    #[arg(long)]
    pub last_name: Option<String>,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::CreateUser(args)) => create(args).await,
        Some(Command::FlushExpiredTokens(args)) => flush(args).await,
        Some(Command::ImportDjangoUsers(args)) => import_django_users(args).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = Settings::try_from(args)?;
    let demo = settings.demo;
    let serving_frontend = settings.static_dir.clone();
    let app = App::build(settings).await?;
    // The first line names the bound address, so tools that start us on
    // port 0 can read where we are.
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{}", app.address())?;
    if let Some(dir) = serving_frontend {
        writeln!(out, "serving the frontend from {}", dir.display())?;
    }
    if demo {
        ensure_demo_users(&app.state().db)
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the demo users: {e}"))?;
        for (username, password, first, last) in DEMO_USERS {
            writeln!(out, "demo user: {username} / {password} ({first} {last})")?;
        }
    }
    out.flush()?;
    drop(out);
    tracing::info!(address = %app.address(), "serving");
    app.run_until_stopped().await
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("BACKEND_PASSWORD") {
        return Ok(password);
    }
    eprintln!("password (one line on stdin):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn create(args: CreateUserArgs) -> anyhow::Result<()> {
    let body = shared::RegisterBody {
        username: Some(args.username),
        password: Some(read_password()?),
        email: args.email,
        first_name: args.first_name,
        last_name: args.last_name,
    };
    let user = NewUser::try_from(body).map_err(|errors| describe(AccountError::Invalid(errors)))?;
    let db = Db::connect(&args.db.database_url).await?;
    let row = create_user(&db, user).await.map_err(describe)?;
    println!("created user {} ({})", row.id, row.username);
    Ok(())
}

fn describe(err: AccountError) -> anyhow::Error {
    let text = err.to_string().replace('\n', "\n  ");
    anyhow::anyhow!("cannot create the user:\n  {text}")
}

async fn flush(args: FlushArgs) -> anyhow::Result<()> {
    let db = Db::connect(&args.db.database_url).await?;
    let login_window = std::time::Duration::from_secs(args.login_window_secs);
    let window = login_window.max(crate::auth::rate_limit::REGISTER_WINDOW);
    let (tokens, windows) = store::flush_expired(&db, Clock::system().now(), window).await?;
    println!("deleted {tokens} expired refresh tokens and {windows} throttle windows");
    Ok(())
}

async fn import_django_users(args: ImportArgs) -> anyhow::Result<()> {
    let name = args.file.display().to_string();
    let json = if name == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .context("cannot read the users from standard input")?;
        bytes
    } else {
        std::fs::read(&args.file).with_context(|| format!("cannot read {name}"))?
    };
    let parsed = crate::import::parse(&json, &args.model)
        .map_err(|e| anyhow::anyhow!("cannot import {name}: {e}; nothing was imported"))?;
    let db = Db::connect(&args.db.database_url).await?;
    let report = crate::import::import(&db, &parsed)
        .await
        .with_context(|| format!("cannot import {name}; nothing was imported"))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "created {} users", report.created.len())?;
    if !report.skipped.is_empty() {
        writeln!(out, "skipped {} users:", report.skipped.len())?;
        for skipped in &report.skipped {
            writeln!(out, "  {skipped}")?;
        }
    }
    if !report.unusable_password.is_empty() {
        writeln!(
            out,
            "{} created users have a password this server cannot check (Django's unusable \
             password, or a hasher other than pbkdf2_sha256 and argon2), and cannot log in \
             until it is set again: {}",
            report.unusable_password.len(),
            report.unusable_password.join(", ")
        )?;
    }
    Ok(())
}
