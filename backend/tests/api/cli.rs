//! The real `backend` binary: `create-user`, `serve` (with and without
//! `--demo`), configuration errors and `flush-expired-tokens`. Each test
//! runs it on a SQLite file in a temporary directory, with an environment of
//! nothing but what the test sets.

use std::process::{Output, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use shared::TokenPair;
use tempfile::TempDir;
use testkit::ServerProcess;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// How long a command may take before the test calls it hung.
const PATIENCE: Duration = Duration::from_secs(60);

/// A directory holding one installation's database and signing secret.
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The binary with `args`, in the sandbox, with only PATH, DATABASE_URL,
    /// JWT_SECRET_FILE and `env` set.
    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backend"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", self.dir.path().join("app.db").display()),
            )
            .env("JWT_SECRET_FILE", self.dir.path().join("jwt-secret"))
            .envs(env.iter().copied())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs a command that is expected to finish, feeding it `stdin`.
    async fn run(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
        let mut command = self.command(args, env);
        if stdin.is_some() {
            command.stdin(Stdio::piped());
        }
        let mut child = command.spawn().expect("the binary starts");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(input.as_bytes()).await.expect("write stdin");
            drop(pipe);
        }
        tokio::time::timeout(PATIENCE, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("`backend {}` did not finish", args.join(" ")))
            .expect("wait for the binary")
    }

    /// `create-user` with a password from BACKEND_PASSWORD, expected to work.
    async fn create_user(&self, username: &str, password: &str, flags: &[&str]) -> Output {
        let mut args = vec!["create-user", "--username", username];
        args.extend_from_slice(flags);
        let output = self
            .run(&args, &[("BACKEND_PASSWORD", password)], None)
            .await;
        assert_success(&output);
        output
    }

    /// `serve` on a free port, once it has said where it listens, with
    /// PATH and `env` in its environment.
    async fn serve(&self, flags: &[&str], env: &[(&str, &str)]) -> ServerProcess {
        let server = ServerProcess::command(env!("CARGO_BIN_EXE_backend"), self.dir.path())
            .args(flags)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .start()
            .await
            .expect("the server starts and says where it listens");
        assert!(
            server.url.starts_with("http://127.0.0.1:"),
            "{}",
            server.url
        );
        server
    }
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn create_user_makes_a_user_who_can_log_in() {
    let sandbox = Sandbox::new();

    let output = sandbox
        .create_user("alice", "correct horse battery", &["--first-name", "A"])
        .await;

    assert!(stdout(&output).contains("alice"), "{}", stdout(&output));
    let server = sandbox.serve(&[], &[]).await;
    let api = server.api();
    let tokens = api.login("alice", "correct horse battery").await.unwrap();
    let profile = api.profile(&tokens.access).await.unwrap();
    assert_eq!(profile.user.username, "alice");
    assert_eq!(profile.first_name, "A");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn create_user_reads_the_password_from_stdin_without_backend_password() {
    let sandbox = Sandbox::new();

    let output = sandbox
        .run(
            &["create-user", "--username", "bob"],
            &[],
            Some("typed on stdin 42\n"),
        )
        .await;

    assert_success(&output);
    let server = sandbox.serve(&[], &[]).await;
    server
        .api()
        .login("bob", "typed on stdin 42")
        .await
        .unwrap();
    server.stop().await.unwrap();
}

#[tokio::test]
async fn create_user_with_a_bad_password_fails_naming_the_rules_and_creates_nobody() {
    let sandbox = Sandbox::new();

    let output = sandbox
        .run(
            &["create-user", "--username", "carol"],
            &[("BACKEND_PASSWORD", "1234")],
            None,
        )
        .await;

    assert!(!output.status.success(), "a bad password was accepted");
    let message = stderr(&output);
    for words in ["password", "too short", "entirely numeric"] {
        assert!(message.contains(words), "{words:?} is not in {message}");
    }
    assert!(
        !message.contains("1234"),
        "the password is echoed: {message}"
    );
    sandbox
        .create_user("carol", "correct horse battery", &[])
        .await;
}

#[tokio::test]
async fn create_user_with_a_taken_username_fails() {
    let sandbox = Sandbox::new();
    sandbox
        .create_user("dave", "correct horse battery", &[])
        .await;

    let output = sandbox
        .run(
            &["create-user", "--username", "dave"],
            &[("BACKEND_PASSWORD", "another good one")],
            None,
        )
        .await;

    assert!(!output.status.success(), "a second dave was created");
    assert!(
        stderr(&output).contains("already exists"),
        "{}",
        stderr(&output)
    );
}

/// Reads the server's lines after the address until both demo users showed.
async fn demo_lines(server: &mut ServerProcess) -> Vec<String> {
    let mut lines = Vec::new();
    while lines.len() < 2 {
        let line = server.next_line().await.unwrap();
        if line.starts_with("demo user:") {
            lines.push(line);
        }
    }
    lines
}

#[tokio::test]
async fn serve_demo_prints_and_creates_the_demo_users_and_can_run_again() {
    let sandbox = Sandbox::new();

    let mut server = sandbox.serve(&["--demo"], &[]).await;

    let printed = demo_lines(&mut server).await;
    assert!(
        printed[0].contains("user1") && printed[0].contains("password1"),
        "{printed:?}"
    );
    assert!(
        printed[1].contains("user2") && printed[1].contains("password2"),
        "{printed:?}"
    );
    for (username, password, first, last) in [
        ("user1", "password1", "Sam", "Smith"),
        ("user2", "password2", "Tim", "Allen"),
    ] {
        let api = server.api();
        let tokens = api.login(username, password).await.unwrap();
        let profile = api.profile(&tokens.access).await.unwrap();
        assert_eq!(
            (profile.first_name.as_str(), profile.last_name.as_str()),
            (first, last)
        );
    }
    server.stop().await.unwrap();

    let mut again = sandbox.serve(&["--demo"], &[]).await;

    assert_eq!(demo_lines(&mut again).await, printed);
    again.api().login("user1", "password1").await.unwrap();
    again.stop().await.unwrap();
}

#[tokio::test]
async fn plain_serve_creates_no_users() {
    let sandbox = Sandbox::new();

    let server = sandbox.serve(&[], &[]).await;

    let response = server.api().login_response("user1", "password1").await;
    assert_eq!(response.unwrap().status(), StatusCode::UNAUTHORIZED);
    server.stop().await.unwrap();
}

/// People type their password into the username box: even at debug level
/// a failed login's username is not written to the log.
#[tokio::test]
async fn failed_login_usernames_stay_out_of_the_debug_log() {
    let sandbox = Sandbox::new();
    sandbox
        .create_user("sam", "correct horse battery", &[])
        .await;
    let server = sandbox.serve(&[], &[("RUST_LOG", "debug")]).await;

    let typed_in_the_wrong_box = "Tr0ub4dor&3-my-real-password";
    let api = server.api();
    let response = api.login_response(typed_in_the_wrong_box, "sam").await;
    assert_eq!(response.unwrap().status(), StatusCode::UNAUTHORIZED);
    let response = api.login_response("sam", "correct horse battery").await;
    assert_eq!(response.unwrap().status(), StatusCode::OK);

    let log = server.stderr();
    assert!(log.contains("login failed"), "the failure is logged: {log}");
    assert!(!log.contains(typed_in_the_wrong_box), "{log}");
    assert!(!log.contains("correct horse battery"), "{log}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_invalid_setting_stops_serve_with_a_message_naming_it() {
    let sandbox = Sandbox::new();
    let cases = [
        ("ACCESS_TTL_SECS", "0"),
        ("ACCESS_TTL_SECS", "abc"),
        ("REFRESH_TTL_SECS", "0"),
        ("SESSION_MAX_SECS", "0"),
        ("JWT_ALG", "none"),
        ("JWT_SECRET", "short"),
        ("BIND", "nonsense"),
        ("DATABASE_URL", "mysql://localhost/db"),
        ("CORS_ORIGINS", "app.example"),
        ("STATIC_DIR", "no/such/dir"),
        ("LOGIN_MAX_FAILURES", "0"),
        ("TRUSTED_PROXIES", "proxy.example"),
        ("TRUSTED_PROXIES", "10.0.0.0/33"),
    ];

    for (name, value) in cases {
        // A valid BIND unless BIND is the one under test: a setting that
        // is wrongly accepted leaves a server running, and the test fails
        // on the timeout.
        let bind = if name == "BIND" { value } else { "127.0.0.1:0" };
        let output = sandbox
            .run(&["serve"], &[("BIND", bind), (name, value)], None)
            .await;

        assert!(!output.status.success(), "{name}={value} was accepted");
        let message = stderr(&output);
        assert!(
            message.contains(name),
            "{name}={value}: stderr does not name it: {message}"
        );
    }
}

#[tokio::test]
async fn flush_expired_tokens_deletes_expired_refresh_tokens_and_reports_the_count() {
    let sandbox = Sandbox::new();
    sandbox
        .create_user("erin", "correct horse battery", &[])
        .await;
    let nothing_yet = sandbox.run(&["flush-expired-tokens"], &[], None).await;
    let server = sandbox.serve(&[], &[("REFRESH_TTL_SECS", "1")]).await;
    for _ in 0..2 {
        let _: TokenPair = server
            .api()
            .login("erin", "correct horse battery")
            .await
            .unwrap();
    }
    server.stop().await.unwrap();
    // Expiry is the behaviour under test: let both refresh tokens expire.
    tokio::time::sleep(Duration::from_millis(2_200)).await;

    let flushed = sandbox.run(&["flush-expired-tokens"], &[], None).await;
    let again = sandbox.run(&["flush-expired-tokens"], &[], None).await;

    for output in [&nothing_yet, &flushed, &again] {
        assert_success(output);
    }
    assert!(
        stdout(&nothing_yet).contains("deleted 0 "),
        "{}",
        stdout(&nothing_yet)
    );
    assert!(
        stdout(&flushed).contains("deleted 2 "),
        "{}",
        stdout(&flushed)
    );
    assert!(stdout(&again).contains("deleted 0 "), "{}", stdout(&again));
}
