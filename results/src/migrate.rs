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
            2 => v2_to_v3(doc),
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

/// Version 3 added `meta.clock_hz`, `meta.target_sha256` and `meta.memory` (the firmware
/// footprint of every run, not only of model runs). A version 2 file leaves the first two
/// unknown; a model run's `model.memory` is copied to `meta.memory`, so every reader finds
/// a run's footprint in one place.
fn v2_to_v3(mut doc: Value) -> Value {
    let memory = doc.pointer("/model/memory").cloned();
    if let (Some(obj), Some(m)) = (doc.as_object_mut(), memory) {
        let meta = obj
            .entry("meta")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(meta) = meta.as_object_mut() {
            meta.entry("memory").or_insert(m);
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_model_memory_moves_into_meta_and_suites_stay_without() {
        let doc = serde_json::json!({
            "schema_version": 2,
            "meta": {"run_id": "r"},
            "model": {"memory": {"text": 1, "rodata": 2, "data": 3, "bss": 4,
                "stack_used": null, "flash_size": 10, "ram_size": 20}}
        });
        let v3 = to_current(doc).unwrap();
        assert_eq!(v3["schema_version"], 3);
        assert_eq!(v3["meta"]["memory"]["rodata"], 2);
        let suite = to_current(serde_json::json!({"schema_version": 2, "meta": {}})).unwrap();
        assert!(suite["meta"].get("memory").is_none());
        assert!(matches!(
            to_current(serde_json::json!({"schema_version": 4})),
            Err(SchemaError::UnsupportedVersion(4))
        ));
    }
}
