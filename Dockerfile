# syntax=docker/dockerfile:1
# PostureExporter image: docker build -t ghcr.io/posture-exporter/posture-exporter:VERSION \
#   --build-arg VERSION=VERSION --build-arg REVISION=$(git rev-parse HEAD) .
#
# Both base images are pinned by digest (a tag moves; the digest is what was tested). The digests below
# must be refreshed when the images are updated (monthly at least, for the base image's security fixes):
#   docker buildx imagetools inspect mcr.microsoft.com/dotnet/sdk:10.0 --format '{{json .Manifest.Digest}}'
#   docker buildx imagetools inspect mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled --format '{{json .Manifest.Digest}}'
# The SDK must satisfy global.json (10.0.401 or a later feature band). Build with BuildKit (the default), which sets
# TARGETARCH: the exporter is published self-contained for the image's architecture.

FROM mcr.microsoft.com/dotnet/sdk:10.0@sha256:72dd743782f2ae7e5476fd64f6a460045e3998dc862218b80e6944cba79a01b0 AS build
ARG TARGETARCH
WORKDIR /src
# Restore first, from the project files alone, so the package layer is reused until they change.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/PostureExporter/PostureExporter.csproj src/PostureExporter/
COPY src/PostureExporter.Engine/PostureExporter.Engine.csproj src/PostureExporter.Engine/
COPY src/PostureExporter.Simulator/PostureExporter.Simulator.csproj src/PostureExporter.Simulator/
RUN dotnet restore src/PostureExporter/PostureExporter.csproj -a ${TARGETARCH} -p:SelfContained=true -p:PublishReadyToRun=true
COPY src/ src/
ARG VERSION=0.1.0
# Self-contained, with the exporter, its libraries and the runtime's own assemblies precompiled together into one
# composite ReadyToRun image: start-up barely waits for the JIT, and the framework's generic code over the
# exporter's types is precompiled too (docs/performance.md: 1k-pod sync 1.25 -> 1.05 s, 20k 3.5 -> 3.0 s).
RUN dotnet publish src/PostureExporter/PostureExporter.csproj --no-restore -c Release -o /app \
      -a ${TARGETARCH} --self-contained true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true \
      -p:Version=${VERSION} -p:DebugType=none

# Chiseled: no shell, no package manager; runtime-deps, as the exporter brings its own runtime.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled@sha256:18d4848091a40d13dbfdd6a8340c1657dc3e2f2d7fa2f042e9d162e68669dbc9
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="posture-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Kubernetes security posture" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# Read-only root filesystem: no diagnostics IPC socket, no first-run files; anything temporary goes to /tmp
# (an emptyDir in deploy/). POSTURE_REVISION ends up in posture_exporter_build_info.
ENV DOTNET_EnableDiagnostics=0 \
    DOTNET_NOLOGO=1 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    TMPDIR=/tmp \
    POSTURE_REVISION=${REVISION}
WORKDIR /app
COPY --from=build /app ./
# Numeric, so runAsNonRoot can verify it without a passwd lookup; matches runAsUser in deploy/.
USER 65532:65532
EXPOSE 9917
ENTRYPOINT ["/app/posture-exporter"]
