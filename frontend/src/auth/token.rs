//! The pure rules of the session: reading an access token's claims, when to
//! refresh it, whether a refresh answer still belongs to the stored session,
//! whether a refusal may be a race lost to another tab, and how long to wait
//! after a failed refresh. No browser, no signals: unit-tested here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use shared::{AccessClaims, TokenPair, TokenType};

use crate::api::error::ApiErrorBody;

/// The claims of an access token, read without checking its signature: the
/// browser has no key, and the server checks every token it is sent. The
/// claims only say whose name to show and when to refresh.
pub fn decode_access(token: &str) -> Option<AccessClaims> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: AccessClaims = serde_json::from_slice(&bytes).ok()?;
    (claims.token_type == TokenType::Access).then_some(claims)
}

/// The most time before `exp` at which a token is refreshed.
const MAX_REFRESH_MARGIN_S: f64 = 60.0;

/// Whether an access token with these claims has less than a quarter of its
/// lifetime (at most 60 s) left at `now` (seconds since the epoch).
pub fn needs_refresh(claims: &AccessClaims, now: f64) -> bool {
    let margin = (claims.lifetime() as f64 / 4.0).min(MAX_REFRESH_MARGIN_S);
    (claims.exp as f64) - now < margin
}

/// Whether a refresh `answer` belongs to the session still stored: the
/// refresh token that was `sent` is still the stored one, or storage already
/// holds the answer's refresh token (tabs that raced with one token all get
/// the same pair inside the reuse grace, API.md "A refresh retried inside
/// the grace gets the same answer", and the first one stored it). If storage
/// was cleared (a logout, here or in another tab) or holds another pair (a
/// new login), the answer is stale and must not be stored.
pub fn answers_current_session(
    sent: &TokenPair,
    answer: &TokenPair,
    stored: Option<&TokenPair>,
) -> bool {
    stored.is_some_and(|stored| stored.refresh == sent.refresh || stored.refresh == answer.refresh)
}

/// The reason the API gives for a refresh token that was already used.
const BLACKLISTED: &str = "Token is blacklisted";

/// Whether a refused refresh may be a race lost to another tab, whose newer
/// pair is then about to land in storage: only a token that was already used
/// (`Token is blacklisted`) can be. An expired or invalid token is final, so
/// the session ends at once.
pub fn may_be_a_lost_race(body: &ApiErrorBody) -> bool {
    matches!(body, ApiErrorBody::Detail(body) if body.detail == BLACKLISTED)
}

/// The first wait after a failed refresh, and the most it grows to.
const BACKOFF_FIRST_MS: f64 = 1_000.0;
const BACKOFF_MAX_MS: f64 = 30_000.0;

/// When the background refresh may try again after failures to reach the
/// server: 1 s after the first, doubling up to 30 s, each wait shortened by
/// a random factor (jitter) so that tabs and browsers that lost the server
/// together do not all come back at the same instant.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Backoff {
    failures: u32,
    retry_at_ms: f64,
}

impl Backoff {
    /// Whether a background refresh may be tried at `now_ms`.
    pub fn may_try(&self, now_ms: f64) -> bool {
        now_ms >= self.retry_at_ms
    }

    /// One more failure at `now_ms`; `random` is uniform in `[0, 1)`.
    pub fn failed(&mut self, now_ms: f64, random: f64) {
        self.failures = self.failures.saturating_add(1);
        self.retry_at_ms = now_ms + backoff_delay_ms(self.failures, random);
    }

