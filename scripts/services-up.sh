#!/usr/bin/env bash
# Make sure the backing services for local development and CI are up:
#   - PostgreSQL (DATABASE_URL), plus the application database
#   - RabbitMQ (AMQP_URL), with the management + prometheus plugins and all
#     feature flags (quorum queues / streams) enabled
#
# Idempotent. A service that is already reachable is never stopped, restarted
# or reconfigured; the only things done to it are: create the database if it
# is missing, enable the two RabbitMQ plugins, enable RabbitMQ feature flags.
# A service that is missing on this machine is installed with apt-get (Debian,
# root or passwordless sudo only) and started without systemd.
#
# Usage: npm run services:up        (or: bash scripts/services-up.sh)
# Env:   DATABASE_URL  default postgres://postgres@127.0.0.1:5432/sagaport
#        AMQP_URL      default amqp://guest:guest@127.0.0.1:5672
#        RABBITMQ_MANAGEMENT_URL  default http://<AMQP host>:15672
set -euo pipefail

AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sagaport}

PG_WAIT_SECONDS=60
RABBIT_WAIT_SECONDS=90
MGMT_WAIT_SECONDS=60
HBA_MARK='# added by sagaport scripts/services-up.sh: passwordless TCP from this machine (dev/CI only)'

# rabbitmqctl & co. live in /usr/sbin, which is not on every user's PATH.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf 'services: %s\n' "$*"; }
warn() { printf 'services: WARNING: %s\n' "$*" >&2; }
die() {
  local line
  for line in "$@"; do printf 'services: ERROR: %s\n' "$line" >&2; done
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# Runs a command that starts a daemon with stdin/stdout/stderr detached from
# ours (so a daemon cannot keep a CI pipe open); shows its output on failure.
run_quiet() {
  local out rc=0
  out=$(mktemp)
  "$@" </dev/null >"$out" 2>&1 || rc=$?
  if ((rc != 0)); then sed 's/^/  | /' "$out" >&2; fi
  rm -f "$out"
  return "$rc"
}

docker_hint() {
  if [[ -e $REPO_ROOT/compose.yaml || -e $REPO_ROOT/compose.yml ||
    -e $REPO_ROOT/docker-compose.yml || -e $REPO_ROOT/docker-compose.yaml ]]; then
    printf '%s' 'or run them in Docker: docker compose up -d rabbitmq postgres'
  else
    printf '%s' 'or run them in Docker (docker compose up -d rabbitmq postgres, with a compose file defining them)'
  fi
}

# ---------------------------------------------------------------- parse URLs
# Done in node (always present here) so that IPv6 literals, default ports and
# percent-encoded credentials are handled correctly. Fields are NUL-separated.
parse_urls() {
  # shellcheck disable=SC2016 # JavaScript/bash code, expanded by node/bash
  DATABASE_URL=$DATABASE_URL AMQP_URL=$AMQP_URL node -e '
    const fail = (m) => { console.error(m); process.exit(1); };
    const parse = (name, schemes) => {
      let u;
      try { u = new URL(process.env[name]); } catch { fail(`${name} is not a valid URL: ${process.env[name]}`); }
      const scheme = u.protocol.replace(/:$/, "");
      if (!(scheme in schemes)) fail(`${name}: unsupported scheme \"${scheme}\" (expected ${Object.keys(schemes).join(", ")})`);
      const dec = (s) => { try { return decodeURIComponent(s); } catch { return s; } };
      return {
        scheme,
        host: u.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1",
        port: u.port || String(schemes[scheme]),
        user: dec(u.username),
        password: dec(u.password),
        path: dec(u.pathname.replace(/^\//, "")),
        sslmode: u.searchParams.get("sslmode") || "",
      };
    };
    const pg = parse("DATABASE_URL", { postgres: 5432, postgresql: 5432 });
    const mq = parse("AMQP_URL", { amqp: 5672, amqps: 5671 });
    const out = [pg.host, pg.port, pg.user || "postgres", pg.password, pg.path || pg.user || "postgres", pg.sslmode,
                 mq.host, mq.port, mq.user || "guest", mq.password || (mq.user ? "" : "guest")];
    process.stdout.write(out.join("\0") + "\0");
  '
}

declare -a F=()
mapfile -d '' -t F < <(parse_urls || true)
((${#F[@]} == 10)) || die "could not parse DATABASE_URL / AMQP_URL (see message above)"
PG_HOST=${F[0]} PG_PORT=${F[1]} PG_USER=${F[2]} PG_PASSWORD=${F[3]} PG_DB=${F[4]} PG_SSLMODE=${F[5]}
MQ_HOST=${F[6]} MQ_PORT=${F[7]} MQ_USER=${F[8]} MQ_PASSWORD=${F[9]}
unset F

url_host() { if [[ $1 == *:* ]]; then printf '[%s]' "$1"; else printf '%s' "$1"; fi; }
MGMT_BASE=${RABBITMQ_MANAGEMENT_URL:-http://$(url_host "$MQ_HOST"):15672}
MGMT_BASE=${MGMT_BASE%/}

# ------------------------------------------------------------------- helpers
is_local_host() {
  case "$1" in
    127.0.0.1 | localhost | ::1) return 0 ;;
    *) return 1 ;;
  esac
}

tcp_open() { # host port
  # shellcheck disable=SC2016 # JavaScript/bash code, expanded by node/bash
  timeout 3 bash -c ': <>"/dev/tcp/$1/$2"' _ "$1" "$2" >/dev/null 2>&1
}

# Root access: direct when root, otherwise passwordless sudo (never prompts).
CAN_ROOT=0
declare -a ROOT=()
if ((EUID == 0)); then
  CAN_ROOT=1
elif have sudo && sudo -n true >/dev/null 2>&1; then
  CAN_ROOT=1
  ROOT=(sudo -n)
fi
as_root() { "${ROOT[@]}" "$@"; }

# 0 = accepting connections, 1 = answering but not ready (starting up),
# 2 = no answer.
pg_state() {
  if have pg_isready; then
    local rc=0
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3 >/dev/null 2>&1 || rc=$?
    case $rc in
      0) return 0 ;;
      1) return 1 ;;
      *) return 2 ;;
    esac
  fi
  tcp_open "$PG_HOST" "$PG_PORT" && return 0
  return 2
}

wait_for_pg() {
  local deadline=$((SECONDS + PG_WAIT_SECONDS))
  until pg_state; do
    if ((SECONDS >= deadline)); then
      die "PostgreSQL at $PG_HOST:$PG_PORT did not accept connections within ${PG_WAIT_SECONDS}s" \
        "check the server log (locally: /var/log/postgresql/)"
    fi
    sleep 1
  done
}

# Temporary policy-rc.d so that package installation does not try to start
# the services (fails in containers; we start them ourselves below).
POLICY_RC_D=/usr/sbin/policy-rc.d
POLICY_RC_D_ADDED=0
cleanup() {
  if ((POLICY_RC_D_ADDED)); then
    as_root rm -f "$POLICY_RC_D" || true
    POLICY_RC_D_ADDED=0
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

apt_install() { # packages...
  local -a install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@")
  local -a update=(env DEBIAN_FRONTEND=noninteractive apt-get update -q)
  log "installing Debian packages: $* (apt-get)"
  if [[ ! -e $POLICY_RC_D ]]; then
    printf '#!/bin/sh\n# temporary, from sagaport scripts/services-up.sh\nexit 101\n' |
      as_root tee "$POLICY_RC_D" >/dev/null
    as_root chmod 0755 "$POLICY_RC_D"
    POLICY_RC_D_ADDED=1
  fi
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    as_root "${update[@]}" || die "apt-get update failed"
  fi
  if ! as_root "${install[@]}"; then
    log "apt-get install failed; running apt-get update and retrying"
    as_root "${update[@]}" || die "apt-get update failed"
    as_root "${install[@]}" || die "apt-get install $* failed"
  fi
  cleanup
}

# Exits with a clear message if this script is not allowed/able to install
# and start the service itself.
require_local_admin() { # service-name debian-package env-var host port
  local name=$1 pkg=$2 var=$3 host=$4 port=$5
  if ! is_local_host "$host"; then
    die "$name at $host:$port ($var) is not reachable." \
      "It is not on this machine, so this script cannot start it: start it there, or point $var at a running server" \
      "(e.g. a local one: apt-get install $pkg as root, then re-run this script; $(docker_hint))."
  fi
  if [[ ! -r /etc/debian_version ]] || ! have apt-get; then
    die "$name is not running on $host:$port and this is not a Debian/Ubuntu system." \
      "Install and start $name yourself, $(docker_hint)."
  fi
  if ((!CAN_ROOT)); then
    die "$name is not running on $host:$port and this script needs root (or passwordless sudo) to install/start it." \
      "Run: sudo apt-get install -y $pkg  and start it (or re-run this script as root), $(docker_hint)."
  fi
}

# ---------------------------------------------------------------- PostgreSQL
PG_INSTALLED_NOW=0

# Prints "version cluster port status" of the local cluster for PG_PORT.
pg_find_cluster() {
  have pg_lsclusters || return 0
  pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p { print $1, $2, $3, $4; exit }'
}

# Sets HBA_CHANGED=1 if it had to change pg_hba.conf. Only used for a
# cluster this script installed/created itself.
HBA_CHANGED=0
pg_allow_local_trust() { # version cluster
  local hba tmp
  hba=$(as_root pg_conftool -s "$1" "$2" show hba_file 2>/dev/null || true)
  hba=${hba:-/etc/postgresql/$1/$2/pg_hba.conf}
  if as_root grep -qF "$HBA_MARK" "$hba"; then
    return 0
  fi
  log "postgres: allowing passwordless TCP connections from 127.0.0.1/::1 (trust) in $hba"
  tmp=$(mktemp)
  printf '%s\nhost    all    all    127.0.0.1/32    trust\nhost    all    all    ::1/128         trust\n\n' \
    "$HBA_MARK" >"$tmp"
  as_root cat "$hba" >>"$tmp"
  as_root cp "$tmp" "$hba" # cp into the existing file keeps its owner/mode
  rm -f "$tmp"
  HBA_CHANGED=1
}

ensure_postgres_running() {
  local rc=0
  pg_state || rc=$?
  if ((rc == 0)); then
    log "postgres: reachable at $PG_HOST:$PG_PORT"
    return
  fi
  if ((rc == 1)); then
    log "postgres: $PG_HOST:$PG_PORT is starting up, waiting"
    wait_for_pg
    log "postgres: ready"
    return
  fi

  log "postgres: not reachable at $PG_HOST:$PG_PORT"
  require_local_admin PostgreSQL postgresql DATABASE_URL "$PG_HOST" "$PG_PORT"

  if ! have pg_ctlcluster || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    apt_install postgresql
    PG_INSTALLED_NOW=1
  fi

  local cluster ver name status
  cluster=$(pg_find_cluster)
  if [[ -z $cluster ]]; then
    if [[ -n $(pg_lsclusters -h 2>/dev/null || true) ]]; then
      die "no local PostgreSQL cluster listens on port $PG_PORT. Existing clusters:" \
        "$(pg_lsclusters 2>/dev/null)" "Fix the port in DATABASE_URL or start that cluster yourself."
    fi
    # Package present but no cluster (e.g. dropped, or create_main_cluster=off).
    ver=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)
    [[ -n $ver ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
    log "postgres: creating cluster $ver/main on port $PG_PORT"
    as_root pg_createcluster --port "$PG_PORT" "$ver" main >/dev/null
    PG_INSTALLED_NOW=1
    cluster=$(pg_find_cluster)
    [[ -n $cluster ]] || die "could not create a PostgreSQL cluster on port $PG_PORT"
  fi
  read -r ver name _ status <<<"$cluster"

  if ((PG_INSTALLED_NOW)); then
    pg_allow_local_trust "$ver" "$name"
  fi

  if [[ $status == online* ]]; then
    if ((HBA_CHANGED)); then
      run_quiet as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" reload ||
        die "could not reload PostgreSQL cluster $ver/$name"
    fi
    log "postgres: cluster $ver/$name is already running, waiting for it"
  else
    log "postgres: starting cluster $ver/$name (pg_ctlcluster, no systemd)"
    run_quiet as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start ||
      die "could not start PostgreSQL cluster $ver/$name; see /var/log/postgresql/postgresql-$ver-$name.log"
  fi
  wait_for_pg
  log "postgres: ready at $PG_HOST:$PG_PORT"
}

ensure_database() {
  if [[ -n $PG_PASSWORD ]]; then export PGPASSWORD=$PG_PASSWORD; fi
  if [[ -n $PG_SSLMODE ]]; then export PGSSLMODE=$PG_SSLMODE; fi
  export PGCONNECT_TIMEOUT=10

  if have psql; then
    local -a psql_cmd=(psql -X -w -q -At -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -v "db=$PG_DB")
    local exists err
    if ! exists=$("${psql_cmd[@]}" 2>&1 <<<"SELECT 1 FROM pg_database WHERE datname = :'db';"); then
      err=$exists
      die "cannot connect to PostgreSQL as $PG_USER@$PG_HOST:$PG_PORT (database postgres):" "$err" \
        "The app connects as $PG_USER without a password; on a local server allow it in pg_hba.conf, e.g.:" \
        "  host all all 127.0.0.1/32 trust   and   host all all ::1/128 trust   (then reload the server)"
    fi
    if [[ $exists == 1 ]]; then
      log "postgres: database \"$PG_DB\" exists"
      return
    fi
    if ! err=$("${psql_cmd[@]}" 2>&1 <<<"SELECT format('CREATE DATABASE %I', :'db') \\gexec"); then
      # Lost a race with a concurrent run? Then it exists now.
      exists=$("${psql_cmd[@]}" 2>/dev/null <<<"SELECT 1 FROM pg_database WHERE datname = :'db';" || true)
      [[ $exists == 1 ]] || die "could not create database \"$PG_DB\":" "$err"
      log "postgres: database \"$PG_DB\" exists (created concurrently)"
      return
    fi
    log "postgres: created database \"$PG_DB\""
    return
  fi

  # No psql: fall back to the repo's own postgres driver if it is installed.
  local out
  if (cd "$REPO_ROOT" && node -e 'require.resolve("postgres")' >/dev/null 2>&1); then
    # shellcheck disable=SC2016 # JavaScript/bash code, expanded by node/bash
    if out=$(cd "$REPO_ROOT" && PG_HOST=$PG_HOST PG_PORT=$PG_PORT PG_USER=$PG_USER PG_DB=$PG_DB node -e '
      const postgres = require("postgres");
      const e = process.env;
      const sql = postgres({ host: e.PG_HOST, port: Number(e.PG_PORT), user: e.PG_USER,
        password: e.PGPASSWORD || undefined, database: "postgres", max: 1, connect_timeout: 10,
        ssl: e.PGSSLMODE && e.PGSSLMODE !== "disable" ? e.PGSSLMODE : false, onnotice: () => {} });
      (async () => {
        const rows = await sql`SELECT 1 FROM pg_database WHERE datname = ${e.PG_DB}`;
        if (rows.length) { console.log("exists"); return; }
        try { await sql.unsafe(`CREATE DATABASE "${e.PG_DB.replace(/"/g, "\"\"")}"`); console.log("created"); }
        catch (err) { if (err.code !== "42P04") throw err; console.log("exists"); }
      })().then(() => sql.end(), async (err) => { console.error(err.message); await sql.end(); process.exit(1); });
    ' 2>&1); then
      if [[ $out == created ]]; then
        log "postgres: created database \"$PG_DB\" (via node postgres driver; psql not installed)"
      else
        log "postgres: database \"$PG_DB\" exists (checked via node postgres driver; psql not installed)"
      fi
      return
    fi
    die "could not ensure database \"$PG_DB\" on $PG_HOST:$PG_PORT as $PG_USER:" "$out"
  fi

  if is_local_host "$PG_HOST"; then
    die "psql is not installed, so database \"$PG_DB\" cannot be created." \
      "Install the Debian package postgresql-client (or run npm ci first so the node driver can be used)."
  fi
  die "psql is not installed and PostgreSQL is remote ($PG_HOST:$PG_PORT), so this script cannot create database \"$PG_DB\"." \
    "Install the Debian package postgresql-client (or run npm ci first), or create the database on that server yourself."
}

# ------------------------------------------------------------------ RabbitMQ
rabbit_ctl_usable() { # local node tools present and we may use them
  is_local_host "$MQ_HOST" && have rabbitmqctl && have rabbitmq-plugins && ((CAN_ROOT))
}

rabbit_wait_startup() {
  local deadline=$((SECONDS + RABBIT_WAIT_SECONDS)) left
  while :; do
    left=$((deadline - SECONDS))
    if ((left <= 0)); then
      die "RabbitMQ did not finish starting within ${RABBIT_WAIT_SECONDS}s; see /var/log/rabbitmq/"
    fi
    if timeout "$left" "${ROOT[@]}" rabbitmqctl -q await_startup >/dev/null 2>&1 </dev/null; then
      return 0
    fi
    sleep 2
  done
}

ensure_rabbit_running() {
  if tcp_open "$MQ_HOST" "$MQ_PORT"; then
    log "rabbitmq: reachable at $MQ_HOST:$MQ_PORT"
    return
  fi
  log "rabbitmq: not reachable at $MQ_HOST:$MQ_PORT"
  require_local_admin RabbitMQ rabbitmq-server AMQP_URL "$MQ_HOST" "$MQ_PORT"

  if ! have rabbitmq-server || ! have rabbitmqctl; then
    apt_install rabbitmq-server
    # A node named after a hostname that does not resolve (common in containers) never boots;
    # pin a freshly installed node to localhost, as this machine kind does.
    if ! grep -qs '^NODENAME=' /etc/rabbitmq/rabbitmq-env.conf; then
      printf 'NODENAME=rabbit@localhost\n' | as_root tee -a /etc/rabbitmq/rabbitmq-env.conf >/dev/null
      log "rabbitmq: pinned the node name to rabbit@localhost (/etc/rabbitmq/rabbitmq-env.conf)"
    fi
  fi

  if as_root rabbitmqctl -q ping >/dev/null 2>&1 </dev/null; then
    log "rabbitmq: local node is already running, waiting for it to finish booting"
  else
    log "rabbitmq: starting local node (rabbitmq-server -detached, no systemd)"
    # On a host of one or two cores shared with the app and PostgreSQL, Erlang schedulers that
    # wake each other less often spend far less CPU in futex and sched_yield (docs/performance.md:
    # about 15 % less machine CPU per saga, the latency at 50 checkouts/s unchanged; one
    # scheduler, +S 1:1, saved as much but doubled that latency). An operator's setting wins.
    if [[ -z "${RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS:-}" ]] && (($(nproc) <= 2)) &&
      ! grep -qs '^SERVER_ADDITIONAL_ERL_ARGS=' /etc/rabbitmq/rabbitmq-env.conf; then
      export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+swt very_high +swct very_lazy"
      log "rabbitmq: $(nproc) cores: schedulers wake each other lazily ($RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS)"
    fi
    run_quiet as_root env ${RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS:+RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="$RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"} rabbitmq-server -detached ||
      die "rabbitmq-server -detached failed; see /var/log/rabbitmq/"
  fi
  rabbit_wait_startup
  local i
  for ((i = 0; i < 15; i++)); do
    tcp_open "$MQ_HOST" "$MQ_PORT" && break
    sleep 1
  done
  tcp_open "$MQ_HOST" "$MQ_PORT" ||
    die "the local RabbitMQ node is running but nothing listens on $MQ_HOST:$MQ_PORT" \
      "(check listeners in /etc/rabbitmq/rabbitmq.conf or fix AMQP_URL)"
  log "rabbitmq: ready at $MQ_HOST:$MQ_PORT"
}

configure_rabbit() {
  if ! rabbit_ctl_usable; then
    if is_local_host "$MQ_HOST" && have rabbitmqctl; then
      log "rabbitmq: not root and no passwordless sudo: skipping plugins/feature flags (rabbitmqctl needs root)"
    fi
    return 0
  fi
  if ! as_root rabbitmqctl -q ping >/dev/null 2>&1 </dev/null; then
    warn "rabbitmq: $MQ_HOST:$MQ_PORT answers but the local rabbitmqctl cannot reach a node" \
      "(container?); not enabling plugins/feature flags"
    return 0
  fi

  local out
  if as_root rabbitmq-plugins -q is_enabled rabbitmq_management rabbitmq_prometheus >/dev/null 2>&1 </dev/null; then
    log "rabbitmq: plugins rabbitmq_management, rabbitmq_prometheus already enabled"
  else
    log "rabbitmq: enabling plugins rabbitmq_management, rabbitmq_prometheus"
    out=$(as_root rabbitmq-plugins -q enable rabbitmq_management rabbitmq_prometheus 2>&1 </dev/null) ||
      die "rabbitmq-plugins enable failed:" "$out"
  fi

  if out=$(as_root rabbitmqctl -q enable_feature_flag all 2>&1 </dev/null); then
    log "rabbitmq: all feature flags enabled (quorum queues, streams)"
  else
    warn "rabbitmq: 'rabbitmqctl enable_feature_flag all' failed (old RabbitMQ?), ignoring: ${out//$'\n'/ }"
  fi
}

# HTTP status of GET $1 with basic auth, "000" if there is no answer.
http_status() {
  if have curl; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 -u "$MQ_USER:$MQ_PASSWORD" "$1" 2>/dev/null || true
    return 0
  fi
  MGMT_URL=$1 MGMT_AUTH="$MQ_USER:$MQ_PASSWORD" node -e '
    const auth = "Basic " + Buffer.from(process.env.MGMT_AUTH).toString("base64");
    fetch(process.env.MGMT_URL, { headers: { authorization: auth }, signal: AbortSignal.timeout(3000) })
      .then((r) => console.log(String(r.status)), () => console.log("000"));
  ' 2>/dev/null || echo 000
}

wait_for_management() {
  local url=$MGMT_BASE/api/overview code deadline=$((SECONDS + MGMT_WAIT_SECONDS)) said=0
  while :; do
    code=$(http_status "$url")
    case $code in
      200) break ;;
      401 | 403)
        die "RabbitMQ management API at $url rejects user \"$MQ_USER\" (HTTP $code)." \
          "guest only works from localhost; use credentials in AMQP_URL that are allowed to use the management API."
        ;;
    esac
    if ((SECONDS >= deadline)); then
      die "RabbitMQ management API did not answer at $url within ${MGMT_WAIT_SECONDS}s (last HTTP status: $code)." \
        "Enable the plugin on the broker: rabbitmq-plugins enable rabbitmq_management rabbitmq_prometheus"
    fi
    if ((!said)); then
      log "rabbitmq: waiting for the management API at $url"
      said=1
    fi
    sleep 1
  done
  log "rabbitmq: management API answers at $MGMT_BASE"
}

# ---------------------------------------------------------------------- main
log "postgres: $PG_HOST:$PG_PORT db=$PG_DB user=$PG_USER; rabbitmq: $MQ_HOST:$MQ_PORT user=$MQ_USER"
ensure_postgres_running
ensure_database
ensure_rabbit_running
configure_rabbit
wait_for_management
log "all services up (${SECONDS}s)"
