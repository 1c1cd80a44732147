#!/usr/bin/env bash
# Creates the Secrets the suite reads (never stored in git), with random values, in NAMESPACE.
#
#   deploy/k8s/create-secrets.sh talent-suite-dev postgres             # dev overlay (StatefulSet)
#   deploy/k8s/create-secrets.sh talent-suite suite-db-rw require      # prod overlay (CloudNativePG)
#
# Arguments: NAMESPACE DB_HOST [SSLMODE]. jwt-key is the static token key the dev overlay uses
# (set JWT_KEY to share one with your tools; else random); prod verifies the identity provider's
# tokens against its JWKS and ignores it. competition-secrets/local-issuer-key signs the judge
# tokens the competition service mints itself (always random). Existing Secrets are left alone (a
# role's password must keep matching its database URL), so the script is safe to re-run.
set -euo pipefail

namespace=${1:?usage: create-secrets.sh NAMESPACE DB_HOST [SSLMODE]}
db_host=${2:?usage: create-secrets.sh NAMESPACE DB_HOST [SSLMODE]}
sslmode=${3:-prefer}
database=suite

random() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
exists() { kubectl -n "$namespace" get secret "$1" >/dev/null 2>&1; }

jwt_key=${JWT_KEY:-$(random)}

if [[ $db_host == postgres ]] && ! exists postgres-superuser; then
  kubectl -n "$namespace" create secret generic postgres-superuser --from-literal=password="$(random)"
fi

for service in talent competition; do
  if exists "$service-db-credentials" || exists "$service-secrets"; then
    echo "Secrets of $service exist in $namespace: left unchanged"
    continue
  fi
  password=$(random)
  # The role's credentials: read by the dev init script and by CloudNativePG's managed roles.
  kubectl -n "$namespace" create secret generic "$service-db-credentials" \
    --type=kubernetes.io/basic-auth --from-literal=username="$service" --from-literal=password="$password"
  extra=()
  if [[ $service == talent ]]; then
    extra=(--from-literal=pii-hash-key="$(random)")
  else
    extra=(--from-literal=local-issuer-key="$(random)" --from-literal=invitation-secret="$(random)")
  fi
  kubectl -n "$namespace" create secret generic "$service-secrets" \
    --from-literal=database-url="postgresql://$service:$password@$db_host:5432/$database?sslmode=$sslmode" \
    --from-literal=jwt-key="$jwt_key" \
    --from-literal=page-token-secret="$(random)" \
    "${extra[@]}"
done

# The judges' portal: the key of its session cookies (shared by every replica) and its own service
# token (role competition.portal: it may redeem judge invitations). Give PORTAL_SERVICE_TOKEN from
# your token issuer; without it the token is minted here with JWT_KEY (HS256 only, 1 year).
if exists portal-secrets; then
  echo "Secrets of portal exist in $namespace: left unchanged"
else
  service_token=${PORTAL_SERVICE_TOKEN:-$(JWT_KEY_FOR_MINT="$jwt_key" python3 - <<'PY'
import base64, hashlib, hmac, json, os, time
def b64(data): return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
now = int(time.time())
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": "judges-portal", "roles": ["competition.portal"], "iat": now, "exp": now + 365 * 86400}).encode())
key = os.environ["JWT_KEY_FOR_MINT"].encode()
print(f"{head}.{body}." + b64(hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()))
PY
)}
  kubectl -n "$namespace" create secret generic portal-secrets \
    --from-literal=session-key="$(random)" --from-literal=service-token="$service_token"
fi
