//! The server's lifecycle: bind, migrate, serve with hyper's limits, clean
//! up expired rows now and then, shut down gracefully.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::serve::Listener;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::{Service, ServiceExt};

use crate::app::{Timeouts, build_router};
use crate::auth::jwt::Jwt;
use crate::auth::keys::SigningKeys;
use crate::auth::{password, rate_limit};
use crate::clock::Clock;
use crate::config::Settings;
use crate::state::{AppState, Services};
use crate::store::{self, Db};

/// How often expired refresh tokens and old login failures are deleted.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(15 * 60);

/// A bound, migrated server, not yet serving.
pub struct App {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
}

impl App {
    /// Opens and migrates the database, loads the signing keys and binds the
    /// listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        App::build_with_clock(settings, Clock::system()).await
    }

    /// [`App::build`] with another clock: tests move theirs.
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<App> {
        crate::routes::check_aliases(&settings)?;
        let db = Db::connect(&settings.database_url).await?;
        crate::accounts::normalize_stored_usernames(&db).await?;
        let keys = SigningKeys::load(&settings.signing)?;
        let jwt = Jwt::new(keys, settings.tokens.clone());
        tokio::task::spawn_blocking(password::warm_up).await?;
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("invalid setting BIND: cannot listen on {}", settings.bind))?;
        let address = listener.local_addr()?;
        let mailer = crate::mail::Mailer::new(&settings.mail)?;
        let state = AppState::new(Services {
            mailer,
            db,
            jwt: Arc::new(jwt),
            settings: Arc::new(settings),
            hash_queue: Arc::default(),
            clock,
        });
        Ok(App {
            listener,
            address,
            state,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let housekeeping = tokio::spawn(housekeeping(self.state.clone()));
        let timeouts = self.state.settings.timeouts;
        let max_connections = self.state.settings.max_connections;
        let router = build_router(self.state);
        serve(self.listener, router, timeouts, max_connections, stop).await;
        housekeeping.abort();
        Ok(())
    }
}

/// What `axum::serve` does, plus what it cannot be told: hyper's header
/// read timeout (API.md "Slow clients") and a cap on open connections.
/// Stops accepting when `stop` completes, then waits for the requests in
/// flight (hyper closes idle connections at once).
async fn serve(
    mut listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    max_connections: usize,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let mut http = hyper::server::conn::http1::Builder::new();
    // Without a timer hyper ignores the header read timeout.
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.headers);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(max_connections));
    let mut stop = std::pin::pin!(stop);
    loop {
        // A slot first, then accept: over the cap, new connections wait in
        // the kernel's backlog instead of each costing a task and buffers.
        let accepted = tokio::select! {
            biased;
            () = &mut stop => break,
            accepted = async {
                let slot = Arc::clone(&slots).acquire_owned().await;
                (slot, Listener::accept(&mut listener).await)
            } => accepted,
        };
        let (Ok(slot), (stream, peer)) = accepted else {
            unreachable!("the semaphore is never closed");
        };
        // The router's make-service is always ready and infallible; it
        // gives each connection its `ConnectInfo<SocketAddr>`.
        let Ok(service) = make_service.call(peer).await;
        let service =
            service.map_request(|request: Request<hyper::body::Incoming>| request.map(Body::new));
        let connection = graceful
            .watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Timeouts and clients that hang up: not the server's fault.
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

async fn housekeeping(state: AppState) {
    let mut every = tokio::time::interval(HOUSEKEEPING_EVERY);
    loop {
        every.tick().await;
        let window = rate_limit::longest_window(&state.settings.login_limit);
        match store::flush_expired(&state.db, state.clock.now(), window).await {
            Ok((tokens, failures)) => {
                tracing::debug!(tokens, failures, "deleted expired rows")
            }
            Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
        }
    }
}

/// Ctrl-C or SIGTERM. The SIGTERM handler is installed by this call, not
/// when the future is first polled: a SIGTERM sent as soon as the server
/// has answered must not meet the default action (exit at once).
fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let terminate = async move {
            match terminate {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = terminate => {},
        }
        tracing::info!("shutting down");
    }
}
