"""The config's JSON Schema, for editors that complete and check YAML and JSON as it is typed.

It is generated from the same field declarations the loader validates with (`schema.Config`),
then widened where the loader accepts a shorthand before validating: a number for `inputs`,
a list of rows or a file name for `data`, a number or a matrix for a layer's `weights`, and
the short names of the weight schemes. The bundled configs name the generated file
(`backtrace schema -o configs/backtrace.schema.json` writes it; a test keeps it current).
"""

from __future__ import annotations

import json
from typing import Any

from backtrace.config.schema import INIT_ALIASES, Config
from backtrace.config.validation import json_schema

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ROWS = {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}


def config_schema() -> dict[str, Any]:
    schema = json_schema(Config)
    definitions = schema["$defs"]
    properties = schema["properties"]
    properties["inputs"] = {
        "anyOf": [
            {"type": "integer", "minimum": 1, "description": "the number of inputs"},
            properties["inputs"],
        ],
    }
    properties["data"] = {
        "anyOf": [
            {**ROWS, "description": "the samples: each row its inputs, then its targets"},
            {"type": "string", "description": "a CSV file, relative to the config"},
            properties["data"],
        ]
    }
    layer = definitions["Layer"]["properties"]
    weights = {key: value for key, value in layer["weights"].items() if key != "discriminator"}
    layer["weights"] = {
        "anyOf": [
            {"type": "number", "description": "every weight of the layer this value"},
            {**ROWS, "description": "the matrix: a row per receiving unit"},
            *weights["oneOf"],
        ],
        "title": weights.get("title", "Weights"),
    }
    scheme = definitions["RandomWeights"]["properties"]["init"]
    scheme["enum"] = [*scheme["enum"], *INIT_ALIASES]
    return {
        "$schema": DIALECT,
        "title": "backtrace config",
        "description": "A small dense network to trace: `backtrace docs config` describes "
        "every field.",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def config_schema_text() -> str:
    return json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"
