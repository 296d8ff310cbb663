"""Checks that the NodePool CRD covers every field of the clouds' official SDK
models for creating a node pool.

  huaweicloudsdkcce:        NodePoolSpec (and NodePoolMetadata.name/annotations),
                            recursively, against spec.huawei
  alibabacloud-cs20151215:  CreateClusterNodePoolRequest, recursively, against
                            spec.alibaba (snake_case names -> lowerCamelCase)

Fields left out on purpose are listed, with the reason, in omitted.txt next to
this script. Fails when an SDK field is neither in the CRD nor listed there, or
when a listed field is in the CRD after all (a stale entry).

Usage: python check_fields.py CRD.yaml   (run with the venv from venv.sh)
"""
import inspect
import re
import sys
import typing
from pathlib import Path

import yaml


def huawei_fields():
    from huaweicloudsdkcce.v3 import model as hw

    out = {}

    def walk(cls, prefix, seen):
        for attr, typ in cls.openapi_types.items():
            path = prefix + cls.attribute_map[attr]
            out[path] = typ
            inner = re.sub(r"^(list\[|dict\(str, )(.*)[\])]$", r"\2", typ)
            sub = getattr(hw, inner, None)
            if inspect.isclass(sub) and hasattr(sub, "openapi_types") and inner not in seen:
                walk(sub, path + ("[]." if typ.startswith("list[") else "{}." if typ.startswith("dict(") else "."), seen | {inner})

    walk(hw.NodePoolSpec, "", frozenset({"NodePoolSpec"}))
    out["name"] = "str"  # NodePoolMetadata.name
    out["annotations"] = "dict(str, str)"  # NodePoolMetadata.annotations
    return out


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def alibaba_fields():
    """Builds a CreateClusterNodePoolRequest with every field set (recursively)
    and lets the SDK's own to_map() name them on the wire."""
    from alibabacloud_cs20151215 import models as ali

    def sample(ann, seen):
        m = re.search(r"main_models\.(\w+)", ann)
        if m and m.group(1) not in seen:
            model = build(getattr(ali, m.group(1)), seen | {m.group(1)})
            return [model] if ann.startswith("List[") else model
        if ann.startswith("List["):
            return ["x"]
        if ann.startswith("Dict["):
            return {"k": "v"}
        return {"int": 1, "bool": True, "float": 1.0}.get(ann, "x")

    def build(cls, seen):
        kwargs = {}
        for attr, param in inspect.signature(cls.__init__).parameters.items():
            if attr != "self":
                ann = param.annotation if isinstance(param.annotation, str) else str(param.annotation)
                kwargs[attr] = sample(ann, seen)
        return cls(**kwargs)

    out = {}

    def walk(value, prefix):
        if isinstance(value, dict):
            for key, sub in value.items():
                path = prefix + camel(key)
                out[path] = type(sub).__name__
                if isinstance(sub, dict) and sub != {"k": "v"}:
                    walk(sub, path + ".")
                elif isinstance(sub, list) and sub and isinstance(sub[0], dict):
                    walk(sub[0], path + "[].")

    walk(build(ali.CreateClusterNodePoolRequest, frozenset()).to_map(), "")
    return out


def crd_paths(schema, prefix=""):
    """Every property path of an OpenAPI schema, lists as [] and maps as {}."""
    out = set()
    for name, sub in (schema.get("properties") or {}).items():
        path = prefix + name
        out.add(path)
        out |= crd_paths(sub, path + ".")
        if "items" in sub:
            out |= crd_paths(sub["items"], path + "[].")
        if isinstance(sub.get("additionalProperties"), dict):
            out |= crd_paths(sub["additionalProperties"], path + "{}.")
    return out


def load_omitted():
    omitted = {}
    for line in (Path(__file__).parent / "omitted.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, reason = line.partition(" ")
        cloud, _, path = key.partition(":")
        if not reason.strip():
            sys.exit(f"omitted.txt: {key} has no reason")
        omitted[(cloud, path)] = reason.strip()
    return omitted


def main():
    crd = yaml.safe_load(Path(sys.argv[1]).read_text())
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    omitted = load_omitted()
    problems = []
    total = 0
    for cloud, sdk, sub in (("huawei", huawei_fields(), schema["huawei"]), ("alibaba", alibaba_fields(), schema["alibaba"])):
        have = crd_paths(sub)
        covered = 0
        for path in sorted(sdk):
            total += 1
            listed = (cloud, path) in omitted
            # A field under an omitted parent is omitted with it.
            parent_omitted = any(path.startswith(p + ".") or path.startswith(p + "[]") or path.startswith(p + "{}")
                                 for (c, p) in omitted if c == cloud)
            if path in have:
                covered += 1
                if listed:
                    problems.append(f"{cloud}: {path} is in the CRD but listed in omitted.txt; remove the entry")
            elif not listed and not parent_omitted:
                problems.append(f"{cloud}: SDK field {path} ({sdk[path]}) is not in spec.{cloud}")
        print(f"{cloud}: {covered} of {len(sdk)} SDK fields in the CRD, "
              f"{sum(1 for (c, _) in omitted if c == cloud)} omitted on purpose (tests/sdk/omitted.txt)")
    if problems:
        print("\n".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
