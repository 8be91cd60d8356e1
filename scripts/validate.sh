#!/usr/bin/env bash
# Offline validation of deploy/ (Kubernetes, Prometheus, Grafana, Docker): `make validate`.
# Installs what is missing (promtool through scripts/tools.sh, kubernetes-validate from PyPI into
# target/validate/venv, the npm packages of deploy/validate with `npm ci`), then runs every check, one line
# each, and stops at the first failure with the tool's own message. Re-runs skip the installs.
# Environment: K8S_VERSIONS (Kubernetes versions to validate against, default "1.28.0 1.37.0").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/target/validate"
DEPLOY="$ROOT/deploy"
VALIDATE="$DEPLOY/validate"
K8S_VERSIONS="${K8S_VERSIONS:-1.28.0 1.37.0}"
KV_VERSION=1.37.0
mkdir -p "$OUT"
LOG="$OUT/last.log"
START=$(date +%s)

step() { # step "description" command...: run, print one line, stop with the command's output on failure
  local name="$1"; shift
  local t0=$SECONDS
  if "$@" >"$LOG" 2>&1; then
    printf 'ok    %-74s %3ss\n' "$name" "$((SECONDS - t0))"
  else
    printf 'FAIL  %s\n' "$name"
    sed 's/^/      /' "$LOG"
    exit 1
  fi
}

# ---- tools ------------------------------------------------------------------------------------------
need_promtool() { "$ROOT/scripts/tools.sh" promtool; }
need_kubectl() {
  command -v kubectl >/dev/null && return 0
  echo "kubectl (with its built-in kustomize) is missing; install it from your distribution"
  return 1
}
need_kubernetes_validate() {
  [ -x "$OUT/venv/bin/kubernetes-validate" ] &&
    "$OUT/venv/bin/kubernetes-validate" --version 2>/dev/null | grep -q "$KV_VERSION" && return 0
  rm -rf "$OUT/venv"
  python3 -m venv "$OUT/venv"
  "$OUT/venv/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$KV_VERSION"
}
need_npm_packages() {
  local stamp="$VALIDATE/node_modules/.ocean-lock-sha256"
  local want; want="$(sha256sum "$VALIDATE/package-lock.json" | cut -d' ' -f1)"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  npm ci --prefix "$VALIDATE" --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
}

step "tool: kubectl (kustomize)" need_kubectl
step "tool: promtool" need_promtool
step "tool: kubernetes-validate $KV_VERSION (PyPI, target/validate/venv)" need_kubernetes_validate
step "tool: npm packages of deploy/validate (npm ci)" need_npm_packages

# ---- Kubernetes -------------------------------------------------------------------------------------
rm -rf "$VALIDATE/.generated" "$OUT/k8s"
mkdir -p "$OUT/k8s"
node_check() { node "$VALIDATE/check.mjs" "$@"; }
kv() { # kubernetes-validate prints a line per object; keep only what failed
  local file="$1" v
  for v in $K8S_VERSIONS; do
    "$OUT/venv/bin/kubernetes-validate" --strict --quiet -k "$v" "$file" || return 1
  done
}
for overlay in "$DEPLOY"/k8s/overlays/*/; do
  o="$(basename "$overlay")"
  step "k8s $o: kubectl kustomize" sh -c "kubectl kustomize '$overlay' >'$OUT/k8s/$o.yaml'"
  step "k8s $o: project rules; KEDA/Operator objects vs their schemas" node_check split "$OUT/k8s/$o.yaml" "$OUT/k8s/$o"
  step "k8s $o: kubernetes-validate --strict (built-in kinds, $K8S_VERSIONS)" kv "$OUT/k8s/$o/builtin.yaml"
done
# ---- Prometheus -------------------------------------------------------------------------------------
step "prometheus: promtool check config" promtool check config "$DEPLOY/prometheus/prometheus.yml"
step "prometheus: promtool check rules" promtool check rules "$DEPLOY"/prometheus/rules/*.yml
step "prometheus: promtool test rules" promtool test rules "$DEPLOY"/prometheus/tests/*.test.yml
step "prometheus: k8s PrometheusRule equals deploy/prometheus/rules" node_check prometheusrule --check
step "metrics: every ocean_* name in rules, tests, dashboards, KEDA is in monitoring.rs" \
  node_check metrics "$ROOT/core/src/monitoring.rs" "$DEPLOY"/prometheus/rules/*.yml \
  "$DEPLOY"/prometheus/tests/*.yml "$DEPLOY"/grafana/dashboards/*.json "$DEPLOY"/k8s/components/keda/*.yaml

# ---- Grafana, Docker, and the TypeScript type check ------------------------------------------------
step "grafana: provisioning files and datasource uid" node_check grafana "$DEPLOY/grafana"
for d in "$DEPLOY"/grafana/dashboards/*.json; do
  step "grafana: $(basename "$d") to TypeScript" node_check dashboard "$d"
done
step "tsc: dashboards satisfy @grafana/schema, CRDs satisfy their models" \
  "$VALIDATE/node_modules/.bin/tsc" -p "$VALIDATE" --pretty false
step "docker: compose services and Dockerfile (pinned, non-root, healthchecks)" \
  node_check docker "$DEPLOY/docker/docker-compose.yml" "$DEPLOY/docker/Dockerfile"

echo "validate: all checks passed in $(( $(date +%s) - START ))s"
