"""The language: source text (DSL or YAML) to a checked, resolved IR, and back to text."""
