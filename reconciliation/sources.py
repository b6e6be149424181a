"""Where statements come from. A source kind is a fetcher: `fetch(source) -> [(name, bytes)]`.

The embedded default reads a folder (the merchant's own under RECONCILIATION_STATEMENTS_DIR,
or `options.path`). SFTP or a bank's API is one more function registered here; nothing
else in the app changes. Fetchers do network or disk I/O: never call them in a transaction.
"""

from pathlib import Path

from django.conf import settings

from reconciliation.models import StatementSource

MAX_FILES = 500
MAX_FILE_BYTES_DEFAULT = 50 * 1024 * 1024
_FETCHERS = {}


def register_source_kind(kind: str, fetch) -> None:
    _FETCHERS[kind] = fetch


def source_kinds() -> list[str]:
    return sorted(_FETCHERS)


def merchant_folder(merchant) -> Path:
    return Path(settings.RECONCILIATION_STATEMENTS_DIR) / merchant.public_id


def _folder(source: StatementSource) -> list[tuple[str, bytes]]:
    """Every regular file of the folder (not its subfolders), oldest name first; files
    already imported are skipped later by their hash, so nothing is moved or deleted."""
    folder = Path(source.options.get("path") or merchant_folder(source.merchant))
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))[:MAX_FILES]
    limit = getattr(settings, "RECONCILIATION_MAX_STATEMENT_BYTES", MAX_FILE_BYTES_DEFAULT)
    return [(path.name, path.read_bytes()) for path in files if path.stat().st_size <= limit]


register_source_kind("folder", _folder)


def source_fetch(source: StatementSource) -> list[tuple[str, bytes]]:
    fetch = _FETCHERS.get(source.kind)
    if fetch is None:
        raise ValueError(f"Unknown statement source kind {source.kind!r} (known: {', '.join(source_kinds())})")
    return fetch(source)
