"""Every shipped scenario validates against scenarios/scenario.schema.json and every golden trace
against traces/trace.schema.json, so the schemas cannot drift from what the tool reads and writes.
"""
import glob
import json
import os
import sys
import unittest

import jsonschema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(path):
    with open(path) as f:
        return json.load(f)


class Schemas(unittest.TestCase):
    def check_all(self, schema_path, pattern):
        schema = load(os.path.join(ROOT, schema_path))
        jsonschema.Draft202012Validator.check_schema(schema)
        files = sorted(p for p in glob.glob(os.path.join(ROOT, pattern), recursive=True) if ".schema." not in p)
        self.assertTrue(files, "no files matched " + pattern)
        for path in files:
            with self.subTest(path=os.path.relpath(path, ROOT)):
                jsonschema.validate(load(path), schema, cls=jsonschema.Draft202012Validator)
        return files

    def test_scenarios(self):
        self.check_all("scenarios/scenario.schema.json", "scenarios/**/*.json")

    def test_traces(self):
        for path in self.check_all("traces/trace.schema.json", "traces/golden/**/*.trace.json"):
            scenario = load(os.path.join(ROOT, "scenarios/scenario.schema.json"))
            jsonschema.validate(load(path)["scenario"]["content"], scenario, cls=jsonschema.Draft202012Validator)

    def test_schema_rejects_unknown_field(self):
        schema = load(os.path.join(ROOT, "scenarios/scenario.schema.json"))
        bad = {"model": "litmus", "threads": [{"name": "T", "ops": []}], "expect": {"verdict": "pass"}, "extra": 1}
        with self.assertRaises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)


if __name__ == "__main__":
    unittest.main(verbosity=1)
