//! The `backend` binary: parse the command line, start logging, run.

use anyhow::Result;
use clap::Parser;

#[tokio::main]
async fn main() -> Result<()> {
    // A `.env` file is optional; a real environment variable wins over it.
    dotenvy::dotenv().ok();
    let cli = backend::cli::Cli::parse();
    backend::telemetry::init();
    backend::cli::run(cli).await
}
