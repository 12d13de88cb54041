//! End-to-end browser journeys of UI.md: headless Chromium, driven through
//! Debian's chromedriver, against the real backend running in-process on the
//! built frontend.
//!
//! `harness` starts everything for one journey and cleans up after it
//! (`browser` is one headless Chromium),
//! `find` names what a user looks at, `action` is what a user does, and
//! `check` is what a user notices. `network` lets a journey count and hold
//! the app's requests, to see what the user sees while one is under way.

pub mod action;
pub mod browser;
pub mod check;
pub mod find;
pub mod harness;
pub mod network;

pub use harness::{Journey, TestUser};
