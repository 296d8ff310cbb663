"""Checks that the NodePool CRD refuses exactly the changes the clouds cannot make in place.

A field is *mutable* when the cloud's official SDK update model can carry it:

  huaweicloudsdkcce:        NodePoolUpdate (metadata.name, spec: NodePoolSpecUpdate,
                            nodeTemplate: NodeSpecUpdate, extendParam: NodePoolUpdateExtendParam),
                            recursively; update names map back to the create names
                            (rootVolumeUpdate -> rootVolume, dataVolumesUpdate -> dataVolumes,
                            nodeManagementUpdate -> nodeManagement, nodeNicSpecUpdate -> nodeNicSpec)
  alibabacloud-cs20151215:  ModifyClusterNodePoolRequest, recursively (its to_map() wire names,
                            snake_case -> lowerCamelCase)

minus the fields the SDK documents as not modifiable although the update model has them
(CCE NodeSpecUpdate: "不允许修改"; ACK create model: "cannot be modified after the node pool is
created"), plus a few listed below with their reasons. Every other field of spec.huawei and
spec.alibaba is *immutable*.

A field is *guarded* when CEL transition rules refuse changing it, and setting or removing it:
  - a rule on an object that is always there in both the old and the new NodePool (the cloud
    section itself, or a chain of required fields below it, no lists) that compares
    `self.<path> == oldSelf.<path>` and the presence of the path, `P(self) == P(oldSelf)` with
    `P(x) = has(x.a) && has(x.a.b)`, or `(P(self) ? self.<path> : d) == (P(oldSelf) ? ... : d)`
    for a field whose absence means `d` (the forms src/crd/huawei/rules.rs `unchanged` and
    `unchanged_or` write), or
  - `self == oldSelf` on the field itself, with its presence compared as above or the field
    required all the way up.
A guard on a field covers everything below it. The rules' behaviour itself is tested against
the real API server in tests/admission.rs.

Fails when an immutable field is not guarded, or when a guard covers a mutable field.

Usage: python check_immutable.py CRD.yaml   (run with the venv from venv.sh)
"""
import inspect
import re
import sys
from pathlib import Path

import yaml

# Fields whose SDK update model carries them but that stay fixed on purpose.
IMMUTABLE_BY_DESIGN = {
    ("huawei", "name"): "the controller finds the CCE pool by its name",
}

# Fields the update model cannot carry that still change, through another call or none.
MUTABLE_ELSEWHERE = {
    ("alibaba", "count"): "deprecated node count: the controller scales to it like desiredSize",
    ("alibaba", "forceDelete"): "read by the controller when it deletes the pool; never sent to ACK",
}

# Guards CEL cannot make complete: names with ':' cannot be addressed in CEL, so no rule on a
# parent can see them; the field's own `self == oldSelf` refuses a change, not a set or unset.
CHANGE_ONLY = {
    ("huawei", "nodeTemplate.extendParam.ecs:performancetype"): "':' cannot be addressed in CEL",
}

# How CCE's update model names what the create model calls otherwise.
CCE_UPDATE_NAMES = {
    "rootVolumeUpdate": "rootVolume",
    "dataVolumesUpdate": "dataVolumes",
    "nodeManagementUpdate": "nodeManagement",
    "nodeNicSpecUpdate": "nodeNicSpec",
}

NOT_MODIFIABLE = re.compile(r"不允许修改|不可修改|cannot be modified after|not modifiable")


# --- what the SDK update models carry -----------------------------------------------------------

def huawei_update():
    """(carried paths, leaf paths whose whole subtree is carried, documented-not-modifiable paths)"""
    from huaweicloudsdkcce.v3 import model as hw

    carried, leaves, fixed = set(), set(), {}

    def walk(cls, prefix, seen):
        for attr, typ in cls.openapi_types.items():
            name = cls.attribute_map[attr]
            path = prefix + CCE_UPDATE_NAMES.get(name, name)
            carried.add(path)
            doc = getattr(cls, attr).__doc__ or ""
            if NOT_MODIFIABLE.search(doc):
                fixed[path] = f"{cls.__name__}.{attr}: {NOT_MODIFIABLE.search(doc).group(0)}"
            inner = re.sub(r"^(list\[|dict\(str, )(.*)[\])]$", r"\2", typ)
            sub = getattr(hw, inner, None)
            if inspect.isclass(sub) and hasattr(sub, "openapi_types"):
                if inner not in seen:
                    walk(sub, path + ("[]." if typ.startswith("list[") else "."), seen | {inner})
            else:
                leaves.add(path)

    walk(hw.NodePoolSpecUpdate, "", frozenset({"NodePoolSpecUpdate"}))
    carried.add("name")  # NodePoolMetadataUpdate.name
    leaves.add("name")
    return carried, leaves, fixed


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def alibaba_model(cls_name):
    """Builds the request with every field set (recursively) and lets the SDK's own to_map()
    name them on the wire, as check_fields.py does for the create request."""
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

    return build(getattr(ali, cls_name), frozenset()).to_map()


