//! `backend import-django-users`: users from the JSON of Django's
//! `manage.py dumpdata auth.user` (API.md "Moving a Django deployment
//! over"), with their ids, names, emails, active flags, join dates and
//! password hashes, which `auth::django_hash` then checks at login.
//!
//! The whole file is parsed before anything is written, and the users are
//! inserted in one transaction: a file that cannot be read changes nothing.
//! An existing username or id is never overwritten; that user is skipped.

use serde::Deserialize;

use crate::clock::Timestamp;
use crate::store::Db;
use crate::store::users::{self, Imported, ImportedUserRow, PasswordHash};

/// The model label `dumpdata auth.user` writes.
pub const DJANGO_USER_MODEL: &str = "auth.user";

/// A user as the file has it, parsed and normalised.
#[derive(Debug)]
pub struct DjangoUser {
    pub id: i64,
    /// NFKC, trimmed: the form every stored username has.
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// As Django stored it; checked only by `auth::django_hash`.
    pub password: PasswordHash,
    pub active: bool,
    pub date_joined: Timestamp,
}

/// Why a file cannot be imported. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not the JSON of `manage.py dumpdata auth.user`: {0}")]
    Json(String),
    #[error("entry {index} is of model {model:?}, not {expected:?}: {hint}")]
    OtherModel {
        index: usize,
        model: String,
        expected: String,
        hint: &'static str,
    },
    #[error("entry {index} (pk {pk}): {problem}")]
    Entry {
        index: usize,
        pk: String,
        problem: String,
    },
}

/// One entry of the `dumpdata` list. Fields the import does not keep
/// (`last_login`, `is_staff`, `groups`, …) are ignored.
#[derive(Deserialize)]
struct Entry {
    model: String,
    pk: Option<serde_json::Value>,
    fields: Fields,
}

#[derive(Deserialize)]
struct Fields {
    username: Option<String>,
    password: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    /// A custom user model built on `AbstractBaseUser` has no such column,
    /// and then every user is active, as Django sees them.
    #[serde(default)]
    is_active: Option<bool>,
    date_joined: Option<String>,
}

const OTHER_MODEL_HINT: &str = "dump only the users (`manage.py dumpdata auth.user`), or name a \
    custom user model of the same fields with --model";

/// Parses the whole file. Entries of a model other than `model` are
/// refused, not skipped: such a file is not what `dumpdata auth.user`
/// writes (a dump of everything, or of a custom user model whose fields
/// may mean something else), and importing part of it silently would
/// leave users out without anyone noticing.
pub fn parse(json: &[u8], model: &str) -> Result<Vec<DjangoUser>, ParseError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(json);
    let entries: Vec<Entry> = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || inner.is_eof() {
            ParseError::Json(inner.to_string())
        } else {
            ParseError::Json(format!("at {path}: {inner}"))
        }
    })?;
    entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| parse_entry(index, entry, model))
        .collect()
}

fn parse_entry(index: usize, entry: Entry, model: &str) -> Result<DjangoUser, ParseError> {
    if !entry.model.eq_ignore_ascii_case(model) {
        return Err(ParseError::OtherModel {
            index,
            model: entry.model,
            expected: model.to_owned(),
            hint: OTHER_MODEL_HINT,
        });
    }
    let pk = entry
        .pk
        .as_ref()
        .map_or_else(|| "none".to_owned(), ToString::to_string);
    let problem = |problem: &str| ParseError::Entry {
        index,
        pk: pk.clone(),
        problem: problem.to_owned(),
    };
    let id = match &entry.pk {
        None | Some(serde_json::Value::Null) => {
            return Err(problem(
                "no pk (was it dumped with --natural-primary? the ids are needed)",
            ));
        }
        Some(value) => value
            .as_i64()
            .filter(|id| *id > 0)
            .ok_or_else(|| problem("the pk is not a positive integer"))?,
    };
    let fields = entry.fields;
    let username = crate::domain::username::normalize(
        &fields
            .username
            .ok_or_else(|| problem("no username field"))?,
    );
    if username.is_empty() {
        return Err(problem("the username is blank"));
    }
    let password = fields
        .password
        .ok_or_else(|| problem("no password field"))?;
    let date_joined = fields
        .date_joined
        .ok_or_else(|| problem("no date_joined field"))?;
    let date_joined = parse_date(&date_joined).ok_or_else(|| {
        problem(&format!(
            "date_joined {date_joined:?} is not an ISO 8601 date and time"
        ))
    })?;
    Ok(DjangoUser {
        id,
        username,
        email: fields.email.unwrap_or_default(),
        first_name: fields.first_name.unwrap_or_default(),
        last_name: fields.last_name.unwrap_or_default(),
        password: PasswordHash(password),
        active: fields.is_active.unwrap_or(true),
        date_joined,
    })
}

