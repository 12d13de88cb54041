//! Sending mail (API.md Part 2, "The account lifecycle by email"): through
//! SMTP with lettre, or into the log (`EMAIL_URL=log`, the default, so a
//! newcomer running the app can follow a link without a mail server).
//!
//! Mail is sent after the request is answered, in a task of its own with a
//! time limit: a mail server that is down or slow never makes a request fail
//! or wait, and never tells the client whether a mail went out (which would
//! say whether an account exists). A failure is logged.

pub mod messages;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailSettings, MailTransport, SmtpTls};

/// The longest one mail may take to hand over, connection included.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// One message: a plain-text and an HTML part.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

enum Transport {
    Log,
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Sends the server's mail. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: Arc<Transport>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> anyhow::Result<Mailer> {
        let from: Mailbox = settings
            .from
            .parse()
            .context("invalid setting EMAIL_FROM")?;
        let transport = match &settings.transport {
            MailTransport::Log => Transport::Log,
            MailTransport::Smtp {
                host,
                port,
                tls,
                credentials,
            } => {
                let builder = match tls {
                    SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                    SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                        .context("invalid setting EMAIL_URL")?,
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                        .context("invalid setting EMAIL_URL")?,
                };
                let mut builder = builder.port(*port).timeout(Some(SEND_TIMEOUT));
                if let Some((user, password)) = credentials {
                    builder = builder
                        .credentials(Credentials::new(user.clone(), password.expose().to_owned()));
                }
                Transport::Smtp(builder.build())
            }
        };
        Ok(Mailer {
            transport: Arc::new(transport),
            from,
        })
    }

    /// Sends `mail` in the background; returns at once.
    pub fn send_later(&self, mail: Mail) {
        let mailer = self.clone();
        tokio::spawn(async move {
            let subject = mail.subject.clone();
            match tokio::time::timeout(SEND_TIMEOUT, mailer.send(mail)).await {
                Ok(Ok(())) => tracing::info!(subject, "mail sent"),
                Ok(Err(error)) => tracing::warn!(subject, error = %error, "mail not sent"),
                Err(_) => tracing::warn!(subject, "mail not sent: the mail server took too long"),
            }
        });
    }

    async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        match &*self.transport {
            Transport::Log => {
                // EMAIL_URL=log: the whole message, its link included, is
                // the point (README, "Two commands").
                tracing::info!(
                    to = mail.to,
                    subject = mail.subject,
                    "mail (EMAIL_URL=log):\n{}",
                    mail.text
                );
                Ok(())
            }
            Transport::Smtp(smtp) => {
                let to: Mailbox = mail.to.parse().context("the recipient's address")?;
                let message = Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(mail.subject)
                    .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
                    .context("building the message")?;
                smtp.send(message).await.context("the SMTP server")?;
                Ok(())
            }
        }
    }
}
