# Shared by scripts/hsmshell and scripts/test: make (or refresh) a virtualenv. Sourced, not run.
# The shell's venv (.venv) holds only hsmshell's own dependencies; the tests get their own
# (.venv-test) with the [test] extras, so keyrings.alt (a plaintext keyring the tests use)
# never lands where ./scripts/hsmshell runs. ensure_venv sets $VENV; reinstalls when
# pyproject.toml changes.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv_for() {      # $1: extras ("" or "test") -> the venv's path
    if [[ -z "$1" ]]; then echo "${HSMSHELL_VENV:-$ROOT/.venv}"; else echo "${HSMSHELL_TEST_VENV:-$ROOT/.venv-$1}"; fi
}
ensure_venv() {   # $1: extras ("" or "test")
    local extras="$1"
    VENV="$(venv_for "$extras")"
    local stamp="$VENV/.hsmshell-installed${1:+-$1}"
    if [[ ! -x "$VENV/bin/python" ]]; then
        python3 -m venv "$VENV" >&2 || { echo "scripts: cannot create $VENV (need python3 >= 3.11 with venv)" >&2; exit 5; }
    fi
    if [[ ! -f "$stamp" || "$ROOT/pyproject.toml" -nt "$stamp" ]]; then
        echo "scripts: installing hsmshell${extras:+ with [$extras]} into $VENV ..." >&2
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT${extras:+[$extras]}" >&2 \
            || { echo "scripts: pip install failed" >&2; exit 5; }
        touch "$stamp"
    fi
    if [[ -z "$extras" ]] && compgen -G "$VENV/lib/python3*/site-packages/keyrings" >/dev/null; then
        # a .venv made by an older scripts/test: take the plaintext test keyring out of it
        "$VENV/bin/python" -m pip uninstall -q -y keyrings.alt >&2 || true
    fi
}
