use shared::NoteBody;
use shared::error::REQUIRED;

/// A note title: 1–200 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteTitle(String);

pub const MAX_TITLE: usize = 200;

impl NoteTitle {
    pub fn parse(raw: String) -> Result<Self, String> {
        let title = raw.trim();
        if title.is_empty() {
            return Err(REQUIRED.to_owned());
        }
        super::no_null_characters(title)?;
        if title.chars().count() > MAX_TITLE {
            return Err(format!(
                "Ensure this field has no more than {MAX_TITLE} characters."
            ));
        }
        Ok(Self(title.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A note's body: any text but NUL characters.
fn note_body(raw: String) -> Result<String, String> {
    super::no_null_characters(&raw).map(|()| raw)
}

/// A note to create: `title` is required, `body` defaults to `""`.
#[derive(Debug)]
pub struct NewNote {
    pub title: NoteTitle,
    pub body: String,
}

impl TryFrom<NoteBody> for NewNote {
    type Error = shared::FieldErrors;

    fn try_from(body: NoteBody) -> Result<Self, Self::Error> {
        let mut errors = shared::FieldErrors::default();
        let title = super::collect(
            &mut errors,
            "title",
            body.title
                .ok_or_else(|| REQUIRED.to_owned())
                .and_then(NoteTitle::parse),
        );
        let text = super::collect(
            &mut errors,
            "body",
            note_body(body.body.unwrap_or_default()),
        );
        match (title, text) {
            (Some(title), Some(body)) => Ok(NewNote { title, body }),
            _ => Err(errors),
        }
    }
}

/// A PATCH: either field may change.
#[derive(Debug)]
pub struct NoteChange {
    pub title: Option<NoteTitle>,
    pub body: Option<String>,
}

impl TryFrom<NoteBody> for NoteChange {
    type Error = shared::FieldErrors;

    fn try_from(body: NoteBody) -> Result<Self, Self::Error> {
        let mut errors = shared::FieldErrors::default();
        let title = body
            .title
            .map(|raw| super::collect(&mut errors, "title", NoteTitle::parse(raw)));
        let text = body
            .body
            .map(|raw| super::collect(&mut errors, "body", note_body(raw)));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NoteChange {
            title: title.flatten(),
            body: text.flatten(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(NoteTitle::parse("  hi ".into()).unwrap().as_str(), "hi");
        assert!(NoteTitle::parse("   ".into()).is_err());
        assert!(NoteTitle::parse("x".repeat(201)).is_err());
        assert!(NoteTitle::parse("é".repeat(200)).is_ok());
        assert!(NoteTitle::parse("a\0b".into()).is_err());
    }

    #[test]
    fn a_new_note_needs_a_title_and_defaults_its_body() {
        assert!(NewNote::try_from(NoteBody::default()).is_err());
        let note = NewNote::try_from(NoteBody {
            title: Some("t".into()),
            body: None,
        })
        .unwrap();
        assert_eq!(note.body, "");
    }

    #[test]
    fn a_change_may_leave_the_title_alone() {
        let change = NoteChange::try_from(NoteBody {
            title: None,
            body: Some("b".into()),
        })
        .unwrap();
        assert!(change.title.is_none());
        assert!(
            NoteChange::try_from(NoteBody {
                title: Some(" ".into()),
                body: None
            })
            .is_err()
        );
    }
}
