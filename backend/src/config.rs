//! Settings: each one a `serve` flag and an environment variable (and so a
//! `.env` line). Invalid settings stop the program with a message naming the
//! variable.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

/// Flags of `backend serve`. Each doc comment is its `--help`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8000")]
    pub bind: String,
    /// `sqlite://path` (created if missing) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "ACCESS_TTL_SECS", default_value_t = 300)]
    pub access_ttl_secs: u64,
    /// Lifetime of a refresh token, in seconds (sliding, renewed on rotation).
    #[arg(long, env = "REFRESH_TTL_SECS", default_value_t = 86_400)]
    pub refresh_ttl_secs: u64,
    /// Longest a login session can be kept alive by refreshing, in seconds.
    #[arg(long, env = "SESSION_MAX_SECS", default_value_t = 604_800)]
    pub session_max_secs: u64,
    /// Seconds after a rotation during which presenting the old refresh
    /// token is refused without revoking the session.
    #[arg(long, env = "REUSE_GRACE_SECS", default_value_t = 10)]
    pub reuse_grace_secs: u64,
    /// Clock-skew allowance when checking `exp`, in seconds.
    #[arg(long, env = "LEEWAY_SECS", default_value_t = 0)]
    pub leeway_secs: u64,
    /// Whether a refresh returns a new refresh token and blacklists the old.
    #[arg(long, env = "ROTATE_REFRESH_TOKENS", default_value_t = true, action = clap::ArgAction::Set)]
    pub rotate_refresh_tokens: bool,
    /// Failed logins (per username and client address) before logins are refused.
    #[arg(long, env = "LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u32,
    /// Window in which failed logins are counted, in seconds.
    #[arg(long, env = "LOGIN_WINDOW_SECS", default_value_t = DEFAULT_LOGIN_WINDOW_SECS)]
    pub login_window_secs: u64,
    /// Failed logins per client address, across all usernames, in the
    /// window before that address's logins are refused (IPv6: per /64).
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_ADDRESS", default_value_t = 100)]
    pub login_max_failures_per_address: u32,
    /// Registrations per client address per hour (IPv6: per /64).
    #[arg(long, env = "REGISTER_MAX_PER_ADDRESS", default_value_t = 100)]
    pub register_max_per_address: u32,
    /// Signing algorithm: `HS256` or `EdDSA`.
    #[arg(long, env = "JWT_ALG", default_value = "HS256")]
    pub jwt_alg: String,
    /// HS256 secret (at least 32 bytes). Prefer JWT_SECRET_FILE.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// File holding the HS256 secret; generated (mode 0600) if missing.
    #[arg(long, env = "JWT_SECRET_FILE")]
    pub jwt_secret_file: Option<PathBuf>,
    /// PEM (PKCS#8) Ed25519 private key for EdDSA; generated (mode 0600) if missing.
    #[arg(long, env = "JWT_KEY_FILE")]
    pub jwt_key_file: Option<PathBuf>,
    /// Accepted `Authorization` prefixes, comma-separated.
    #[arg(long, env = "AUTH_HEADER_PREFIXES", default_value = "Bearer,JWT")]
    pub auth_header_prefixes: String,
    /// Origins allowed by CORS, comma-separated (`*` for any). None by default.
    #[arg(long, env = "CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Reverse proxies or load balancers whose `X-Forwarded-For` is believed
    /// (comma-separated addresses or networks, e.g. `10.0.0.0/8`). None by
    /// default: the connection's peer is the client.
    #[arg(long, env = "TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Directory of the built frontend to serve (default `frontend/dist` if it exists).
    #[arg(long, env = "STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
    /// Create the demo users `user1` and `user2` if they are missing.
    #[arg(long)]
    pub demo: bool,
    /// Most client connections served at once; further ones wait to be
    /// accepted until one closes.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 512)]
    pub max_connections: usize,
    /// What a login names the account by: `username` or `email` (djoser's
    /// LOGIN_FIELD). With `email`, registration takes an email instead of a
    /// username.
    #[arg(long, env = "LOGIN_FIELD", default_value = "username")]
    pub login_field: String,
    /// Serve djangorestframework-jwt's single-token protocol at
    /// `/api-token-auth/`, `/api-token-refresh/` and `/api-token-verify/`.
    #[arg(long, env = "DRF_JWT", default_value_t = false, action = clap::ArgAction::Set)]
    pub drf_jwt: bool,
    /// Lifetime of a djangorestframework-jwt token, in seconds.
    #[arg(long, env = "DRF_JWT_TTL_SECS", default_value_t = 300)]
    pub drf_jwt_ttl_secs: u64,
    /// Extra paths for endpoints, comma-separated `alias=target` pairs, e.g.
    /// `/auth/obtain_token/=/api-token-auth/`.
    #[arg(long, env = "PATH_ALIASES")]
    pub path_aliases: Option<String>,
    /// Where mail goes: `log` (written to the log, links included) or
    /// `smtp://[user:password@]host:port[?tls=starttls|tls]`.
    #[arg(long, env = "EMAIL_URL", default_value = "log", hide_env_values = true)]
    pub email_url: String,
    /// The sender of every mail.
    #[arg(long, env = "EMAIL_FROM", default_value = "no-reply@localhost")]
    pub email_from: String,
    /// Where users open the app: the start of every link in a mail.
    #[arg(long, env = "PUBLIC_URL", default_value = "http://127.0.0.1:8000")]
    pub public_url: String,
    /// How long a link mailed for activation, a password reset or a
    /// username reset works, in seconds.
    #[arg(long, env = "PASSWORD_RESET_TIMEOUT_SECS", default_value_t = 259_200)]
    pub password_reset_timeout_secs: u64,
    /// New accounts are inactive until activated through a mailed link.
    #[arg(long, env = "SEND_ACTIVATION_EMAIL", default_value_t = false, action = clap::ArgAction::Set)]
    pub send_activation_email: bool,
}

