#!/usr/bin/env bash
# Builds service/Dockerfile with podman for linux/amd64 and, when publishing, pushes it once and copies it to the
# other registries with its digest preserved, then records {version, revision, digest} in deploy/image.json — the
# one place the CDK app and the Pulumi program read the image from. Run by `./mvnw -Pimage` (build) and
# `./mvnw -Pimage,deploy -Dimage.push=<repository>[,<repository>…]` (build and publish); see docs/deployment.md §1.
#
# Settings (environment, set by the Maven profile from properties of the same name, image.* → IMAGE_*):
#   IMAGE_VERSION     project version (label org.opencontainers.image.version)
#   IMAGE_NAME        local name of the built image
#   IMAGE_SOURCE      repository URL (label org.opencontainers.image.source)
#   IMAGE_PUBLISH     true: push and record the digest
#   IMAGE_PUSH        comma-separated repositories without tag; the first is pushed to, the others copied to
#   IMAGE_TLS_VERIFY  false only for a local test registry on loopback
#   IMAGE_RECORD      the file to write (default deploy/image.json)
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "image: $*" >&2; exit 1; }
log() { echo "image: $*"; }

: "${IMAGE_VERSION:?IMAGE_VERSION is required (the project version)}"
IMAGE_NAME=${IMAGE_NAME:-localhost/sentryagent/agentidp:$IMAGE_VERSION}
IMAGE_PUBLISH=${IMAGE_PUBLISH:-false}
IMAGE_TLS_VERIFY=${IMAGE_TLS_VERIFY:-true}
IMAGE_RECORD=${IMAGE_RECORD:-deploy/image.json}
[ "$IMAGE_TLS_VERIFY" = true ] || [ "$IMAGE_TLS_VERIFY" = false ] \
  || die "image.tlsVerify must be true or false, got '$IMAGE_TLS_VERIFY'"

command -v podman >/dev/null \
  || die "podman is not installed: the image is built with podman (apt-get install podman runc; on machines like" \
         "CI's also a containers.conf with runtime runc in CONTAINERS_CONF, see .ci/podman_setup.py)"
[ -s service/target/agentidp-server.jar ] || die "service/target/agentidp-server.jar is missing: run the package phase"

revision=$(git rev-parse HEAD 2>/dev/null) || die "not a git checkout: the image's revision label needs git rev-parse HEAD"
if [ -n "$(git status --porcelain --untracked-files=no -- service policies 2>/dev/null)" ]; then
  log "warning: service/ or policies/ has uncommitted changes; the revision label ($revision) does not describe them"
fi
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)

labels=()
for pair in "version=$IMAGE_VERSION" "revision=$revision" "source=${IMAGE_SOURCE:-}" "created=$created" \
            "title=agentidp"; do
  [ -n "${pair#*=}" ] || continue
  # The OCI annotation keys (image-spec annotations.md), as labels in the image config: a Docker-format manifest
  # (below) has no annotations field.
  labels+=(--label "org.opencontainers.image.$pair")
done

log "building $IMAGE_NAME for linux/amd64 (revision $revision)"
# linux/amd64: the Fargate tasks are X86_64 and Cloud Run runs amd64; an image built for arm64 on a laptop would
# fail at start with "exec format error". --network host: the CDS training run binds 127.0.0.1 only.
# --format docker: the OCI image format has no HEALTHCHECK, and podman drops the Dockerfile's with a warning; ECR
# and Artifact Registry both serve Docker v2 schema 2 manifests.
podman build --platform linux/amd64 --format docker --network host "${labels[@]}" \
  -f service/Dockerfile -t "$IMAGE_NAME" .

if [ "$IMAGE_PUBLISH" != true ]; then
  log "built $IMAGE_NAME (not published: add -Pdeploy -Dimage.push=<repository>)"
  exit 0
fi

IFS=',' read -r -a targets <<<"${IMAGE_PUSH:-}"
[ "${#targets[@]}" -gt 0 ] && [ -n "${targets[0]}" ] \
  || die "image.push is required to publish: -Dimage.push=<registry>/<repository>[,<registry>/<repository>…]"
for target in "${targets[@]}"; do
  [[ "$target" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+$ ]] \
    || die "image.push: '$target' must be <registry>/<repository> without tag or digest"
done
command -v skopeo >/dev/null || die "skopeo is not installed (apt-get install skopeo): it copies the image between registries"

tag="$IMAGE_VERSION-${revision:0:12}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
first=${targets[0]}
log "pushing to $first:$tag"
podman push --format v2s2 --tls-verify="$IMAGE_TLS_VERIFY" --digestfile "$work/digest" "$IMAGE_NAME" "docker://$first:$tag"
digest=$(cat "$work/digest")
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || die "podman push wrote no sha256 digest ('$digest')"

for target in "${targets[@]:1}"; do
  log "copying $first@$digest to $target:$tag, digest preserved"
  # --preserve-digests refuses any change that would alter the digest (recompression, a format conversion)
  # instead of silently writing a different manifest.
  skopeo copy --preserve-digests --src-tls-verify="$IMAGE_TLS_VERIFY" --dest-tls-verify="$IMAGE_TLS_VERIFY" \
    "docker://$first@$digest" "docker://$target:$tag"
done
for target in "${targets[@]}"; do
  served=$(skopeo inspect --raw --tls-verify="$IMAGE_TLS_VERIFY" "docker://$target:$tag" | sha256sum | cut -d' ' -f1)
  [ "sha256:$served" = "$digest" ] || die "$target:$tag serves manifest sha256:$served, not the pushed $digest"
done

mkdir -p "$(dirname "$IMAGE_RECORD")"
printf '{\n  "version": "%s",\n  "revision": "%s",\n  "digest": "%s"\n}\n' "$IMAGE_VERSION" "$revision" "$digest" \
  >"$IMAGE_RECORD"
log "published $digest to ${targets[*]}; recorded in $IMAGE_RECORD (commit it: both stacks deploy that digest)"
