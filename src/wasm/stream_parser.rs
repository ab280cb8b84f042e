//! `EventStreamParser`: the parser behind a `TransformStream` (issue 5).