/// `DATABASE_URL`'s default, for `serve` and the other commands alike.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/app.db";
/// `LOGIN_WINDOW_SECS`'s default, for `serve` and `flush-expired-tokens`.
pub const DEFAULT_LOGIN_WINDOW_SECS: u64 = 900;

impl ServeArgs {
    /// Every setting at its default, as the attributes above write them
    /// (the one place they are written), whatever the environment says.
    pub fn defaults() -> ServeArgs {
        ServeArgs::from_variables(&[]).expect("the defaults parse")
    }

    /// The settings these environment variables (`("DRF_JWT", "true")`, as
    /// a `.env` or the README writes them) give, with every other one at
    /// its default whatever the process's environment says: for tests that
    /// start a server as a README section configures it.
    pub fn from_variables(variables: &[(&str, &str)]) -> Result<ServeArgs, String> {
        use clap::{Args, FromArgMatches};
        let mut command = ServeArgs::augment_args(clap::Command::new("serve"));
        let mut argv = vec!["serve".to_owned()];
        for (name, value) in variables {
            let long = command
                .get_arguments()
                .find(|a| a.get_env() == Some(std::ffi::OsStr::new(name)))
                .and_then(|a| a.get_long())
                .ok_or_else(|| format!("{name} is not a setting"))?;
            argv.push(format!("--{long}={value}"));
        }
        let ids: Vec<clap::Id> = command
            .get_arguments()
            .map(|a| a.get_id().clone())
            .collect();
        for id in ids {
            command = command.mut_arg(id, |arg| arg.env(None));
        }
        let matches = command
            .try_get_matches_from(argv)
            .map_err(|e| e.to_string())?;
        ServeArgs::from_arg_matches(&matches).map_err(|e| e.to_string())
    }
}

/// A secret that never shows itself in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// Where the signing key comes from.
#[derive(Debug, Clone)]
pub enum Signing {
    /// HMAC-SHA256 with `secret`, or else the secret kept in `secret_file`.
    Hs256 {
        secret: Option<Secret>,
        secret_file: PathBuf,
    },
    /// Ed25519 with the private key in `key_file`; public keys go to JWKS.
    EdDsa { key_file: PathBuf },
}

/// Token lifetimes and rotation policy.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub session_max: Duration,
    pub reuse_grace: Duration,
    pub leeway: Duration,
    pub rotate: bool,
}

