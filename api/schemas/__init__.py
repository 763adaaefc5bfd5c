"""Wire schemas. A leaf: imports only Pydantic and model enums."""