def alibaba_paths(value, prefix, carried, leaves):
    for key, sub in value.items():
        path = prefix + camel(key)
        carried.add(path)
        if isinstance(sub, dict) and sub != {"k": "v"}:
            alibaba_paths(sub, path + ".", carried, leaves)
        elif isinstance(sub, list) and sub and isinstance(sub[0], dict):
            alibaba_paths(sub[0], path + "[].", carried, leaves)
        else:
            leaves.add(path)


def alibaba_comments(cls):
    """The comment above each `self.x = x` of an SDK model's __init__: its documentation."""
    out, buf = {}, []
    for line in inspect.getsource(cls.__init__).splitlines():
        s = line.strip()
        if s.startswith("#"):
            buf.append(s.lstrip("#").strip())
            continue
        m = re.match(r"self\.(\w+) = ", s)
        if m:
            out[m.group(1)] = " ".join(buf)
        buf = []
    return out


def alibaba_documented_fixed(carried):
    """Fields of the update model that the create model's docs call not modifiable."""
    from alibabacloud_cs20151215 import models as ali

    fixed = {}

    def walk(cls, prefix, seen):
        docs = alibaba_comments(cls)
        for attr, param in inspect.signature(cls.__init__).parameters.items():
            if attr == "self":
                continue
            path = prefix + camel(attr)
            hit = NOT_MODIFIABLE.search(docs.get(attr, ""))
            if hit and path in carried:
                fixed[path] = f"{cls.__name__}.{attr}: {hit.group(0)}"
            ann = param.annotation if isinstance(param.annotation, str) else str(param.annotation)
            m = re.search(r"main_models\.(\w+)", ann)
            if m and m.group(1) not in seen:
                walk(getattr(ali, m.group(1)), path + ("[]." if ann.startswith("List[") else "."), seen | {m.group(1)})

    walk(ali.CreateClusterNodePoolRequest, "", frozenset({"CreateClusterNodePoolRequest"}))
    return fixed


def alibaba_update():
    carried, leaves = set(), set()
    alibaba_paths(alibaba_model("ModifyClusterNodePoolRequest"), "", carried, leaves)
    return carried, leaves, alibaba_documented_fixed(carried)


# --- what the CRD guards ----------------------------------------------------------------------

def unescape(segment):
    """Kubernetes' CEL property name escaping, undone."""
    if re.fullmatch(r"__\w+__", segment) and "__" not in segment[2:-2]:
        return segment[2:-2]  # reserved words
    for code, char in (("__underscores__", "__"), ("__dot__", "."), ("__dash__", "-"), ("__slash__", "/")):
        segment = segment.replace(code, char)
    return segment


VALUE_REF = r"(?<![\w.])(?<!has\(){root}\.(\w+(?:\.\w+)*)"


def value_refs(rule, root):
    """CEL paths the rule reads as values below `root` (`self` or `oldSelf`)."""
    return set(re.findall(VALUE_REF.format(root=root), rule))


def has_chain(root, cel_path):
    """`has(r.a) && has(r.a.b)`: the whole path is there."""
    parts = cel_path.split(".")
    return " && ".join(f"has({root}.{'.'.join(parts[:i + 1])})" for i in range(len(parts)))


def compares_presence(rule, cel_path):
    """Whether the rule compares the presence of the path in self and oldSelf, in one of the two
    forms the CRD uses: `P(self) == P(oldSelf)`, or with a default for absence,
    `(P(self) ? self.x : d) == (P(oldSelf) ? oldSelf.x : d)`."""
    new, old = has_chain("self", cel_path), has_chain("oldSelf", cel_path)
    wrap = (lambda c: f"({c})") if "." in cel_path else (lambda c: c)
    if f"{wrap(new)} == {wrap(old)}" in rule:
        return True
    with_default = re.compile(r"\(\(?{}\)? \? {}\.{} : ([^()]+)\) == \(\(?{}\)? \? {}\.{} : \1\)".format(
        re.escape(new), "self", re.escape(cel_path), re.escape(old), "oldSelf", re.escape(cel_path)))
    return bool(with_default.search(rule))


def crd_name(cel_path):
    return ".".join(unescape(s) for s in cel_path.split("."))