/// Login throttling.
#[derive(Debug, Clone)]
pub struct LoginLimit {
    /// Per username and client address.
    pub max_failures: u32,
    /// Per client address, across usernames.
    pub max_failures_per_address: u32,
    pub window: Duration,
}

/// djoser's `LOGIN_FIELD`: what log-in bodies name the account by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginField {
    Username,
    /// Logins send `email`; registration needs one (unique, ignoring case)
    /// and makes it the username.
    Email,
}

impl LoginField {
    /// The body field that names the account.
    pub fn name(self) -> &'static str {
        match self {
            LoginField::Username => "username",
            LoginField::Email => "email",
        }
    }
}

/// One `PATH_ALIASES` pair: `alias` answers as `target` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathAlias {
    /// Written with its trailing slash, like every path of the API.
    pub alias: String,
    pub target: String,
}

/// Where mail goes (`EMAIL_URL`).
#[derive(Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// Into the log, links included: a newcomer follows them from there.
    Log,
    Smtp {
        host: String,
        port: u16,
        tls: SmtpTls,
        credentials: Option<(String, Secret)>,
    },
}

impl fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailTransport::Log => f.write_str("Log"),
            MailTransport::Smtp {
                host, port, tls, ..
            } => {
                write!(f, "Smtp({host}:{port}, {tls:?})")
            }
        }
    }
}

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP (a local relay, or MailDev in the tests).
    None,
    /// Plain, then upgraded with STARTTLS (refused if the server cannot).
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

/// The account lifecycle's mail (API.md Part 2).
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub from: String,
    /// Without a trailing slash.
    pub public_url: String,
    pub link_timeout: Duration,
    pub send_activation: bool,
}

/// Validated settings of a running server.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: String,
    pub tokens: TokenSettings,
    pub login_limit: LoginLimit,
    /// Registrations per client address per hour.
    pub register_max_per_address: u32,
    pub signing: Signing,
    pub auth_prefixes: Vec<String>,
    /// Empty: no CORS headers. `["*"]`: any origin.
    pub cors_origins: Vec<String>,
    /// Peers whose `X-Forwarded-For` names the client (see `forwarded`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub static_dir: Option<PathBuf>,
    pub demo: bool,
    /// API.md "Slow clients". Not operator settings: the contract fixes
    /// them; they are fields so that tests can shorten them.
    pub timeouts: crate::app::Timeouts,
    /// Connections served at once (`MAX_CONNECTIONS`).
    pub max_connections: usize,
    pub login_field: LoginField,
    /// With `DRF_JWT=true`, the lifetime of its tokens.
    pub drf_jwt: Option<Duration>,
    /// Checked against the routes when the server is built (`routes`).
    pub path_aliases: Vec<PathAlias>,
    pub mail: MailSettings,
}

/// A setting that cannot be used, named by its environment variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        reason: reason.into(),
    }
}

fn positive(name: &'static str, secs: u64) -> Result<Duration, ConfigError> {
    if secs == 0 {
        return Err(invalid(name, "must be at least 1 second"));
    }
    Ok(Duration::from_secs(secs))
}

/// The smallest HS256 secret we accept: the hash's own output size.
const MIN_SECRET_BYTES: usize = 32;

impl TryFrom<ServeArgs> for Settings {
    type Error = ConfigError;