    /// The server answered: try again whenever needed.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// The wait after `failures` consecutive failures: the capped doubling,
/// times a factor in `[0.5, 1)` ("equal jitter").
pub fn backoff_delay_ms(failures: u32, random: f64) -> f64 {
    let doublings = failures.saturating_sub(1).min(16);
    let base = (BACKOFF_FIRST_MS * f64::from(1u32 << doublings)).min(BACKOFF_MAX_MS);
    base * (0.5 + 0.5 * random.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use shared::ErrorBody;

    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn an_access_token_decodes_into_its_claims() {
        let access = token(
            r#"{"token_type":"access","exp":1700000300,"iat":1700000000,"jti":"ab","user_id":7,"username":"sam"}"#,
        );
        let claims = decode_access(&access).expect("claims");
        assert_eq!(claims.username, "sam");
        assert_eq!(claims.lifetime(), 300);
    }

    fn claims_living(iat: i64, lifetime: i64) -> AccessClaims {
        let access = token(&format!(
            r#"{{"token_type":"access","exp":{},"iat":{iat},"jti":"ab","user_id":7,"username":"sam"}}"#,
            iat + lifetime
        ));
        decode_access(&access).expect("claims")
    }

    fn pair(refresh: &str) -> TokenPair {
        TokenPair {
            access: "access".into(),
            refresh: refresh.into(),
        }
    }

    #[test]
    fn a_short_lived_token_is_refreshed_in_the_last_quarter_of_its_lifetime() {
        // 3 s lifetime: the window is the last 0.75 s.
        let claims = claims_living(1_000, 3);
        assert!(!needs_refresh(&claims, 1_000.0));
        assert!(!needs_refresh(&claims, 1_002.2));
        assert!(needs_refresh(&claims, 1_002.3));
        assert!(needs_refresh(&claims, 1_003.0));
        assert!(needs_refresh(&claims, 1_010.0));
    }

    #[test]
    fn a_long_lived_token_is_refreshed_at_most_60_seconds_before_it_expires() {
        // 1 h lifetime: a quarter would be 15 min, but the cap is 60 s.
        let claims = claims_living(1_000, 3_600);
        assert!(!needs_refresh(&claims, 1_000.0 + 3_600.0 - 61.0));
        assert!(needs_refresh(&claims, 1_000.0 + 3_600.0 - 59.0));
        // 4 min lifetime: a quarter is exactly the cap.
        let claims = claims_living(1_000, 240);
        assert!(!needs_refresh(&claims, 1_000.0 + 179.0));
        assert!(needs_refresh(&claims, 1_000.0 + 181.0));
    }

    #[test]
    fn a_refresh_answer_is_kept_only_while_the_sent_token_is_still_stored() {
        let sent = pair("r1");
        let answer = pair("r2");
        assert!(answers_current_session(&sent, &answer, Some(&pair("r1"))));
        // Logged out while the refresh was on its way.
        assert!(!answers_current_session(&sent, &answer, None));
        // Logged out and in again (here or in another tab).
        assert!(!answers_current_session(&sent, &answer, Some(&pair("r3"))));
    }

    #[test]
    fn a_racing_tab_that_stored_the_same_answer_first_is_the_same_session() {
        let sent = pair("r1");
        let answer = pair("r2");
        assert!(answers_current_session(&sent, &answer, Some(&pair("r2"))));
    }

    #[test]
    fn refresh_tokens_and_garbage_are_not_access_claims() {
        let refresh = token(
            r#"{"token_type":"refresh","exp":2,"iat":1,"jti":"ab","user_id":7,"username":"sam","sid":"s","auth_time":1}"#,
        );
        assert_eq!(decode_access(&refresh), None);
        assert_eq!(decode_access("not-a-token"), None);
        assert_eq!(decode_access("a.!!!.c"), None);
        assert_eq!(decode_access(&token("[1, 2]")), None);
    }

    fn refusal(detail: &str) -> ApiErrorBody {
        ApiErrorBody::Detail(ErrorBody {
            detail: detail.into(),
            code: Some("token_not_valid".into()),
        })
    }

    #[test]
    fn only_a_used_refresh_token_may_have_lost_a_race_to_another_tab() {
        assert!(may_be_a_lost_race(&refusal("Token is blacklisted")));
        assert!(!may_be_a_lost_race(&refusal("Token is expired")));
        assert!(!may_be_a_lost_race(&refusal("Token is invalid")));
        assert!(!may_be_a_lost_race(&ApiErrorBody::Unreadable));
    }

    #[test]
    fn the_wait_doubles_from_one_second_up_to_thirty_with_jitter() {
        // Without jitter (random near 1) the waits are 1, 2, 4, 8, 16, 30, 30 s.
        let top = |n| backoff_delay_ms(n, 0.999_999).round();
        assert_eq!(
            (1..=7).map(top).collect::<Vec<_>>(),
            [
                1_000.0, 2_000.0, 4_000.0, 8_000.0, 16_000.0, 30_000.0, 30_000.0
            ]
        );
        assert_eq!(backoff_delay_ms(u32::MAX, 0.999_999).round(), 30_000.0);
        // Jitter takes off at most half.
        assert_eq!(backoff_delay_ms(1, 0.0), 500.0);
        assert_eq!(backoff_delay_ms(3, 0.5), 3_000.0);
    }

    #[test]
    fn a_backoff_waits_after_failures_and_forgets_them_when_the_server_answers() {
        let mut backoff = Backoff::default();
        assert!(backoff.may_try(0.0));
        backoff.failed(10_000.0, 0.999_999);
        assert!(!backoff.may_try(10_500.0));
        assert!(backoff.may_try(11_000.0));
        backoff.failed(11_000.0, 0.999_999);
        assert!(!backoff.may_try(12_900.0));
        assert!(backoff.may_try(13_000.0));
        backoff.reset();
        assert!(backoff.may_try(0.0));
        backoff.failed(20_000.0, 0.999_999);
        assert!(backoff.may_try(21_000.0), "the count started again");
    }
}
