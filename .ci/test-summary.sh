#!/usr/bin/env bash
# Adds up every module's Surefire reports into the closing summary lines CI reads.
cd "$(dirname "$0")/.."
shopt -s nullglob globstar
tests=0 failures=0 errors=0 skipped=0
for f in **/target/surefire-reports/TEST-*.xml; do
  line=$(grep -m1 -o '<testsuite [^>]*>' "$f")
  for k in tests failures errors skipped; do
    v=$(printf '%s' "$line" | grep -o " $k=\"[0-9]*\"" | grep -o '[0-9]*')
    eval "$k=\$(( $k + ${v:-0} ))"
  done
done
echo "Tests run: $tests, Failures: $failures, Errors: $errors, Skipped: $skipped"
echo "$(( tests - failures - errors - skipped )) passed, $(( failures + errors )) failed, $skipped skipped"