    fn try_from(args: ServeArgs) -> Result<Self, ConfigError> {
        let bind = args
            .bind
            .parse()
            .map_err(|e| invalid("BIND", format!("{:?} is not host:port ({e})", args.bind)))?;
        let database_url = args.database_url.trim().to_owned();
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "DATABASE_URL",
                "must start with sqlite: or postgres://",
            ));
        }
        let tokens = TokenSettings {
            access_ttl: positive("ACCESS_TTL_SECS", args.access_ttl_secs)?,
            refresh_ttl: positive("REFRESH_TTL_SECS", args.refresh_ttl_secs)?,
            session_max: positive("SESSION_MAX_SECS", args.session_max_secs)?,
            reuse_grace: Duration::from_secs(args.reuse_grace_secs),
            leeway: Duration::from_secs(args.leeway_secs),
            rotate: args.rotate_refresh_tokens,
        };
        if args.login_max_failures == 0 {
            return Err(invalid("LOGIN_MAX_FAILURES", "must be at least 1"));
        }
        if args.login_max_failures_per_address == 0 {
            return Err(invalid(
                "LOGIN_MAX_FAILURES_PER_ADDRESS",
                "must be at least 1",
            ));
        }
        if args.register_max_per_address == 0 {
            return Err(invalid("REGISTER_MAX_PER_ADDRESS", "must be at least 1"));
        }
        let login_limit = LoginLimit {
            max_failures: args.login_max_failures,
            max_failures_per_address: args.login_max_failures_per_address,
            window: positive("LOGIN_WINDOW_SECS", args.login_window_secs)?,
        };
        let signing = match args.jwt_alg.as_str() {
            "HS256" => {
                let secret = match args.jwt_secret {
                    Some(s) if s.len() < MIN_SECRET_BYTES => {
                        return Err(invalid(
                            "JWT_SECRET",
                            format!("must be at least {MIN_SECRET_BYTES} bytes"),
                        ));
                    }
                    other => other.map(Secret),
                };
                Signing::Hs256 {
                    secret,
                    secret_file: args
                        .jwt_secret_file
                        .unwrap_or_else(|| PathBuf::from("data/jwt-secret")),
                }
            }
            "EdDSA" => Signing::EdDsa {
                key_file: args
                    .jwt_key_file
                    .unwrap_or_else(|| PathBuf::from("data/jwt-ed25519.pem")),
            },
            other => {
                return Err(invalid(
                    "JWT_ALG",
                    format!("{other:?} is not supported (use HS256 or EdDSA)"),
                ));
            }
        };
        let auth_prefixes: Vec<String> = split_list(&args.auth_header_prefixes);
        if auth_prefixes.is_empty() {
            return Err(invalid("AUTH_HEADER_PREFIXES", "must name at least one"));
        }
        let cors_origins = split_list(args.cors_origins.as_deref().unwrap_or(""));
        for origin in &cors_origins {
            if origin != "*" && !(origin.starts_with("http://") || origin.starts_with("https://")) {
                return Err(invalid(
                    "CORS_ORIGINS",
                    format!("{origin:?} is not an origin like https://app.example.com"),
                ));
            }
        }
        let trusted_proxies =
            crate::forwarded::parse_trusted(args.trusted_proxies.as_deref().unwrap_or(""))
                .map_err(|reason| invalid("TRUSTED_PROXIES", reason))?;
        let static_dir = match args.static_dir {
            Some(dir) if !dir.join("index.html").is_file() => {
                return Err(invalid(
                    "STATIC_DIR",
                    format!("{} has no index.html", dir.display()),
                ));
            }
            Some(dir) => Some(dir),
            None => Some(PathBuf::from("frontend/dist")).filter(|d| d.join("index.html").is_file()),
        };
        let login_field = match args.login_field.trim() {
            "username" => LoginField::Username,
            "email" => LoginField::Email,
            other => {
                return Err(invalid(
                    "LOGIN_FIELD",
                    format!("{other:?} is neither username nor email"),
                ));
            }
        };
        let drf_jwt = args
            .drf_jwt
            .then(|| positive("DRF_JWT_TTL_SECS", args.drf_jwt_ttl_secs))
            .transpose()?;
        let path_aliases = parse_aliases(args.path_aliases.as_deref().unwrap_or(""))
            .map_err(|reason| invalid("PATH_ALIASES", reason))?;
        let mail = MailSettings {
            transport: parse_email_url(args.email_url.trim())
                .map_err(|reason| invalid("EMAIL_URL", reason))?,
            from: match args.email_from.trim() {
                from if from.parse::<lettre::message::Mailbox>().is_ok() => from.to_owned(),
                from => return Err(invalid("EMAIL_FROM", format!("{from:?} is not an address"))),
            },
            public_url: match url::Url::parse(args.public_url.trim()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                    args.public_url.trim().trim_end_matches('/').to_owned()
                }
                _ => {
                    return Err(invalid(
                        "PUBLIC_URL",
                        format!(
                            "{:?} is not a URL like https://app.example.com",
                            args.public_url
                        ),
                    ));
                }
            },
            link_timeout: positive(
                "PASSWORD_RESET_TIMEOUT_SECS",
                args.password_reset_timeout_secs,
            )?,
            send_activation: args.send_activation_email,
        };
        Ok(Settings {
            bind,
            database_url,
            tokens,
            login_limit,
            register_max_per_address: args.register_max_per_address,
            signing,
            auth_prefixes,
            cors_origins,
            trusted_proxies,
            static_dir,
            demo: args.demo,
            timeouts: crate::app::Timeouts::API,
            max_connections: match args.max_connections {
                0 => return Err(invalid("MAX_CONNECTIONS", "must be at least 1")),
                n => n,
            },
            login_field,
            drf_jwt,
            path_aliases,
            mail,
        })
    }
}

