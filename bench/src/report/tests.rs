//! Tests of the report writer.
