# syntax=docker/dockerfile:1
# PostureExporter image: docker build -t ghcr.io/posture-exporter/posture-exporter:VERSION \
#   --build-arg VERSION=VERSION --build-arg REVISION=$(git rev-parse HEAD) .
#
# Both base images are pinned by digest (a tag moves; the digest is what was tested). The digests below
# must be refreshed when the images are updated (monthly at least, for the base image's security fixes):
#   docker buildx imagetools inspect mcr.microsoft.com/dotnet/sdk:10.0 --format '{{json .Manifest.Digest}}'
#   docker buildx imagetools inspect mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled --format '{{json .Manifest.Digest}}'
# The SDK must satisfy global.json (10.0.401 or a later feature band).

FROM mcr.microsoft.com/dotnet/sdk:10.0@sha256:72dd743782f2ae7e5476fd64f6a460045e3998dc862218b80e6944cba79a01b0 AS build
WORKDIR /src
# Restore first, from the project files alone, so the package layer is reused until they change.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/PostureExporter/PostureExporter.csproj src/PostureExporter/
COPY src/PostureExporter.Engine/PostureExporter.Engine.csproj src/PostureExporter.Engine/
COPY src/PostureExporter.Simulator/PostureExporter.Simulator.csproj src/PostureExporter.Simulator/
RUN dotnet restore src/PostureExporter/PostureExporter.csproj -r linux-x64 -p:PublishReadyToRun=true
COPY src/ src/
ARG VERSION=0.1.0
# ReadyToRun: precompiled code for the exporter and its libraries, so start-up does not wait for the JIT
# (about a quarter of the start-up CPU; docs/performance.md). On another architecture the IL is used.
RUN dotnet publish src/PostureExporter/PostureExporter.csproj --no-restore -c Release -o /app \
      -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
      -p:Version=${VERSION} -p:UseAppHost=false -p:DebugType=none

# Chiseled: no shell, no package manager, only what the ASP.NET Core runtime needs.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled@sha256:48e51f2f6798897be7ac4e775c049ed8fe60d3190f637e1f9c9dc7513efa659c
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
ENTRYPOINT ["dotnet", "/app/posture-exporter.dll"]
