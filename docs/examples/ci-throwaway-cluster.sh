#!/bin/sh
# A throwaway mlk cluster for one CI job: bring it up, run the job's steps on it, and always
# tear it down again, whatever happened. Exits with the first failure's exit code.
#
#   MLK_PROFILE  profile: an embedded name or a file (default: mono)
#   MLK_CLUSTER  the cluster's name, i.e. the profile's `name` (default: MLK_PROFILE)
#   MLK_UP_ARGS  more `mlk up` arguments, e.g. "--provider libvirt" (word-split)
#   MLK_JOB      the job's steps, run with sh -c (default: the sample workload)
#   ARTIFACTS    folder for the diagnostics bundle of a failed `mlk up` (default: ./artifacts)
set -eu
profile=${MLK_PROFILE:-mono}
cluster=${MLK_CLUSTER:-$profile}
artifacts=${ARTIFACTS:-$PWD/artifacts}
# Cluster folders of this job only, and plain output for the log.
export MLK_HOME="${MLK_HOME:-$PWD/.mlk-ci}" MLK_PROGRESS=never

cleanup() {
  rc=$?
  trap - EXIT INT TERM
  # Idempotent: exits 0 when `up` never created anything. --purge: nothing is left behind.
  if ! mlk down -c "$cluster" --force --purge; then
    echo "ci: mlk down failed: cluster $cluster may still exist" >&2
    [ "$rc" -ne 0 ] || rc=1
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rc=0
# shellcheck disable=SC2086 # MLK_UP_ARGS is a list of words
mlk up -p "$profile" ${MLK_UP_ARGS:-} --json > up-events.jsonl || rc=$?
if [ "$rc" -ne 0 ]; then
  # The last event is run_end: exit code and class, and the diagnostics bundle to keep.
  tail -n 1 up-events.jsonl >&2
  bundle=$(tail -n 1 up-events.jsonl | sed -n 's/.*"diagnostics":"\([^"]*\)".*/\1/p')
  if [ -n "$bundle" ]; then
    mkdir -p "$artifacts" && cp "$bundle" "$artifacts/"
    echo "ci: diagnostics kept in $artifacts/$(basename "$bundle")" >&2
  fi
  exit "$rc"
fi

sh -c "${MLK_JOB:-mlk run-workload -c $cluster --name ci-job}"
