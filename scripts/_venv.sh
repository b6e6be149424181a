# Sourced by the run and test scripts: a project virtualenv with the pinned requirements.
# Reinstalls only when the requirements file changed since the last install.
ensure_venv() {
  local requirements=$1
  local python=${PYTHON:-}
  if [ -z "$python" ]; then
    python=$(command -v python3.11 || command -v python3)
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $python"
    "$python" -m venv .venv
  fi
  local stamp=".venv/.installed-$(basename "$requirements")"
  local digest
  digest=$(cat requirements.txt "$requirements" | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    echo "==> installing $requirements"
    # This machine's pip config names local mirrors that may be absent; drop that noise only.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | { grep -v "is ignored" || true; }
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements" 2>&1 | { grep -v "is ignored" || true; }
    echo "$digest" > "$stamp"
  fi
}
