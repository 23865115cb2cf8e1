#!/usr/bin/env bash
# Print the secret the embedded Airflow signs its API tokens with (HS512), made once and kept in
# <airflow home>/jwt_secret, readable by its owner only. Airflow's own default is 16 random bytes, which PyJWT
# flags at every token it signs or checks: RFC 7518 (section 3.2) asks for a key at least as long as the hash,
# 64 bytes for SHA-512. Usage: scripts/jwt_secret.sh AIRFLOW_HOME
set -euo pipefail
home="${1:?usage: scripts/jwt_secret.sh AIRFLOW_HOME}"
file="$home/jwt_secret"
if [ ! -s "$file" ]; then
  mkdir -p "$home"
  (umask 077; head -c 64 /dev/urandom | base64 -w0 >"$file.tmp.$$") && mv "$file.tmp.$$" "$file"
fi
cat "$file"
