# Shared by scripts/hsmshell and scripts/test: make (or refresh) the project's virtualenv.
# Sourced, not run. Sets $VENV. Reinstalls when pyproject.toml changes.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HSMSHELL_VENV:-$ROOT/.venv}"
ensure_venv() {   # $1: extras ("" or "test")
    local extras="$1" stamp="$VENV/.hsmshell-installed${1:+-$1}"
    if [[ ! -x "$VENV/bin/python" ]]; then
        python3 -m venv "$VENV" >&2 || { echo "scripts: cannot create $VENV (need python3 >= 3.11 with venv)" >&2; exit 5; }
    fi
    if [[ ! -f "$stamp" || "$ROOT/pyproject.toml" -nt "$stamp" ]]; then
        echo "scripts: installing hsmshell${extras:+ with [$extras]} into $VENV ..." >&2
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT${extras:+[$extras]}" >&2 \
            || { echo "scripts: pip install failed" >&2; exit 5; }
        touch "$stamp"
    fi
}
