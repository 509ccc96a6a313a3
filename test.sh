#!/usr/bin/env bash
# Restores, builds and runs the whole test suite; ends with one "N passed, N failed" line.
# Real data and the built-in encoder are read from ../shared when present (override with
# GPO_DATA / GPO_MODEL); tests that need them are skipped, and say so, when they are absent.
set -uo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required (see environment.md)" >&2
  exit 2
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
[ -z "${GPO_DATA:-}" ] && [ -d ../shared/data ] && export GPO_DATA="$PWD/../shared/data"
[ -z "${GPO_MODEL:-}" ] && [ -d ../shared/models/all-MiniLM-L6-v2 ] && export GPO_MODEL="$PWD/../shared/models/all-MiniLM-L6-v2"

dotnet restore Gpo.slnx || exit 1
dotnet build Gpo.slnx -c Release --no-restore || exit 1

log=$(mktemp)
results=$(mktemp -d)
dotnet test Gpo.slnx -c Release --no-build --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Name every failed test with its message, so a red run says what broke.
if [ "$status" -ne 0 ]; then
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    python3 - "$trx" <<'PY' 2>/dev/null || grep -o 'testName="[^"]*"[^>]*outcome="Failed"' "$trx"
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for result in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if result.get("outcome") == "Failed":
        message = result.find(".//t:Message", ns)
        print("FAILED", result.get("testName"), "--", (message.text or "").strip().splitlines()[0] if message is not None and message.text else "")
PY
  done
fi
rm -rf "$results"

# Sum the per-assembly summaries ("Passed!  - Failed: 0, Passed: 12, Skipped: 1, Total: 13 ...").
read -r failed passed skipped < <(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/' |
  awk '{f+=$1; p+=$2; s+=$3} END {print f+0, p+0, s+0}')
rm -f "$log"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
exit 0
