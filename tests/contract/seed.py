"""Reads the API document merchants integrate from, so the contract suite sends its examples
exactly as written.

`checkout_api.md` beside this file is a verbatim copy of the document; a test keeps it equal
to the design copy when that is checked out next to the repository.

The document writes alternatives inside one value (`"capture_mode":"auto|manual"`,
`"type":"user|guest"`): a merchant copies one of them, so each alternative becomes a variant
of the example. `//` and `/* ... */` comments (in the canonical resource) are dropped.
"""

import copy
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

DOCUMENT = Path(__file__).with_name("checkout_api.md")
BASE_PATH = "/v1/checkout"

_ENDPOINT = re.compile(r"^\* `(GET|POST|PATCH|DELETE|PUT) (/v1/checkout/[^`\s]+)`")
_FENCE = re.compile(r"```json\n(.*?)```", re.S)
_INLINE = re.compile(r"(Response: )?`(\{[^`]*\})`")
_SECTION = re.compile(r"^## (\d+)\. (.+)$")


@dataclass
class Example:
    section: str
    method: str
    path: str  # as documented, e.g. /v1/checkout/sessions/{checkoutId}/reserve
    text: str  # the endpoint's prose, for assertions on what it names
    bodies: list = field(default_factory=list)  # raw request examples found in the prose
    responses: list = field(default_factory=list)  # raw response examples ("Response: `{...}`")
    query: str = ""

    @property
    def route(self) -> str:
        """The path with its placeholders named, without the base: sessions/{checkoutId}/reserve."""
        return self.path.split("?")[0][len(BASE_PATH) + 1 :]

    def variants(self) -> list[dict]:
        """Every example body parsed as JSON, with each `a|b` alternative expanded."""
        out = []
        for raw in self.bodies:
            parsed = parse_json(raw)
            if parsed is not None:
                out.extend(expand_alternatives(parsed))
        return out

    def response_examples(self) -> list[dict]:
        return [parsed for raw in self.responses if (parsed := parse_json(raw)) is not None]


def document_text() -> str:
    return DOCUMENT.read_text(encoding="utf-8")


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    # `{ ... }` in the prose stands for "any object": the smallest one is the empty object.
    text = re.sub(r"\{\s*\.\.\.\s*\}", "{}", text)
    return "\n".join(re.sub(r'\s*//[^"\n]*$', "", line) for line in text.splitlines())


def parse_json(raw: str):
    """The JSON value of an example, or None where the document writes prose (`{ ... }`)."""
    try:
        return json.loads(strip_comments(raw))
    except json.JSONDecodeError:
        return None


def expand_alternatives(value) -> list:
    """`{"a": "x|y", "b": "p|q"}` -> every combination; a list of alternatives stays one list."""
    slots = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, (*path, key))
        elif isinstance(node, str) and "|" in node and " " not in node and not node.startswith("http"):
            slots.append((path, node.split("|")))

    walk(value, ())
    if not slots:
        return [value]
    variants = []
    for choice in itertools.product(*(options for _, options in slots)):
        variant = copy.deepcopy(value)
        for (path, _), picked in zip(slots, choice, strict=True):
            node = variant
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = picked
        variants.append(variant)
    return variants


def examples() -> list[Example]:
    """One Example per documented endpoint, in the document's order."""
    found = []
    section = ""
    current = None
    for line in document_text().splitlines():
        heading = _SECTION.match(line)
        if heading:
            section = heading.group(1)
            current = None
            continue
        if line.startswith("## "):
            section, current = line[3:].strip(), None
            continue
        endpoint = _ENDPOINT.match(line)
        if endpoint:
            method, path = endpoint.groups()
            path, _, query = path.partition("?")
            current = Example(section=section, method=method, path=path, text=line, query=query)
            found.append(current)
            continue
        if current is not None:
            current.text += "\n" + line
    for example in found:
        example.bodies = [m.group(1) for m in _FENCE.finditer(example.text)]
        for match in _INLINE.finditer(example.text):
            (example.responses if match.group(1) else example.bodies).append(match.group(2))
    return found


def example(method: str, route: str) -> Example:
    for candidate in examples():
        if candidate.method == method and candidate.route == route:
            return candidate
    raise LookupError(f"{method} {route} is not in the document")


def canonical_session() -> dict:
    """The document's 'Example Checkout Session resource (canonical)'."""
    text = document_text()
    start = text.index("## Example Checkout Session resource")
    block = _FENCE.search(text, start)
    return json.loads(strip_comments(block.group(1)))