/// `log`, or `smtp://[user:password@]host:port[?tls=starttls|tls]`.
fn parse_email_url(raw: &str) -> Result<MailTransport, String> {
    if raw == "log" {
        return Ok(MailTransport::Log);
    }
    let shape = "is not log or smtp://[user:password@]host:port[?tls=starttls|tls]";
    let url = url::Url::parse(raw).map_err(|_| format!("the value {shape}"))?;
    let host = url.host_str().filter(|h| !h.is_empty());
    let (Some(host), "smtp") = (host, url.scheme()) else {
        return Err(format!("the value {shape}"));
    };
    let mut tls = SmtpTls::None;
    for (key, value) in url.query_pairs() {
        tls = match (key.as_ref(), value.as_ref()) {
            ("tls", "starttls") => SmtpTls::StartTls,
            ("tls", "tls") => SmtpTls::Tls,
            _ => return Err(format!("?{key}={value} is not tls=starttls or tls=tls")),
        };
    }
    let port = url.port().unwrap_or(match tls {
        SmtpTls::Tls => 465,
        SmtpTls::StartTls => 587,
        SmtpTls::None => 25,
    });
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let credentials = match (url.username(), url.password()) {
        ("", None) => None,
        (user, password) => Some((decode(user), Secret::new(decode(password.unwrap_or(""))))),
    };
    Ok(MailTransport::Smtp {
        host: host.trim_matches(['[', ']']).to_owned(),
        port,
        tls,
        credentials,
    })
}

/// `alias=target,alias=target`. Each side must be a plain path (axum would
/// read `{…}` and `*` as parameters); whether the target exists is checked
/// against the routes when they are built.
fn parse_aliases(raw: &str) -> Result<Vec<PathAlias>, String> {
    let mut aliases: Vec<PathAlias> = Vec::new();
    for pair in split_list(raw) {
        let Some((alias, target)) = pair.split_once('=') else {
            return Err(format!("{pair:?} is not alias=target"));
        };
        let (alias, target) = (with_slash(alias.trim())?, with_slash(target.trim())?);
        if alias == target {
            return Err(format!("{alias} is an alias of itself"));
        }
        if aliases.iter().any(|a| a.alias == alias) {
            return Err(format!("{alias} is given twice"));
        }
        aliases.push(PathAlias { alias, target });
    }
    Ok(aliases)
}

/// A path written with its trailing slash, or why it cannot be one.
fn with_slash(path: &str) -> Result<String, String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/-_.~".contains(c);
    if !path.starts_with('/') || path.contains("//") || !path.chars().all(plain) {
        return Err(format!(
            "{path:?} is not a path like /auth/obtain_token/ (letters, digits, / - _ . ~)"
        ));
    }
    if path == "/" {
        return Err("/ cannot be an alias or a target".to_owned());
    }
    Ok(format!("{}/", path.trim_end_matches('/')))
}

fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Settings {
    /// Defaults with everything kept under `dir` and a free port: what tests
    /// and tools start from before adjusting fields.
    pub fn local(dir: &Path) -> Self {
        Settings::local_with(dir, ServeArgs::defaults())
            .expect("the defaults of ServeArgs are valid settings")
    }

    /// [`Settings::local`] with `args` instead of the defaults (see
    /// [`ServeArgs::from_variables`]).
    pub fn local_with(dir: &Path, args: ServeArgs) -> Result<Self, ConfigError> {
        let defaults = Settings::try_from(args)?;
        Ok(Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: format!("sqlite://{}", dir.join("app.db").display()),
            signing: Signing::Hs256 {
                secret: None,
                secret_file: dir.join("jwt-secret"),
            },
            static_dir: None,
            ..defaults
        })
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn parse(flags: &[&str]) -> Result<Settings, ConfigError> {
        let mut argv = vec!["backend"];
        argv.extend_from_slice(flags);
        Settings::try_from(Wrapper::parse_from(argv).args)
    }

    #[test]
    fn a_bad_bind_address_names_bind() {
        let err = parse(&["--bind", "nowhere"]).unwrap_err();
        assert_eq!(err.name, "BIND");
    }

    #[test]
    fn an_unknown_algorithm_names_jwt_alg() {
        let err = parse(&["--jwt-alg", "none"]).unwrap_err();
        assert_eq!(err.name, "JWT_ALG");
    }

    #[test]
    fn a_short_secret_is_refused() {
        let err = parse(&["--jwt-secret", "short"]).unwrap_err();
        assert_eq!(err.name, "JWT_SECRET");
    }

    #[test]
    fn a_zero_lifetime_is_refused() {
        let err = parse(&["--access-ttl-secs", "0"]).unwrap_err();
        assert_eq!(err.name, "ACCESS_TTL_SECS");
    }

    #[test]
    fn an_unknown_database_is_refused() {
        let err = parse(&["--database-url", "mysql://x"]).unwrap_err();
        assert_eq!(err.name, "DATABASE_URL");
    }

    #[test]
    fn address_limits_must_allow_something() {
        let err = parse(&["--login-max-failures-per-address", "0"]).unwrap_err();
        assert_eq!(err.name, "LOGIN_MAX_FAILURES_PER_ADDRESS");
        let err = parse(&["--register-max-per-address", "0"]).unwrap_err();
        assert_eq!(err.name, "REGISTER_MAX_PER_ADDRESS");
        let settings = parse(&[]).unwrap();
        assert_eq!(settings.login_limit.max_failures_per_address, 100);
        assert_eq!(settings.register_max_per_address, 100);
    }

    #[test]
    fn local_settings_are_the_defaults_kept_in_a_directory() {
        let dir = Path::new("/tmp/somewhere");
        let local = Settings::local(dir);
        let defaults = parse(&[]).unwrap();
        assert_eq!(local.bind.port(), 0);
        assert!(local.database_url.ends_with("/tmp/somewhere/app.db"));
        assert_eq!(local.tokens.access_ttl, Duration::from_secs(300));
        assert_eq!(local.tokens.access_ttl, defaults.tokens.access_ttl);
        assert_eq!(
            local.login_limit.max_failures,
            defaults.login_limit.max_failures
        );
        assert_eq!(local.max_connections, defaults.max_connections);
        assert_eq!(local.auth_prefixes, ["Bearer", "JWT"]);
    }

    #[test]
    fn prefixes_are_a_trimmed_list() {
        let settings = parse(&["--auth-header-prefixes", " Bearer , Token "]).unwrap();
        assert_eq!(settings.auth_prefixes, ["Bearer", "Token"]);
    }

    #[test]
    fn login_field_is_username_or_email() {
        assert_eq!(parse(&[]).unwrap().login_field, LoginField::Username);
        let email = parse(&["--login-field", "email"]).unwrap();
        assert_eq!(email.login_field, LoginField::Email);
        let err = parse(&["--login-field", "phone"]).unwrap_err();
        assert_eq!(err.name, "LOGIN_FIELD");
    }

    #[test]
    fn drf_jwt_is_off_by_default_and_has_a_lifetime() {
        assert_eq!(parse(&[]).unwrap().drf_jwt, None);
        let on = parse(&["--drf-jwt", "true", "--drf-jwt-ttl-secs", "3600"]).unwrap();
        assert_eq!(on.drf_jwt, Some(Duration::from_secs(3600)));
        let err = parse(&["--drf-jwt", "true", "--drf-jwt-ttl-secs", "0"]).unwrap_err();
        assert_eq!(err.name, "DRF_JWT_TTL_SECS");
    }

    #[test]
    fn aliases_are_pairs_of_plain_paths_written_with_a_slash() {
        let settings = parse(&[
            "--path-aliases",
            "/auth/obtain_token=/api-token-auth/, /auth/refresh_token/=/api-token-refresh",
        ])
        .unwrap();
        assert_eq!(
            settings.path_aliases,
            [
                PathAlias {
                    alias: "/auth/obtain_token/".into(),
                    target: "/api-token-auth/".into()
                },
                PathAlias {
                    alias: "/auth/refresh_token/".into(),
                    target: "/api-token-refresh/".into()
                },
            ]
        );
        for bad in [
            "/a/",
            "a/=/api/token/",
            "/a/{id}/=/api/token/",
            "/a/*x=/api/token/",
            "/a/=/a",
            "/a/=/api/token/,/a=/api/users/",
            "/=/api/token/",
        ] {
            let err = parse(&["--path-aliases", bad]).unwrap_err();
            assert_eq!(err.name, "PATH_ALIASES", "{bad}");
        }
    }

    #[test]
    fn settings_can_be_given_as_their_variables() {
        let args = ServeArgs::from_variables(&[("DRF_JWT", "true"), ("LOGIN_FIELD", "email")]);
        let settings = Settings::try_from(args.unwrap()).unwrap();
        assert_eq!(settings.drf_jwt, Some(Duration::from_secs(300)));
        assert_eq!(settings.login_field, LoginField::Email);
        assert!(ServeArgs::from_variables(&[("NO_SUCH", "1")]).is_err());
    }

    #[test]
    fn email_url_is_log_or_smtp() {
        assert_eq!(parse(&[]).unwrap().mail.transport, MailTransport::Log);
        let smtp = parse(&[
            "--email-url",
            "smtp://ann:p%40ss@mail.example.com:2525?tls=starttls",
        ]);
        let MailTransport::Smtp {
            host,
            port,
            tls,
            credentials,
        } = smtp.unwrap().mail.transport
        else {
            panic!("not smtp");
        };
        assert_eq!(
            (host.as_str(), port, tls),
            ("mail.example.com", 2525, SmtpTls::StartTls)
        );
        let (user, password) = credentials.unwrap();
        assert_eq!((user.as_str(), password.expose()), ("ann", "p@ss"));
        let tls = parse(&["--email-url", "smtp://mail.example.com?tls=tls"]).unwrap();
        assert!(matches!(
            tls.mail.transport,
            MailTransport::Smtp {
                port: 465,
                tls: SmtpTls::Tls,
                ..
            }
        ));
        for bad in ["smtp:///", "http://x:25", "smtp://x:25?tls=maybe", "mail"] {
            assert_eq!(
                parse(&["--email-url", bad]).unwrap_err().name,
                "EMAIL_URL",
                "{bad}"
            );
        }
        let shown = format!(
            "{:?}",
            parse(&["--email-url", "smtp://u:hunter2@x:25"]).unwrap()
        );
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn mail_addresses_and_links_are_checked() {
        let defaults = parse(&[]).unwrap().mail;
        assert_eq!(defaults.public_url, "http://127.0.0.1:8000");
        assert_eq!(defaults.from, "no-reply@localhost");
        assert_eq!(defaults.link_timeout, Duration::from_secs(259_200));
        assert!(!defaults.send_activation);
        let trimmed = parse(&["--public-url", "https://app.example.com/"]).unwrap();
        assert_eq!(trimmed.mail.public_url, "https://app.example.com");
        assert_eq!(
            parse(&["--public-url", "app.example.com"])
                .unwrap_err()
                .name,
            "PUBLIC_URL"
        );
        assert_eq!(
            parse(&["--email-from", "not an address"]).unwrap_err().name,
            "EMAIL_FROM"
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let shown = format!("{:?}", Secret::new("hunter2hunter2"));
        assert!(!shown.contains("hunter2"));
    }
}
