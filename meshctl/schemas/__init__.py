"""Schema registry schemas (Avro, JSON Schema, Protobuf): validation, canonical text, diffs and compatibility.

The public API lives in `meshctl.schemas.diff`; the other modules are per-format details.
"""
