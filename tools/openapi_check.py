#!/usr/bin/python3
"""Checks docs/openapi.yaml against the daemon's code and against real answers.

Usage: openapi_check.py SPEC ANSWERS API_SOURCE_DIR

SPEC            docs/openapi.yaml
ANSWERS         JSON lines {"method","template","status","content_type","body"}, one per answer
                a test got from the real snapshotd
API_SOURCE_DIR  snapshotd/api: every `router->Add(verb::M, "PATH", …)` there is a route

It fails (exit 1, one line a problem) when a route the daemon serves is not described or a
described operation is not served; when an answer's status or content type is not described for
its operation; when a JSON answer does not validate against the schema of its status; and when a
described operation got no successful answer (the test must call every operation).
Needs Debian's python3-yaml and python3-jsonschema.
"""

import json
import pathlib
import re
import sys

import jsonschema
import yaml

METHODS = ("get", "post", "put", "delete", "patch")


def code_routes(api_dir):
    routes = set()
    pattern = re.compile(r'Add\(\s*verb::(\w+)\s*,\s*"([^"]+)"')
    for path in sorted(pathlib.Path(api_dir).glob("*.cc")):
        for method, template in pattern.findall(path.read_text()):
            routes.add((method.lower(), template))
    return routes


def spec_routes(spec):
    return {(m, p) for p, item in spec["paths"].items() for m in item if m in METHODS}


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = spec
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def main():
    spec_file, answers_file, api_dir = sys.argv[1:4]
    spec = yaml.safe_load(pathlib.Path(spec_file).read_text())
    jsonschema.Draft202012Validator.check_schema({"components": spec["components"]})
    problems = []

    in_code, in_spec = code_routes(api_dir), spec_routes(spec)
    if not in_code:
        problems.append(f"no routes found in {api_dir}: has the router's Add() changed?")
    for m, p in sorted(in_code - in_spec):
        problems.append(f"{m.upper()} {p}: served by the daemon, missing from the description")
    for m, p in sorted(in_spec - in_code):
        problems.append(f"{m.upper()} {p}: described, but the daemon has no such route")

    succeeded = set()
    checked = 0
    for line_no, line in enumerate(pathlib.Path(answers_file).read_text().splitlines(), 1):
        a = json.loads(line)
        method, template, status = a["method"].lower(), a["template"], str(a["status"])
        where = f"{method.upper()} {template} -> {status} (answer {line_no})"
        op = spec["paths"].get(template, {}).get(method)
        if op is None:
            problems.append(f"{where}: no such operation in the description")
            continue
        response = op["responses"].get(status)
        if response is None:
            problems.append(f"{where}: status not described")
            continue
        response = resolve(spec, response)
        ctype = a["content_type"].split(";")[0].strip()
        media = response.get("content", {})
        if ctype not in media:
            problems.append(f"{where}: content type {ctype!r} not described ({sorted(media)})")
            continue
        if status.startswith("2"):
            succeeded.add((method, template))
        if ctype != "application/json":
            continue
        try:
            body = json.loads(a["body"])
        except ValueError as e:
            problems.append(f"{where}: not JSON: {e}")
            continue
        schema = dict(media[ctype]["schema"])
        schema["components"] = spec["components"]
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(body),
                        key=lambda e: list(e.path))
        for e in errors[:5]:
            path = "/".join(str(x) for x in e.path)
            problems.append(f"{where}: at /{path}: {e.message[:300]}")
        checked += 1

    for m, p in sorted(in_spec - succeeded):
        problems.append(f"{m.upper()} {p}: no successful answer was checked (call it in the test)")

    for p in problems:
        print(p)
    print(f"openapi_check: {checked} JSON answers validated, {len(in_spec)} operations, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
