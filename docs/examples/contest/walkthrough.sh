#!/usr/bin/env bash
# The README's contest walkthrough, runnable end to end against `make run`:
# set-up → entries → auto-assignment → blind judging → close/finalize → leaderboard → awards → landing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
suite=${SUITE:-.venv/bin/suite}
contest=gec-2025

# 1. The contest administrator sets up the contest, its rounds, criteria and judges, then imports entries.
export SUITE_TOKEN=$($suite token mint --role competition.admin --subject contest-admin)
$suite competition setup "$here/contest.yaml"
$suite competition entries import --contest $contest "$here/entries.csv"

for round in preliminary final; do
  # 2. Two judges per entry, no conflicts of interest (李教授 works at 温州医科大学, like p-lens's team).
  $suite competition assign $contest/$round
  $suite competition open $contest/$round
  # 3. Each judge, with their own token, sees their assignments and submits their score sheets.
  for judge in j-li j-wang j-zhao j-chen; do
    judge_token=$($suite token mint --role competition.judge --subject $judge)
    SUITE_TOKEN=$judge_token $suite -o csv competition my assignments $contest/$round | tail -n +2 |
      while IFS=, read -r _judge entry _title _submitted; do
        score() { echo $(( $(printf '%s' "$judge$entry$1" | cksum | cut -d' ' -f1) % 5 + 5 )); }
        SUITE_TOKEN=$judge_token $suite competition submit $contest/$round "$entry" \
          --score technology="$(score t)" --score industrialisation="$(score i)" \
          --score team="$(score m)" --score landing_intention="$(score l)"
      done
  done
  # 4. The administrator checks progress, closes the round and freezes its leaderboard.
  $suite competition progress $contest/$round
  $suite competition close $contest/$round
  $suite competition finalize $contest/$round
  $suite competition leaderboard $contest/$round
done

# 5. Awards of the final round, then the landing of the first prize winner (INTENT → SIGNED → REGISTERED).
$suite competition awards $contest
winner=$($suite -o csv competition awards $contest | tail -n +2 | head -n 1 | cut -d, -f3)
$suite competition landing advance "$contest/$winner" --to INTENT --note "visited the district"
$suite competition landing advance "$contest/$winner" --to SIGNED --agreement-date 2025-09-01
$suite competition landing advance "$contest/$winner" --to REGISTERED --company "瓯海创新科技有限公司" \
  --credit-code 91330304MA2ABCDE0T --registration-date 2025-10-08 --capital 500
$suite competition landing status $contest
