//! Journey 9: notes can be added, edited and deleted, and they are private.

use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn notes_are_added_edited_deleted_and_private() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("notes", async |j| {
            let owner = TestUser::new("nina");
            let other = TestUser::new("oscar");
            j.create_user(&owner).await?;
            j.create_user(&other).await?;
            let client = &j.client;
            action::log_in_as(j, &owner).await?;
            check::sees(
                client,
                &find::text("No notes yet. Write your first one above."),
            )
            .await?;

            action::add_note(client, "Groceries", "milk, eggs").await?;
            check::sees(client, &find::text("milk, eggs")).await?;
            // The form is ready for the next note.
            let title = check::sees(
                client,
                &find::css("form.note-new input[name=title]", "the title"),
            )
            .await?;
            assert_eq!(title.prop("value").await?.as_deref(), Some(""));

            action::click(client, &find::button("Edit note Groceries")).await?;
            let edit_title = find::css("li.note form input[name=title]", "the title being edited");
            let edit_body = find::css("li.note form textarea[name=body]", "the body being edited");
            // A blank title is refused beside the title being edited, not
            // above the list. (Spaces: clearing the input sends no `input`
            // event.)
            action::fill_in(client, &edit_title, "   ").await?;
            action::click(
                client,
                &find::css("li.note form button[type=submit]", "Save"),
            )
            .await?;
            check::sees(
                client,
                &find::xpath(
                    "//li[contains(@class, 'note')]//form\
                     //div[contains(@class, 'field')][.//input[@name='title']]\
                     //*[@role='alert'][contains(normalize-space(.), 'This field is required.')]",
                    "the title error beside the title being edited",
                ),
            )
            .await?;
            check::does_not_see(client, &find::alert("title: This field is required.")).await?;
            action::fill_in(client, &edit_title, "Groceries for the week").await?;
            action::fill_in(client, &edit_body, "milk, eggs, bread").await?;
            action::click(
                client,
                &find::css("li.note form button[type=submit]", "Save"),
            )
            .await?;
            check::sees(client, &find::note("Groceries for the week")).await?;
            check::sees(client, &find::text("milk, eggs, bread")).await?;
            check::does_not_see(client, &find::note("Groceries")).await?;

            action::click(client, &find::button("Delete note Groceries for the week")).await?;
            check::no_longer_sees(client, &find::note("Groceries for the week")).await?;

            action::add_note(client, "Nina's secret", "not for Oscar").await?;
            client.refresh().await?;
            check::sees(client, &find::note("Nina's secret")).await?;
            action::log_out(client).await?;
            check::on_login_page(client).await?;

            action::log_in(client, &other.username, &other.password).await?;
            check::sees(client, &find::greeting("oscar")).await?;
            check::sees(
                client,
                &find::text("No notes yet. Write your first one above."),
            )
            .await?;
            check::does_not_see(client, &find::note("Nina's secret")).await?;
            check::no_alerts(client).await
        })
        .await;
}
