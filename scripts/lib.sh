# Shared helpers of scripts/run and scripts/test (sourced, not executed).

say() { printf '\033[1;31m==>\033[0m %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A Python >= 3.12: $PYTHON, then python3.13/python3.12 on PATH, then pyenv's versions.
find_python() {
  local candidates=()
  [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
  candidates+=(python3.13 python3.12 python3)
  if command -v pyenv >/dev/null 2>&1; then
    local root; root=$(pyenv root)
    candidates+=("$root"/versions/3.13*/bin/python "$root"/versions/3.12*/bin/python)
  fi
  candidates+=("$HOME"/.pyenv/versions/3.13*/bin/python "$HOME"/.pyenv/versions/3.12*/bin/python /usr/local/bin/python3.13 /usr/local/bin/python3.12)
  local c
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  die "Python 3.12 or newer is needed (Django 6). Install it, or set PYTHON=/path/to/python3.12."
}

# Create .venv once and (re)install the pinned requirements when the file changed.
setup_venv() {
  local requirements=$1
  if [ ! -x .venv/bin/python ]; then
    say "creating the virtualenv (.venv) with $(find_python)"
    "$(find_python)" -m venv .venv
  fi
  local stamp=".venv/.installed-$(basename "$requirements")"
  local digest; digest=$(cat requirements*.txt | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
    say "installing $requirements"
    # (this machine's pip configuration warns about absent local indexes: not ours, hidden)
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements" 2>&1 \
      | grep -v "^WARNING: Location" || true
    test "${PIPESTATUS[0]}" -eq 0 || die "pip install -r $requirements failed"
    echo "$digest" > "$stamp"
  fi
}

# Bootstrap from the npm registry (package-lock.json); nothing is fetched at run time.
setup_assets() {
  if [ ! -f node_modules/bootstrap/dist/css/bootstrap.min.css ] || [ ! -f node_modules/chart.js/dist/chart.umd.min.js ] || [ ! -f node_modules/htmx.org/dist/htmx.min.js ] || [ ! -f node_modules/axe-core/axe.min.js ]; then
    command -v npm >/dev/null 2>&1 || die "npm is needed once to fetch Bootstrap (apt-get install npm)."
    say "installing front-end assets (npm ci)"
    npm ci --no-audit --no-fund --silent
  fi
  # The compiled catalogues (.mo) are committed too, so msgfmt is optional.
  if [ -d locale ] && command -v msgfmt >/dev/null 2>&1; then
    DJANGO_DEBUG=1 DJANGO_SETTINGS_MODULE=config.settings.base \
      .venv/bin/python manage.py compilemessages --locale=en --locale=vi -v0
  fi
}

# Install missing Debian packages when root; otherwise say what is missing.
ensure_debian_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing Debian packages: ${missing[*]}. Run: sudo apt-get install ${missing[*]}"
  fi
}

# Like ensure_debian_packages, but only warns when not root: the app runs without them.
want_debian_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    ensure_debian_packages "${missing[@]}"
  else
    say "optional Debian packages missing: ${missing[*]} (PDF output needs them: sudo apt-get install ${missing[*]})"
  fi
}

free_port() {
  .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A throwaway PostgreSQL cluster and redis-server on free loopback ports, stopped on exit.
# Exports DATABASE_URL, TEST_DATABASE_REPLICA_URL, REDIS_URL, REDIS_PORT, REDIS_SERVER_BIN, TEST_WORKDIR, CHROMIUM_PATH.
start_services() {
  workdir=$(mktemp -d /tmp/tracker-test.XXXXXX)
  chmod 755 "$workdir"
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  as_db_user=()
  if [ "$(id -u)" -eq 0 ]; then
    # initdb refuses to run as root; the Debian package creates the postgres user.
    as_db_user=(runuser -u postgres --)
    mkdir -p -m 700 "$workdir/pg" "$workdir/replica" && chown postgres "$workdir/pg" "$workdir/replica"
  fi

  cleanup() {
    set +e
    [ -f "$workdir/replica/postmaster.pid" ] && "${as_db_user[@]}" "$pg_bin/pg_ctl" -D "$workdir/replica" -m immediate stop >/dev/null 2>&1
    [ -f "$workdir/pg/postmaster.pid" ] && "${as_db_user[@]}" "$pg_bin/pg_ctl" -D "$workdir/pg" -m immediate stop >/dev/null 2>&1
    [ -f "$workdir/redis.pid" ] && kill "$(cat "$workdir/redis.pid")" 2>/dev/null
    rm -rf "$workdir"
  }
  trap cleanup EXIT

  pg_port=$(free_port)
  say "starting PostgreSQL on 127.0.0.1:$pg_port"
  "${as_db_user[@]}" "$pg_bin/initdb" -D "$workdir/pg" -U tracker --auth=trust --no-locale -E UTF8 >/dev/null
  "${as_db_user[@]}" "$pg_bin/pg_ctl" -D "$workdir/pg" -l "$workdir/pg/server.log" -w \
    -o "-p $pg_port -k $workdir/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c wal_level=replica -c wal_writer_delay=10ms" start >/dev/null
  "${as_db_user[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U tracker tracker

  # A hot standby of that cluster (streaming replication, about a second): the read-replica test
  # (tests/integration/test_read_replica.py) reads from it. initdb's pg_hba.conf already trusts
  # replication connections from 127.0.0.1; -R writes primary_conninfo and standby.signal.
  # TRACKER_NO_REPLICA=1 (scripts/bench, scripts/load, scripts/dataset): none, the national preset
  # would otherwise be written twice (data and WAL: tens of gigabytes).
  replica_port=""
  if [ -z "${TRACKER_NO_REPLICA:-}" ]; then
    replica_port=$(free_port)
    say "starting a streaming replica on 127.0.0.1:$replica_port"
    "${as_db_user[@]}" "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$pg_port" -U tracker -D "$workdir/replica" \
      -R -X stream --checkpoint=fast --no-sync 2>"$workdir/basebackup.log" \
      || { cat "$workdir/basebackup.log" >&2; die "pg_basebackup failed"; }
    "${as_db_user[@]}" "$pg_bin/pg_ctl" -D "$workdir/replica" -l "$workdir/replica/server.log" -w \
      -o "-p $replica_port -k $workdir/replica -c listen_addresses=127.0.0.1 -c fsync=off -c hot_standby=on -c wal_receiver_status_interval=1s" start >/dev/null
  fi

  redis_port=$(free_port)
  say "starting redis-server on 127.0.0.1:$redis_port"
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --daemonize yes \
    --pidfile "$workdir/redis.pid" --dir "$workdir" --logfile "$workdir/redis.log"

  export DJANGO_SETTINGS_MODULE=config.settings.test
  export DATABASE_URL="postgres://tracker@127.0.0.1:$pg_port/tracker"
  # Not DATABASE_REPLICA_URL: the suite runs on the primary alone, the replica test opts in.
  if [ -n "$replica_port" ]; then
    export TEST_DATABASE_REPLICA_URL="postgres://tracker@127.0.0.1:$replica_port/tracker"
  fi
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
  export CELERY_BROKER_URL="$REDIS_URL"
  export REDIS_PORT="$redis_port" REDIS_SERVER_BIN="$(command -v redis-server)" TEST_WORKDIR="$workdir"
  export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
  export DJANGO_SECRET_KEY="test-only-$(date +%s)"
}
