//! API.md `/api/notes/`: private per-user notes.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset, Utc};
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{Value, json};
use shared::Note;

use crate::helpers::{
    Db, TestApp, both_databases, expect_detail, expect_fields, expect_json,
    expect_not_authenticated, expect_not_found, spawn_app,
};

/// A timestamp as API.md requires: RFC 3339 with an explicit offset, in UTC.
fn timestamp(raw: &str) -> DateTime<FixedOffset> {
    let parsed = DateTime::parse_from_rfc3339(raw)
        .unwrap_or_else(|e| panic!("{raw:?} is not RFC 3339: {e}"));
    assert_eq!(
        parsed.offset().local_minus_utc(),
        0,
        "{raw:?} is not in UTC"
    );
    parsed
}

async fn list(app: &TestApp, access: &str) -> Vec<Note> {
    expect_json(app.get("/api/notes/", Some(access)).await, StatusCode::OK).await
}

async fn fetch(app: &TestApp, access: &str, id: i64) -> Note {
    expect_json(
        app.get(&format!("/api/notes/{id}/"), Some(access)).await,
        StatusCode::OK,
    )
    .await
}

#[apply(both_databases)]
#[tokio::test]
async fn creating_a_note_answers_201_with_exactly_the_note(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let before = Utc::now();

    let response = app
        .post(
            "/api/notes/",
            &json!({"title": "Groceries", "body": "milk, eggs"}),
            Some(&tokens.access),
        )
        .await;

    let note: Value = expect_json(response, StatusCode::CREATED).await;
    let fields: BTreeSet<&str> = note
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["id", "title", "body", "created_at", "updated_at"])
    );
    assert!(note["id"].is_i64(), "{note}");
    assert_eq!(
        (&note["title"], &note["body"]),
        (&json!("Groceries"), &json!("milk, eggs"))
    );
    for field in ["created_at", "updated_at"] {
        let at = timestamp(note[field].as_str().expect("a string"));
        let skew = (at.with_timezone(&Utc) - before).num_seconds().abs();
        assert!(skew < 60, "{field} {at} is not about now ({before})");
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_created_note_reads_back_the_same_by_id_and_in_the_list(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let created = app.create_note(&tokens.access, "Groceries", "milk").await;

    let by_id = fetch(&app, &tokens.access, created.id).await;
    let listed = list(&app, &tokens.access).await;

    assert_eq!(by_id, created);
    assert_eq!(listed, [created]);
}

#[apply(both_databases)]
#[tokio::test]
async fn the_list_is_newest_first(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let mut created = Vec::new();
    for title in ["first", "second", "third", "fourth"] {
        created.push(app.create_note(&tokens.access, title, "").await);
    }

    let listed = list(&app, &tokens.access).await;

    created.reverse();
    assert_eq!(listed, created);
}

#[apply(both_databases)]
#[tokio::test]
async fn the_body_is_optional_and_defaults_to_empty(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;

    let response = app
        .post(
            "/api/notes/",
            &json!({"title": "No body"}),
            Some(&tokens.access),
        )
        .await;

    let note: Note = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(note.body, "");
    assert_eq!(fetch(&app, &tokens.access, note.id).await.body, "");
}

#[apply(both_databases)]
#[tokio::test]
async fn the_title_is_trimmed(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;

    let note = app
        .create_note(&tokens.access, "  \t Groceries \n ", "")
        .await;

    assert_eq!(note.title, "Groceries");
    assert_eq!(
        fetch(&app, &tokens.access, note.id).await.title,
        "Groceries"
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn a_title_of_200_characters_is_accepted_and_one_of_201_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    // Characters, not bytes: `é` is two bytes in UTF-8.
    let longest = [
        "x".repeat(200),
        "é".repeat(200),
        format!("  {}  ", "y".repeat(200)),
    ];
    let too_long = ["x".repeat(201), "é".repeat(201)];

    for title in &longest {
        let response = app
            .post(
                "/api/notes/",
                &json!({"title": title}),
                Some(&tokens.access),
            )
            .await;

        let note: Note = expect_json(response, StatusCode::CREATED).await;
        assert_eq!(note.title, title.trim());
    }
    for title in &too_long {
        let response = app
            .post(
                "/api/notes/",
                &json!({"title": title}),
                Some(&tokens.access),
            )
            .await;

        let errors = expect_fields(response).await;
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["title"], "{errors:?}");
    }
    assert_eq!(list(&app, &tokens.access).await.len(), longest.len());
}

#[apply(both_databases)]
#[tokio::test]
async fn a_missing_or_blank_title_is_required_and_creates_nothing(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;

    for body in [
        json!({}),
        json!({"body": "text"}),
        json!({"title": ""}),
        json!({"title": "   \n\t"}),
    ] {
        let response = app.post("/api/notes/", &body, Some(&tokens.access)).await;

        let errors: Value = expect_json(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(
            errors,
            json!({"title": ["This field is required."]}),
            "for {body}"
        );
    }
    assert!(list(&app, &tokens.access).await.is_empty());
}

#[apply(both_databases)]
#[tokio::test]
async fn a_field_of_the_wrong_type_is_400_with_a_detail(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let note = app.create_note(&tokens.access, "Groceries", "milk").await;

    let create = app
        .post("/api/notes/", &json!({"title": 5}), Some(&tokens.access))
        .await;
    let change = app
        .patch(
            &format!("/api/notes/{}/", note.id),
            &json!({"title": "New", "body": ["x"]}),
            Some(&tokens.access),
        )
        .await;

    expect_detail(create, StatusCode::BAD_REQUEST).await;
    expect_detail(change, StatusCode::BAD_REQUEST).await;
    assert_eq!(list(&app, &tokens.access).await, [note]);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_patch_changes_either_field_and_moves_updated_at_but_not_created_at(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let original = app.create_note(&tokens.access, "Groceries", "milk").await;
    let path = format!("/api/notes/{}/", original.id);

    let retitled: Note = expect_json(
        app.patch(
            &path,
            &json!({"title": "  Shopping "}),
            Some(&tokens.access),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let rewritten: Note = expect_json(
        app.patch(&path, &json!({"body": "bread"}), Some(&tokens.access))
            .await,
        StatusCode::OK,
    )
    .await;
    let both: Note = expect_json(
        app.patch(
            &path,
            &json!({"title": "Errands", "body": ""}),
            Some(&tokens.access),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    assert_eq!(
        (retitled.title.as_str(), retitled.body.as_str()),
        ("Shopping", "milk")
    );
    assert_eq!(
        (rewritten.title.as_str(), rewritten.body.as_str()),
        ("Shopping", "bread")
    );
    assert_eq!((both.title.as_str(), both.body.as_str()), ("Errands", ""));
    let mut previous = timestamp(&original.updated_at);
    for note in [&retitled, &rewritten, &both] {
        assert_eq!(note.id, original.id);
        assert_eq!(timestamp(&note.created_at), timestamp(&original.created_at));
        let updated = timestamp(&note.updated_at);
        assert!(
            updated > previous,
            "updated_at did not move forward: {previous} then {updated}"
        );
        previous = updated;
    }
    assert_eq!(fetch(&app, &tokens.access, original.id).await, both);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_patch_with_an_invalid_title_is_refused_and_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let note = app.create_note(&tokens.access, "Groceries", "milk").await;
    let path = format!("/api/notes/{}/", note.id);

    for body in [
        json!({"title": "  ", "body": "changed"}),
        json!({"title": "x".repeat(201), "body": "changed"}),
    ] {
        let response = app.patch(&path, &body, Some(&tokens.access)).await;

        let errors = expect_fields(response).await;
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["title"], "{errors:?}");
    }
    assert_eq!(fetch(&app, &tokens.access, note.id).await, note);
}

#[apply(both_databases)]
#[tokio::test]
async fn another_users_note_is_not_found_for_get_patch_and_delete_and_stays_unchanged(db: Db) {
    let app = spawn_app(db).await;
    let (_, owner) = app.logged_in().await;
    let (_, intruder) = app.logged_in().await;
    let note = app.create_note(&owner.access, "Diary", "secret").await;
    let path = format!("/api/notes/{}/", note.id);

    let get = app.get(&path, Some(&intruder.access)).await;
    let patch = app
        .patch(
            &path,
            &json!({"title": "pwned", "body": "pwned"}),
            Some(&intruder.access),
        )
        .await;
    let delete = app.delete(&path, Some(&intruder.access)).await;

    expect_not_found(get).await;
    expect_not_found(patch).await;
    expect_not_found(delete).await;
    assert_eq!(fetch(&app, &owner.access, note.id).await, note);
    assert_eq!(list(&app, &owner.access).await, [note]);
}

#[apply(both_databases)]
#[tokio::test]
async fn an_unknown_note_id_is_not_found(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let note = app.create_note(&tokens.access, "Only one", "").await;
    let unknown = note.id + 1000;

    for id in [
        unknown.to_string(),
        "0".into(),
        "-1".into(),
        "99999999999999999999999".into(),
    ] {
        let path = format!("/api/notes/{id}/");
        expect_not_found(app.get(&path, Some(&tokens.access)).await).await;
        expect_not_found(
            app.patch(&path, &json!({"title": "x"}), Some(&tokens.access))
                .await,
        )
        .await;
        expect_not_found(app.delete(&path, Some(&tokens.access)).await).await;
    }
    assert_eq!(list(&app, &tokens.access).await, [note]);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_non_numeric_note_id_is_a_json_404(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;

    for path in [
        "/api/notes/abc/",
        "/api/notes/abc",
        "/api/notes/1.5/",
        "/api/notes/%20/",
    ] {
        expect_not_found(app.get(path, Some(&tokens.access)).await).await;
        expect_not_found(
            app.patch(path, &json!({"title": "x"}), Some(&tokens.access))
                .await,
        )
        .await;
        expect_not_found(app.delete(path, Some(&tokens.access)).await).await;
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_deleted_note_is_gone(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let kept = app.create_note(&tokens.access, "Keep", "").await;
    let doomed = app.create_note(&tokens.access, "Delete me", "").await;
    let path = format!("/api/notes/{}/", doomed.id);

    let response = app.delete(&path, Some(&tokens.access)).await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.text().await.expect("body").is_empty());
    expect_not_found(app.get(&path, Some(&tokens.access)).await).await;
    expect_not_found(app.delete(&path, Some(&tokens.access)).await).await;
    assert_eq!(list(&app, &tokens.access).await, [kept]);
}

#[apply(both_databases)]
#[tokio::test]
async fn each_user_lists_only_their_own_notes(db: Db) {
    let app = spawn_app(db).await;
    let (_, ann) = app.logged_in().await;
    let (_, bob) = app.logged_in().await;
    let (_, cy) = app.logged_in().await;
    let ann1 = app.create_note(&ann.access, "ann 1", "").await;
    let bob1 = app.create_note(&bob.access, "bob 1", "").await;
    let ann2 = app.create_note(&ann.access, "ann 2", "").await;

    let anns = list(&app, &ann.access).await;
    let bobs = list(&app, &bob.access).await;
    let cys = list(&app, &cy.access).await;

    assert_eq!(anns, [ann2, ann1]);
    assert_eq!(bobs, [bob1]);
    assert!(cys.is_empty());
}

#[apply(both_databases)]
#[tokio::test]
async fn notes_without_credentials_are_401_and_nothing_is_created(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let note = app.create_note(&tokens.access, "Mine", "").await;
    let path = format!("/api/notes/{}/", note.id);

    expect_not_authenticated(app.get("/api/notes/", None).await).await;
    expect_not_authenticated(app.post("/api/notes/", &json!({"title": "x"}), None).await).await;
    expect_not_authenticated(app.get(&path, None).await).await;
    expect_not_authenticated(app.patch(&path, &json!({"title": "x"}), None).await).await;
    expect_not_authenticated(app.delete(&path, None).await).await;

    assert_eq!(list(&app, &tokens.access).await, [note]);
}
