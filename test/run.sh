#!/usr/bin/env bash
# The whole test suite (called by `npm test` after install and build).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache
# External services the integration suites start (test/services/): as root the missing Debian packages
# are installed here; otherwise this fails at once, printing the apt-get line to run.
# Runs all three jest projects: unit, integration and services.
bash test/services/services.sh install mariadb mosquitto kafka postgres mongo slapd redis rabbitmq chromium || exit 1
npx jest --ci --json --outputFile=.cache/jest-results.json "$@"
rc=$?
node -e '
const r = require("./.cache/jest-results.json");
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || rc=1
exit $rc