/// Django's JSON dates: ISO 8601 with `Z` or an offset, with or without a
/// fraction (`2024-03-01T10:00:00Z`, `2019-05-04T12:30:15.123+02:00`). A
/// project with `USE_TZ = False` writes them without an offset, in its
/// `TIME_ZONE`, which the file does not name: those are taken as UTC.
fn parse_date(text: &str) -> Option<Timestamp> {
    let utc = match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => t.with_timezone(&chrono::Utc),
        Err(_) => chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()?
            .and_utc(),
    };
    Some(Timestamp::from_micros(utc.timestamp_micros()))
}

/// A user left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub id: i64,
    pub username: String,
    pub reason: Imported,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Skipped { id, username, .. } = self;
        match &self.reason {
            Imported::UsernameTaken { id: other } if other == id => {
                write!(f, "{username} (id {id}): already exists")
            }
            Imported::UsernameTaken { id: other } => write!(
                f,
                "{username} (id {id}): the username already exists, as user {other}"
            ),
            Imported::IdTaken { username: other } => {
                write!(f, "{username} (id {id}): id {id} is already user {other}")
            }
            Imported::Created => write!(f, "{username} (id {id}): created"),
        }
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Report {
    /// `(id, username)` of each user created.
    pub created: Vec<(i64, String)>,
    pub skipped: Vec<Skipped>,
    /// Usernames created with a password no format here can check (an
    /// unusable `!…` password, `md5$…`, `bcrypt$…`): they cannot log in
    /// until their password is set again.
    pub unusable_password: Vec<String>,
}

