//! End-to-end browser journeys (filled in by the frontend issue).
