"""Strict schema check of built-in Kubernetes objects with kubernetes-validate (offline).

Reads a JSON list of objects on stdin and validates each in strict mode (unknown fields are
errors) against the OpenAPI schemas kubernetes-validate bundles for the Kubernetes version
in argv[1]. Prints a JSON list with one entry per object: null when it passes, otherwise the
error (`path: message`, or that no schema exists for its apiVersion and kind).
"""
import functools
import json
import sys

import kubernetes_validate.utils as u

# validate() reads the kind's schema and the shared _definitions.json from disk on every
# call; cache them (the same files serve hundreds of objects).
u.schema_contents = functools.lru_cache(maxsize=None)(u.schema_contents)


def check(obj, version):
    try:
        u.validate(obj, version, strict=True)
        return None
    except u.ValidationError as e:
        return "%s: %s" % (".".join(str(p) for p in e.path), e.message)
    except u.SchemaNotFoundError as e:
        return e.message


def main():
    version = sys.argv[1]
    objs = json.load(sys.stdin)
    json.dump([check(o, version) for o in objs], sys.stdout)


if __name__ == "__main__":
    main()