def crd_nodes(schema, prefix="", chain=True, in_list=False):
    """(path, node, always there in both old and new, inside a list) for every schema node:
    `chain` holds while every field from the cloud section down to the node is required."""
    yield prefix, schema, chain, in_list
    required = set(schema.get("required") or [])
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}.{name}" if prefix else name
        yield from crd_nodes(sub, path, chain and name in required, in_list)
    if "items" in schema:
        yield from crd_nodes(schema["items"], prefix + "[]", False, True)


def guards(schema):
    """(changes refused, set/unset refused): paths of the cloud section, from its CEL rules."""
    nodes = list(crd_nodes(schema))
    always = {path for path, _, chain, in_list in nodes if chain and not in_list}
    changed, present = set(), set()
    for path, node, chain, in_list in nodes:
        for rule in node.get("x-kubernetes-validations") or []:
            text = rule["rule"]
            if "oldSelf" not in text or in_list:
                continue
            if text.strip() == "self == oldSelf":
                changed.add(path)
                if chain:
                    present.add(path)
                continue
            if path not in always:
                continue
            join = (lambda p: f"{path}.{p}") if path else (lambda p: p)
            for cel_path in value_refs(text, "self") & value_refs(text, "oldSelf"):
                changed.add(join(crd_name(cel_path)))
                if compares_presence(text, cel_path):
                    present.add(join(crd_name(cel_path)))
            # A presence comparison alone (a rule elsewhere compares the value).
            for cel_path in re.findall(r"has\(oldSelf\.(\w+(?:\.\w+)*)\)", text):
                if compares_presence(text, cel_path):
                    present.add(join(crd_name(cel_path)))
    return changed, present


def crd_paths(schema, prefix=""):
    """Every property path of an OpenAPI schema, lists as [] (as check_fields.py names them)."""
    out = set()
    for name, sub in (schema.get("properties") or {}).items():
        path = prefix + name
        out.add(path)
        out |= crd_paths(sub, path + ".")
        if "items" in sub:
            out |= crd_paths(sub["items"], path + "[].")
    return out


def ancestors(path):
    """The path and each of its parents, nearest first: a.b[].c -> a.b[].c, a.b, a."""
    out = [path]
    while True:
        cut = max(path.rfind("."), path.rfind("[]"))
        if cut <= 0:
            return out
        path = path[:cut]
        out.append(path)


def check(cloud, schema, carried, leaves, fixed):
    problems = []
    changed, present = guards(schema)

    def is_carried(path):
        if (cloud, path) in IMMUTABLE_BY_DESIGN:
            return False
        chain = ancestors(path)
        if any((cloud, p) in MUTABLE_ELSEWHERE for p in chain):
            return True
        if any(p in fixed for p in chain):
            return False
        return path in carried or any(p in leaves for p in chain[1:])

    def guard_of(path):
        for p in ancestors(path):
            if p in changed and (p in present or (cloud, p) in CHANGE_ONLY):
                return p
        return None

    def why_mutable(path):
        if path in carried:
            return "the SDK update model carries it"
        return MUTABLE_ELSEWHERE.get((cloud, path), "the SDK update model carries its parent")

    immutable = []
    for path in sorted(crd_paths(schema)):
        mutable = is_carried(path)
        guard = guard_of(path)
        partly = next((p for p in ancestors(path) if p in changed and p not in present), None)
        if mutable and (guard or partly):
            problems.append(f"{cloud}: {path} can change in place ({why_mutable(path)}), "
                            f"but a rule on {guard or partly} refuses the change")
        elif not mutable and not guard:
            why = fixed.get(path) or IMMUTABLE_BY_DESIGN.get((cloud, path)) or "the SDK update model cannot carry it"
            if partly:
                problems.append(f"{cloud}: {path} is immutable ({why}); a rule refuses changing it, but not setting "
                                f"or removing it: compare has(self.{path}) == has(oldSelf.{path}) on an object "
                                "that is always there")
            else:
                problems.append(f"{cloud}: {path} is immutable ({why}) but no CEL transition rule refuses changing it")
        elif not mutable and guard == path:
            immutable.append(path)
    print(f"{cloud}: {len(immutable)} immutable fields with their own rule: {', '.join(immutable)}")
    for path, why in sorted(fixed.items()):
        print(f"{cloud}:   {path} is in the update model but documented as not modifiable ({why})")
    return problems


def main():
    crd = yaml.safe_load(Path(sys.argv[1]).read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    alibaba_carried, alibaba_leaves, alibaba_fixed = alibaba_update()
    problems = check("huawei", spec["huawei"], *huawei_update())
    problems += check("alibaba", spec["alibaba"], alibaba_carried, alibaba_leaves, alibaba_fixed)
    if problems:
        print("\n".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