/// Inserts the users in one transaction; see the module's comment.
#[tracing::instrument(skip_all, fields(users = to_import.len()))]
pub async fn import(db: &Db, to_import: &[DjangoUser]) -> Result<Report, sqlx::Error> {
    let mut report = Report::default();
    let mut tx = db.begin_write().await?;
    for user in to_import {
        let row = ImportedUserRow {
            id: user.id,
            username: &user.username,
            email: &user.email,
            first_name: &user.first_name,
            last_name: &user.last_name,
            hash: &user.password,
            active: user.active,
            date_joined: user.date_joined,
        };
        match users::insert_imported(&mut tx, &row, db.is_postgres()).await? {
            Imported::Created => {
                report.created.push((user.id, user.username.clone()));
                if crate::auth::django_hash::parse(&user.password.0).is_none() {
                    report.unusable_password.push(user.username.clone());
                }
            }
            reason => report.skipped.push(Skipped {
                id: user.id,
                username: user.username.clone(),
                reason,
            }),
        }
    }
    if db.is_postgres() && !report.created.is_empty() {
        users::move_id_sequence_past_ids(&mut *tx).await?;
    }
    tx.commit().await?;
    tracing::info!(
        created = report.created.len(),
        skipped = report.skipped.len(),
        "django users imported"
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(fields: &str) -> String {
        format!(r#"[{{"model": "auth.user", "pk": 7, "fields": {{{fields}}}}}]"#)
    }

    const GOOD: &str = r#""username": "bob", "password": "pbkdf2_sha256$1$s$AAAA",
        "email": "bob@example.com", "first_name": "Bob", "last_name": "B",
        "is_active": false, "is_staff": true, "groups": [1], "last_login": null,
        "date_joined": "2024-03-01T10:00:00Z""#;

    #[test]
    fn an_entry_keeps_what_the_import_needs_and_ignores_the_rest() {
        let users = parse(one(GOOD).as_bytes(), DJANGO_USER_MODEL).unwrap();
        let user = &users[0];
        assert_eq!(user.id, 7);
        assert_eq!(user.username, "bob");
        assert_eq!(user.email, "bob@example.com");
        assert_eq!(
            (user.first_name.as_str(), user.last_name.as_str()),
            ("Bob", "B")
        );
        assert!(!user.active);
        assert_eq!(user.password.0, "pbkdf2_sha256$1$s$AAAA");
        assert_eq!(user.date_joined.iso8601(), "2024-03-01T10:00:00.000000Z");
    }

    #[test]
    fn usernames_are_stored_in_nfkc() {
        let json = one(&GOOD.replace(r#""bob""#, r#"" \uff42\uff4f\uff42 ""#));
        assert_eq!(
            parse(json.as_bytes(), DJANGO_USER_MODEL).unwrap()[0].username,
            "bob"
        );
    }

    #[test]
    fn django_dates_with_fractions_offsets_or_none_are_read() {
        for (text, expected) in [
            ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00.000000Z"),
            ("2019-05-04T12:30:15.123Z", "2019-05-04T12:30:15.123000Z"),
            (
                "2019-05-04T12:30:15.123456+02:00",
                "2019-05-04T10:30:15.123456Z",
            ),
            ("2019-05-04T12:30:15-05:30", "2019-05-04T18:00:15.000000Z"),
            ("2019-05-04T12:30:15.5", "2019-05-04T12:30:15.500000Z"),
        ] {
            assert_eq!(parse_date(text).unwrap().iso8601(), expected, "{text}");
        }
        for bad in [
            "",
            "yesterday",
            "2024-13-01T10:00:00Z",
            "2024-03-01",
            "1709287200",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_bad_file_is_refused_saying_where() {
        let error = |json: &str| {
            parse(json.as_bytes(), DJANGO_USER_MODEL)
                .unwrap_err()
                .to_string()
        };
        let truncated = one(GOOD);
        let message = error(&truncated[..truncated.len() - 10]);
        assert!(message.contains("EOF while parsing"), "{message}");
        assert!(
            error("{}").contains("expected a sequence"),
            "{}",
            error("{}")
        );
        let message = error(&one(&GOOD.replace("false", r#""no""#)));
        assert!(message.contains("[0].fields.is_active"), "{message}");
        let message = error(&one(&GOOD.replace("2024-03-01T10:00:00Z", "01/03/2024")));
        assert!(
            message.contains("entry 0 (pk 7): date_joined \"01/03/2024\""),
            "{message}"
        );
        let message = error(&one(&GOOD.replace(r#""username": "bob","#, "")));
        assert!(message.contains("no username"), "{message}");
        let message = error(&one(GOOD).replace(r#""pk": 7"#, r#""pk": "7""#));
        assert!(message.contains("pk"), "{message}");
        let message = error(&one(GOOD).replace(r#""pk": 7, "#, ""));
        assert!(message.contains("--natural-primary"), "{message}");
        let message = error(&one(GOOD).replace("auth.user", "auth.group"));
        assert!(message.contains("\"auth.group\""), "{message}");
    }

    #[test]
    fn a_custom_user_model_is_read_when_named() {
        let json = one(GOOD).replace("auth.user", "accounts.user");
        assert!(parse(json.as_bytes(), DJANGO_USER_MODEL).is_err());
        assert_eq!(parse(json.as_bytes(), "accounts.User").unwrap().len(), 1);
    }
}
