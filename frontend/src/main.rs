//! The browser app (filled in by the frontend issue).

fn main() {}
