#!/usr/bin/env bash
# Starts every action type against a running tracker (npm start), in an order where each one's
# prerequisites exist, waits for each to end, and prints its status and counts.
#   bash examples/try-all.sh            # TRACKER_URL defaults to http://localhost:8787
# The actions are the demo admin's (npm run token's default person), the person the development sign-in
# link signs in, so they show on the page; set TOKEN to act as someone else.
set -euo pipefail
cd "$(dirname "$0")"
URL="${TRACKER_URL:-http://localhost:8787}"
TOKEN="${TOKEN:-$(cd .. && npm run -s token)}"
AUTH=(-H "Authorization: Bearer $TOKEN")

# Waits for an action to end and prints one line about it.
wait_for() {
  local ref="$1" body
  for _ in $(seq 1 120); do
    body=$(curl -s "${AUTH[@]}" "$URL/v1/actions/$ref")
    if echo "$body" | grep -q '"completedAt":"'; then
      echo "$body" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const a=JSON.parse(s);const p=a.progress;console.log(`${a.referenceId}  ${a.typeLabel.padEnd(28)} ${a.statusLabel.padEnd(22)} ${p.processed}/${p.total} processed, ${p.errors} errors, ${p.warnings} warnings${a.dryRun?"  (dry run: nothing changed)":""}${a.retryOf?"  (retry of "+a.retryOf+")":""}${a.failureReason?"  ("+a.failureReason+")":""}`)})'
      return
    fi
    sleep 0.5
  done
  echo "$ref did not end in time" >&2
  return 1
}
ref_of() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const a=JSON.parse(s);if(!a.referenceId){console.error(s);process.exit(1)}console.log(a.referenceId)})'; }
upload() { curl -s "${AUTH[@]}" -F "type=$1" "${@:2}" "$URL/v1/actions" | ref_of; }
json() { curl -s "${AUTH[@]}" -H 'Content-Type: application/json' -d @"$1" "$URL/v1/actions" | ref_of; }

wait_for "$(upload user_upload -F file=@users.csv)"
wait_for "$(upload user_upload -F file=@users-excel-semicolon.csv)"   # Excel "CSV UTF-8", German settings (;)
wait_for "$(upload user_upload -F file=@users-excel-unicode.txt)"     # Excel "Unicode Text" (UTF-16, TABs)
wait_for "$(upload content_upload -F file=@packages/sec-101.zip -F file=@packages/gdpr-1.zip -F file=@packages/broken-zip-slip.zip)"
# A dry run first: every row judged against the portal as it is, the report written, nothing changed.
wait_for "$(upload history_migration -F dryRun=true -F file=@history.csv)"
history="$(upload history_migration -F file=@history.csv)"
wait_for "$history"
wait_for "$(json group-enroll.json)"
wait_for "$(json group-mark-complete.json)"
wait_for "$(json group-unenroll.json)"
wait_for "$(json rule-start.json)"
wait_for "$(json rule-change.json)"
step1="$(upload content_replace -F file=@packages/sec-101-v2.zip)"
wait_for "$step1"
step2=$(curl -s "${AUTH[@]}" "$URL/v1/actions?type=content_replace&limit=2" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).items.find(a=>a.step===2).referenceId))')
wait_for "$step2"
wait_for "$(json reminder.json)"

# From what went wrong to fixed: the history's failed rows (each as uploaded, plus Issue and Resolution),
# corrected, and uploaded again as the retry of the first (the two extra columns are ignored).
fixed="$(mktemp -d)/history-to-fix.csv"
trap 'rm -rf "$(dirname "$fixed")"' EXIT
curl -s "${AUTH[@]}" "$URL/v1/actions/$history/failed-rows" |
  sed -e 's/unknown\.person@example\.com/sofia.costa@partner.org/' -e 's#01/09/2025#2025-09-01#' > "$fixed"
wait_for "$(upload history_migration -F "retryOf=$history" -F "file=@$fixed")"
echo "Error reports: GET $URL/v1/actions/<ref>/error-report (or /report-rows as JSON); rows to fix: /failed-rows"
echo "The page: $URL/dev/sign-in (development: signs in as the demo admin, who started these)"
