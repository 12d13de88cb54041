//! What a session's `User-Agent` says about the device and the browser, read
//! by woothee: a small rule set compiled in, no data file to ship (the
//! ua-parser ports carry a regex list of several hundred KiB).

use woothee::parser::Parser;
use woothee::woothee::VALUE_UNKNOWN;

/// A session's device ("Linux computer", "iPhone") and browser ("Chrome 120").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAgentSummary {
    pub device: String,
    pub browser: String,
}

const UNKNOWN_DEVICE: &str = "Unknown device";
const UNKNOWN_BROWSER: &str = "Unknown browser";

/// Reads `user_agent`; what it does not say is "Unknown device" or
/// "Unknown browser", never an empty cell.
pub fn summarize(user_agent: &str) -> UserAgentSummary {
    let Some(parsed) = Parser::new().parse(user_agent) else {
        return UserAgentSummary {
            device: UNKNOWN_DEVICE.to_owned(),
            browser: UNKNOWN_BROWSER.to_owned(),
        };
    };
    UserAgentSummary {
        device: device(parsed.category, parsed.os),
        browser: browser(parsed.name, parsed.version),
    }
}

fn known(value: &str) -> Option<&str> {
    (!value.is_empty() && value != VALUE_UNKNOWN).then_some(value)
}

fn device(category: &str, os: &str) -> String {
    let os = known(os);
    match (category, os) {
        // iPhone, iPad and iPod name the device already.
        (_, Some(os @ ("iPhone" | "iPad" | "iPod"))) => os.to_owned(),
        ("pc", Some(os)) => format!("{} computer", os.replace("Mac OSX", "Mac")),
        ("smartphone", Some(os)) => format!("{os} phone"),
        ("mobilephone", _) => "Mobile phone".to_owned(),
        ("crawler", _) => "Bot".to_owned(),
        (_, Some(os)) => os.to_owned(),
        (_, None) => UNKNOWN_DEVICE.to_owned(),
    }
}

fn browser(name: &str, version: &str) -> String {
    let Some(name) = known(name) else {
        return UNKNOWN_BROWSER.to_owned();
    };
    match known(version).and_then(|v| v.split('.').next()) {
        Some(major) if !major.is_empty() => format!("{name} {major}"),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(device: &str, browser: &str) -> UserAgentSummary {
        UserAgentSummary {
            device: device.to_owned(),
            browser: browser.to_owned(),
        }
    }

    #[test]
    fn desktop_browsers_name_the_system_and_the_major_version() {
        assert_eq!(
            summarize(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 HeadlessChrome/120.0.6099.224 Safari/537.36"
            ),
            summary("Linux computer", "Chrome 120")
        );
        assert_eq!(
            summarize(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
            ),
            summary("Windows 10 computer", "Firefox 128")
        );
        assert_eq!(
            summarize(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"
            ),
            summary("Mac computer", "Safari 17")
        );
    }

    #[test]
    fn phones_are_named_as_phones() {
        assert_eq!(
            summarize(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
            ),
            summary("iPhone", "Safari 17")
        );
        assert_eq!(
            summarize(
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/124.0.0.0 Mobile Safari/537.36"
            ),
            summary("Android phone", "Chrome 124")
        );
    }

    #[test]
    fn an_unreadable_or_missing_user_agent_is_unknown() {
        for agent in ["", "curl-ish/1", "\u{1F600}"] {
            let read = summarize(agent);
            assert!(
                !read.device.is_empty() && !read.browser.is_empty(),
                "{agent:?}"
            );
        }
        assert_eq!(summarize(""), summary(UNKNOWN_DEVICE, UNKNOWN_BROWSER));
    }
}
