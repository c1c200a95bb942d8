# shellcheck shell=bash
# Installs, once, the tools the project's scripts use, into the repository's own .venv, so a
# fresh machine needs nothing by hand: moto (the local AWS), cfn-lint, pytest, SAM CLI
# (`sam validate --lint`, `sam build`), and cargo-lambda with zig (the Lambda runtime
# emulator and the arm64 cross-build).
# Sourced by scripts/test, scripts/demo and scripts/bench; puts .venv/bin first on PATH.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
PYTHON_TOOLS=(
  "moto[server]==5.2.1"
  "cfn-lint==1.58.0"
  "pytest==9.2.0"
  "aws-sam-cli==1.170.0"
  "cargo-lambda==1.9.2"
  "ziglang==0.15.1"
)

log() { printf '==> %s\n' "$*" >&2; }

ensure_tools() {
  local stamp="$VENV/.tools-$(printf '%s\n' "${PYTHON_TOOLS[@]}" | sha1sum | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    log "installing ${PYTHON_TOOLS[*]} into .venv"
    command -v python3 >/dev/null || { echo "python3 is required" >&2; return 1; }
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PYTHON_TOOLS[@]}"
    touch "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
  export MOTO_SERVER="$VENV/bin/moto_server"
}

ensure_arm64_target() {
  rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux-gnu$' \
    || rustup target add aarch64-unknown-linux-gnu
}
