//! `backend import-django-users` (API.md "Moving a Django deployment
//! over"), run as the real binary on the database of an in-process server,
//! then logins with the Django passwords over HTTP.
//!
//! `fixtures/django-users.json` is what `manage.py dumpdata auth.user
//! --indent 2` wrote for users that Django 5.2 (argon2-cffi 25) created with
//! `make_password`, in a scratch project outside this repository:
//!
//! | pk | username | password | hasher | notes |
//! |----|----------|----------|--------|-------|
//! | 3 | alice | `alice in django land` | pbkdf2_sha256, 1 000 000 iterations | in a group (ignored) |
//! | 7 | bob | `bob argon2 secret` | argon2 (argon2id, m=102400, t=2, p=8) | staff (ignored) |
//! | 8 | carol | `carol is inactive` | pbkdf2_sha256 | `is_active: false` |
//! | 12 | `ｄａｖｅ` (fullwidth, stored so by an update) | `dave fullwidth` | pbkdf2_sha256 | |
//! | 15 | erin | none (`set_unusable_password`) | `!…` | |

use std::process::{Output, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{Value, json};
use shared::TokenPair;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::helpers::{Db, TestApp, both_databases, expect_detail, expect_json, spawn_app};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/django-users.json"
);

/// The golden value: Django's own `make_password("alice in django land")`.
const ALICE_HASH: &str =
    "pbkdf2_sha256$1000000$BSmeraQFA6XAfdPHkzZuLJ$xqzbmoXPQEoxSNlw4lVyRxUAXxXVbGOMuCPgWF8ENQw=";
const ALICE_PASSWORD: &str = "alice in django land";
const BOB_PASSWORD: &str = "bob argon2 secret";
const CAROL_PASSWORD: &str = "carol is inactive";
const DAVE_PASSWORD: &str = "dave fullwidth";
const NO_ACTIVE_ACCOUNT: &str = "No active account found with the given credentials";
/// The largest pk in the fixture.
const MAX_ID: i64 = 15;

/// `backend import-django-users ARGS` on the app's database, fed `stdin`.
async fn import(app: &TestApp, args: &[&str], stdin: Option<&str>) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_backend"));
    command
        .arg("import-django-users")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.settings.database_url)
        .current_dir(dir.path())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("the binary starts");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(input.as_bytes()).await.expect("write stdin");
        drop(pipe);
    }
    tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the import finishes")
        .expect("wait for the binary")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Imports the fixture, asserting that the command succeeded.
async fn import_fixture(app: &TestApp) -> String {
    let output = import(app, &[FIXTURE], None).await;
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

async fn stored_hash(app: &TestApp, username: &str) -> String {
    let db = app.db().await;
    let (hash,): (String,) = sqlx::query_as("select password_hash from users where username = $1")
        .bind(username)
        .fetch_one(&db.pool)
        .await
        .expect("the user exists");
    hash
}

async fn log_in(app: &TestApp, username: &str, password: &str) -> TokenPair {
    expect_json(app.try_login(username, password).await, StatusCode::OK).await
}

async fn refused(app: &TestApp, username: &str, password: &str) {
    let response = app.try_login(username, password).await;
    assert_eq!(
        expect_detail(response, StatusCode::UNAUTHORIZED).await,
        NO_ACTIVE_ACCOUNT
    );
}

/// PBKDF2 (RFC 8018, section 5.2) with HMAC-SHA256, written from the
/// definition on the `hmac` crate, for a 32-byte key (one block): not the
/// code the backend runs (`ring::pbkdf2`).
fn pbkdf2_hmac_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let prf = Hmac::<sha2::Sha256>::new_from_slice(password).expect("any key length");
    // U_1 = PRF(P, S || INT(1)); U_j = PRF(P, U_{j-1}); T_1 = U_1 ^ … ^ U_c
    let mut u = prf
        .clone()
        .chain_update(salt)
        .chain_update(1u32.to_be_bytes())
        .finalize()
        .into_bytes();
    let mut t = u;
    for _ in 1..iterations {
        u = prf.clone().chain_update(u).finalize().into_bytes();
        for (t, u) in t.iter_mut().zip(u.iter()) {
            *t ^= u;
        }
    }
    t.into()
}

/// Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`.
fn django_pbkdf2(password: &str, salt: &str, iterations: u32) -> String {
    use base64::Engine;
    let derived = pbkdf2_hmac_sha256(password.as_bytes(), salt.as_bytes(), iterations);
    let hash = base64::engine::general_purpose::STANDARD.encode(derived);
    format!("pbkdf2_sha256${iterations}${salt}${hash}")
}

/// A `dumpdata` list of one user.
fn one_user(pk: i64, username: &str, password_hash: &str) -> String {
    json!([{
        "model": "auth.user",
        "pk": pk,
        "fields": {
            "password": password_hash,
            "last_login": null,
            "is_superuser": false,
            "username": username,
            "first_name": "",
            "last_name": "",
            "email": "",
            "is_staff": false,
            "is_active": true,
            "date_joined": "2024-03-01T10:00:00.123456+01:00",
            "groups": [],
            "user_permissions": []
        }
    }])
    .to_string()
}

#[test]
fn the_pbkdf2_written_here_matches_djangos_golden_hash() {
    // The golden hash is 1 000 000 iterations: too slow unoptimised here,
    // so its salt is checked through a shorter count against Python's
    // hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 4096).
    assert_eq!(
        django_pbkdf2("password", "salt", 4096),
        "pbkdf2_sha256$4096$salt$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o="
    );
    assert!(ALICE_HASH.starts_with("pbkdf2_sha256$1000000$BSmeraQFA6XAfdPHkzZuLJ$"));
}

#[apply(both_databases)]
#[tokio::test]
async fn imported_users_log_in_with_their_django_passwords_which_then_become_argon2id(
    #[case] db: Db,
) {
    let app = spawn_app(db).await;
    import_fixture(&app).await;
    assert_eq!(stored_hash(&app, "alice").await, ALICE_HASH);

    let first = log_in(&app, "alice", ALICE_PASSWORD).await;
    log_in(&app, "bob", BOB_PASSWORD).await;

    for user in ["alice", "bob"] {
        let hash = stored_hash(&app, user).await;
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{user}"
        );
    }
    log_in(&app, "alice", ALICE_PASSWORD).await;
    log_in(&app, "bob", BOB_PASSWORD).await;
    // The same password: the session of the login that upgraded the hash
    // goes on.
    assert_eq!(
        app.count("select credentials_version from users where username = 'alice'")
            .await,
        0
    );
    let response = app.refresh(&first.refresh).await;
    expect_json::<TokenPair>(response, StatusCode::OK).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn a_wrong_password_for_an_imported_user_is_401_and_changes_no_hash(#[case] db: Db) {
    let app = spawn_app(db).await;
    import_fixture(&app).await;
    let bob_hash = stored_hash(&app, "bob").await;

    refused(&app, "alice", "alice in django lan").await;
    refused(&app, "bob", "bob argon2 secreT").await;
    refused(&app, "erin", "anything").await;
    refused(&app, "erin", "!").await;

    assert_eq!(stored_hash(&app, "alice").await, ALICE_HASH);
    assert_eq!(stored_hash(&app, "bob").await, bob_hash);
}

