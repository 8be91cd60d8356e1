#!/usr/bin/env bash
# Roll out an overlay with the migration first:  deploy/k8s/rollout.sh prod|dev
#   1. delete the previous migration Job (Jobs are immutable; a new image needs a new Job),
#   2. apply only the objects labelled ocean-sync.io/phase=migrate (Namespace, ServiceAccount, ConfigMap,
#      egress NetworkPolicy, dev's placeholder Secret, the Job) and wait for the Job to complete,
#   3. apply everything, which rolls api, scheduler and workers onto the migrated schema.
# A failed migration stops here, before any Deployment changes.
set -euo pipefail
overlay="${1:?usage: rollout.sh <overlay: dev|prod>}"
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/overlays/$overlay"
ns="$(kubectl kustomize "$dir" | awk '/^kind: Namespace/{ns=1} ns && /^  name:/{print $2; exit}')"
timeout="${MIGRATE_TIMEOUT:-15m}"

kubectl -n "$ns" delete job ocean-migrate --ignore-not-found --wait=true
kubectl apply -k "$dir" -l ocean-sync.io/phase=migrate
if ! kubectl -n "$ns" wait --for=condition=complete job/ocean-migrate --timeout="$timeout"; then
  kubectl -n "$ns" logs job/ocean-migrate --tail=50 || true
  echo "migration did not complete; nothing else was rolled out" >&2
  exit 1
fi
kubectl apply -k "$dir"
for d in ocean-api ocean-scheduler ocean-worker; do
  kubectl -n "$ns" rollout status "deploy/$d" --timeout=10m
done
