//! Tests of the README text.
