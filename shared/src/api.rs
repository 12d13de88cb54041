//! Request and response bodies of every endpoint in API.md.
//!
//! Request fields are `Option` because serde stops at the first missing
//! field, while the API must report every missing field at once.

use serde::{Deserialize, Serialize};

/// `POST /api/token/`, and drf-jwt's `POST /api-token-auth/`. The account
/// is named by `username`, or by `email` on a server with
/// `LOGIN_FIELD=email`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub password: Option<String>,
}

/// The answer of a login or a refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

/// The answer of `POST /api/token/refresh/`: a new pair when the server
/// rotates refresh tokens, only `{"access": "..."}` when it does not
/// (`ROTATE_REFRESH_TOKENS=false`), in which case the refresh token that was
/// sent stays the one to use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshAnswer {
    pub access: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
}

impl RefreshAnswer {
    /// The pair to keep after sending `sent_refresh`: the rotated pair, or the
    /// new access token with the refresh token that was sent.
    pub fn into_pair(self, sent_refresh: &str) -> TokenPair {
        TokenPair {
            access: self.access,
            refresh: self.refresh.unwrap_or_else(|| sent_refresh.to_owned()),
        }
    }
}

/// `POST /api/token/refresh/` and `POST /api/token/blacklist/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshBody {
    pub refresh: Option<String>,
}

/// `POST /api/token/verify/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyBody {
    pub token: Option<String>,
}

/// `{}`: the body of verify and blacklist on success.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// `POST /api/users/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterBody {
    pub username: Option<String>,
    pub password: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// The header of a registration's 201 when the new account stays inactive
/// until its mailed link is followed (`SEND_ACTIVATION_EMAIL=true`). The
/// body stays djoser's; the app reads this to say "check your email" rather
/// than "please log in". Its value is [`ACTIVATION_BY_EMAIL`].
pub const ACTIVATION_HEADER: &str = "x-activation-required";
pub const ACTIVATION_BY_EMAIL: &str = "email";

/// A user as `POST /api/users/` and `GET /api/users/me/` return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// djangorestframework-jwt's answer, and the body of its refresh and verify
/// (API.md Part 2, `DRF_JWT=true`): one token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SingleToken {
    pub token: Option<String>,
}

/// djoser's `POST users/reset_password/` (and the other requests that
/// name an account by its email).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailBody {
    pub email: Option<String>,
}

/// djoser's `POST users/activation/`: the `uid` and `token` of the link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkBody {
    pub uid: Option<String>,
    pub token: Option<String>,
}

/// djoser's `POST users/reset_password_confirm/`: the `uid` and `token` of
/// the mailed link, and the new password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetPasswordConfirmBody {
    pub uid: Option<String>,
    pub token: Option<String>,
    pub new_password: Option<String>,
}

/// djoser's `POST users/set_username/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetUsernameBody {
    pub current_password: Option<String>,
    pub new_username: Option<String>,
}

/// djoser's `POST users/reset_username_confirm/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetUsernameConfirmBody {
    pub uid: Option<String>,
    pub token: Option<String>,
    pub new_username: Option<String>,
}

/// `DELETE /api/users/me/` (djoser).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteMeBody {
    pub current_password: Option<String>,
}

/// `POST /api/users/set_password/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPasswordBody {
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

/// `GET /api/profile/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub user: ProfileUser,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

/// The read-only `user` of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileUser {
    pub id: i64,
    pub username: String,
}

/// `PATCH /api/profile/`: any subset of the fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfilePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A note as the API returns it. Timestamps are ISO 8601 in UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /api/notes/` and `PATCH /api/notes/{id}/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// One row of `GET /api/sessions/` (API.md Part 2, "Sessions you can see
/// and end"): a password login and the refresh tokens rotated from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The session's `sid`.
    pub id: String,
    pub created_at: String,
    /// The last login or refresh of the session.
    pub last_used_at: String,
    /// When its newest refresh token expires.
    pub expires_at: String,
    /// The login request's `User-Agent`, at most 200 characters.
    pub user_agent: String,
    /// The client address, as the login throttle saw it.
    pub ip: String,
    /// Whether this is the session of the access token that asked.
    pub current: bool,
}

/// `GET /api/health/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn login_body_reads_the_documented_json() {
        let body: LoginBody =
            serde_json::from_value(json!({"username": "u", "password": "p"})).unwrap();
        assert_eq!(body.username.as_deref(), Some("u"));
        assert_eq!(body.password.as_deref(), Some("p"));
    }

    #[test]
    fn missing_fields_are_none_and_extra_fields_are_ignored() {
        let body: RegisterBody =
            serde_json::from_value(json!({"username": "u", "nickname": "x"})).unwrap();
        assert_eq!(body.username.as_deref(), Some("u"));
        assert_eq!(body.password, None);
    }

    #[test]
    fn a_field_of_the_wrong_type_is_an_error() {
        assert!(serde_json::from_value::<LoginBody>(json!({"username": 5})).is_err());
    }

    #[test]
    fn token_pair_is_access_and_refresh() {
        let pair = TokenPair {
            access: "a".into(),
            refresh: "r".into(),
        };
        assert_eq!(
            serde_json::to_value(&pair).unwrap(),
            json!({"access": "a", "refresh": "r"})
        );
    }

    #[test]
    fn a_refresh_answer_is_a_rotated_pair_or_an_access_token_alone() {
        let rotated: RefreshAnswer =
            serde_json::from_value(json!({"access": "a2", "refresh": "r2"})).unwrap();
        assert_eq!(
            rotated.into_pair("r1"),
            TokenPair {
                access: "a2".into(),
                refresh: "r2".into()
            }
        );
        // ROTATE_REFRESH_TOKENS=false: the refresh token sent is kept.
        let access_only: RefreshAnswer = serde_json::from_value(json!({"access": "a2"})).unwrap();
        assert_eq!(access_only.refresh, None);
        assert_eq!(
            access_only.into_pair("r1"),
            TokenPair {
                access: "a2".into(),
                refresh: "r1".into()
            }
        );
        assert!(serde_json::from_value::<RefreshAnswer>(json!({"refresh": "r2"})).is_err());
    }

    #[test]
    fn an_access_only_refresh_answer_has_no_refresh_field() {
        let answer = RefreshAnswer {
            access: "a".into(),
            refresh: None,
        };
        assert_eq!(
            serde_json::to_value(&answer).unwrap(),
            json!({"access": "a"})
        );
    }

    #[test]
    fn empty_is_an_empty_object() {
        assert_eq!(serde_json::to_value(Empty {}).unwrap(), json!({}));
    }

    #[test]
    fn user_and_profile_match_the_documented_json() {
        let user = json!({"id": 1, "username": "u", "email": "e@x.io", "first_name": "F", "last_name": "L"});
        let parsed: User = serde_json::from_value(user.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), user);

        let profile = json!({"user": {"id": 1, "username": "u"}, "first_name": "F", "last_name": "L", "email": "e@x.io"});
        let parsed: Profile = serde_json::from_value(profile.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), profile);
    }

    #[test]
    fn profile_patch_sends_only_what_changes() {
        let patch = ProfilePatch {
            first_name: Some("Sam".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            json!({"first_name": "Sam"})
        );
    }

    #[test]
    fn note_matches_the_documented_json() {
        let note = json!({
            "id": 3, "title": "t", "body": "", "created_at": "2026-11-22T10:15:30.123456Z",
            "updated_at": "2026-11-22T10:15:30.123456Z"
        });
        let parsed: Note = serde_json::from_value(note.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), note);
    }
}
