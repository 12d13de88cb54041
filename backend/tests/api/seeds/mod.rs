//! The five seed systems of `/work/shared/seeds/` (see its README.md): each
//! module replays what one single-page app sends to its Django JWT backend
//! and what it reads from the answers, against this backend started with the
//! settings the README gives for that seed. A test here fails when a change
//! of ours would break that client: a path, a body field, a header prefix, a
//! claim it decodes, or what it does on a 401.
//!
//! The comments beside each step quote the seed line relied on, as
//! `// 003 HomePage.js: fetch('http://127.0.0.1:8000/api/profile', …)`
//! (the number is the seed file's, the line is in that file).

mod angularjs;
mod aurelia;
mod ionic;
mod react;
mod vue;
