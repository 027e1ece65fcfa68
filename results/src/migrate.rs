//! Schema migrations: each step turns the JSON of version N into version N+1, so a file
//! written by any earlier tinybench loads into today's [`crate::RunResult`]. Steps work on
//! `serde_json::Value` so old layouts need no Rust types of their own.

use crate::{SchemaError, SCHEMA_VERSION};
use serde_json::{Map, Value};

/// Bring a result document of any supported version to [`SCHEMA_VERSION`].
pub fn to_current(mut doc: Value) -> Result<Value, SchemaError> {
    let mut version = doc
        .get("schema_version")
        .and_then(Value::as_u64)
        .ok_or(SchemaError::NoVersion)?;
    if version == 0 || version > u64::from(SCHEMA_VERSION) {
        return Err(SchemaError::UnsupportedVersion(version));
    }
    while version < u64::from(SCHEMA_VERSION) {
        doc = match version {
            1 => v1_to_v2(doc),
            // Every version below SCHEMA_VERSION has a step above.
            other => return Err(SchemaError::UnsupportedVersion(other)),
        };
        version += 1;
        if let Some(obj) = doc.as_object_mut() {
            obj.insert("schema_version".into(), Value::from(version));
        }
    }
    Ok(doc)
}

/// Version 2 added `meta` (run id, git commit and dirty flag, toolchain, host). A version 1
/// file knows none of them: they stay unknown rather than guessed.
fn v1_to_v2(mut doc: Value) -> Value {
    if let Some(obj) = doc.as_object_mut() {
        obj.entry("meta")
            .or_insert_with(|| Value::Object(Map::new()));
    }
    doc
}