#[apply(both_databases)]
#[tokio::test]
async fn an_import_keeps_ids_usernames_emails_names_active_flags_and_join_dates(#[case] db: Db) {
    let app = spawn_app(db).await;

    let printed = import_fixture(&app).await;

    assert!(printed.contains("created 5 users"), "{printed}");
    assert!(
        printed.contains("cannot log in until it is set again: erin"),
        "{printed}"
    );
    assert!(!printed.contains("pbkdf2_sha256$"), "a hash is printed");
    let pool = app.db().await.pool;
    let rows: Vec<(i64, String, String, String, String, i64, i64)> = sqlx::query_as(
        "select id, username, email, first_name, last_name, is_active, date_joined
         from users order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let micros = |iso: &str| {
        chrono::DateTime::parse_from_rfc3339(iso)
            .unwrap()
            .timestamp_micros()
    };
    let expected = [
        (
            3,
            "alice",
            "alice@example.com",
            "Alice",
            "Liddell",
            1,
            "2019-05-04T12:30:15.123Z",
        ),
        (
            7,
            "bob",
            "bob@example.com",
            "Bob",
            "Builder",
            1,
            "2021-01-02T03:04:05Z",
        ),
        (
            8,
            "carol",
            "carol@example.com",
            "Carol",
            "",
            0,
            "2022-06-01T00:00:00Z",
        ),
        (12, "dave", "", "Dave", "", 1, "2023-11-30T23:59:59.999Z"),
        (
            15,
            "erin",
            "erin@example.com",
            "",
            "",
            1,
            "2024-03-01T10:00:00Z",
        ),
    ]
    .map(|(id, user, email, first, last, active, joined)| {
        let s = ToOwned::to_owned;
        (
            id,
            s(user),
            s(email),
            s(first),
            s(last),
            active,
            micros(joined),
        )
    });
    assert_eq!(rows, expected);
    assert_eq!(rows[0].6, 1_556_973_015_123_000);

    let tokens = log_in(&app, "alice", ALICE_PASSWORD).await;
    let me: Value = expect_json(
        app.get("/api/users/me/", Some(&tokens.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        me,
        json!({"id": 3, "username": "alice", "email": "alice@example.com",
               "first_name": "Alice", "last_name": "Liddell"})
    );
    // Stored in NFKC: both forms log in as the one user.
    let tokens = log_in(&app, "ｄａｖｅ", DAVE_PASSWORD).await;
    let me: Value = expect_json(
        app.get("/api/users/me/", Some(&tokens.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (me["id"].as_i64(), me["username"].as_str()),
        (Some(12), Some("dave"))
    );
    log_in(&app, "dave", DAVE_PASSWORD).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn an_inactive_imported_user_cannot_log_in(#[case] db: Db) {
    let app = spawn_app(db).await;
    import_fixture(&app).await;

    refused(&app, "carol", CAROL_PASSWORD).await;

    assert!(
        stored_hash(&app, "carol")
            .await
            .starts_with("pbkdf2_sha256$")
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn importing_the_same_file_again_creates_nothing_and_lists_every_user_skipped(
    #[case] db: Db,
) {
    let app = spawn_app(db).await;
    import_fixture(&app).await;
    log_in(&app, "alice", ALICE_PASSWORD).await;
    let alice_hash = stored_hash(&app, "alice").await;

    let printed = import_fixture(&app).await;

    assert!(printed.contains("created 0 users"), "{printed}");
    assert!(printed.contains("skipped 5 users:"), "{printed}");
    for line in [
        "alice (id 3): already exists",
        "bob (id 7): already exists",
        "dave (id 12): already exists",
    ] {
        assert!(printed.contains(line), "{line:?} not in {printed}");
    }
    assert_eq!(app.count("select count(*) from users").await, 5);
    assert_eq!(stored_hash(&app, "alice").await, alice_hash, "overwritten");
}

#[apply(both_databases)]
#[tokio::test]
async fn an_existing_username_or_id_is_skipped_and_reported_not_overwritten(#[case] db: Db) {
    let app = spawn_app(db).await;
    let alice = app.register("alice", "registered here first").await;
    let existing = app.register("zed", "registered here too").await;

    let printed = import_fixture(&app).await;
    let clash = one_user(
        existing.id,
        "yvonne",
        &django_pbkdf2("yvonne pass", "s4lt", 1000),
    );
    let output = import(&app, &["-"], Some(&clash)).await;

    assert!(printed.contains("created 4 users"), "{printed}");
    assert!(
        printed.contains(&format!(
            "alice (id 3): the username already exists, as user {}",
            alice.id
        )),
        "{printed}"
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    assert!(
        printed.contains(&format!(
            "yvonne (id {0}): id {0} is already user zed",
            existing.id
        )),
        "{printed}"
    );
    log_in(&app, "alice", "registered here first").await;
    refused(&app, "alice", ALICE_PASSWORD).await;
    log_in(&app, "zed", "registered here too").await;
    refused(&app, "yvonne", "yvonne pass").await;
    assert_eq!(
        app.count("select id from users where username = 'alice'")
            .await,
        alice.id
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn a_file_it_cannot_read_fails_clearly_and_changes_nothing(#[case] db: Db) {
    let app = spawn_app(db).await;
    app.new_user().await;
    let fixture = std::fs::read_to_string(FIXTURE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad_date = fixture.replace("2024-03-01T10:00:00Z", "01/03/2024 10:00");
    let cases: [(&[u8], &str); 3] = [
        (
            &fixture.as_bytes()[..fixture.len() * 2 / 3],
            "EOF while parsing",
        ),
        (
            bad_date.as_bytes(),
            r#"entry 4 (pk 15): date_joined "01/03/2024 10:00""#,
        ),
        (br#"{"model": "auth.user"}"#, "expected a sequence"),
    ];

    for (i, (content, words)) in cases.into_iter().enumerate() {
        let file = dir.path().join(format!("bad{i}.json"));
        std::fs::write(&file, content).unwrap();
        let output = import(&app, &[file.to_str().unwrap()], None).await;

        assert!(!output.status.success(), "case {i} succeeded");
        let message = stderr(&output);
        assert!(message.contains("cannot import"), "{message}");
        assert!(message.contains(words), "{words:?} not in {message}");
        assert!(message.contains("nothing was imported"), "{message}");
        assert_eq!(app.count("select count(*) from users").await, 1, "case {i}");
    }
    let output = import(&app, &["/no/such/file.json"], None).await;
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("cannot read /no/such/file.json"),
        "{}",
        stderr(&output)
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn a_registration_after_an_import_gets_a_new_id(#[case] db: Db) {
    let app = spawn_app(db).await;
    import_fixture(&app).await;

    let first = app.register("newcomer", "correct horse battery").await;
    let second = app.register("latecomer", "correct horse battery").await;

    assert!(first.id > MAX_ID, "id {} was handed out again", first.id);
    assert!(second.id > first.id);
    log_in(&app, "newcomer", "correct horse battery").await;
    log_in(&app, "alice", ALICE_PASSWORD).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn standard_input_imports_a_pbkdf2_hash_computed_from_its_definition(#[case] db: Db) {
    let app = spawn_app(db).await;
    let hash = django_pbkdf2("made from the RFC", "SaltFromTheTest42", 20_000);
    let file = one_user(40, "rfc", &hash);

    let output = import(&app, &["-"], Some(&file)).await;

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("created 1 users"),
        "{}",
        stdout(&output)
    );
    refused(&app, "rfc", "made from the RFc").await;
    assert_eq!(stored_hash(&app, "rfc").await, hash);
    log_in(&app, "rfc", "made from the RFC").await;
    assert!(stored_hash(&app, "rfc").await.starts_with("$argon2id$"));
    log_in(&app, "rfc", "made from the RFC").await;
}

#[apply(both_databases)]
#[tokio::test]
async fn a_django_hash_is_accepted_as_the_current_password(#[case] db: Db) {
    let app = spawn_app(db).await;
    import_fixture(&app).await;
    let tokens = log_in(&app, "alice", ALICE_PASSWORD).await;
    // As if that login had not upgraded it.
    app.sql(&format!(
        "update users set password_hash = '{ALICE_HASH}' where id = 3"
    ))
    .await;

    let response = app
        .post(
            "/api/users/set_password/",
            &json!({"current_password": ALICE_PASSWORD, "new_password": "a new one for alice"}),
            Some(&tokens.access),
        )
        .await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    log_in(&app, "alice", "a new one for alice").await;
    refused(&app, "alice", ALICE_PASSWORD).await;
}
