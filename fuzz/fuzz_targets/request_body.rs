//! Request-body parsing never panics: arbitrary bytes become either a parsed
//! body or one of API.md's 400 errors, for every body type, and then go
//! through the domain parsers.
#![no_main]

use axum::http::StatusCode;
use backend::domain::{NewNote, NewUser, NoteChange};
use backend::extract::body_from_value;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use shared::{LoginBody, NoteBody, ProfilePatch, RefreshBody, RegisterBody, SetPasswordBody, VerifyBody};

fn check<T: serde::de::DeserializeOwned>(value: &Value) -> Option<T> {
    match body_from_value::<T>(value.clone()) {
        Ok(body) => Some(body),
        Err(e) => {
            assert_eq!(e.status(), StatusCode::BAD_REQUEST);
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(axum::Json(value)) = axum::Json::<Value>::from_bytes(data) else { return };
    check::<LoginBody>(&value);
    check::<RefreshBody>(&value);
    check::<VerifyBody>(&value);
    check::<SetPasswordBody>(&value);
    check::<ProfilePatch>(&value);
    if let Some(body) = check::<RegisterBody>(&value) {
        let _ = NewUser::try_from(body);
    }
    if let Some(body) = check::<NoteBody>(&value) {
        let _ = NewNote::try_from(body.clone());
        let _ = NoteChange::try_from(body);
    }
});
